"""The `messages` stream: the messages of one Gmail account, as users.messages.get returns them.

The messages are those outside Spam and Trash: `users.messages.list` leaves those out unless
`includeSpamTrash=true` is sent, and this tap never sends it (nor a `q` of its own beyond the
window and the configured `query`). Sent mail, drafts and chats are listed like any message;
`label_ids` (e.g. `["INBOX"]`) or `query` (e.g. `-in:chats`) narrow the list.

Gmail's list (`users.messages.list`) gives only ids, newest first. A run therefore lists every
id of the window first (ids are small: a million take tens of MB), then fetches the messages
oldest first (the list reversed) with `format=full` and emits each one unchanged.

The window is exactly [`start_date`, `end_date`), applied to each message's internalDate; the
stream keeps no bookmark and has no overlap of its own (see `tap_common.ApiStream`): lorchestra
picks each window, starting it its connection's `overlap_seconds` before the last window's end,
which also covers the list order straying a little from internalDate (imported mail). Gmail's
`after:`/`before:` take whole seconds and their boundaries are not documented as inclusive or
exclusive, so the search asks for one second more on each side and the exact window is applied
to each message's internalDate.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from singer_sdk.helpers.types import Context, RequestFunc

from tap_common import ApiStream, RefreshTokenAuthenticator

__all__ = ["MESSAGE_SCHEMA", "MessagesStream", "in_window", "search_query"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Properties named for the catalog; `payload` (the recursive MIME part tree) is a bare object
# because the SDK passes an object with no `properties` through untouched, and
# additionalProperties keeps fields Google may add later.
MESSAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": True,
    "properties": {
        "id": {"type": "string"},
        "threadId": {"type": "string"},
        "labelIds": {"type": "array", "items": {"type": "string"}},
        "snippet": {"type": "string"},
        "historyId": {"type": "string"},
        "internalDate": {"type": "string"},
        "sizeEstimate": {"type": "integer"},
        "payload": {"type": "object"},
        "raw": {"type": "string"},
    },
    "required": ["id", "internalDate"],
}


def search_query(start_ms: int | None, end_ms: int | None, extra: str | None) -> str:
    """Gmail `q` covering [start_ms, end_ms) whatever the operators' boundary rule, plus `extra`.

    `after:` is one second early and `before:` one second late; `in_window` trims the excess.
    """
    terms = []
    if start_ms is not None:
        terms.append(f"after:{max(0, start_ms // 1000 - 1)}")
    if end_ms is not None:
        terms.append(f"before:{(end_ms - 1) // 1000 + 1}")
    if extra:
        terms.append(f"({extra})")
    return " ".join(terms)


def in_window(message: dict[str, Any], start_ms: int | None, end_ms: int | None) -> bool:
    """Whether the message's internalDate lies in [start_ms, end_ms)."""
    received = int(message["internalDate"])
    return (start_ms is None or received >= start_ms) and (end_ms is None or received < end_ms)


class MessagesStream(ApiStream[str]):
    """Gmail messages in format=full, oldest first, over the run's window of internalDate."""

    name = "messages"
    path = "/gmail/v1/users/{user_id}/messages"
    primary_keys = ("id",)
    schema = MESSAGE_SCHEMA
    records_jsonpath = "$.messages[*]"
    next_page_token_jsonpath = "$.nextPageToken"

    @cached_property
    def authenticator(self) -> RefreshTokenAuthenticator:
        return RefreshTokenAuthenticator.from_config(self.config, self.tap_name)

    def window(self) -> tuple[int | None, int | None]:
        """[start_date, end_date) in epoch ms (None: unbounded)."""
        start, end = self.configured_window()
        return _epoch_ms(start), _epoch_ms(end)

    def get_url(self, context: Context | None) -> str:
        return f"{self.url_base}/gmail/v1/users/{self._user}/messages"

    def get_url_params(self, context: Context | None,
                       next_page_token: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"maxResults": self.config["page_size"]}
        query = search_query(*self.window(), self.config.get("query"))
        if query:
            params["q"] = query
        if self.config.get("label_ids"):
            params["labelIds"] = list(self.config["label_ids"])
        if next_page_token:
            params["pageToken"] = next_page_token
        return params

    def request_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        start, end = self.window()
        listed = dict.fromkeys(str(item["id"]) for item in super().request_records(context))
        self.logger.info("%s: %d message ids listed in the window", self.tap_name, len(listed))
        fetch = self.request_decorator(self._request)
        gone = 0
        for message_id in reversed(listed):
            message = self._get_message(fetch, message_id, context)
            if message is None:
                gone += 1
            elif in_window(message, start, end):
                yield message
        if gone:
            self.logger.info("%s: %d listed messages were deleted before they could be read",
                             self.tap_name, gone)

    def validate_response(self, response: requests.Response) -> None:
        if response.status_code == 404 and not urlsplit(response.url).path.endswith("/messages"):
            return  # a message deleted between list and get: _get_message skips it
        super().validate_response(response)

    @property
    def _user(self) -> str:
        return quote(str(self.config["user_id"]), safe="")

    def _get_message(self, fetch: RequestFunc, message_id: str,
                     context: Context | None) -> dict[str, Any] | None:
        url = f"{self.url_base}/gmail/v1/users/{self._user}/messages/{quote(message_id, safe='')}"
        request = self.build_prepared_request(method="GET", url=url, params={"format": "full"},
                                              headers=self.http_headers)
        response = fetch(request, context)
        if response.status_code == 404:
            return None
        message: dict[str, Any] = response.json()
        return message


def _epoch_ms(moment: datetime | None) -> int | None:
    return None if moment is None else (moment - _EPOCH) // timedelta(milliseconds=1)
