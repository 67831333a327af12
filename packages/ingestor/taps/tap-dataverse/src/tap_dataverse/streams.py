"""One stream per configured entity set: its rows exactly as the Dataverse Web API returns them.

The setting `entity_sets` lists `{"name": "contacts", "key": "contactid", "select": [...]}`; each
becomes a stream of that name whose records are the rows as listed, `@odata.etag` annotation
included (as in lorchestra's sample data), keyed by the entity's GUID column. A stream asks
`GET {api_url}/{name}` with `$filter=modifiedon ge <start> and modifiedon lt <end>`,
`$orderby=modifiedon asc,<key> asc` (the unique key keeps paging stable among rows modified in
the same second), `$select` when columns are configured (the key and modifiedon are always
added) and `Prefer: odata.maxpagesize`, which Dataverse wants on every page request, then
follows `@odata.nextLink` (see `tap_common.ODataStream`). Oldest first, exactly the window
[`start_date`, `end_date`) of modifiedon, with no bookmark of the tap's own. lorchestra starts
each window its connection's `overlap_seconds` before the last one's end, because modifiedon is
stamped when an update starts and a long transaction can commit a row older than one already
read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from singer_sdk import Tap
from singer_sdk.helpers.types import Context

from tap_common import ClientCredentialsAuthenticator, ODataStream

__all__ = ["EntitySet", "EntitySetStream", "entity_set_schema"]

WINDOW_COLUMN = "modifiedon"
_LOGICAL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class EntitySet:
    """One configured entity set: its name, its GUID key column and optional columns."""

    name: str
    key: str
    select: tuple[str, ...] = ()

    @classmethod
    def from_setting(cls, value: Mapping[str, Any]) -> EntitySet:
        """Read and check one item of the `entity_sets` setting."""
        name, key, select = value.get("name"), value.get("key"), value.get("select") or []
        for what, text in [("name", name), ("key", key), *(("select column", c) for c in select)]:
            if not isinstance(text, str) or not _LOGICAL_NAME.fullmatch(text):
                raise ValueError(f"Setting entity_sets: {what} {text!r} is not a Dataverse "
                                 "logical name (letters, digits and underscores).")
        return cls(str(name), str(key), tuple(str(column) for column in select))

    def select_option(self) -> str | None:
        """The `$select` value (key and modifiedon first), or None for every column."""
        if not self.select:
            return None
        return ",".join(dict.fromkeys([self.key, WINDOW_COLUMN, *self.select]))


def entity_set_schema(key: str) -> dict[str, Any]:
    """An open schema naming the key and the timestamps; every other column passes through."""
    return {
        "type": "object",
        "additionalProperties": True,
        "properties": {
            key: {"type": "string"},
            "createdon": {"type": ["string", "null"], "format": "date-time"},
            WINDOW_COLUMN: {"type": ["string", "null"], "format": "date-time"},
        },
        "required": [key],
    }


class EntitySetStream(ODataStream):
    """The rows of one entity set, oldest first, over the run's window of modifiedon."""

    window_column = WINDOW_COLUMN

    def __init__(self, tap: Tap, entity_set: EntitySet,
                 authenticator: ClientCredentialsAuthenticator) -> None:
        super().__init__(tap, name=entity_set.name, schema=entity_set_schema(entity_set.key),
                         path=f"/{entity_set.name}")
        self.primary_keys = (entity_set.key,)
        self.entity_set = entity_set
        self._authenticator = authenticator  # one token for every stream of the run

    @property
    def authenticator(self) -> ClientCredentialsAuthenticator:
        return self._authenticator

    @property
    def http_headers(self) -> dict[str, str]:
        return {**super().http_headers, "OData-MaxVersion": "4.0", "OData-Version": "4.0",
                "Prefer": f"odata.maxpagesize={self.config['page_size']}"}

    def order_by(self) -> str:
        return f"{WINDOW_COLUMN} asc,{self.entity_set.key} asc"

    def odata_options(self, context: Context | None) -> dict[str, str]:
        select = self.entity_set.select_option()
        return {"$select": select} if select else {}
