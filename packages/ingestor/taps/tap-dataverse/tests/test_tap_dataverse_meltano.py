"""tap-dataverse through a real `meltano run tap-dataverse target-jsonl` (slow)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.support.fake_apis.dataverse import FakeDataverse
from tests.support.fake_apis.meltano_runs import MeltanoRunner, RunResult
from tests.support.fake_apis.tap_checks import (
    BAD_CLIENT_SECRET,
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

CONTACTS = "/api/data/v9.2/contacts"
SESSIONS = {"name": "cr8f3_clientsessions", "key": "cr8f3_clientsessionid"}
REPORTS = {"name": "cr8f3_clientreports", "key": "cr8f3_clientreportid"}
TOKEN = "/contoso.example/oauth2/v2.0/token"  # token_url with the tenant setting filled in


def _never_logged(result: RunResult, dataverse: FakeDataverse,
                  contacts: list[dict[str, Any]]) -> None:
    # Secrets, every token issued, row content, and the query strings of the requests.
    sensitive = [*dataverse.credentials.secrets(), *dataverse.issued_tokens,
                 *dataverse.skiptokens, "pagingcookie", "$skiptoken", "modifiedon ge",
                 *(c["fullname"] for c in contacts[:5]),
                 *(c["emailaddress1"] for c in contacts[:5])]
    assert result.leaked(sensitive) == []


def _shifted(instant: str, seconds: int) -> str:
    """The instant `seconds` later (earlier when negative), written as Dataverse writes them."""
    moment = datetime.fromisoformat(instant) + timedelta(seconds=seconds)
    return moment.isoformat().replace("+00:00", "Z")


def test_full_sync_emits_every_row_of_every_entity_set_unchanged(
        runner: MeltanoRunner, dataverse: FakeDataverse, settings: dict[str, Any],
        contacts: list[dict[str, Any]], sessions: list[dict[str, Any]],
        reports: list[dict[str, Any]]) -> None:
    result = run_ok(runner, {**settings,
                             "entity_sets": [*settings["entity_sets"], SESSIONS, REPORTS]})
    # The sample rows, @odata.etag and all: contacts, sessions and the clinicians' reports, each
    # stream in its order (the SDK runs the streams by name).
    by_key = {key: [r for r in result.records if key in r] for key in (
        "contactid", "cr8f3_clientsessionid", "cr8f3_clientreportid")}
    assert list(by_key.values()) == [contacts, sessions, reports]
    assert len(result.records) == len(contacts) + len(sessions) + len(reports)
    # One token for every stream, granted for the default scope only.
    assert [r.path for r in dataverse.requests if r.method == "POST"] == [TOKEN]
    pages = dataverse.requests_to(CONTACTS)
    assert len(pages) == -(-len(contacts) // 5)
    assert pages[0].query == {"$orderby": ["modifiedon asc,contactid asc"]}  # no window
    # Each next link followed as issued: the fake refuses a skip token it did not issue.
    assert [r.query["$skiptoken"] for r in pages[1:]] == [
        [token] for token in dataverse.skiptokens[:len(pages) - 1]]
    assert set(dataverse.prefer_headers) == {"odata.maxpagesize=5"}  # on every page
    assert len(dataverse.requests_to("/api/data/v9.2/cr8f3_clientsessions")) == -(
        -len(sessions) // 5)
    report_pages = dataverse.requests_to("/api/data/v9.2/cr8f3_clientreports")
    assert len(reports) > 10 and len(report_pages) == -(-len(reports) // 5)
    assert report_pages[0].query == {"$orderby": ["modifiedon asc,cr8f3_clientreportid asc"]}
    assert all("$skiptoken" in page.query for page in report_pages[1:])
    _never_logged(result, dataverse, contacts)


def _first_pages(dataverse: FakeDataverse) -> list[dict[str, list[str]]]:
    """The query of each run's first contacts request (later pages carry $skiptoken)."""
    return [r.query for r in dataverse.requests_to(CONTACTS) if "$skiptoken" not in r.query]


