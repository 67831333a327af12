"""tap-msgraph-mail through a real `meltano run tap-msgraph-mail target-jsonl` (slow)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.support.fake_apis.meltano_runs import MeltanoRunner, RunResult
from tests.support.fake_apis.msgraph import FakeGraphMail

pytestmark = pytest.mark.slow

LIST = "/v1.0/me/messages"
TOKEN = "/contoso.example/oauth2/v2.0/token"  # token_url with the tenant setting filled in
OVERLAP = 3600  # the default overlap_seconds


def _never_logged(result: RunResult, graph: FakeGraphMail,
                  messages: list[dict[str, Any]]) -> None:
    # Secrets, every token issued, message content, and the query strings of the requests.
    sensitive = [*graph.credentials.secrets(), *graph.issued_tokens,
                 *(m["subject"] for m in messages[:5]), *(m["bodyPreview"] for m in messages[:5]),
                 "$filter=", "$skip=", "receivedDateTime ge"]
    assert result.leaked(sensitive) == []


def _since(bookmark: str, seconds: int) -> str:
    """The ISO instant `seconds` before `bookmark`, written as Graph writes them."""
    moment = datetime.fromisoformat(bookmark) - timedelta(seconds=seconds)
    return moment.isoformat().replace("+00:00", "Z")


def _first_pages(graph: FakeGraphMail) -> list[dict[str, list[str]]]:
    """The query of each run's first list request (later pages carry $skip)."""
    return [r.query for r in graph.requests_to(LIST) if "$skip" not in r.query]


