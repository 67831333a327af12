"""The `responses` stream: every response to the configured forms, as forms.responses.list gives it.

Each form id in `form_ids` is a partition. For each form the stream reads the form once
(`forms.get`: title and questions), lists the responses of the window, and emits each response
unchanged plus two fields: `_form`, the forms.get resource, from which the canonizer takes
question titles, and `formId`, which list answers leave out (as documented) but the canonizer and
`forms.responses.get` have.

Ordering: forms.responses.list documents no order, so the stream collects a form's whole window
first (a clinic's form holds thousands of responses at most, a few MB; the window bounds a first
sync of a bigger one), sorts it by lastSubmittedTime, then responseId, and emits in that order.
The instants are compared parsed, to the nanosecond: Google writes them with three, six or more
fraction digits, so the strings do not sort.

The window is exactly [`start_date`, `end_date`) of lastSubmittedTime, the same for every form;
the stream keeps no bookmark (see `tap_common.ApiStream`). The API filters on a lower bound only
(`timestamp >= start`), so the window is also applied here to each response. lorchestra starts
each window its connection's `overlap_seconds` before the last one's end, for responses that
became visible in the API only after a later one had been read, or were resubmitted meanwhile.
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

from tap_common import ApiStream, RefreshTokenAuthenticator

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
    """Responses to the forms of `form_ids`, oldest first per form, over the run's window."""

    name = "responses"
    path = "/v1/forms/{formId}/responses"
    primary_keys = ("responseId",)
    schema = RESPONSE_SCHEMA
    records_jsonpath = "$.responses[*]"
    next_page_token_jsonpath = "$.nextPageToken"

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

    def window(self) -> tuple[int | None, int | None]:
        """[start_date, end_date) in epoch ns (None: unbounded)."""
        start, end = self.configured_window()
        return _epoch_ns(start), _epoch_ns(end)

    def get_url(self, context: Context | None) -> str:
        return f"{self._form_url(context)}/responses"

    def get_url_params(self, context: Context | None,
                       next_page_token: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"pageSize": self.config["page_size"]}
        start, _ = self.window()
        if start is not None:
            params["filter"] = list_filter(start)
        if next_page_token:
            params["pageToken"] = next_page_token
        return params

    def request_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        form_id = _form_id(context)
        form = self._get_form(context)
        start, end = self.window()
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


def _epoch_ns(moment: datetime | None) -> int | None:
    return None if moment is None else (moment - _EPOCH) // timedelta(microseconds=1) * 1000
