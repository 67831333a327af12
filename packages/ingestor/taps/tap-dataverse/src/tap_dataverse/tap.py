"""`TapDataverse`: the Singer tap (Meltano Singer SDK) and its settings; run as `tap-dataverse`."""

from __future__ import annotations

from urllib.parse import urlsplit

from singer_sdk import Stream, Tap
from singer_sdk import typing as th

from tap_common import (
    ClientCredentialsAuthenticator,
    client_credentials_settings,
    common_settings,
)
from tap_dataverse.streams import EntitySet, EntitySetStream

__all__ = ["TOKEN_URL", "TapDataverse", "default_scope"]

TOKEN_URL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"


def default_scope(api_url: str) -> str:
    """The app's Dataverse permissions: `<environment URL>/.default`."""
    parts = urlsplit(api_url)
    return f"{parts.scheme}://{parts.netloc}/.default"


class TapDataverse(Tap):
    """Rows of configured Dataverse entity sets, one stream per entity set."""

    name = "tap-dataverse"
    config_jsonschema = th.PropertiesList(
        *(setting for setting in client_credentials_settings() if setting.name != "scope"),
        th.Property("scope", th.StringType,
                    description="Scope to request (default: the environment URL of api_url "
                                "plus /.default)."),
        th.Property("api_url", th.StringType, required=True,
                    description="The environment's Web API base URL, e.g. "
                                "https://org.crm.dynamics.com/api/data/v9.2."),
        th.Property("entity_sets", th.ArrayType(th.ObjectType(
            th.Property("name", th.StringType, required=True,
                        description="Entity set name, e.g. contacts."),
            th.Property("key", th.StringType, required=True,
                        description="Primary key (GUID) column, e.g. contactid."),
            th.Property("select", th.ArrayType(th.StringType),
                        description="Only these columns (default: all)."),
        )), required=True,
            description="The entity sets to extract, one stream each (named after the set)."),
        th.Property("page_size", th.IntegerType, default=1000,
                    description="Rows per page (Prefer: odata.maxpagesize, 1-5000)."),
        # api_url is declared above: there is no default environment.
        *(setting for setting in common_settings(api_url="", token_url=TOKEN_URL)
          if setting.name != "api_url"),
    ).to_dict()

    def discover_streams(self) -> list[Stream]:
        entity_sets = [EntitySet.from_setting(item) for item in self.config["entity_sets"]]
        names = [entity_set.name for entity_set in entity_sets]
        if len(set(names)) != len(names):
            raise ValueError("Setting entity_sets names an entity set twice.")
        scope = self.config.get("scope") or default_scope(self.config["api_url"])
        authenticator = ClientCredentialsAuthenticator.from_config(
            {**self.config, "scope": scope}, self.name)
        return [EntitySetStream(self, entity_set, authenticator) for entity_set in entity_sets]
