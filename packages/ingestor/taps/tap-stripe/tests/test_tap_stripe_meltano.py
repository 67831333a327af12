"""tap-stripe through a real `meltano run tap-stripe target-jsonl` against FakeStripe (slow)."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.fake_apis import LoggedRequest
from tests.support.fake_apis.meltano_runs import MeltanoRunner, RunResult
from tests.support.fake_apis.stripe import FakeStripe
from tests.support.fake_apis.tap_checks import (
    assert_api_refused_at_once,
    assert_rerun_emits_the_window_once,
    assert_retries_logged,
    assert_waited_as_retry_after_said,
    interrupted_then_rerun,
    run_ok,
)

pytestmark = pytest.mark.slow

INVOICES = "/v1/invoices"


def _never_logged(result: RunResult, stripe: FakeStripe,
                  objects: dict[str, list[dict[str, Any]]]) -> None:
    # The key, and record content: customers' emails and names.
    customers = objects["customers"][:5]
    sensitive = [stripe.api_key, *(c["email"] for c in customers),
                 *(c["name"] for c in customers)]
    assert result.leaked(sensitive) == []


def _arg(request: LoggedRequest, name: str) -> str | None:
    return next(iter(request.query.get(name, [])), None)


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def _created_since(found: list[dict[str, Any]], start: int) -> list[dict[str, Any]]:
    return [item for item in found if item["created"] >= start]


def test_full_sync_emits_every_object_unchanged(
        runner: MeltanoRunner, stripe: FakeStripe, settings: dict[str, Any],
        objects: dict[str, list[dict[str, Any]]]) -> None:
    result = run_ok(runner, {**settings, "stripe_version": "2026-03-25.dahlia"})
    # Stream by stream, each oldest first, exactly the sample objects.
    assert result.records == [item for found in objects.values() for item in found]
    for resource, found in objects.items():
        pages = stripe.requests_to(f"/v1/{resource}")
        assert len(pages) == math.ceil(len(found) / 10)
        newest_first = found[::-1]
        assert [_arg(page, "starting_after") for page in pages] == [
            None, *(newest_first[10 * n - 1]["id"] for n in range(1, len(pages)))]
        expand = {"expand[]"} if resource == "invoices" else set()
        assert {key for page in pages for key in page.query} <= {"limit", "starting_after",
                                                                  *expand}
    assert set(stripe.stripe_versions) == {"2026-03-25.dahlia"}
    _never_logged(result, stripe, objects)


def test_streams_and_window_select_exactly(
        runner: MeltanoRunner, stripe: FakeStripe, settings: dict[str, Any],
        invoices: list[dict[str, Any]]) -> None:
    start, end = invoices[5]["created"], invoices[20]["created"]
    result = run_ok(runner, {**settings, "streams": ["invoices"], "start_date": _iso(start),
                             "end_date": _iso(end), "window_days": 3, "page_size": 2})
    assert result.records == invoices[5:20]  # the one at start_date, none at end_date
    assert {request.path for request in stripe.requests} == {INVOICES}
    # Consecutive 3-day slices from start_date to end_date, some of them over several pages.
    slices = [(int(_arg(r, "created[gte]") or 0), int(_arg(r, "created[lt]") or 0))
              for r in stripe.requests if _arg(r, "starting_after") is None]
    assert slices[0][0] == start and slices[-1][1] == end and len(slices) > 2
    assert all(slices[n][1] == slices[n + 1][0] for n in range(len(slices) - 1))
    assert all(0 < upper - lower <= 3 * 86_400 for lower, upper in slices)
    assert any(_arg(r, "starting_after") for r in stripe.requests)


def _first_pages(requests: list[LoggedRequest]) -> list[tuple[str | None, str | None]]:
    """(created[gte], created[lt]) of each slice's first page."""
    return [(_arg(r, "created[gte]"), _arg(r, "created[lt]"))
            for r in requests if _arg(r, "starting_after") is None]


def test_consecutive_windows_read_each_object_in_its_own_window(
        runner: MeltanoRunner, stripe: FakeStripe, settings: dict[str, Any],
        invoices: list[dict[str, Any]]) -> None:
    old, new = invoices[:15], invoices[15:]
    cut = new[0]["created"]  # the first window ends where the new invoices begin
    assert old[-1]["created"] < cut
    with FakeStripe(old, api_key=stripe.api_key) as stripe:
        settings = {**settings, "api_url": stripe.url, "streams": ["invoices"]}
        first = run_ok(runner, {**settings, "end_date": _iso(cut)})
        assert first.records == old
        assert _first_pages(stripe.requests) == [(None, str(cut))]  # no start: one slice

        stripe.add(new)
        before = len(stripe.requests)
        second = run_ok(runner, {**settings, "start_date": _iso(cut)})
        assert second.records == new  # the later window: the new invoices only, oldest first
        # From the window's start up to now, in window_days slices (how many depends on
        # today's date), the last one open so nothing created meanwhile is missed.
        slices = _first_pages(stripe.requests[before:])
        assert slices[0][0] == str(cut) and slices[-1][1] is None
        assert all(slices[n][1] == slices[n + 1][0] for n in range(len(slices) - 1))


