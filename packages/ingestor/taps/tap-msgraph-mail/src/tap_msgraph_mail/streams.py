"""The `messages` stream: one mailbox's (or one folder's) messages, exactly as Graph lists them.

`GET /me/messages` (or `/users/{user_id}/messages`, or either under
`/mailFolders/{mail_folder_id}`) with `$filter=receivedDateTime ge <start> and … lt <end>`,
`$orderby=receivedDateTime asc` and `$top`, then `@odata.nextLink` page after page (see
`tap_common.ODataStream`): oldest first, exactly the window [`start_date`, `end_date`) of
receivedDateTime, with no bookmark of the tap's own. lorchestra starts each window its
connection's `overlap_seconds` before the last one's end, because a message moved into the
folder (or delivered late) keeps its original receivedDateTime. The `Prefer` header picks HTML
(the default) or text bodies (`outlook.body-content-type`) and, unless `immutable_ids` is off,
immutable ids (`IdType="ImmutableId"`): a message's default id changes when it moves to another
folder, which would make it a new record downstream. `select` narrows the properties (id and
receivedDateTime are always asked for).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import Any
from urllib.parse import quote

from singer_sdk import Tap
from singer_sdk.helpers.types import Context

from tap_common import ODataStream, RefreshTokenAuthenticator

__all__ = ["MESSAGE_SCHEMA", "MessagesStream", "messages_path", "prefer_header", "select_option"]

_ALWAYS_SELECTED = ("id", "receivedDateTime")


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


# The SDK conforms each item of an array of objects to the item schema, which therefore
# names its properties (`emailAddress`, an object passed through as is) and stays open.
_RECIPIENTS = _nullable("array", items={"type": "object", "additionalProperties": True,
                                        "properties": {"emailAddress": _nullable("object")}})

# The properties named for the catalog; objects without `properties` pass through untouched,
# and additionalProperties keeps every other property Graph returns (or adds later).
MESSAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": True,
    "properties": {
        "id": {"type": "string"},
        "receivedDateTime": _nullable("string", format="date-time"),
        "sentDateTime": _nullable("string", format="date-time"),
        "createdDateTime": _nullable("string", format="date-time"),
        "lastModifiedDateTime": _nullable("string", format="date-time"),
        "internetMessageId": _nullable("string"),
        "conversationId": _nullable("string"),
        "parentFolderId": _nullable("string"),
        "subject": _nullable("string"),
        "bodyPreview": _nullable("string"),
        "body": _nullable("object"),
        "from": _nullable("object"),
        "sender": _nullable("object"),
        "toRecipients": _RECIPIENTS,
        "ccRecipients": _RECIPIENTS,
        "bccRecipients": _RECIPIENTS,
        "replyTo": _RECIPIENTS,
        "categories": _nullable("array", items={"type": "string"}),
        "importance": _nullable("string"),
        "isRead": _nullable("boolean"),
        "isDraft": _nullable("boolean"),
        "hasAttachments": _nullable("boolean"),
    },
    "required": ["id"],
}


def messages_path(user: str | None, folder: str | None) -> str:
    """`/me/messages`, `/users/{user}/messages`, or either under `/mailFolders/{folder}`."""
    mailbox = "/me" if user is None else f"/users/{user}"
    return f"{mailbox}/mailFolders/{folder}/messages" if folder else f"{mailbox}/messages"


def prefer_header(body_content_type: str, immutable_ids: bool) -> str:
    """The `Prefer` header: the body format and, optionally, immutable ids."""
    prefer = f'outlook.body-content-type="{body_content_type}"'
    return prefer + ', IdType="ImmutableId"' if immutable_ids else prefer


def select_option(columns: Iterable[str]) -> str:
    """The `$select` value: `columns` plus what the stream needs, each once, in order."""
    return ",".join(dict.fromkeys([*_ALWAYS_SELECTED, *columns]))


class MessagesStream(ODataStream):
    """Graph message resources, oldest first, over the run's window of receivedDateTime."""

    name = "messages"
    primary_keys = ("id",)
    window_column = "receivedDateTime"
    schema = MESSAGE_SCHEMA

    def __init__(self, tap: Tap) -> None:
        super().__init__(tap)
        # Messages name the path template: the filled-in path holds a mailbox address.
        self.path = messages_path(None if self._me else "{user_id}",
                                  "{mail_folder_id}" if self.config.get("mail_folder_id")
                                  else None)

    @cached_property
    def authenticator(self) -> RefreshTokenAuthenticator:
        tenant = quote(str(self.config["tenant"]), safe="")
        token_url = str(self.config["token_url"]).replace("{tenant}", tenant)
        return RefreshTokenAuthenticator.from_config({**self.config, "token_url": token_url},
                                                     self.tap_name)

    @property
    def http_headers(self) -> dict[str, str]:
        return {**super().http_headers, "Prefer": prefer_header(
            self.config["body_content_type"], bool(self.config["immutable_ids"]))}

    def get_url(self, context: Context | None) -> str:
        folder = self.config.get("mail_folder_id")
        return self.url_base + messages_path(
            # `@` may stay as is in a path segment; Graph documents /users/{address} with it.
            None if self._me else quote(str(self.config["user_id"]), safe="@"),
            quote(str(folder), safe="") if folder else None)

    def odata_options(self, context: Context | None) -> dict[str, str]:
        options = {"$top": str(self.config["page_size"])}
        if self.config.get("select"):
            options["$select"] = select_option(self.config["select"])
        return options

    @property
    def _me(self) -> bool:
        return str(self.config["user_id"]) == "me"
