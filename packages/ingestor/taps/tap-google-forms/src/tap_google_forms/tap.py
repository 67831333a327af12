"""`TapGoogleForms`: the Singer tap (Meltano Singer SDK) and its settings; `tap-google-forms`."""

from __future__ import annotations

from singer_sdk import Stream, Tap
from singer_sdk import typing as th

from tap_common import common_settings, refresh_token_settings
from tap_google_forms.streams import ResponsesStream

__all__ = ["API_URL", "SETTINGS", "TOKEN_URL", "TapGoogleForms"]

API_URL = "https://forms.googleapis.com"
TOKEN_URL = "https://oauth2.googleapis.com/token"

#: The tap's own settings. `config_jsonschema` is built from them; the SDK adds its built-in
#: ones to that dict in place when it validates a config.
SETTINGS = th.PropertiesList(
    th.Property("form_ids", th.ArrayType(th.StringType), required=True,
                description="Ids of the forms to read (from the form's edit URL "
                            "docs.google.com/forms/d/<id>/edit)."),
    *refresh_token_settings(),
    th.Property("page_size", th.IntegerType, default=5000,
                description="Responses per forms.responses.list page (Forms allows 1-5000)."),
    *common_settings(api_url=API_URL, token_url=TOKEN_URL),
)


class TapGoogleForms(Tap):
    """Google Forms responses (forms.responses.list) of the configured forms."""

    name = "tap-google-forms"
    config_jsonschema = SETTINGS.to_dict()

    def discover_streams(self) -> list[Stream]:
        return [ResponsesStream(self)]
