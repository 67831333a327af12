"""Fast checks of tap-google-forms' pure logic, its paging, and its declaration in meltano.yml."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from singer_sdk.exceptions import FatalAPIError

import ingestor
from tap_google_forms import TapGoogleForms
from tap_google_forms.streams import ResponsesStream, in_order, instant_ns, list_filter
from tap_google_forms.tap import SETTINGS
from tests.support.fake_apis.meltano_runs import declared_settings

CREDENTIALS = {"client_id": "id", "client_secret": "secret", "refresh_token": "refresh"}


def _stream(state: dict[str, Any] | None = None, **settings: Any) -> ResponsesStream:
    config = {"form_ids": ["f1"], **CREDENTIALS, **settings}
    tap = TapGoogleForms(config=config, state=state, setup_mapper=False)
    stream = tap.streams["responses"]
    assert isinstance(stream, ResponsesStream)
    return stream


def _bookmark(form_id: str, value: str) -> dict[str, Any]:
    return {"bookmarks": {"responses": {"partitions": [
        {"context": {"formId": form_id}, "replication_key": "lastSubmittedTime",
         "replication_key_value": value}]}}}


def _response(response_id: str, submitted: str) -> dict[str, Any]:
    return {"responseId": response_id, "lastSubmittedTime": submitted, "answers": {}}


def test_instants_compare_to_the_nanosecond_whatever_the_digits() -> None:
    # As strings ".49Z" sorts after ".5Z"; as instants it is earlier.
    assert instant_ns("2026-01-01T00:00:00.49Z") < instant_ns("2026-01-01T00:00:00.5Z")
    assert instant_ns("2026-01-01T00:00:00.5Z") == instant_ns("2026-01-01T00:00:00.500000Z")
    assert instant_ns("2026-01-01T00:00:00.000000001Z") - instant_ns("2026-01-01T00:00:00Z") == 1
    assert instant_ns("2026-01-01T01:00:00+01:00") == instant_ns("2026-01-01T00:00:00Z")
    assert instant_ns("1970-01-01T00:00:01Z") == 10**9
    with pytest.raises(ValueError, match="RFC 3339"):
        instant_ns("2026-01-01 00:00:00")


def test_filter_is_inclusive_and_never_later_than_asked() -> None:
    assert list_filter(instant_ns("2026-01-01T00:00:00.123456789Z")) == (
        "timestamp >= 2026-01-01T00:00:00.123456Z")
    assert list_filter(instant_ns("2026-01-01T00:00:00Z")) == (
        "timestamp >= 2026-01-01T00:00:00.000000Z")


def test_responses_come_in_submission_order_within_the_half_open_window() -> None:
    listed = [_response("c", "2026-01-01T00:00:02Z"), _response("b", "2026-01-01T00:00:01.5Z"),
              _response("a", "2026-01-01T00:00:01.500Z"), _response("z", "2026-01-01T00:00:00Z"),
              _response("y", "2026-01-01T00:00:03Z")]
    start, end = instant_ns("2026-01-01T00:00:01Z"), instant_ns("2026-01-01T00:00:03Z")
    assert [r["responseId"] for r in in_order(listed, start, end)] == ["a", "b", "c"]
    assert [r["responseId"] for r in in_order(listed, None, None)] == ["z", "a", "b", "c", "y"]
    with pytest.raises(ValueError, match="without lastSubmittedTime"):
        in_order([{"responseId": "x"}], None, None)


def test_the_window_is_the_settings_for_every_form_whatever_the_state() -> None:
    # A state with a bookmark for f1, as Meltano would hand an incremental tap: this one keeps
    # none, and both forms get the window of the settings.
    stream = _stream(_bookmark("f1", "2026-11-01T00:10:00.5Z"), form_ids=["f1", "f2"],
                     start_date="2026-11-01T00:05:00Z", end_date="2026-12-01")
    assert stream.replication_key is None and stream.replication_method == "FULL_TABLE"
    assert stream.window() == (instant_ns("2026-11-01T00:05:00Z"),
                               instant_ns("2026-12-01T00:00:00Z"))
    for form_id in ("f1", "f2"):
        assert stream.get_url_params({"formId": form_id}, None)["filter"] == (
            "timestamp >= 2026-11-01T00:05:00.000000Z")
    unbounded = _stream(_bookmark("f1", "2026-11-01T00:10:00.5Z"))
    assert unbounded.window() == (None, None)
    assert "filter" not in unbounded.get_url_params({"formId": "f1"}, None)
    assert "overlap_seconds" not in SETTINGS.to_dict()["properties"]


def test_one_partition_per_distinct_form_and_none_is_an_error() -> None:
    assert _stream(form_ids=["f1", "f2", "f1"]).partitions == [{"formId": "f1"},
                                                               {"formId": "f2"}]
    with pytest.raises(ValueError, match="form_ids lists no form"):
        _stream(form_ids=[]).partitions  # noqa: B018 (the property raises)


def test_pages_are_followed_past_an_empty_one_and_sorted(monkeypatch: pytest.MonkeyPatch) -> None:
    form = {"formId": "f1", "info": {"title": "Check-in"}, "items": []}
    answers = [form, {"nextPageToken": "t1"},  # fewer than pageSize, even none, is not the end
               {"responses": [_response("r2", "2026-11-02T00:00:00Z")], "nextPageToken": "t2"},
               {"responses": [_response("r1", "2026-11-01T00:00:00Z")]}]
    sent: list[str] = []

    def answer(request: requests.PreparedRequest, context: Any) -> requests.Response:
        sent.append(str(request.url))
        response = requests.Response()
        response.status_code, response.url = 200, str(request.url)
        response._content = json.dumps(answers[len(sent) - 1]).encode()
        return response

    stream = _stream(start_date="2026-10-31", api_url="https://forms.test")
    monkeypatch.setattr(stream, "_request", answer)
    records = list(stream.request_records({"formId": "f1"}))
    assert [(r["responseId"], r["formId"], r["_form"]) for r in records] == [
        ("r1", "f1", form), ("r2", "f1", form)]
    assert sent[0] == "https://forms.test/v1/forms/f1"
    query = "filter=timestamp+%3E%3D+2026-10-31T00%3A00%3A00.000000Z"  # the same on every page
    assert sent[1:] == [f"https://forms.test/v1/forms/f1/responses?pageSize=5000&{query}",
                        *(f"https://forms.test/v1/forms/f1/responses?pageSize=5000&{query}"
                          f"&pageToken={token}" for token in ("t1", "t2"))]


def test_an_unknown_form_fails_at_once_naming_it() -> None:
    response = requests.Response()
    response.status_code, response.url = 404, "https://forms.googleapis.com/v1/forms/f%2F9/responses"
    with pytest.raises(FatalAPIError, match=r"^tap-google-forms: form f/9 was not found \(HTTP "
                                            r"404\); check form_ids and that the consented"):
        _stream().validate_response(response)


def test_meltano_yml_declares_every_setting_and_hides_the_secrets() -> None:
    declared = declared_settings(ingestor.resolve_project_dir(), "tap-google-forms")
    properties = SETTINGS.to_dict()["properties"]  # without the SDK's built-in settings
    assert set(declared) == set(properties)
    secret = {name for name, schema in properties.items() if schema.get("secret")}
    assert secret == {"client_secret", "refresh_token"}
    assert {name for name, setting in declared.items() if setting.get("sensitive")} == secret
