"""`FakeGmail`: the Gmail API v1 `users.messages` list and get endpoints over given messages.

`GET /gmail/v1/users/{userId}/messages` lists `{id, threadId}` newest first (by internalDate,
as Gmail orders them) with `maxResults` (default 100, at most 500), `pageToken` /
`nextPageToken`, `resultSizeEstimate`, every `labelIds` value required, and `q` holding
`after:<unix seconds>` / `before:<unix seconds>` terms. Those compare the message's whole
seconds and exclude the boundary, the strictest reading of Gmail's search operators, so a tap
that trusts them to be inclusive loses messages here; any other search term is a 400, so a test
cannot pass on a filter the fake silently ignored. Messages labelled `SPAM` or `TRASH` are left
out unless `includeSpamTrash=true`, as Gmail does; `list_params` logs each list request's query
parameter names. `GET …/messages/{id}?format=full` returns
the stored payload unchanged (404 for an unknown id; other formats are a 400). Any userId is
the one mailbox. `add(messages)` is new mail arriving.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from tests.support.fake_apis._google import GoogleApi
from tests.support.fake_apis._server import Request, Response

__all__ = ["FakeGmail"]

_USER = r"/gmail/v1/users/(?P<user_id>[^/]+)"


class FakeGmail(GoogleApi):
    """Gmail's users.messages.list and users.messages.get (format=full)."""

    def __init__(self, messages: Iterable[dict[str, Any]] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._messages: dict[str, dict[str, Any]] = {}
        self.list_params: list[list[str]] = []
        self.add(messages)
        self.route("GET", _USER + "/messages", self._list)
        self.route("GET", _USER + "/messages/(?P<id>[^/]+)", self._get)

    def add(self, messages: Iterable[dict[str, Any]]) -> None:
        """Store messages (users.messages.get format=full payloads), as if they just arrived."""
        with self.lock:
            for message in messages:
                self._messages[message["id"]] = copy.deepcopy(message)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Every stored message, oldest first."""
        with self.lock:
            return sorted(self._messages.values(), key=_order_key)

    def _list(self, request: Request) -> Response:
        try:
            after, before = _parse_query(request.arg("q") or "")
            size = min(500, max(1, int(request.arg("maxResults") or 100)))
            offset = int(request.arg("pageToken") or "0")
        except ValueError as exc:
            return self.error(400, str(exc))
        labels = set(request.query.get("labelIds", []))
        hidden = set() if request.arg("includeSpamTrash") == "true" else {"SPAM", "TRASH"}
        with self.lock:
            self.list_params.append(sorted(request.query))
            found = [m for m in self._messages.values()
                     if labels <= set(m.get("labelIds", []))
                     and not hidden & set(m.get("labelIds", []))
                     and (after is None or int(m["internalDate"]) // 1000 > after)
                     and (before is None or int(m["internalDate"]) // 1000 < before)]
        found.sort(key=_order_key, reverse=True)
        page = found[offset:offset + size]
        body: dict[str, Any] = {"resultSizeEstimate": len(found)}
        if page:  # Gmail leaves `messages` out of an empty answer
            body["messages"] = [{"id": m["id"], "threadId": m["threadId"]} for m in page]
        if offset + size < len(found):
            body["nextPageToken"] = str(offset + size)
        return Response(200, body)

    def _get(self, request: Request) -> Response:
        if (request.arg("format") or "full") != "full":
            return self.error(400, "This fake serves format=full only.")
        with self.lock:
            message = self._messages.get(request.params["id"])
            body = copy.deepcopy(message)
        if body is None:
            return self.error(404, "Requested entity was not found.")
        return Response(200, body)


def _order_key(message: dict[str, Any]) -> tuple[int, str]:
    return int(message["internalDate"]), message["id"]


def _parse_query(q: str) -> tuple[int | None, int | None]:
    after = before = None
    for term in q.split():
        name, _, value = term.partition(":")
        if name not in ("after", "before") or not value.isdigit():
            raise ValueError("Unsupported search term in q (the fake knows after:/before:).")
        if name == "after":
            after = int(value)
        else:
            before = int(value)
    return after, before
