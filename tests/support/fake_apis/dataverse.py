"""`FakeDataverse`: the Dataverse Web API (v9.2) listing entity sets over given rows.

`GET /api/data/v9.2/{entitySet}` for each configured entity set (others are a 404) honours
`$select` (plus the key and `@odata.etag`, which Dataverse always returns; an unknown column is
a 400), `$filter` comparisons of `modifiedon` or `createdon`, `$orderby` (comma-separated
columns, ascending only; the key always breaks ties) and the page size
`Prefer: odata.maxpagesize=N` (default 5000, answered with Preference-Applied), which, as in
Dataverse, each request must repeat. Paging is keyset paging behind an opaque `$skiptoken`
shaped like Dataverse's (a `<cookie>` whose `pagingcookie` is itself URL-encoded, so twice in
the link, `%253ccookie%2520page...`). A paging request must send the link byte for byte: its raw
request target (path and query string, not decoded) must equal a link handed out, else it is a
400, as is a token the fake did not issue. Any other
query option is a 400 too. Rows come back exactly as stored, `@odata.etag` included.
`upsert(entity_set, rows)` is rows created or modified since; `prefer_headers` logs each
request's Prefer and `skiptokens` the tokens issued.
"""

from __future__ import annotations

import copy
import re
import secrets
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from tests.support.fake_apis._server import Request, Response
from tests.support.fake_apis.msgraph import NOT_AS_GIVEN, MicrosoftApi, parse_window, within

__all__ = ["FakeDataverse"]

_DEFAULT_PAGE = 5000
_OPTIONS = frozenset({"$select", "$filter", "$orderby", "$skiptoken"})
_ORDER = re.compile(r"(?P<column>\w+)(?: (?P<direction>asc|desc))?")
_PAGE_SIZE = re.compile(r"odata\.maxpagesize=(?P<size>\d+)")
_HEX = re.compile(r"%[0-9A-F]{2}")


