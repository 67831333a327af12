"""`FakeGraphMail`: Microsoft Graph v1.0 message listing over given messages; `MicrosoftApi` base.

`MicrosoftApi` is what Microsoft's APIs share here: the identity platform's token endpoint per
tenant (`POST /{tenant}/oauth2/v2.0/token`; `token_url` keeps the `{tenant}` placeholder for
the tap to fill in), errors as `{"error": {"code", "message"}}`, `$filter` comparisons of a
datetime column (`ge`/`gt`/`le`/`lt` joined by `and`; anything else is a 400, so a test cannot
pass on a filter the fake ignored), `@odata.nextLink` URLs that must come back byte for byte
(a paging request whose raw target differs from the link is a 400), and `fail_later`, a fault
that hits a page in the middle of the paging. `FakeDataverse` builds on it.

`FakeGraphMail` serves `GET /v1.0/me/messages`, `/v1.0/users/{id}/messages` and both under
`/mailFolders/{folderId}` (the folder is a message's `parentFolderId`; an unknown user or
folder is a 404). It honours `$filter` on receivedDateTime, `$orderby=receivedDateTime asc|desc`
(default desc, as Graph; ties by id), `$top` (default 10, at most 1000), `$select` (plus `id`
and `@odata.etag`, which Graph always returns) and `$skip`, which only its own next links carry;
any other query option is a 400. The header `Prefer: outlook.body-content-type="text"` turns
HTML bodies into text (answered with Preference-Applied); `prefer_headers` logs each request's
Prefer. Messages are returned exactly as stored; `add(messages)` is new mail arriving.
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from tests.support.fake_apis._server import FakeApi, Request, Response, _Fault

__all__ = ["NOT_AS_GIVEN", "FakeGraphMail", "MicrosoftApi", "parse_window", "within"]

_COMPARISON = re.compile(r"(?P<column>\w+) (?P<op>ge|gt|le|lt) "
                         r"(?P<value>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)")
Window = list[tuple[str, datetime]]


def parse_window(text: str | None, column: str) -> Window:
    """The comparisons of a `$filter` on `column`; ValueError for anything else."""
    if not text:
        return []
    terms = []
    for term in text.split(" and "):
        match = _COMPARISON.fullmatch(term.strip())
        if match is None or match["column"] != column:
            raise ValueError(f"The fake understands only {column} ge|gt|le|lt <UTC datetime> "
                             "joined by 'and'.")
        terms.append((match["op"], datetime.fromisoformat(match["value"])))
    return terms


def within(value: Any, window: Window) -> bool:
    """Whether an ISO 8601 value satisfies every comparison (a null never does)."""
    if not window:
        return True
    if not isinstance(value, str):
        return False
    moment = datetime.fromisoformat(value)
    checks = {"ge": moment.__ge__, "gt": moment.__gt__, "le": moment.__le__, "lt": moment.__lt__}
    return all(checks[op](bound) for op, bound in window)


#: The query options only a server's next link carries.
PAGING_OPTIONS = frozenset({"$skip", "$skiptoken"})
#: The 400 a request gets when it pages with a link it did not send byte for byte.
NOT_AS_GIVEN = "The @odata.nextLink was not sent as given (its query string was re-encoded)."


class MicrosoftApi(FakeApi):
    """Microsoft identity platform tokens per tenant, Microsoft error bodies, OData links."""

    token_pattern = r"/(?P<tenant>[^/]+)/oauth2/v2\.0/token"
    error_codes: Mapping[int, str] = {}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._issued_links: set[str] = set()  # path?query of every next link handed out

    @property
    def token_url(self) -> str:
        return self.url + "/{tenant}/oauth2/v2.0/token"

    def error_body(self, status: int, message: str) -> Any:
        return {"error": {"code": self.error_codes.get(status, "UnknownError"),
                          "message": message}}

    def fail_later(self, path_prefix: str, *, after: int, status: int,
                   headers: Mapping[str, str] | None = None, times: int = 1) -> None:
        """Serve `after` requests under `path_prefix`, then fail the next `times` (mid-paging)."""
        self._add_fault(_Fault(path_prefix, status, dict(headers or {}), times, skip=after))

    def next_link(self, request: Request, **paging: str) -> str:
        """The request's URL with its query options, less old paging ones, plus `paging`.

        The link is remembered: a request carrying a paging option must then arrive with its
        raw target (path and query string, byte for byte) equal to a link handed out
        (`paged_as_given`), as the OData rule says, a client that decodes and re-encodes it
        is refused.
        """
        options = {name: values[-1] for name, values in request.query.items()
                   if name not in PAGING_OPTIONS}
        paging_text = "&".join(f"{name}={self.encode_paging(value)}"
                               for name, value in paging.items())
        query = urlencode(options, quote_via=quote, safe="$,:()")
        target = f"{request.path}?{query}{'&' if query else ''}{paging_text}"
        with self.lock:
            self._issued_links.add(target)
        return f"{self.url}{target}"

    def encode_paging(self, value: str) -> str:
        """How a paging option's value is written into a next link."""
        return quote(value, safe="")

    def paged_as_given(self, request: Request) -> bool:
        """False when the request pages (`$skip`, `$skiptoken`) with a link not sent verbatim."""
        if not PAGING_OPTIONS & set(request.query):
            return True
        with self.lock:
            return request.target in self._issued_links


