"""Fast checks of tap-gmail's pure logic and of its declaration in meltano.yml."""

from __future__ import annotations

from typing import Any

import pytest

import ingestor
import tap_gmail
from tap_gmail import TapGmail, streams
from tap_gmail.streams import MessagesStream, in_window, search_query
from tests.support.fake_apis import FakeGmail
from tests.support.fake_apis.meltano_runs import declared_settings


@pytest.mark.parametrize(("start_ms", "end_ms", "extra", "expected"), [
    (None, None, None, ""),
    (1_700_000_000_500, None, None, "after:1699999999"),
    (1_700_000_000_000, None, None, "after:1699999999"),
    (None, 1_700_000_000_000, None, "before:1700000000"),
    (None, 1_700_000_000_001, None, "before:1700000001"),
    (0, None, "-in:chats", "after:0 (-in:chats)"),
])
def test_search_asks_for_a_second_more_on_each_side(
        start_ms: int | None, end_ms: int | None, extra: str | None, expected: str) -> None:
    assert search_query(start_ms, end_ms, extra) == expected


def test_window_is_half_open_to_the_millisecond() -> None:
    assert in_window({"internalDate": "1000"}, 1000, 2000)
    assert in_window({"internalDate": "1999"}, 1000, 2000)
    assert not in_window({"internalDate": "999"}, 1000, 2000)
    assert not in_window({"internalDate": "2000"}, 1000, 2000)
    assert in_window({"internalDate": "5"}, None, None)


def test_the_window_is_the_settings_whatever_the_state() -> None:
    # A state with a bookmark, as Meltano would hand an incremental tap: this one keeps none.
    state = {"bookmarks": {"messages": {"replication_key": "internalDate",
                                        "replication_key_value": "1790000000000"}}}
    config = {"client_id": "id", "client_secret": "secret", "refresh_token": "refresh",
              "start_date": "2026-09-01", "end_date": "2026-09-21T14:13:20.5Z"}
    stream = TapGmail(config=config, state=state, setup_mapper=False).streams["messages"]
    assert isinstance(stream, MessagesStream)
    assert stream.replication_key is None and stream.replication_method == "FULL_TABLE"
    assert stream.window() == (1_788_220_800_000, 1_790_000_000_500)
    unbounded = TapGmail(config={k: config[k] for k in ("client_id", "client_secret",
                                                        "refresh_token")},
                         state=state, setup_mapper=False).streams["messages"]
    assert isinstance(unbounded, MessagesStream) and unbounded.window() == (None, None)
    assert "overlap_seconds" not in TapGmail.config_jsonschema["properties"]


def test_meltano_yml_declares_every_setting_and_hides_the_secrets() -> None:
    declared = declared_settings(ingestor.resolve_project_dir(), "tap-gmail")
    properties = TapGmail.config_jsonschema["properties"]
    builtin: dict[str, Any] = {"properties": {}}  # stream maps etc., which the SDK adds itself
    TapGmail.append_builtin_config(builtin)
    assert set(declared) == set(properties) - set(builtin["properties"])
    secret = {name for name, schema in properties.items() if schema.get("secret")}
    assert secret == {"client_secret", "refresh_token"}
    assert {name for name, setting in declared.items() if setting.get("sensitive")} == secret


def test_what_the_docstrings_say_is_what_is_fetched(
        gmail: FakeGmail, settings: dict[str, Any], messages: list[dict[str, Any]]) -> None:
    # The fake hides SPAM/TRASH messages unless includeSpamTrash=true, as Gmail does; the tap
    # never sends it and says so.
    latest = messages[-1]
    junk = [{**latest, "id": f"{latest['id']}{label}", "labelIds": [label]}
            for label in ("SPAM", "TRASH")]
    gmail.add(junk)
    stream = TapGmail(config=settings, setup_mapper=False).streams["messages"]
    fetched = list(stream.request_records(None))
    assert [m["id"] for m in fetched] == [m["id"] for m in messages]
    assert gmail.list_params and all("includeSpamTrash" not in p for p in gmail.list_params)
    for doc in (tap_gmail.__doc__, TapGmail.__doc__, streams.__doc__):
        assert "outside Spam and Trash" in " ".join((doc or "").split())
