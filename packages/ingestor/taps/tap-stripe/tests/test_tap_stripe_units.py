"""Fast checks of tap-stripe's pure logic, its settings and its declaration in meltano.yml."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from singer_sdk.exceptions import ConfigValidationError

import ingestor
from tap_stripe import TapStripe, schemas
from tap_stripe.streams import (
    DAY_SECONDS,
    StartingAfterPaginator,
    created_slices,
    sync_window,
    unix_seconds,
)
from tap_stripe.tap import SETTINGS
from tests.support.fake_apis.meltano_runs import declared_settings
from tests.support.fake_apis.stripe import FakeStripe

T0 = 1_790_000_000  # 2026-09-21T14:13:20Z


@pytest.mark.parametrize(("start", "end", "now", "expected"), [
    (None, None, T0, [(None, None)]),
    (None, T0, T0, [(None, T0)]),
    (T0, T0 + 25, T0, [(T0, T0 + 10), (T0 + 10, T0 + 20), (T0 + 20, T0 + 25)]),
    (T0, T0 + 20, T0, [(T0, T0 + 10), (T0 + 10, T0 + 20)]),
    (T0, None, T0 + 15, [(T0, T0 + 10), (T0 + 10, None)]),
    (T0, None, T0, [(T0, None)]),  # a start at or after our clock: one open slice
    (T0, None, T0 - 99, [(T0, None)]),
    (T0, T0, T0, []),
    (T0 + 5, T0, T0, []),
])
def test_slices_cover_the_window_oldest_first(
        start: int | None, end: int | None, now: int,
        expected: list[tuple[int | None, int | None]]) -> None:
    assert created_slices(start, end, 10, now) == expected


def test_dates_round_up_to_whole_seconds() -> None:
    assert unix_seconds("2026-09-21", "start_date") == T0 - 14 * 3600 - 13 * 60 - 20
    assert unix_seconds("2026-09-21T14:13:20Z", "start_date") == T0
    assert unix_seconds("2026-09-21T14:13:19.001", "end_date") == T0  # no zone: UTC
    assert unix_seconds("2026-09-21T16:13:20+02:00", "end_date") == T0


def test_the_window_is_the_settings_whatever_the_state() -> None:
    assert sync_window({}) == (None, None)
    dated = {"start_date": "2026-09-21T14:13:20Z", "end_date": "2026-09-22"}
    end = T0 + DAY_SECONDS - 14 * 3600 - 13 * 60 - 20
    assert sync_window(dated) == (T0, end)
    # A state with a bookmark, as Meltano would hand an incremental tap: this one keeps none.
    state = {"bookmarks": {"invoices": {"replication_key": "created",
                                        "replication_key_value": T0 + 1000}}}
    tap = TapStripe(config={"api_key": "sk_test_unit", "streams": ["invoices"], **dated},
                    state=state, parse_env_config=False)
    (stream,) = tap.discover_streams()
    assert stream.replication_key is None and stream.replication_method == "FULL_TABLE"
    assert "overlap_seconds" not in SETTINGS.to_dict()["properties"]


def _page(body: dict[str, Any]) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = json.dumps(body).encode()
    return response


def test_paging_continues_after_the_last_id_while_stripe_has_more() -> None:
    assert StartingAfterPaginator().current_value is None  # the first page has no cursor
    paginator = StartingAfterPaginator()
    paginator.advance(_page({"data": [{"id": "in_2"}, {"id": "in_1"}], "has_more": True}))
    assert (paginator.current_value, paginator.finished) == ("in_1", False)
    paginator.advance(_page({"data": [{"id": "in_0"}], "has_more": False}))
    assert paginator.finished
    assert StartingAfterPaginator().get_next(_page({"data": [], "has_more": True})) is None


def _stream_names(**config: Any) -> list[str]:
    tap = TapStripe(config={"api_key": "sk_test_unit", **config}, parse_env_config=False)
    return [stream.name for stream in tap.discover_streams()]


def test_streams_setting_picks_streams_in_a_fixed_order() -> None:
    assert _stream_names() == ["customers", "invoices", "payment_intents", "refunds"]
    assert _stream_names(streams=["refunds", "invoices"]) == ["invoices", "refunds"]


@pytest.mark.parametrize("config", [{"streams": ["charges"]}, {"page_size": 101},
                                    {"page_size": 0}, {"window_days": 0}])
def test_invalid_settings_are_refused_before_any_request(config: dict[str, Any]) -> None:
    with pytest.raises(ConfigValidationError):
        TapStripe(config={"api_key": "sk_test_unit", **config}, parse_env_config=False)


def test_meltano_yml_declares_every_setting_and_hides_the_key() -> None:
    declared = declared_settings(ingestor.resolve_project_dir(), "tap-stripe")
    properties = SETTINGS.to_dict()["properties"]
    assert set(declared) == set(properties)
    assert {name for name, schema in properties.items() if schema.get("secret")} == {"api_key"}
    assert {name for name, setting in declared.items() if setting.get("sensitive")} == {"api_key"}


def test_current_api_version_and_invoice_payments_by_default(
        stripe: FakeStripe, settings: dict[str, Any],
        objects: dict[str, list[dict[str, Any]]]) -> None:
    # The fake serves an invoice's `payments` only to `expand[]=data.payments`, as Stripe does.
    tap = TapStripe(config={**settings, "streams": ["invoices", "payment_intents"]},
                    setup_mapper=False)
    invoices = list(tap.streams["invoices"].request_records(None))
    intents = list(tap.streams["payment_intents"].request_records(None))
    assert invoices == objects["invoices"] and intents == objects["payment_intents"]
    assert set(stripe.stripe_versions) == {schemas.STRIPE_VERSION}
    paid = [inv for inv in invoices if inv["status"] == "paid"]
    assert paid and all(len(inv["payments"]["data"]) == 1 for inv in paid)
    assert {p["payment"]["payment_intent"] for inv in paid for p in inv["payments"]["data"]} \
        == {pi["id"] for pi in intents}
    for removed in ("payment_intent", "charge", "paid"):
        assert removed not in schemas.INVOICE["properties"]
        assert all(removed not in inv for inv in invoices)
    assert "invoice" not in schemas.PAYMENT_INTENT["properties"]
    assert {"payments", "parent", "amount_overpaid"} <= set(schemas.INVOICE["properties"])