def test_an_interrupted_window_is_read_again_whole(
        runner: MeltanoRunner, stripe: FakeStripe, settings: dict[str, Any],
        objects: dict[str, list[dict[str, Any]]], invoices: list[dict[str, Any]]) -> None:
    start = invoices[0]["created"]
    settings = {**settings, "streams": ["invoices"], "start_date": _iso(start),
                "window_days": 2, "page_size": 2}
    # Mid-way through a slice, then 500 forever; then the same window without faults.
    run = interrupted_then_rerun(runner, stripe, settings, path_prefix=INVOICES, served=9,
                                 stream="invoices")
    failed = stripe.requests_to(INVOICES)[9]
    assert failed.status == 500 and _arg(failed, "starting_after") is not None
    listing = int(_arg(failed, "created[gte]") or 0)  # the slice it was listing
    # Every slice before it, oldest first; nothing of the slice whose first page was read.
    assert run.first.records == [item for item in invoices if item["created"] < listing]
    assert_rerun_emits_the_window_once(run, invoices, "id")
    rerun = [r for r in stripe.requests_to(INVOICES)[10:] if r.status == 200]
    assert _first_pages(rerun)[0][0] == str(start)  # from the window's start again
    _never_logged(run.first, stripe, objects)


def test_429_waits_as_retry_after_says_else_backs_off(
        runner: MeltanoRunner, stripe: FakeStripe, settings: dict[str, Any],
        invoices: list[dict[str, Any]]) -> None:
    stripe.fail_next(INVOICES, status=429, headers={"Retry-After": "1"})
    stripe.fail_next(INVOICES, status=429)  # Stripe's usual 429: no Retry-After
    result = run_ok(runner, {**settings, "streams": ["invoices"]})
    assert result.records == invoices
    refused, refused_again, served = stripe.requests_to(INVOICES)[:3]
    assert [r.status for r in (refused, refused_again, served)] == [429, 429, 200]
    assert refused.query == refused_again.query == served.query
    assert_waited_as_retry_after_said(result, refused, refused_again)
    backoff = re.search(r"retrying in ([0-9.]+) s after attempt 2 failed \(HTTP 429\)",
                        result.log)
    assert backoff is not None and float(backoff.group(1)) <= 1.0  # backoff_max_seconds


def test_500_and_connection_reset_are_retried(
        runner: MeltanoRunner, stripe: FakeStripe, settings: dict[str, Any],
        objects: dict[str, list[dict[str, Any]]]) -> None:
    stripe.reset_next("/v1/customers")
    stripe.fail_next(INVOICES, status=500, times=2)
    stripe.fail_next("/v1/refunds", status=503)
    result = run_ok(runner, settings)
    assert result.records == [item for found in objects.values() for item in found]
    assert [r.status for r in stripe.requests_to("/v1/customers")[:2]] == [None, 200]
    assert [r.status for r in stripe.requests_to(INVOICES)[:3]] == [500, 500, 200]
    assert [r.status for r in stripe.requests_to("/v1/refunds")] == [503, 200]
    assert_retries_logged(result)


@pytest.mark.parametrize("refusal", ["wrong key", "restricted key without invoices"])
def test_refused_key_fails_at_once_with_a_clear_message(
        runner: MeltanoRunner, stripe: FakeStripe, settings: dict[str, Any],
        objects: dict[str, list[dict[str, Any]]], refusal: str) -> None:
    wrong_key = "sk_test_wrong0123456789abcdef"
    denied = {"invoices"} if refusal == "restricted key without invoices" else set()
    with FakeStripe((i for found in objects.values() for i in found), api_key=stripe.api_key,
                    denied=denied) as stripe:
        run_settings = {**settings, "api_url": stripe.url}
        if refusal == "wrong key":
            run_settings["api_key"] = wrong_key
        result = runner.run(run_settings)
    refused_stream, status = ("customers", 401) if refusal == "wrong key" else ("invoices", 403)
    assert_api_refused_at_once(result, stripe, tap="tap-stripe", stream=refused_stream,
                               api_prefix=f"/v1/{refused_stream}", status=status)
    # Streams before the refused one were extracted; none after it was tried.
    assert result.records == (objects["customers"] if status == 403 else [])
    assert stripe.requests_to("/v1/payment_intents") == []
    assert result.leaked([wrong_key]) == []
    _never_logged(result, stripe, objects)


def test_a_record_breaking_the_schema_is_quarantined_and_the_rest_loads(
        runner: MeltanoRunner, settings: dict[str, Any],
        objects: dict[str, list[dict[str, Any]]]) -> None:
    # Two invoices the schema refuses: an expanded customer object where it says string (id),
    # and an amount as a string where it says integer. target-jsonl used to stop the run there.
    invoices = [dict(item) for item in objects["invoices"]]
    invoices[3]["customer"] = {"id": invoices[3]["customer"], "object": "customer",
                               "email": "CANARY-embedded@example.com"}
    invoices[7]["amount_due"] = "CANARY-150.00"
    with FakeStripe(invoices, api_key=settings["api_key"]) as stripe:
        result = run_ok(runner, {**settings, "api_url": stripe.url, "streams": ["invoices"]})
    markers = [(n, r["_lorchestra_quarantine"]) for n, r in enumerate(result.records)
               if "_lorchestra_quarantine" in r]
    assert [(n, m["line"], m["reason"], m["in"]) for n, m in markers] == [
        (3, 4, "schema: customer type", "stream"), (7, 8, "schema: amount_due type", "stream")]
    assert [r for r in result.records if "_lorchestra_quarantine" not in r] == [
        item for n, item in enumerate(invoices) if n not in (3, 7)]
    assert result.leaked(["CANARY"]) == []  # the reason names the field, never the value