class FakeGraphMail(MicrosoftApi):
    """Graph's message listing (`/me/messages`, `/users/{id}/messages`, per folder)."""

    error_codes = {400: "BadRequest", 401: "InvalidAuthenticationToken",
                   403: "ErrorAccessDenied", 404: "ErrorItemNotFound",
                   429: "ApplicationThrottled", 500: "InternalServerError",
                   503: "ServiceUnavailable"}
    _OPTIONS = frozenset({"$filter", "$orderby", "$top", "$skip", "$select"})

    def __init__(self, messages: Iterable[dict[str, Any]] = (), *,
                 user: str = "clinician@example.com", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.user = user
        self._messages: dict[str, dict[str, Any]] = {}
        self.prefer_headers: list[str | None] = []
        self.add(messages)
        folder = r"/mailFolders/(?P<folder>[^/]+)"
        for mailbox in (r"/v1\.0/me", r"/v1\.0/users/(?P<user>[^/]+)"):
            self.route("GET", mailbox + "/messages", self._list)
            self.route("GET", mailbox + folder + "/messages", self._list)

    def add(self, messages: Iterable[dict[str, Any]]) -> None:
        """Store Graph message resources, as if they just arrived."""
        with self.lock:
            for message in messages:
                self._messages[message["id"]] = copy.deepcopy(message)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Every stored message, oldest first (by receivedDateTime, then id)."""
        with self.lock:
            return sorted(self._messages.values(), key=_order_key)

    def _list(self, request: Request) -> Response:
        prefer = request.headers.get("Prefer")
        with self.lock:
            self.prefer_headers.append(prefer)
        if not self.paged_as_given(request):
            return self.error(400, NOT_AS_GIVEN)
        if request.params.get("user", self.user) != self.user:
            return self.error(404, "The requested user is invalid.")
        try:
            found, offset, top = self._query(request)
        except ValueError as exc:
            return self.error(400, str(exc))
        if request.params.get("folder") is not None:
            folder = request.params["folder"]
            if not any(m.get("parentFolderId") == folder for m in self.messages):
                return self.error(404, "The specified object was not found in the store.")
            found = [m for m in found if m.get("parentFolderId") == folder]
        page = [self._render(m, request.arg("$select"), prefer) for m in found[offset:offset + top]]
        body: dict[str, Any] = {"@odata.context": f"{self.url}/v1.0/$metadata#messages",
                                "value": page}
        if offset + top < len(found):
            body["@odata.nextLink"] = self.next_link(request, **{"$skip": str(offset + top)})
        headers = {}
        if prefer and "outlook.body-content-type" in prefer:
            headers["Preference-Applied"] = prefer
        return Response(200, body, headers)

    def _query(self, request: Request) -> tuple[list[dict[str, Any]], int, int]:
        unknown = set(request.query) - self._OPTIONS
        if unknown:
            raise ValueError("Unsupported query option.")
        window = parse_window(request.arg("$filter"), "receivedDateTime")
        order = request.arg("$orderby") or "receivedDateTime desc"
        if order not in ("receivedDateTime asc", "receivedDateTime desc"):
            raise ValueError("The fake orders by receivedDateTime only.")
        top = int(request.arg("$top") or 10)
        offset = int(request.arg("$skip") or 0)
        if not 1 <= top <= 1000 or offset < 0:
            raise ValueError("$top must be 1-1000 and $skip not negative.")
        found = [m for m in self.messages if within(m.get("receivedDateTime"), window)]
        if order.endswith("desc"):
            found.reverse()
        return found, offset, top

    @staticmethod
    def _render(message: dict[str, Any], select: str | None,
                prefer: str | None) -> dict[str, Any]:
        out = copy.deepcopy(message)
        if select:
            keep = {"@odata.etag", "id", *select.split(",")}
            out = {name: value for name, value in out.items() if name in keep}
        body = out.get("body")
        if prefer and 'outlook.body-content-type="text"' in prefer and isinstance(body, dict) \
                and body.get("contentType") == "html":
            text = html.unescape(re.sub(r"<[^>]+>", "", str(body.get("content", ""))))
            out["body"] = {"contentType": "text", "content": text}
        return out


def _order_key(message: dict[str, Any]) -> tuple[str, str]:
    return str(message.get("receivedDateTime") or ""), str(message["id"])
