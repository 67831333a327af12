"""`ODataStream`: an `ApiStream` over an OData v4 collection, oldest first by a datetime column.

Microsoft Graph and the Dataverse Web API page the same way. The first request carries the
window as `$filter=<column> ge <start> and <column> lt <end>`, `$orderby=<column> asc` and what
the stream adds (`$top`, `$select`, …); every later page is the server's `@odata.nextLink`,
requested as given, because it carries the query options and an opaque skip token that must not
be decoded and re-encoded, and only when it points at `api_url`'s origin, so the bearer token
never goes anywhere else. A page that comes back empty but with a next link is followed too.
Rows arrive in column order, oldest first. The window is exactly the run's `start_date`
(inclusive) and `end_date` (exclusive); the stream keeps no bookmark (see `ApiStream`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote, urlencode, urlsplit

import requests
from singer_sdk.exceptions import FatalAPIError
from singer_sdk.helpers.types import Context
from singer_sdk.pagination import BaseAPIPaginator

from tap_common._stream import ApiStream

__all__ = ["NextLinkPaginator", "ODataStream", "odata_datetime", "odata_query", "window_filter"]


def odata_datetime(moment: datetime) -> str:
    """An OData DateTimeOffset literal in UTC, e.g. `2026-01-01T08:00:00Z` (fractions kept)."""
    utc = moment.astimezone(UTC)
    text = utc.isoformat(timespec="microseconds" if utc.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def window_filter(column: str, start: datetime | None, end: datetime | None) -> str | None:
    """`$filter` text selecting [start, end) of a datetime column, or None when unbounded."""
    terms = []
    if start is not None:
        terms.append(f"{column} ge {odata_datetime(start)}")
    if end is not None:
        terms.append(f"{column} lt {odata_datetime(end)}")
    return " and ".join(terms) or None


def odata_query(options: Mapping[str, str]) -> str:
    """Query options as a query string, keeping `$`, quotes and colons readable, spaces as %20.

    OData's URL grammar wants spaces as %20 (a `+` is a literal plus to some servers).
    """
    return urlencode(options, quote_via=quote, safe="$',:()")


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class NextLinkPaginator(BaseAPIPaginator[str | None]):
    """Follows `@odata.nextLink` verbatim, only on `origin`'s scheme, host and port."""

    def __init__(self, origin: str, label: str) -> None:
        super().__init__(None)
        self._origin = _origin(origin)
        self._label = label  # "tap-x: stream y", for messages

    def get_next(self, response: requests.Response) -> str | None:
        link = _next_link(response)
        if link is None:
            return None
        # Messages never quote the link: its query holds the filter and the skip token.
        if _origin(link) != self._origin:
            raise FatalAPIError(f"{self._label}: the API's @odata.nextLink points outside "
                                "api_url; refusing to send the token there.")
        if link == self.current_value:
            raise FatalAPIError(f"{self._label}: the API returned the same @odata.nextLink "
                                "twice; stopping instead of looping.")
        return link

    def continue_if_empty(self, response: requests.Response) -> bool:
        return _next_link(response) is not None


def _next_link(response: requests.Response) -> str | None:
    link = response.json().get("@odata.nextLink")
    return link if isinstance(link, str) and link else None


class ODataStream(ApiStream[str]):
    """An OData collection read oldest first by `window_column` (a DateTimeOffset column).

    Subclasses name `window_column`, add query options with `odata_options` and may refine the
    order with `order_by` (e.g. a unique column after the datetime one).
    """

    #: The DateTimeOffset column the window selects on and the rows are ordered by.
    window_column: str
    records_jsonpath = "$.value[*]"

    def odata_options(self, context: Context | None) -> dict[str, str]:
        """Query options of the first request besides `$filter` and `$orderby`."""
        return {}

    def order_by(self) -> str:
        """The `$orderby` option: the window column, ascending."""
        return f"{self.window_column} asc"

    def get_url_params(self, context: Context | None, next_page_token: str | None) -> str:
        options: dict[str, str] = {}
        window = window_filter(self.window_column, *self.configured_window())
        if window is not None:
            options["$filter"] = window
        options["$orderby"] = self.order_by()
        options.update(self.odata_options(context))
        return odata_query(options)

    def prepare_request(self, context: Context | None,
                        next_page_token: str | None) -> requests.PreparedRequest:
        if next_page_token is None:
            return super().prepare_request(context, None)
        request = self.build_prepared_request(method="GET", url=next_page_token,
                                              headers=self.http_headers)
        # requests requotes a URL it prepares; the link goes out exactly as the server gave it
        # (the authenticators leave URLs alone, tap_common._auth).
        request.url = next_page_token
        return request

    def get_new_paginator(self) -> NextLinkPaginator:
        return NextLinkPaginator(self.url_base, f"{self.tap_name}: stream {self.name}")

    @property
    def http_headers(self) -> dict[str, str]:
        return {**super().http_headers, "Accept": "application/json"}

