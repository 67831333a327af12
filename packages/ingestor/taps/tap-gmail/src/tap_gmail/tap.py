"""`TapGmail`: the Singer tap (Meltano Singer SDK) and its settings; run as `tap-gmail`."""

from __future__ import annotations

from singer_sdk import Stream, Tap
from singer_sdk import typing as th

from tap_common import common_settings, refresh_token_settings
from tap_gmail.streams import MessagesStream

__all__ = ["API_URL", "TOKEN_URL", "TapGmail"]

API_URL = "https://gmail.googleapis.com"
TOKEN_URL = "https://oauth2.googleapis.com/token"


class TapGmail(Tap):
    """Gmail messages (users.messages.get, format=full) of one account, outside Spam and Trash."""

    name = "tap-gmail"
    config_jsonschema = th.PropertiesList(
        *refresh_token_settings(),
        th.Property("user_id", th.StringType, default="me",
                    description="Mailbox to read: `me` (the consented account) or its address."),
        th.Property("label_ids", th.ArrayType(th.StringType),
                    description="Only messages carrying all these label ids, e.g. [\"INBOX\"]."),
        th.Property("query", th.StringType,
                    description="Extra Gmail search terms ANDed with the window, "
                                "e.g. `-in:chats`."),
        th.Property("page_size", th.IntegerType, default=500,
                    description="Ids per users.messages.list page (Gmail allows 1-500)."),
        *common_settings(api_url=API_URL, token_url=TOKEN_URL),
    ).to_dict()

    def discover_streams(self) -> list[Stream]:
        return [MessagesStream(self)]
