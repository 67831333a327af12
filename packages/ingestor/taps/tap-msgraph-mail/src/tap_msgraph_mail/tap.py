"""`TapMSGraphMail`: the Singer tap (Meltano Singer SDK) and its settings; `tap-msgraph-mail`."""

from __future__ import annotations

from singer_sdk import Stream, Tap
from singer_sdk import typing as th

from tap_common import common_settings, refresh_token_settings
from tap_msgraph_mail.streams import MessagesStream

__all__ = ["API_URL", "SCOPE", "TOKEN_URL", "TapMSGraphMail"]

API_URL = "https://graph.microsoft.com/v1.0"
TOKEN_URL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
# Read-only mail; offline_access so Microsoft keeps issuing refresh tokens.
SCOPE = "https://graph.microsoft.com/Mail.Read offline_access"


class TapMSGraphMail(Tap):
    """Microsoft Graph messages of one mailbox (every folder), or of one folder (not its child
    folders)."""

    name = "tap-msgraph-mail"
    config_jsonschema = th.PropertiesList(
        # The shared credentials, with Microsoft's scope as the default scope.
        *(setting for setting in refresh_token_settings() if setting.name != "scope"),
        th.Property("scope", th.StringType, default=SCOPE,
                    description="Space-separated scopes to request with the refresh."),
        th.Property("tenant", th.StringType, default="common",
                    description="Entra ID tenant id or domain; replaces {tenant} in token_url."),
        th.Property("user_id", th.StringType, default="me",
                    description="Mailbox to read: `me` (the consented account), or a user id "
                                "or address the account may read (e.g. a shared mailbox)."),
        th.Property("mail_folder_id", th.StringType,
                    description="Only this folder's messages: a folder id or a well-known name "
                                "such as `inbox` (default: every folder)."),
        th.Property("body_content_type", th.StringType, default="html",
                    allowed_values=["html", "text"],
                    description="Body format Graph returns (Prefer: outlook.body-content-type)."),
        th.Property("immutable_ids", th.BooleanType, default=True,
                    description="Ask for immutable message ids (Prefer: IdType=\"ImmutableId\"), "
                                "which stay the same when a message moves to another folder."),
        th.Property("select", th.ArrayType(th.StringType),
                    description="Only these message properties ($select); id and "
                                "receivedDateTime are always included."),
        th.Property("page_size", th.IntegerType, default=100,
                    description="Messages per page ($top, 1-1000)."),
        *common_settings(api_url=API_URL, token_url=TOKEN_URL),
    ).to_dict()

    def discover_streams(self) -> list[Stream]:
        return [MessagesStream(self)]