def test_full_sync_emits_every_message_unchanged(
        runner: MeltanoRunner, graph: FakeGraphMail, settings: dict[str, Any],
        messages: list[dict[str, Any]]) -> None:
    result = runner.run(settings)
    assert result.exit_code == 0, result.log[-2000:]
    assert result.records == messages  # oldest first, every property as Graph lists it
    assert [r.path for r in graph.requests if r.method == "POST"] == [TOKEN]
    pages = graph.requests_to(LIST)
    assert len(pages) == -(-len(messages) // 10)
    assert pages[0].query == {"$orderby": ["receivedDateTime asc"], "$top": ["10"]}  # no window
    assert [r.query["$skip"] for r in pages[1:]] == [[str(10 * n)] for n in range(1, len(pages))]
    assert set(graph.prefer_headers) == {  # on every page
        'outlook.body-content-type="html", IdType="ImmutableId"'}
    _never_logged(result, graph, messages)


def test_incremental_run_gets_new_mail_and_the_overlap(
        runner: MeltanoRunner, graph: FakeGraphMail, settings: dict[str, Any],
        messages: list[dict[str, Any]]) -> None:
    old, new = messages[:50], messages[50:]
    with FakeGraphMail(old, credentials=graph.credentials) as graph:
        settings = {**settings, "api_url": graph.url + "/v1.0", "token_url": graph.token_url}
        first = runner.run(settings)
        assert first.exit_code == 0, first.log[-2000:]
        assert first.records == old

        graph.add(new)
        second = runner.run(settings)
        assert second.exit_code == 0, second.log[-2000:]
        since = _since(old[-1]["receivedDateTime"], OVERLAP)
        assert second.records == [m for m in messages if m["receivedDateTime"] >= since]
        repeated = second.records[:-len(new)]
        assert repeated and repeated == old[-len(repeated):]  # the overlap's repeats, no more
        assert second.records[-len(new):] == new
        assert _first_pages(graph)[-1]["$filter"] == [f"receivedDateTime ge {since}"]
        _never_logged(second, graph, messages)


def test_interrupted_run_resumes_without_a_gap(
        runner: MeltanoRunner, graph: FakeGraphMail, settings: dict[str, Any],
        messages: list[dict[str, Any]]) -> None:
    graph.fail_after(LIST, served=2)  # 2 pages (20 messages), then 500 forever
    first = runner.run({**settings, "backoff_max_seconds": 0})
    assert first.exit_code == 1
    assert "stream messages gave up after 3 attempts (HTTP 500)." in first.log
    assert first.records == messages[:20]
    state = runner.state()
    assert state is not None
    bookmark = state["singer_state"]["bookmarks"]["messages"]["replication_key_value"]
    assert bookmark == messages[19]["receivedDateTime"]  # saved although the run failed

    graph.clear_faults()
    second = runner.run(settings)
    assert second.exit_code == 0, second.log[-2000:]
    since = _since(bookmark, OVERLAP)
    assert second.records == [m for m in messages if m["receivedDateTime"] >= since]
    assert {m["id"] for m in first.records + second.records} == {m["id"] for m in messages}
    _never_logged(first, graph, messages)


def test_429_waits_as_retry_after_says(
        runner: MeltanoRunner, graph: FakeGraphMail, settings: dict[str, Any],
        messages: list[dict[str, Any]]) -> None:
    graph.fail_later(LIST, after=2, status=429, headers={"Retry-After": "1"})  # the 3rd page
    result = runner.run(settings)
    assert result.exit_code == 0, result.log[-2000:]
    assert result.records == messages
    refused, retried = graph.requests_to(LIST)[2:4]
    assert (refused.status, retried.status) == (429, 200)
    assert retried.query == refused.query and refused.query["$skip"] == ["20"]  # same next link
    assert retried.at - refused.at >= 1.0
    assert "retrying in 1.0 s after attempt 1 failed (HTTP 429)" in result.log


def test_500_and_connection_reset_are_retried(
        runner: MeltanoRunner, graph: FakeGraphMail, settings: dict[str, Any],
        messages: list[dict[str, Any]]) -> None:
    graph.reset_next(LIST)  # the first page
    graph.fail_later(LIST, after=2, status=500, times=2)  # the 3rd page: twice, then success
    result = runner.run(settings)
    assert result.exit_code == 0, result.log[-2000:]
    assert result.records == messages
    assert [r.status for r in graph.requests_to(LIST)[:6]] == [None, 200, 200, 500, 500, 200]
    assert "after attempt 1 failed (ConnectionError)" in result.log
    assert "after attempt 2 failed (HTTP 500)" in result.log


@pytest.mark.parametrize("refusal", ["bad refresh token", "rejected bearer"])
def test_refused_credentials_fail_at_once_with_a_clear_message(
        runner: MeltanoRunner, graph: FakeGraphMail, settings: dict[str, Any],
        messages: list[dict[str, Any]], refusal: str) -> None:
    # A token that expires at once is what Graph sees after a revoked consent: it has been
    # issued, the tap uses it, and the API answers 401.
    lifetime = 0 if refusal == "rejected bearer" else 3600
    with FakeGraphMail(messages, credentials=graph.credentials, token_lifetime=lifetime) as graph:
        run_settings = {**settings, "api_url": graph.url + "/v1.0", "token_url": graph.token_url}
        if refusal == "bad refresh token":
            run_settings["refresh_token"] = "wrong-refresh-token-value"
        result = runner.run(run_settings)
    assert result.exit_code == 1
    assert result.records == []
    if refusal == "bad refresh token":
        assert ("tap-msgraph-mail: the token endpoint refused the credentials (HTTP 400, "
                "invalid_grant); check client_id, client_secret and refresh_token") in result.log
        assert graph.requests_to("/v1.0/") == []
        assert result.leaked(["wrong-refresh-token-value"]) == []
    else:
        assert ("tap-msgraph-mail: the API refused access to stream messages with HTTP 401; "
                "check the credentials/scopes in docs/sources.md.") in result.log
        assert [r.status for r in graph.requests_to("/v1.0/")] == [401]  # no retry storm
    assert len(graph.requests_to(TOKEN)) == 1
    _never_logged(result, graph, messages)
