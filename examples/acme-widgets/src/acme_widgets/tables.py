"""The table this package writes; lorchestra adds payload_hash, first_seen and last_seen."""

from __future__ import annotations

from lorchestra.api import Column, TableSpec

TABLES = [
    TableSpec(
        name="acme_widgets",
        columns=[
            Column("widget_id", "STRING", required=True),
            Column("name", "STRING"),
            Column("size", "INT64"),
        ],
        key="widget_id",
        description="Widgets from the ACME catalogue, one row per widget.",
    )
]
