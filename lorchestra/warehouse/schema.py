"""The tables of DESIGN.md, described once and created by each backend its own way.

A ``TableSpec`` names the columns (GoogleSQL types), the partitioning and clustering BigQuery
uses, and for object tables the roles the batched upsert needs: the key, the payload hash, the
columns set only on insert (``first_seen``) and those touched on every sighting (``last_seen``).
``references`` says which columns point at another table's key (``column -> "table.column"``);
data checks (``lorchestra check``) and ``lorchestra lineage`` follow them, naming no table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # GoogleSQL: STRING, INT64, FLOAT64, BOOL, TIMESTAMP, JSON
    required: bool = False


@dataclass(frozen=True)
class TableSpec:
    """One table: columns plus what the upsert and BigQuery need to know about it."""

    name: str
    columns: tuple[Column, ...]
    partition_by: str | None = None
    cluster_by: tuple[str, ...] = ()
    key: str | None = None
    hash_column: str | None = None
    insert_only: tuple[str, ...] = ()
    touch: tuple[str, ...] = ()
    backup_kind: str = "canonical"
    description: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    references: Mapping[str, str] = field(default_factory=dict)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def json_columns(self) -> frozenset[str]:
        return frozenset(c.name for c in self.columns if c.type == "JSON")

    @property
    def data_columns(self) -> tuple[str, ...]:
        """Columns rewritten when the payload hash changes."""
        skip = {self.key, *self.insert_only, *self.touch}
        return tuple(name for name in self.column_names if name not in skip)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


def _cols(spec: str) -> tuple[Column, ...]:
    """Parse ``"name TYPE[!], ..."``; ``!`` marks a required column."""
    columns = []
    for part in spec.split(","):
        name, type_ = part.split()
        columns.append(Column(name, type_.rstrip("!"), type_.endswith("!")))
    return tuple(columns)


_SEEN = "first_seen TIMESTAMP!, last_seen TIMESTAMP!"

EVENT_LOG = TableSpec(
    name="event_log",
    columns=_cols(
        "event_id STRING!, event_type STRING!, source_system STRING, connection_name STRING, "
        "target_object_type STRING, event_schema_ref STRING, correlation_id STRING, "
        "trace_id STRING, created_at TIMESTAMP!, status STRING, error_message STRING, "
        "payload JSON"
    ),
    partition_by="created_at",
    cluster_by=("source_system", "event_type"),
    description="Append-only audit trail; telemetry only, never record contents.",
)

RAW_OBJECTS = TableSpec(
    name="raw_objects",
    columns=_cols(
        "idem_key STRING!, source_system STRING!, connection_name STRING!, "
        "object_type STRING!, schema_ref STRING, external_id STRING!, payload JSON, "
        "payload_hash STRING!, " + _SEEN
    ),
    cluster_by=("source_system", "connection_name", "object_type", "idem_key"),
    key="idem_key",
    hash_column="payload_hash",
    insert_only=("first_seen",),
    touch=("last_seen",),
    backup_kind="raw",
    description="One row per source object, as the source sent it.",
)

CANONICAL_OBJECTS = TableSpec(
    name="canonical_objects",
    columns=_cols(
        "idem_key STRING!, source_idem_key STRING!, canonical_schema STRING!, "
        "canonical_kind STRING!, transform_ref STRING!, payload JSON, payload_hash STRING!, "
        "source_payload_hash STRING, canonicalized_at TIMESTAMP!, " + _SEEN
    ),
    cluster_by=("canonical_kind", "idem_key"),
    key="idem_key",
    hash_column="payload_hash",
    insert_only=("first_seen",),
    touch=("last_seen",),
    references={"source_idem_key": "raw_objects.idem_key"},
    description="Canonical objects derived from raw objects, with lineage.",
)

CANONICAL_REJECTIONS = TableSpec(
    name="canonical_rejections",
    columns=_cols(
        "idem_key STRING!, source_idem_key STRING!, transform_ref STRING!, "
        "source_payload_hash STRING, reason STRING!, payload_hash STRING!, " + _SEEN
    ),
    cluster_by=("idem_key",),
    key="idem_key",
    hash_column="payload_hash",
    insert_only=("first_seen",),
    touch=("last_seen",),
    references={"source_idem_key": "raw_objects.idem_key"},
    description="Raw objects a transform rejected, with a reason naming field and rule only.",
)

MEASUREMENT_EVENTS = TableSpec(
    name="measurement_events",
    columns=_cols(
        "event_key STRING!, source_idem_key STRING!, subject_id STRING!, instrument_id STRING!, "
        "instrument_version STRING, binding_id STRING, binding_version STRING, "
        "occurred_at TIMESTAMP, score FLOAT64, band STRING, scales JSON, bands JSON, "
        "flags JSON, n_missing INT64, prorated BOOL, functional_difficulty INT64, "
        "source_payload_hash STRING, payload_hash STRING!, " + _SEEN
    ),
    cluster_by=("subject_id", "instrument_id"),
    key="event_key",
    hash_column="payload_hash",
    insert_only=("first_seen",),
    touch=("last_seen",),
    backup_kind="measurement",
    references={"source_idem_key": "canonical_objects.idem_key"},
    description="One scored instrument per questionnaire response.",
)

OBSERVATIONS = TableSpec(
    name="observations",
    columns=_cols(
        "observation_key STRING!, event_key STRING!, subject_id STRING!, instrument_id STRING!, "
        "kind STRING!, code STRING!, loinc STRING, value FLOAT64, label STRING, missing BOOL, "
        "occurred_at TIMESTAMP, payload_hash STRING!, " + _SEEN
    ),
    cluster_by=("subject_id", "instrument_id", "event_key"),
    key="observation_key",
    hash_column="payload_hash",
    insert_only=("first_seen",),
    touch=("last_seen",),
    backup_kind="measurement",
    references={"event_key": "measurement_events.event_key"},
    description="One row per item and per scale of a measurement event.",
)

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        EVENT_LOG,
        RAW_OBJECTS,
        CANONICAL_OBJECTS,
        CANONICAL_REJECTIONS,
        MEASUREMENT_EVENTS,
        OBSERVATIONS,
    )
}


def table_spec(name: str) -> TableSpec:
    """Return the spec of a known table, or raise KeyError naming the known ones."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"Unknown table {name!r}; known: {', '.join(TABLES)}") from None
