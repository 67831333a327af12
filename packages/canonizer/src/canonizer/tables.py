"""The tables the canonizer's jobs write, declared to lorchestra (``lorchestra.tables``)."""

from __future__ import annotations

from canonizer.email_messages import EMAIL_MESSAGES
from lorchestra.api import TableSpec, columns

CANONICAL_OBJECTS = TableSpec(
    name="canonical_objects",
    columns=columns(
        "idem_key STRING!, source_idem_key STRING!, canonical_schema STRING!, "
        "canonical_kind STRING!, transform_ref STRING!, payload JSON, payload_hash STRING!, "
        "source_payload_hash STRING, canonicalized_at TIMESTAMP!"
    ),
    cluster_by=("canonical_kind", "idem_key"),
    key="idem_key",
    backup_kind="canonical",
    references={"source_idem_key": "raw_objects.idem_key"},
    description="Canonical objects derived from raw objects, with lineage.",
    derived=True,
    write_times=("canonicalized_at",),
)

CANONICAL_REJECTIONS = TableSpec(
    name="canonical_rejections",
    columns=columns(
        "idem_key STRING!, source_idem_key STRING!, transform_ref STRING!, "
        "source_payload_hash STRING, reason STRING!, payload_hash STRING!"
    ),
    cluster_by=("idem_key",),
    key="idem_key",
    backup_kind="canonical",
    references={"source_idem_key": "raw_objects.idem_key"},
    description="Raw objects a transform rejected, with a reason naming field and rule only.",
    derived=True,
)

TABLES = (CANONICAL_OBJECTS, CANONICAL_REJECTIONS, EMAIL_MESSAGES)