class FakeDataverse(MicrosoftApi):
    """Dataverse entity sets, e.g. `{"contacts": ("contactid", rows)}`."""

    error_codes = {400: "0x80060888", 401: "0x80072560", 403: "0x80040220",
                   404: "0x80060888", 429: "0x80072322", 500: "0x80040216",
                   503: "0x80072321"}

    def __init__(self, tables: Mapping[str, tuple[str, Iterable[dict[str, Any]]]],
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._keys = {name: key for name, (key, _) in tables.items()}
        self._rows: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in tables}
        self._skiptokens: dict[str, tuple[Any, ...]] = {}  # skiptoken -> last row's sort key
        self.prefer_headers: list[str | None] = []
        for name, (_, rows) in tables.items():
            self.upsert(name, rows)
        self.route("GET", r"/api/data/v9\.2/(?P<entity_set>\w+)", self._list)

    def upsert(self, entity_set: str, rows: Iterable[dict[str, Any]]) -> None:
        """Store rows of an entity set (replacing those with the same key)."""
        key = self._keys[entity_set]
        with self.lock:
            for row in rows:
                self._rows[entity_set][row[key]] = copy.deepcopy(row)

    def rows(self, entity_set: str) -> list[dict[str, Any]]:
        """Every stored row, by modifiedon, then key."""
        key = self._keys[entity_set]
        with self.lock:
            return sorted(self._rows[entity_set].values(),
                          key=lambda row: (row["modifiedon"], row[key]))

    @property
    def skiptokens(self) -> list[str]:
        with self.lock:
            return list(self._skiptokens)

    def _list(self, request: Request) -> Response:
        prefer = request.headers.get("Prefer")
        with self.lock:
            self.prefer_headers.append(prefer)
        if not self.paged_as_given(request):
            return self.error(400, NOT_AS_GIVEN)
        entity_set = request.params["entity_set"]
        if entity_set not in self._keys:
            return self.error(404, f"Resource not found for the segment '{entity_set}'.")
        key = self._keys[entity_set]
        sized = _PAGE_SIZE.search(prefer or "")
        size = int(sized["size"]) if sized else _DEFAULT_PAGE
        try:
            found, sort_key = self._query(request, entity_set, key)
            select = self._columns(request.arg("$select"), entity_set, key)
        except ValueError as exc:
            return self.error(400, str(exc))
        page = found[:size]
        body: dict[str, Any] = {
            "@odata.context": f"{self.url}/api/data/v9.2/$metadata#{entity_set}",
            "value": [_project(row, select) for row in page]}
        if len(found) > size:
            number = _page_number(request.arg("$skiptoken")) + 1
            token = self._issue(sort_key(page[-1]), key, page[-1][key], number)
            body["@odata.nextLink"] = self.next_link(request, **{"$skiptoken": token})
        headers = {"Preference-Applied": f"odata.maxpagesize={size}"} if sized else {}
        return Response(200, body, headers)

    def _query(self, request: Request, entity_set: str,
               key: str) -> tuple[list[dict[str, Any]], Any]:
        if set(request.query) - _OPTIONS:
            raise ValueError("Unsupported query option.")
        filter_text = request.arg("$filter")
        column = "createdon" if filter_text and filter_text.startswith("createdon") \
            else "modifiedon"
        window = parse_window(filter_text, column)
        columns = []
        for part in (request.arg("$orderby") or "").split(","):
            match = _ORDER.fullmatch(part.strip())
            if not part.strip():
                continue
            if match is None or match["direction"] == "desc":
                raise ValueError("The fake orders by columns ascending only.")
            columns.append(match["column"])

        def sort_key(row: dict[str, Any]) -> tuple[Any, ...]:
            return (*((row.get(c) is not None, row.get(c)) for c in columns), row[key])

        with self.lock:
            found = [r for r in self._rows[entity_set].values() if within(r.get(column), window)]
        found.sort(key=sort_key)
        token = request.arg("$skiptoken")
        if token is not None:
            with self.lock:
                after = self._skiptokens.get(token)
            if after is None:
                raise ValueError("The $skiptoken is not one this server issued.")
            found = [row for row in found if sort_key(row) > after]
        return found, sort_key

    def _columns(self, select: str | None, entity_set: str, key: str) -> set[str] | None:
        if not select:
            return None
        known = {name for row in self._rows[entity_set].values() for name in row}
        wanted = set(select.split(","))
        if wanted - known:
            raise ValueError("Could not find a property named in $select on the entity type.")
        return wanted | {key, "@odata.etag"}

    def encode_paging(self, value: str) -> str:
        # As Dataverse writes it: `=` and `/` bare, the rest percent-encoded, so the already
        # encoded paging cookie inside is encoded twice (`%253ccookie%2520page...`).
        return quote(value, safe="=/")

    def _issue(self, last: tuple[Any, ...], key: str, last_id: str, page_number: int) -> str:
        # Dataverse's shape: the inner paging cookie is URL-encoded (lower-case hex) within
        # the token.
        inner = (f'<cookie page="{page_number - 1}"><{key} last="{{{last_id}}}" '
                 f'first="{{{last_id}}}" nonce="{secrets.token_hex(4)}" /></cookie>')
        encoded = _HEX.sub(lambda m: m[0].lower(), quote(inner, safe=""))
        token = (f'<cookie pagenumber="{page_number}" '
                 f'pagingcookie="{encoded}" istracking="False" />')
        with self.lock:
            self._skiptokens[token] = last
        return token


def _page_number(token: str | None) -> int:
    found = re.match(r'<cookie pagenumber="(\d+)"', token or "")
    return int(found[1]) if found else 1


def _project(row: dict[str, Any], select: set[str] | None) -> dict[str, Any]:
    if select is None:
        return copy.deepcopy(row)
    return {name: copy.deepcopy(value) for name, value in row.items() if name in select}
