"""Stripe list streams (customers, invoices, payment intents, refunds), objects unchanged.

Stripe lists newest first by `created` (unix seconds) and `starting_after` pages towards older
objects. To emit oldest first without holding a whole history, each stream cuts its window into
slices of `window_days` by `created`, oldest slice first. A slice is listed in full
(`created[gte]`/`created[lt]`, pages of `page_size` chained by `starting_after`), held in
memory, and emitted oldest first. Memory holds one slice (a month of a practice's invoices is a
few hundred objects).

The window is exactly [`start_date`, `end_date`); without `end_date` it is open, so objects
created while the run goes are not cut off by a clock that disagrees with Stripe's. Without a
`start_date` the whole history is one slice. The stream keeps no bookmark (see
`tap_common.ApiStream`): a run that fails is run again over the same window. lorchestra starts
each window its connection's `overlap_seconds` before the last one's end, for an object that
became listable only after the last run had passed its `created` second (one still being
written then).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any

import requests
from singer_sdk.authenticators import BearerTokenAuthenticator
from singer_sdk.helpers.types import Context
from singer_sdk.pagination import BaseAPIPaginator

from tap_common import ApiStream, parse_instant
from tap_stripe import schemas

__all__ = [
    "STREAMS",
    "CustomersStream",
    "InvoicesStream",
    "PaymentIntentsStream",
    "RefundsStream",
    "StartingAfterPaginator",
    "StripeStream",
    "created_slices",
    "sync_window",
    "unix_seconds",
]

DAY_SECONDS = 86_400

Bound = int | None  # unix seconds; None: unbounded


def unix_seconds(value: str, setting: str) -> int:
    """The first whole unix second at or after an ISO 8601 setting value.

    `created` holds whole seconds, so `created >= instant` is `created >= ceil(instant)`, and
    likewise for `<`: rounding up keeps both ends of the window exact.
    """
    return math.ceil(parse_instant(value, setting).timestamp())


def sync_window(config: Mapping[str, Any]) -> tuple[Bound, Bound]:
    """[start, end) of `created` for one run: `start_date` and `end_date` in unix seconds."""
    start = unix_seconds(config["start_date"], "start_date") if config.get("start_date") else None
    end = unix_seconds(config["end_date"], "end_date") if config.get("end_date") else None
    return start, end


def created_slices(start: Bound, end: Bound, step: int, now: int) -> list[tuple[Bound, Bound]]:
    """[lower, upper) ranges of `created` covering [start, end), oldest first.

    Slices start every `step` seconds from `start` up to `end`, or up to `now` when there is no
    end (the last slice is then open). Without a start, everything before `end` is one slice.
    """
    if start is None:
        return [(None, end)]
    horizon = now if end is None else end
    if start >= horizon:
        return [] if end is not None else [(start, None)]
    lowers: list[Bound] = list(range(start, horizon, step))
    return list(zip(lowers, [*lowers[1:], end], strict=True))


class StartingAfterPaginator(BaseAPIPaginator[str | None]):
    """Stripe's cursor paging: while `has_more`, the next page starts after this page's last id."""

    def __init__(self) -> None:
        super().__init__(None)

    def get_next(self, response: requests.Response) -> str | None:
        body = response.json()
        data = body.get("data") or []
        return str(data[-1]["id"]) if body.get("has_more") and data else None


class StripeStream(ApiStream[str | None]):
    """One Stripe list endpoint (`/v1/<name>`), oldest first by slices of the run's window."""

    primary_keys = ("id",)
    records_jsonpath = "$.data[*]"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._slice: tuple[Bound, Bound] = (None, None)  # the one request_records is listing

    @cached_property
    def authenticator(self) -> BearerTokenAuthenticator:
        return BearerTokenAuthenticator(token=self.config["api_key"])

    @property
    def http_headers(self) -> dict[str, Any]:
        # Pinned: the account's default version could be older or newer than the shapes the
        # schemas (and lorchestra's transforms) describe.
        return {**super().http_headers,
                "Stripe-Version": self.config.get("stripe_version") or schemas.STRIPE_VERSION}

    def get_new_paginator(self) -> StartingAfterPaginator:
        return StartingAfterPaginator()

    def get_url_params(self, context: Context | None,
                       next_page_token: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": self.config["page_size"]}
        lower, upper = self._slice
        if lower is not None:
            params["created[gte]"] = lower
        if upper is not None:
            params["created[lt]"] = upper
        if next_page_token:
            params["starting_after"] = next_page_token
        return params

    def request_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        start, end = sync_window(self.config)
        slices = created_slices(start, end, int(self.config["window_days"]) * DAY_SECONDS,
                                int(time.time()))
        self.logger.info("%s: stream %s lists created in [%s, %s) in %d slice(s)",
                         self.tap_name, self.name, "-inf" if start is None else start,
                         "+inf" if end is None else end, len(slices))
        for created_slice in slices:
            self._slice = created_slice
            listed = list(super().request_records(context))
            # Stripe's order reversed, then a stable sort in case it strays from `created`.
            yield from sorted(reversed(listed), key=lambda item: int(item["created"]))


class CustomersStream(StripeStream):
    """Customers (`cus_…`)."""

    name = "customers"
    path = "/v1/customers"
    schema = schemas.CUSTOMER


class InvoicesStream(StripeStream):
    """Invoices (`in_…`) with their `payments` (`expand[]=data.payments`: Stripe includes the
    list only when asked; each payment names its payment intent); `created` is when the invoice
    was made, not when it was paid."""

    name = "invoices"
    path = "/v1/invoices"
    schema = schemas.INVOICE

    def get_url_params(self, context: Context | None,
                       next_page_token: str | None) -> dict[str, Any]:
        return {**super().get_url_params(context, next_page_token), "expand[]": "data.payments"}


class PaymentIntentsStream(StripeStream):
    """Payment intents (`pi_…`)."""

    name = "payment_intents"
    path = "/v1/payment_intents"
    schema = schemas.PAYMENT_INTENT


class RefundsStream(StripeStream):
    """Refunds (`re_…`)."""

    name = "refunds"
    path = "/v1/refunds"
    schema = schemas.REFUND


#: Every stream by name, in the order a run extracts them.
STREAMS: dict[str, type[StripeStream]] = {
    stream.name: stream
    for stream in (CustomersStream, InvoicesStream, PaymentIntentsStream, RefundsStream)
}