def test_consecutive_windows_read_changed_and_new_rows_in_the_later_one(
        runner: MeltanoRunner, dataverse: FakeDataverse, settings: dict[str, Any],
        contacts: list[dict[str, Any]]) -> None:
    cut = _shifted(contacts[-1]["modifiedon"], 1)  # the first window ends after every row
    first = run_ok(runner, {**settings, "end_date": cut})
    assert first.records == contacts

    changed = {**contacts[3], "telephone1": "(319) 555-0100", "@odata.etag": 'W/"99999901"',
               "modifiedon": _shifted(cut, 60)}
    created = {**contacts[4], "contactid": "00000000-0000-4000-8000-000000000001",
               "@odata.etag": 'W/"99999902"', "createdon": _shifted(cut, 120),
               "modifiedon": _shifted(cut, 120)}
    dataverse.upsert("contacts", [changed, created])
    second = run_ok(runner, {**settings, "start_date": cut})
    assert second.records == [changed, created]  # the later window: what changed in it only
    assert [page["$filter"] for page in _first_pages(dataverse)] == [
        [f"modifiedon lt {cut}"], [f"modifiedon ge {cut}"]]
    _never_logged(second, dataverse, contacts)


def test_an_interrupted_window_is_read_again_whole(
        runner: MeltanoRunner, dataverse: FakeDataverse, settings: dict[str, Any],
        contacts: list[dict[str, Any]]) -> None:
    start = contacts[3]["modifiedon"]
    window = [row for row in contacts if row["modifiedon"] >= start]
    # 2 pages (10 rows), then 500 forever; then the same window without faults.
    run = interrupted_then_rerun(runner, dataverse, {**settings, "start_date": start},
                                 path_prefix=CONTACTS, served=2, stream="contacts")
    assert_rerun_emits_the_window_once(run, window, "contactid")
    assert [page["$filter"] for page in _first_pages(dataverse)] == [
        [f"modifiedon ge {start}"]] * 2
    _never_logged(run.first, dataverse, contacts)


def test_429_waits_as_retry_after_says(
        runner: MeltanoRunner, dataverse: FakeDataverse, settings: dict[str, Any],
        contacts: list[dict[str, Any]]) -> None:
    dataverse.fail_later(CONTACTS, after=2, status=429, headers={"Retry-After": "1"})
    result = run_ok(runner, settings)
    assert result.records == contacts
    refused, retried = dataverse.requests_to(CONTACTS)[2:4]  # the 3rd page
    assert_waited_as_retry_after_said(result, refused, retried)
    assert retried.status == 200
    assert retried.query == refused.query and "$skiptoken" in refused.query  # same next link


def test_500_and_connection_reset_are_retried(
        runner: MeltanoRunner, dataverse: FakeDataverse, settings: dict[str, Any],
        contacts: list[dict[str, Any]]) -> None:
    dataverse.reset_next(CONTACTS)  # the first page
    dataverse.fail_later(CONTACTS, after=2, status=500, times=2)  # the 3rd page, twice
    result = run_ok(runner, settings)
    assert result.records == contacts
    assert [r.status for r in dataverse.requests_to(CONTACTS)[:6]] == [
        None, 200, 200, 500, 500, 200]
    assert_retries_logged(result)


@pytest.mark.parametrize("refusal", [BAD_CLIENT_SECRET, REJECTED_BEARER])
def test_refused_credentials_fail_at_once_with_a_clear_message(
        runner: MeltanoRunner, dataverse: FakeDataverse, settings: dict[str, Any],
        contacts: list[dict[str, Any]], refusal: str) -> None:
    # A rejected bearer: a token that expires at once, as once the application user is disabled.
    result = run_refused(runner, dataverse, settings, refusal)
    assert_refused_credentials(result, dataverse, refusal, tap="tap-dataverse", stream="contacts",
                               check="tenant, client_id, client_secret and scope",
                               api_prefix="/api/", token_path=TOKEN)
    _never_logged(result, dataverse, contacts)
