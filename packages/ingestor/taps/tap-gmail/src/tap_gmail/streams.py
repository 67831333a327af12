"""The `messages` stream: every message of one Gmail account, as users.messages.get returns it.

Gmail's list (`users.messages.list`) gives only ids, newest first, so a run cannot move a
bookmark forward while it lists. It therefore lists every id of the window first (ids are
small: a million take tens of MB), then fetches the messages oldest first (the list reversed)
with `format=full` and emits each one unchanged. The bookmark is `internalDate` (epoch ms, a
string) of the last message emitted; it reaches the output every 100 records and is written
as the tap's last message if the run fails (see `tap_common.ApiStream`), so an interrupted run
resumes from there. The list order is Gmail's and can disagree with internalDate by a little
(e.g. imported mail), so the next run starts `overlap_seconds` before the bookmark: messages
emitted twice are deduplicated downstream by id, and none is skipped.

The window is [start, end): start is the bookmark minus the overlap (never before
`start_date`), else `start_date`; end is `end_date`. Gmail's `after:`/`before:` take whole
seconds and their boundaries are not documented as inclusive or exclusive, so the search asks
for one second more on each side and the exact window is applied to each message's
internalDate.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from singer_sdk.helpers.types import Context, RequestFunc

from tap_common import ApiStream, RefreshTokenAuthenticator, parse_instant

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
    """Gmail messages in format=full, oldest first, incremental by internalDate."""

    name = "messages"
    path = "/gmail/v1/users/{user_id}/messages"
    primary_keys = ("id",)
    replication_key = "internalDate"
    schema = MESSAGE_SCHEMA
    records_jsonpath = "$.messages[*]"
    next_page_token_jsonpath = "$.nextPageToken"

    @property
    def is_sorted(self) -> bool:
        return True  # emitted oldest first, so the bookmark may advance as records go out

    @property
    def check_sorted(self) -> bool:
        return False  # list order may stray from internalDate a little; the overlap covers it

    @cached_property
    def authenticator(self) -> RefreshTokenAuthenticator:
        return RefreshTokenAuthenticator.from_config(self.config, self.tap_name)

    def window(self, context: Context | None) -> tuple[int | None, int | None]:
        """[start, end) in epoch ms (None: unbounded) from the bookmark and the settings."""
        start = _setting_ms(self.config, "start_date")
        # The SDK's starting value is the bookmark (epoch ms digits) or, lacking one, start_date.
        bookmark = self.get_starting_replication_key_value(context)
        if isinstance(bookmark, str) and bookmark.isdigit():
            resume = int(bookmark) - int(self.config["overlap_seconds"]) * 1000
            start = resume if start is None else max(start, resume)
        return start, _setting_ms(self.config, "end_date")

    def get_url(self, context: Context | None) -> str:
        return f"{self.url_base}/gmail/v1/users/{self._user}/messages"

    def get_url_params(self, context: Context | None,
                       next_page_token: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"maxResults": self.config["page_size"]}
        query = search_query(*self.window(context), self.config.get("query"))
        if query:
            params["q"] = query
        if self.config.get("label_ids"):
            params["labelIds"] = list(self.config["label_ids"])
        if next_page_token:
            params["pageToken"] = next_page_token
        return params

    def request_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        start, end = self.window(context)
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


def _setting_ms(config: Any, name: str) -> int | None:
    value = config.get(name)
    if not value:
        return None
    return (parse_instant(value, name) - _EPOCH) // timedelta(milliseconds=1)
