"""tap-msgraph-mail through a real `meltano run tap-msgraph-mail target-jsonl` (slow)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.fake_apis.meltano_runs import MeltanoRunner, RunResult
from tests.support.fake_apis.msgraph import FakeGraphMail
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

LIST = "/v1.0/me/messages"
TOKEN = "/contoso.example/oauth2/v2.0/token"  # token_url with the tenant setting filled in


def _never_logged(result: RunResult, graph: FakeGraphMail,
                  messages: list[dict[str, Any]]) -> None:
    # Secrets, every token issued, message content, and the query strings of the requests.
    sensitive = [*graph.credentials.secrets(), *graph.issued_tokens,
                 *(m["subject"] for m in messages[:5]), *(m["bodyPreview"] for m in messages[:5]),
                 "$filter=", "$skip=", "receivedDateTime ge"]
    assert result.leaked(sensitive) == []


def _first_pages(graph: FakeGraphMail) -> list[dict[str, list[str]]]:
    """The query of each run's first list request (later pages carry $skip)."""
    return [r.query for r in graph.requests_to(LIST) if "$skip" not in r.query]


def test_full_sync_emits_every_message_unchanged(
        runner: MeltanoRunner, graph: FakeGraphMail, settings: dict[str, Any],
        messages: list[dict[str, Any]]) -> None:
    result = run_ok(runner, settings)
    assert result.records == messages  # oldest first, every property as Graph lists it
    assert [r.path for r in graph.requests if r.method == "POST"] == [TOKEN]
    pages = graph.requests_to(LIST)
    assert len(pages) == -(-len(messages) // 10)
    assert pages[0].query == {"$orderby": ["receivedDateTime asc"], "$top": ["10"]}  # no window
    assert [r.query["$skip"] for r in pages[1:]] == [[str(10 * n)] for n in range(1, len(pages))]
    assert set(graph.prefer_headers) == {  # on every page
        'outlook.body-content-type="html", IdType="ImmutableId"'}
    _never_logged(result, graph, messages)


def test_consecutive_windows_read_each_message_in_its_own_window(
        runner: MeltanoRunner, graph: FakeGraphMail, settings: dict[str, Any],
        messages: list[dict[str, Any]]) -> None:
    old, new = messages[:50], messages[50:]
    cut = new[0]["receivedDateTime"]  # the first window ends where the new mail begins
    assert old[-1]["receivedDateTime"] < cut
    with FakeGraphMail(old, credentials=graph.credentials) as graph:
        settings = {**settings, "api_url": graph.url + "/v1.0", "token_url": graph.token_url}
        first = run_ok(runner, {**settings, "end_date": cut})
        assert first.records == old

        graph.add(new)
        second = run_ok(runner, {**settings, "start_date": cut})
        assert second.records == new  # the later window: the new mail only, oldest first
        assert [page["$filter"] for page in _first_pages(graph)] == [
            [f"receivedDateTime lt {cut}"], [f"receivedDateTime ge {cut}"]]
        _never_logged(second, graph, messages)


def test_an_interrupted_window_is_read_again_whole(
        runner: MeltanoRunner, graph: FakeGraphMail, settings: dict[str, Any],
        messages: list[dict[str, Any]]) -> None:
    start, end = messages[10]["receivedDateTime"], messages[-10]["receivedDateTime"]
    window = [m for m in messages if start <= m["receivedDateTime"] < end]
    # 2 pages (20 messages), then 500 forever; then the same window without faults.
    run = interrupted_then_rerun(runner, graph, {**settings, "start_date": start,
                                                 "end_date": end},
                                 path_prefix=LIST, served=2, stream="messages")
    assert_rerun_emits_the_window_once(run, window, "id")
    assert [page["$filter"] for page in _first_pages(graph)] == [
        [f"receivedDateTime ge {start} and receivedDateTime lt {end}"]] * 2
    _never_logged(run.first, graph, messages)


def test_429_waits_as_retry_after_says(
        runner: MeltanoRunner, graph: FakeGraphMail, settings: dict[str, Any],
        messages: list[dict[str, Any]]) -> None:
    graph.fail_later(LIST, after=2, status=429, headers={"Retry-After": "1"})  # the 3rd page
    result = run_ok(runner, settings)
    assert result.records == messages
    refused, retried = graph.requests_to(LIST)[2:4]
    assert_waited_as_retry_after_said(result, refused, retried)
    assert retried.status == 200
    assert retried.query == refused.query and refused.query["$skip"] == ["20"]  # same next link


def test_500_and_connection_reset_are_retried(
        runner: MeltanoRunner, graph: FakeGraphMail, settings: dict[str, Any],
        messages: list[dict[str, Any]]) -> None:
    graph.reset_next(LIST)  # the first page
    graph.fail_later(LIST, after=2, status=500, times=2)  # the 3rd page: twice, then success
    result = run_ok(runner, settings)
    assert result.records == messages
    assert [r.status for r in graph.requests_to(LIST)[:6]] == [None, 200, 200, 500, 500, 200]
    assert_retries_logged(result)


@pytest.mark.parametrize("refusal", [BAD_REFRESH_TOKEN, REJECTED_BEARER])
def test_refused_credentials_fail_at_once_with_a_clear_message(
        runner: MeltanoRunner, graph: FakeGraphMail, settings: dict[str, Any],
        messages: list[dict[str, Any]], refusal: str) -> None:
    # A rejected bearer: a token that expires at once, as Graph sees after a revoked consent.
    result = run_refused(runner, graph, settings, refusal)
    assert_refused_credentials(result, graph, refusal, tap="tap-msgraph-mail", stream="messages",
                               check="client_id, client_secret and refresh_token",
                               api_prefix="/v1.0/", token_path=TOKEN)
    _never_logged(result, graph, messages)
