"""Fast checks of tap-msgraph-mail: its pure logic, its queries in-process against FakeGraphMail,
and its declaration in meltano.yml."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import ingestor
from tap_msgraph_mail import TapMSGraphMail
from tap_msgraph_mail.streams import (
    MessagesStream,
    messages_path,
    prefer_header,
    select_option,
)
from tests.support.fake_apis.meltano_runs import declared_settings
from tests.support.fake_apis.msgraph import FakeGraphMail


def _stream(settings: dict[str, Any], state: dict[str, Any] | None = None) -> MessagesStream:
    stream = TapMSGraphMail(config=settings, state=state, setup_mapper=False).streams["messages"]
    assert isinstance(stream, MessagesStream)
    return stream


@pytest.mark.parametrize(("user", "folder", "expected"), [
    (None, None, "/me/messages"),
    (None, "inbox", "/me/mailFolders/inbox/messages"),
    ("a%40b.example", None, "/users/a%40b.example/messages"),
    ("{user_id}", "{mail_folder_id}", "/users/{user_id}/mailFolders/{mail_folder_id}/messages"),
])
def test_messages_path(user: str | None, folder: str | None, expected: str) -> None:
    assert messages_path(user, folder) == expected


def test_prefer_header_asks_for_the_body_format_and_immutable_ids() -> None:
    assert prefer_header("html", True) == 'outlook.body-content-type="html", IdType="ImmutableId"'
    assert prefer_header("text", False) == 'outlook.body-content-type="text"'


def test_select_always_asks_for_the_key_and_the_window_column() -> None:
    assert select_option(["subject", "id", "from"]) == "id,receivedDateTime,subject,from"


def test_the_window_is_the_settings_whatever_the_state(
        graph: FakeGraphMail, settings: dict[str, Any], messages: list[dict[str, Any]]) -> None:
    # A state with a bookmark, as Meltano would hand an incremental tap: this one keeps none.
    bookmark = {"bookmarks": {"messages": {"replication_key": "receivedDateTime",
                                           "replication_key_value": "2026-11-10T12:00:00Z"}}}
    stream = _stream({**settings, "start_date": "2026-11-10T09:00:00+01:00",
                      "end_date": "2026-11-12"}, bookmark)
    assert stream.replication_key is None and stream.replication_method == "FULL_TABLE"
    assert stream.configured_window() == (datetime(2026, 11, 10, 8, 0, tzinfo=UTC),
                                          datetime(2026, 11, 12, tzinfo=UTC))
    assert _stream(settings, bookmark).configured_window() == (None, None)
    records = list(_stream(settings, bookmark).request_records(None))
    assert records == messages  # no window: everything, the bookmark notwithstanding
    assert "$filter" not in graph.requests_to("/v1.0/me/messages")[0].query
    assert "overlap_seconds" not in TapMSGraphMail.config_jsonschema["properties"]


def test_a_folder_of_another_mailbox_in_a_window_with_text_bodies(
        graph: FakeGraphMail, settings: dict[str, Any], messages: list[dict[str, Any]]) -> None:
    folder = messages[0]["parentFolderId"]
    start, end = messages[10]["receivedDateTime"], messages[60]["receivedDateTime"]
    stream = _stream({**settings, "user_id": graph.user, "mail_folder_id": folder,
                      "start_date": start, "end_date": end, "body_content_type": "text",
                      "immutable_ids": False,
                      "select": ["subject", "body", "parentFolderId"]})
    records = list(stream.request_records(None))
    expected = [m for m in messages[10:60] if m["parentFolderId"] == folder]
    assert 0 < len(expected) < 50
    assert [r["id"] for r in records] == [m["id"] for m in expected]
    assert {r["body"]["contentType"] for r in records} == {"text"}
    assert set(records[0]) == {"@odata.etag", "id", "receivedDateTime", "subject", "body",
                               "parentFolderId"}
    first = graph.requests_to("/v1.0/users/")[0]
    assert first.path == ("/v1.0/users/clinician@example.com/mailFolders/"
                          f"{folder.replace('=', '%3D')}/messages")
    assert first.query == {
        "$filter": [f"receivedDateTime ge {start} and receivedDateTime lt {end}"],
        "$orderby": ["receivedDateTime asc"], "$top": ["10"],
        "$select": ["id,receivedDateTime,subject,body,parentFolderId"]}
    assert set(graph.prefer_headers) == {'outlook.body-content-type="text"'}


def test_meltano_yml_declares_every_setting_and_hides_the_secrets() -> None:
    declared = declared_settings(ingestor.resolve_project_dir(), "tap-msgraph-mail")
    properties = TapMSGraphMail.config_jsonschema["properties"]
    builtin: dict[str, Any] = {"properties": {}}  # stream maps etc., which the SDK adds itself
    TapMSGraphMail.append_builtin_config(builtin)
    assert set(declared) == set(properties) - set(builtin["properties"])
    secret = {name for name, schema in properties.items() if schema.get("secret")}
    assert secret == {"client_secret", "refresh_token"}
    assert {name for name, setting in declared.items() if setting.get("sensitive")} == secret
