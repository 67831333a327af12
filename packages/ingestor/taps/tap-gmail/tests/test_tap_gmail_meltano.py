"""tap-gmail through a real `meltano run tap-gmail target-jsonl` against FakeGmail (slow)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.fake_apis import FakeGmail
from tests.support.fake_apis.meltano_runs import MeltanoRunner, RunResult
from tests.support.fake_apis.tap_checks import (
    BAD_REFRESH_TOKEN,
    REJECTED_BEARER,
    assert_refused_credentials,
    assert_rerun_emits_the_window_once,
    assert_retries_logged,
    assert_waited_as_retry_after_said,
    interrupted_then_rerun,
    run_ok,
    run_refused,
)

pytestmark = pytest.mark.slow

LIST = "/gmail/v1/users/me/messages"
GET = LIST + "/"


def _never_logged(result: RunResult, gmail: FakeGmail, messages: list[dict[str, Any]]) -> None:
    # Secrets, every token issued, and message content (snippets are body text).
    sensitive = [*gmail.credentials.secrets(), *gmail.issued_tokens,
                 *(message["snippet"] for message in messages[:5])]
    assert result.leaked(sensitive) == []


def _queries(gmail: FakeGmail) -> list[str | None]:
    """The `q` of each list request (None when it had none)."""
    return [next(iter(r.query.get("q", [])), None) for r in gmail.requests_to(LIST)
            if r.path == LIST]


def _ms_text(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


def test_full_sync_emits_every_message_unchanged(
        runner: MeltanoRunner, gmail: FakeGmail, settings: dict[str, Any],
        messages: list[dict[str, Any]]) -> None:
    result = run_ok(runner, settings)
    assert result.records == messages  # oldest first, MIME trees intact
    assert len(gmail.requests_to("/token")) == 1
    assert len(gmail.requests_to(LIST)) == 5 + len(messages)  # 10 ids a page, then each get
    assert _queries(gmail) == [None] * 5  # no window: no q
    _never_logged(result, gmail, messages)


def test_window_and_labels_select_exactly(
        runner: MeltanoRunner, gmail: FakeGmail, settings: dict[str, Any],
        messages: list[dict[str, Any]]) -> None:
    # The fake's after:/before: exclude their boundary second: the tap must still get
    # the message received exactly at start_date, and none at end_date.
    start, end = int(messages[10]["internalDate"]), int(messages[20]["internalDate"])
    result = run_ok(runner, {**settings, "start_date": _ms_text(start),
                             "end_date": _ms_text(end), "label_ids": ["INBOX"]})
    expected = [m for m in messages[10:20] if "INBOX" in m["labelIds"]]
    assert 0 < len(expected) < 10
    assert result.records == expected
    assert set(_queries(gmail)) == {f"after:{start // 1000 - 1} before:{(end - 1) // 1000 + 1}"}
    assert {tuple(r.query["labelIds"]) for r in gmail.requests_to(LIST) if r.path == LIST} == {
        ("INBOX",)}


def test_consecutive_windows_read_each_message_in_its_own_window(
        runner: MeltanoRunner, gmail: FakeGmail, settings: dict[str, Any],
        messages: list[dict[str, Any]]) -> None:
    old, new = messages[:30], messages[30:]
    cut = int(new[0]["internalDate"])  # the first window ends where the new mail begins
    assert int(old[-1]["internalDate"]) < cut
    with FakeGmail(old, credentials=gmail.credentials) as gmail:
        settings = {**settings, "api_url": gmail.url, "token_url": gmail.token_url}
        first = run_ok(runner, {**settings, "end_date": _ms_text(cut)})
        assert first.records == old

        gmail.add(new)
        second = run_ok(runner, {**settings, "start_date": _ms_text(cut)})
        assert second.records == new  # the later window: the new mail only, oldest first
        assert _queries(gmail) == [f"before:{(cut - 1) // 1000 + 1}"] * 3 + [
            f"after:{cut // 1000 - 1}"] * 2  # 3 list pages for the old mail, 2 for the new
        _never_logged(second, gmail, messages)


def test_an_interrupted_window_is_read_again_whole(
        runner: MeltanoRunner, gmail: FakeGmail, settings: dict[str, Any],
        messages: list[dict[str, Any]]) -> None:
    start = int(messages[5]["internalDate"])
    window = [m for m in messages if int(m["internalDate"]) >= start]
    # The list pages and some messages, then 500 forever; then the same window without faults.
    run = interrupted_then_rerun(runner, gmail, {**settings, "start_date": _ms_text(start)},
                                 path_prefix="/gmail/", served=20, stream="messages")
    assert_rerun_emits_the_window_once(run, window, "id")
    assert set(_queries(gmail)) == {f"after:{start // 1000 - 1}"}  # both runs: the same window
    _never_logged(run.first, gmail, messages)


def test_429_waits_as_retry_after_says(
        runner: MeltanoRunner, gmail: FakeGmail, settings: dict[str, Any],
        messages: list[dict[str, Any]]) -> None:
    gmail.fail_next(GET, status=429, headers={"Retry-After": "1"})
    result = run_ok(runner, settings)
    assert result.records == messages
    refused, retried = gmail.requests_to(GET)[:2]
    assert_waited_as_retry_after_said(result, refused, retried)
    assert (retried.status, retried.path) == (200, refused.path)


def test_500_and_connection_reset_are_retried(
        runner: MeltanoRunner, gmail: FakeGmail, settings: dict[str, Any],
        messages: list[dict[str, Any]]) -> None:
    gmail.reset_next(LIST)  # the first list page
    gmail.fail_next(GET, status=500, times=2)  # the first message: 2 failures, then success
    deleted = messages[5]
    gmail.fail_next(GET + deleted["id"], status=404)  # gone between list and get: skipped
    result = run_ok(runner, settings)
    assert result.records == [m for m in messages if m is not deleted]
    assert "1 listed messages were deleted before they could be read" in result.log
    assert [r.status for r in gmail.requests_to(LIST)[:2]] == [None, 200]
    assert [r.status for r in gmail.requests_to(GET)[:3]] == [500, 500, 200]
    assert_retries_logged(result)


@pytest.mark.parametrize("refusal", [BAD_REFRESH_TOKEN, REJECTED_BEARER])
def test_refused_credentials_fail_at_once_with_a_clear_message(
        runner: MeltanoRunner, gmail: FakeGmail, settings: dict[str, Any],
        messages: list[dict[str, Any]], refusal: str) -> None:
    # A rejected bearer: a token that expires at once, as after a revoked consent.
    result = run_refused(runner, gmail, settings, refusal)
    assert_refused_credentials(result, gmail, refusal, tap="tap-gmail", stream="messages",
                               check="client_id, client_secret and refresh_token",
                               api_prefix="/gmail/", token_path="/token")
    _never_logged(result, gmail, messages)
