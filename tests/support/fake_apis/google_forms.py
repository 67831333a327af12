"""`FakeGoogleForms`: the Google Forms API v1 `forms.get` and `forms.responses.list` endpoints.

It is built from records in the shape lorchestra stores (a response plus `_form`, its form's
`forms.get` resource, as `sample_data` writes them): `GET /v1/forms/{formId}` returns the `_form`
of that form unchanged, and `GET /v1/forms/{formId}/responses` lists its responses without
`_form` and, as the API documents for list answers, without `formId`. The list is ordered by
responseId, which has nothing to do with submission time: the API documents no order, so a tap
that assumes one fails here. `filter` takes exactly `timestamp > T` or `timestamp >= T` with T an
RFC 3339 UTC "Zulu" time (compared with lastSubmittedTime to the nanosecond); `pageSize` (0 or
absent: 5000, at most 5000); `pageToken`/`nextPageToken`, a token being valid only with the
filter it was issued for, as documented. Any other parameter or filter is a 400, so a test cannot
pass on a filter the fake silently ignored; an unknown form is a 404. Errors carry Google's body
`{"error": {"code", "message", "status"}}`. `add(records)` is new responses arriving.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from tests.support.fake_apis._google import GoogleApi
from tests.support.fake_apis._server import Request, Response

__all__ = ["FakeGoogleForms"]

_FORM = r"/v1/forms/(?P<form_id>[^/]+)"
_PARAMS = {"filter", "pageSize", "pageToken"}
_MAX_PAGE = 5000
_FILTER = re.compile(r"\s*timestamp\s*(?P<op>>=|>)\s*(?P<at>\S+)\s*")
_ZULU = re.compile(r"(?P<base>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(?P<frac>\d{1,9}))?Z")


class FakeGoogleForms(GoogleApi):
    """Google Forms' forms.get and forms.responses.list over stored records."""

    def __init__(self, records: Iterable[dict[str, Any]] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._forms: dict[str, dict[str, Any]] = {}
        self._responses: dict[str, dict[str, dict[str, Any]]] = {}  # form -> id -> response
        self.add(records)
        self.route("GET", _FORM, self._get_form)
        self.route("GET", _FORM + "/responses", self._list)

    def add(self, records: Iterable[dict[str, Any]]) -> None:
        """Store responses (each with its form as `_form`), as if they were just submitted."""
        with self.lock:
            for record in records:
                response = copy.deepcopy(record)
                form = response.pop("_form")
                self._forms[form["formId"]] = form
                self._responses.setdefault(form["formId"], {})[response["responseId"]] = response

    def _get_form(self, request: Request) -> Response:
        with self.lock:
            form = copy.deepcopy(self._forms.get(request.params["form_id"]))
        if form is None:
            return self.error(404, "Requested entity was not found.")
        return Response(200, form)

    def _list(self, request: Request) -> Response:
        form_id = request.params["form_id"]
        filter_text = request.arg("filter") or ""
        try:
            unknown = set(request.query) - _PARAMS
            if unknown:
                raise ValueError("Unknown query parameter(s) for this fake.")
            keep = _filter(filter_text)
            size = int(request.arg("pageSize") or 0) or _MAX_PAGE
            if not 0 < size <= _MAX_PAGE:
                raise ValueError("pageSize must be between 0 and 5000.")
            offset = _offset(request.arg("pageToken"), form_id, filter_text)
        except ValueError as exc:
            return self.error(400, str(exc))
        with self.lock:
            if form_id not in self._forms:
                return self.error(404, "Requested entity was not found.")
            found = sorted((r for r in self._responses.get(form_id, {}).values()
                            if keep(_nanos(r["lastSubmittedTime"]))),
                           key=lambda response: response["responseId"])
            page = [{k: v for k, v in copy.deepcopy(r).items() if k != "formId"}
                    for r in found[offset:offset + size]]
        body: dict[str, Any] = {}
        if page:  # Google leaves an empty list out of the answer
            body["responses"] = page
        if offset + size < len(found):
            body["nextPageToken"] = _token(form_id, filter_text, offset + size)
        return Response(200, body)


def _nanos(text: str) -> int:
    """Nanoseconds since the epoch of an RFC 3339 UTC "Zulu" time (ValueError otherwise)."""
    match = _ZULU.fullmatch(text)
    if match is None:
        raise ValueError("The filter's timestamp must be RFC 3339 UTC (Zulu) format.")
    seconds = int(datetime.fromisoformat(match["base"] + "+00:00").timestamp())
    return seconds * 10**9 + int((match["frac"] or "").ljust(9, "0"))


def _filter(text: str) -> Callable[[int], bool]:
    """A predicate on lastSubmittedTime (ns) for a documented filter; everything for none."""
    if not text:
        return lambda ns: True
    match = _FILTER.fullmatch(text)
    if match is None:
        raise ValueError("Unsupported filter (supported: timestamp > T, timestamp >= T).")
    bound = _nanos(match["at"])
    if match["op"] == ">":
        return lambda ns: ns > bound
    return lambda ns: ns >= bound


def _token(form_id: str, filter_text: str, offset: int) -> str:
    raw = json.dumps([form_id, filter_text, offset]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _offset(token: str | None, form_id: str, filter_text: str) -> int:
    if not token:
        return 0
    try:
        issued_form, issued_filter, offset = json.loads(base64.urlsafe_b64decode(token))
    except (ValueError, TypeError):
        raise ValueError("Invalid pageToken.") from None
    if (issued_form, issued_filter) != (form_id, filter_text):
        raise ValueError("pageToken was issued for another form or filter.")
    return int(offset)
