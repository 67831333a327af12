"""The `responses` stream: every response to the configured forms, as forms.responses.list gives it.

Each form id in `form_ids` is a partition with a bookmark of its own. For each form the stream
reads the form once (`forms.get`: title and questions), lists the responses of the window, and
emits each response unchanged plus two fields: `_form`, the forms.get resource, from which the
canonizer takes question titles, and `formId`, which list answers leave out (as documented) but
the canonizer and `forms.responses.get` have.

Ordering and resume: forms.responses.list documents no order, and its page tokens are bound to
the filter of the first page, so the bookmark cannot move while pages arrive. The stream therefore
collects a form's whole window first (a clinic's form holds thousands of responses at most, a
few MB; `start_date` bounds a first sync of a bigger one), sorts it by lastSubmittedTime, then
responseId, and emits in that order. The instants are compared parsed, to the nanosecond: Google
writes them with three, six or more fraction digits, so the strings do not sort. The bookmark,
the lastSubmittedTime of the last response emitted, therefore only moves forward and never past
a response not yet emitted; it reaches the output every 100 records, and is written as the
tap's last message if the run fails (see `tap_common.ApiStream`). The next run
lists `timestamp >= bookmark - overlap_seconds`: `>=` returns the responses sharing the
bookmark's instant that were not emitted yet, and the overlap those that became visible in the
API only after a later one had been read, or were resubmitted meanwhile. Repeats are
deduplicated downstream by responseId.

The window is [start, end): start is the bookmark minus the overlap (never before `start_date`),
else `start_date`; end is `end_date`. The API filters on a lower bound only, so the window is
also applied here to each response's lastSubmittedTime.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import requests
from singer_sdk.exceptions import FatalAPIError
from singer_sdk.helpers.types import Context
from singer_sdk.pagination import JSONPathPaginator

from tap_common import ApiStream, RefreshTokenAuthenticator, parse_instant

__all__ = [
    "RESPONSE_SCHEMA",
    "ResponsesStream",
    "in_order",
    "instant_ns",
    "list_filter",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NS = 10**9
_RFC3339 = re.compile(r"(?P<base>\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d)(?:\.(?P<frac>\d{1,9}))?"
                      r"(?P<zone>[Zz]|[+-]\d\d:\d\d)")
_FORM_PATH = re.compile(r"/v1/forms/(?P<form_id>[^/]+)(?:/responses)?$")

# Properties named for the catalog; `answers` (keyed by question id) and `_form` are bare objects
# because the SDK passes an object with no `properties` through untouched, and
# additionalProperties keeps fields Google may add later.
RESPONSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": True,
    "properties": {
        "responseId": {"type": "string"},
        "formId": {"type": "string"},
        "createTime": {"type": "string", "format": "date-time"},
        "lastSubmittedTime": {"type": "string", "format": "date-time"},
        "respondentEmail": {"type": "string"},
        "totalScore": {"type": "number"},
        "answers": {"type": "object"},
        "_form": {"type": "object"},
    },
    "required": ["responseId", "formId", "lastSubmittedTime", "_form"],
}


def instant_ns(text: str) -> int:
    """Nanoseconds since the epoch of an RFC 3339 date-time with up to nine fraction digits."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError("Not an RFC 3339 date-time.")
    zone = "+00:00" if match["zone"] in ("Z", "z") else match["zone"]
    seconds = (datetime.fromisoformat(f"{match['base']}{zone}") - _EPOCH) // timedelta(seconds=1)
    return seconds * _NS + int((match["frac"] or "").ljust(9, "0"))


