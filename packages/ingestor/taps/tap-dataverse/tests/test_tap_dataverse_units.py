"""Fast checks of tap-dataverse and of tap_common's OData helpers: pure logic, queries
in-process against FakeDataverse, and the declaration in meltano.yml."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError

import ingestor
from tap_common import NextLinkPaginator, odata_datetime, odata_query, window_filter
from tap_dataverse import TapDataverse
from tap_dataverse.streams import EntitySet, EntitySetStream
from tap_dataverse.tap import default_scope
from tests.support.fake_apis._server import Request
from tests.support.fake_apis.dataverse import FakeDataverse
from tests.support.fake_apis.meltano_runs import declared_settings

SESSIONS = {"name": "cr8f3_clientsessions", "key": "cr8f3_clientsessionid"}
REPORTS = {"name": "cr8f3_clientreports", "key": "cr8f3_clientreportid"}


def _streams(settings: dict[str, Any],
             state: dict[str, Any] | None = None) -> list[EntitySetStream]:
    streams = list(TapDataverse(config=settings, state=state,
                                setup_mapper=False).streams.values())
    assert all(isinstance(stream, EntitySetStream) for stream in streams)
    return streams  # type: ignore[return-value]  # checked just above


def _response(body: dict[str, Any]) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = json.dumps(body).encode()
    return response


# tap_common's OData helpers


def test_odata_datetimes_are_utc_literals() -> None:
    assert odata_datetime(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
    eastern = timezone(timedelta(hours=-5))
    assert odata_datetime(datetime(2026, 1, 2, 3, 4, 5, 250_000, tzinfo=eastern)) == (
        "2026-01-02T08:04:05.250000Z")


def test_window_filter_is_half_open() -> None:
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    assert window_filter("modifiedon", None, None) is None
    assert window_filter("modifiedon", start, None) == "modifiedon ge 2026-01-01T00:00:00Z"
    assert window_filter("modifiedon", start, end) == (
        "modifiedon ge 2026-01-01T00:00:00Z and modifiedon lt 2026-02-01T00:00:00Z")


def test_odata_query_keeps_dollars_and_encodes_spaces_as_percent_20() -> None:
    assert odata_query({"$filter": "name eq 'O''Brien & Co'", "$select": "a,b"}) == (
        "$filter=name%20eq%20'O''Brien%20%26%20Co'&$select=a,b")


def test_next_links_stay_on_the_api_host_and_never_loop() -> None:
    paginator = NextLinkPaginator("https://org.crm.dynamics.com/api/data/v9.2", "tap-x: stream y")
    link = "https://ORG.crm.dynamics.com/api/data/v9.2/contacts?$skiptoken=abc"
    paginator.advance(_response({"value": [], "@odata.nextLink": link}))
    assert paginator.current_value == link and not paginator.finished
    with pytest.raises(FatalAPIError, match=r"^tap-x: stream y: the API returned the same"):
        paginator.advance(_response({"value": [], "@odata.nextLink": link}))
    elsewhere = "https://attacker.example/api/data/v9.2/contacts?$skiptoken=abc"
    with pytest.raises(FatalAPIError) as caught:
        paginator.advance(_response({"@odata.nextLink": elsewhere}))
    assert "attacker" not in str(caught.value) and "points outside api_url" in str(caught.value)
    paginator.advance(_response({"value": [{"id": 1}]}))
    assert paginator.finished


# tap-dataverse


def test_entity_sets_must_be_logical_names() -> None:
    entity_set = EntitySet.from_setting({**SESSIONS, "select": ["cr8f3_summary", "modifiedon"]})
    assert entity_set == EntitySet("cr8f3_clientsessions", "cr8f3_clientsessionid",
                                   ("cr8f3_summary", "modifiedon"))
    assert entity_set.select_option() == "cr8f3_clientsessionid,modifiedon,cr8f3_summary"
    assert EntitySet.from_setting(SESSIONS).select_option() is None
    bad_items: list[dict[str, Any]] = [
        {"name": "contacts?$top=1", "key": "contactid"}, {"name": "contacts"},
        {"name": "contacts", "key": "contactid", "select": ["full name"]}]
    for bad in bad_items:
        with pytest.raises(ValueError, match=r"^Setting entity_sets: .* is not a Dataverse"):
            EntitySet.from_setting(bad)


def test_default_scope_is_the_environment_url() -> None:
    assert default_scope("https://org.crm4.dynamics.com/api/data/v9.2") == (
        "https://org.crm4.dynamics.com/.default")


def test_an_entity_set_named_twice_is_refused(settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="names an entity set twice"):
        _streams({**settings, "entity_sets": [SESSIONS, SESSIONS]})


def test_api_url_and_entity_sets_are_required(settings: dict[str, Any]) -> None:
    for missing in ("api_url", "entity_sets"):
        with pytest.raises(ConfigValidationError):
            TapDataverse(config={k: v for k, v in settings.items() if k != missing},
                         setup_mapper=False)


def test_selected_columns_in_a_window(dataverse: FakeDataverse, settings: dict[str, Any],
                                      sessions: list[dict[str, Any]]) -> None:
    start, end = sessions[5]["modifiedon"], sessions[40]["modifiedon"]
    (stream,) = _streams({**settings, "start_date": start, "end_date": end, "page_size": 7,
                          "entity_sets": [{**SESSIONS, "select": ["cr8f3_sessiondate"]}]})
    records = list(stream.request_records(None))
    expected = [s for s in sessions if start <= s["modifiedon"] < end]
    assert [r["cr8f3_clientsessionid"] for r in records] == [
        s["cr8f3_clientsessionid"] for s in expected]
    assert records[0] == {name: expected[0][name] for name in (
        "@odata.etag", "cr8f3_clientsessionid", "modifiedon", "cr8f3_sessiondate")}
    first = dataverse.requests_to("/api/data/v9.2/cr8f3_clientsessions")[0]
    assert first.query == {
        "$filter": [f"modifiedon ge {start} and modifiedon lt {end}"],
        "$orderby": ["modifiedon asc,cr8f3_clientsessionid asc"],
        "$select": ["cr8f3_clientsessionid,modifiedon,cr8f3_sessiondate"]}
    assert set(dataverse.prefer_headers) == {"odata.maxpagesize=7"}


def test_the_report_entity_set_is_a_stream_read_page_by_page(
        dataverse: FakeDataverse, settings: dict[str, Any],
        reports: list[dict[str, Any]]) -> None:
    # The clinicians' reports (object type `report` in lorchestra): a custom table like the
    # sessions, named by configuration (its entity set and key carry the publisher prefix).
    (stream,) = _streams({**settings, "entity_sets": [REPORTS]})
    assert stream.name == "cr8f3_clientreports" and stream.primary_keys == (
        "cr8f3_clientreportid",)
    assert list(stream.request_records(None)) == reports  # body, links and @odata.etag
    pages = dataverse.requests_to("/api/data/v9.2/cr8f3_clientreports")
    assert len(reports) > 10 and len(pages) == -(-len(reports) // 5)
    assert [page.query.get("$skiptoken") for page in pages[1:]] == [
        [token] for token in dataverse.skiptokens[:len(pages) - 1]]


def test_the_window_is_the_settings_whatever_the_state(
        dataverse: FakeDataverse, settings: dict[str, Any],
        contacts: list[dict[str, Any]]) -> None:
    # A state with a bookmark, as Meltano would hand an incremental tap: this one keeps none.
    state = {"bookmarks": {"contacts": {"replication_key": "modifiedon",
                                        "replication_key_value": contacts[-1]["modifiedon"]}}}
    start = contacts[2]["modifiedon"]
    (stream,) = _streams({**settings, "start_date": start}, state)
    assert stream.replication_key is None and stream.replication_method == "FULL_TABLE"
    assert list(stream.request_records(None)) == [c for c in contacts if c["modifiedon"] >= start]
    assert dataverse.requests_to("/api/data/v9.2/contacts")[0].query["$filter"] == [
        f"modifiedon ge {start}"]
    assert "overlap_seconds" not in TapDataverse.config_jsonschema["properties"]


class _Redirecting(FakeDataverse):
    """Next links naming another host (localhost: the same server, so a request would show)."""

    def next_link(self, request: Request, **paging: str) -> str:
        return super().next_link(request, **paging).replace("127.0.0.1", "localhost")


def test_a_next_link_to_another_host_is_not_followed(
        settings_for: Callable[[FakeDataverse], dict[str, Any]],
        contacts: list[dict[str, Any]]) -> None:
    with _Redirecting({"contacts": ("contactid", contacts)}) as api:
        (stream,) = _streams({**settings_for(api), "scope": "any"})
        records = iter(stream.request_records(None))
        assert [next(records) for _ in range(5)] == contacts[:5]
        with pytest.raises(FatalAPIError, match="points outside api_url"):
            next(records)
    assert len(api.requests_to("/api/")) == 1


def test_meltano_yml_declares_every_setting_and_hides_the_secrets() -> None:
    declared = declared_settings(ingestor.resolve_project_dir(), "tap-dataverse")
    properties = TapDataverse.config_jsonschema["properties"]
    builtin: dict[str, Any] = {"properties": {}}  # stream maps etc., which the SDK adds itself
    TapDataverse.append_builtin_config(builtin)
    assert set(declared) == set(properties) - set(builtin["properties"])
    secret = {name for name, schema in properties.items() if schema.get("secret")}
    assert secret == {"client_secret"}
    assert {name for name, setting in declared.items() if setting.get("sensitive")} == secret


def test_next_links_go_out_byte_for_byte(dataverse: FakeDataverse, settings: dict[str, Any],
                                         contacts: list[dict[str, Any]]) -> None:
    # FakeDataverse answers 400 to a paging request whose raw target (path and query string,
    # not decoded) differs from the link it handed out; its links carry Dataverse's paging
    # cookie, percent-encoded inside the percent-encoded $skiptoken.
    (stream,) = _streams(settings)
    assert list(stream.request_records(None)) == contacts
    paged = [r for r in dataverse.requests_to("/api/data/v9.2/contacts") if "$skiptoken" in r.query]
    assert len(paged) == len(contacts) // 5 and all(r.status == 200 for r in paged)


def test_the_fake_refuses_a_re_encoded_next_link(dataverse: FakeDataverse,
                                                  settings: dict[str, Any]) -> None:
    from singer_sdk.authenticators import _add_parameters  # how the SDK rebuilt every URL

    (stream,) = _streams(settings)
    stream.authenticator.update_access_token()
    first = requests.get(dataverse.url + "/api/data/v9.2/contacts", timeout=10,
                         headers={"Authorization": f"Bearer {stream.authenticator.access_token}",
                                  "Prefer": "odata.maxpagesize=5"})
    link = first.json()["@odata.nextLink"]
    assert "%253ccookie%2520page%253d" in link and "pagenumber=%222%22" in link
    headers = first.request.headers
    verbatim = requests.get(link, headers=headers, timeout=10)
    re_encoded = requests.get(_add_parameters(link, {}), headers=headers, timeout=10)
    assert verbatim.status_code == 200
    assert re_encoded.status_code == 400
    assert "not sent as given" in re_encoded.json()["error"]["message"]