def list_filter(start_ns: int) -> str:
    """The forms.responses.list filter for responses submitted at or after `start_ns`.

    The instant is written to the microsecond, rounded down: never later than asked.
    """
    moment = _EPOCH + timedelta(microseconds=start_ns // 1000)
    return f"timestamp >= {moment:%Y-%m-%dT%H:%M:%S.%fZ}"


def in_order(responses: Iterable[dict[str, Any]], start_ns: int | None,
             end_ns: int | None) -> list[dict[str, Any]]:
    """The responses submitted in [start_ns, end_ns), by lastSubmittedTime then responseId."""
    keyed = []
    for response in responses:
        submitted = response.get("lastSubmittedTime")
        if not isinstance(submitted, str):
            raise ValueError("forms.responses.list returned a response without lastSubmittedTime.")
        at = instant_ns(submitted)
        if (start_ns is None or at >= start_ns) and (end_ns is None or at < end_ns):
            keyed.append(((at, str(response.get("responseId"))), response))
    keyed.sort(key=lambda pair: pair[0])
    return [response for _, response in keyed]


class _TokenPaginator(JSONPathPaginator):
    """`nextPageToken` paging that goes on past an empty page while a token comes with it."""

    def continue_if_empty(self, response: requests.Response) -> bool:
        return True  # "the service may return fewer than pageSize": an empty page is not the end


class ResponsesStream(ApiStream[str | None]):
    """Responses to the forms of `form_ids`, oldest first per form, incremental per form."""

    name = "responses"
    path = "/v1/forms/{formId}/responses"
    primary_keys = ("responseId",)
    replication_key = "lastSubmittedTime"
    schema = RESPONSE_SCHEMA
    records_jsonpath = "$.responses[*]"
    next_page_token_jsonpath = "$.nextPageToken"

    @property
    def is_sorted(self) -> bool:
        return True  # each form's responses are emitted sorted, so its bookmark may advance

    @property
    def check_sorted(self) -> bool:
        return False  # the SDK would compare the strings, whose fraction digits vary

    def get_replication_key_signpost(self, context: Context | None) -> None:
        return None  # a signpost only caps unsorted progress; here it would just litter the state

    @cached_property
    def authenticator(self) -> RefreshTokenAuthenticator:
        return RefreshTokenAuthenticator.from_config(self.config, self.tap_name)

    @property
    def partitions(self) -> list[dict[str, Any]]:
        form_ids = list(dict.fromkeys(self.config.get("form_ids") or []))
        if not form_ids:
            raise ValueError(f"{self.tap_name}: setting form_ids lists no form.")
        # Keyed `formId`, as the record field: the SDK copies a partition's keys into records
        # lacking them, so any other name would add a field the API does not have.
        return [{"formId": form_id} for form_id in form_ids]

    def get_new_paginator(self) -> _TokenPaginator:
        return _TokenPaginator(self.next_page_token_jsonpath)

    def window(self, context: Context | None) -> tuple[int | None, int | None]:
        """[start, end) in epoch ns (None: unbounded) from the form's bookmark and the settings."""
        start = _setting_ns(self.config, "start_date")
        state = self.get_context_state(context)
        bookmark = state.get("replication_key_value")
        if isinstance(bookmark, str) and state.get("replication_key") == self.replication_key:
            resume = instant_ns(bookmark) - int(self.config["overlap_seconds"]) * _NS
            start = resume if start is None else max(start, resume)
        return start, _setting_ns(self.config, "end_date")

    def get_url(self, context: Context | None) -> str:
        return f"{self._form_url(context)}/responses"

    def get_url_params(self, context: Context | None,
                       next_page_token: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"pageSize": self.config["page_size"]}
        start, _ = self.window(context)
        if start is not None:
            params["filter"] = list_filter(start)
        if next_page_token:
            params["pageToken"] = next_page_token
        return params

    def request_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        form_id = _form_id(context)
        form = self._get_form(context)
        start, end = self.window(context)  # before anything is emitted: the bookmark as stored
        responses = in_order(super().request_records(context), start, end)
        self.logger.info("%s: %d responses to form %s in the window", self.tap_name,
                         len(responses), form_id)
        for response in responses:
            response.setdefault("formId", form_id)
            response["_form"] = form
            yield response

    def validate_response(self, response: requests.Response) -> None:
        if response.status_code == 404:
            found = _FORM_PATH.search(urlsplit(response.url).path)
            form = f"form {unquote(found['form_id'])}" if found else "a form"
            raise FatalAPIError(
                f"{self.tap_name}: {form} was not found (HTTP 404); check form_ids and that the "
                "consented account can open the form (see docs/sources.md).")
        super().validate_response(response)

    def _form_url(self, context: Context | None) -> str:
        return f"{self.url_base}/v1/forms/{quote(_form_id(context), safe='')}"

    def _get_form(self, context: Context | None) -> dict[str, Any]:
        request = self.build_prepared_request(method="GET", url=self._form_url(context),
                                              headers=self.http_headers)
        response = self.request_decorator(self._request)(request, context)
        form: dict[str, Any] = response.json()
        return form


def _form_id(context: Context | None) -> str:
    if not context or not context.get("formId"):
        raise ValueError("The responses stream runs once per form: its context needs formId.")
    return str(context["formId"])


def _setting_ns(config: Any, name: str) -> int | None:
    value = config.get(name)
    if not value:
        return None
    return (parse_instant(value, name) - _EPOCH) // timedelta(microseconds=1) * 1000
