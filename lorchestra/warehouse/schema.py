"""How a table is described: its columns, and what the upsert and BigQuery need to know.

A ``TableSpec`` names the columns (GoogleSQL types), the partitioning and clustering BigQuery
uses, and for keyed tables the roles the batched upsert needs: the key, the payload hash, the
columns set only on insert (``first_seen``) and those touched on every sighting (``last_seen``).
A keyed table need only name its own columns and its key: the hash and first/last-seen columns
are added here, so every keyed table can be upserted the same way. ``references`` says which
columns point at another table's key (``column -> "table.column"``); data checks
(``lorchestra check``) and ``lorchestra lineage`` follow them, naming no table.

The core declares only its own two tables here, ``event_log`` and ``raw_objects``; packages
declare theirs under the ``lorchestra.tables`` entry-point group (see ``warehouse.registry``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

TYPES = frozenset({"STRING", "INT64", "FLOAT64", "BOOL", "TIMESTAMP", "JSON"})
HASH_COLUMN = "payload_hash"
FIRST_SEEN = "first_seen"
LAST_SEEN = "last_seen"


@dataclass(frozen=True)
class Column:
    """One column: ``Column("widget_id", "STRING", required=True)``."""

    name: str
    type: str  # GoogleSQL: STRING, INT64, FLOAT64, BOOL, TIMESTAMP, JSON
    required: bool = False
    phi: bool = True  # may hold PHI (lorchestra.phi); False only for ids, types and timestamps
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"Column name {self.name!r} is not a plain identifier.")
        if self.type not in TYPES:
            raise ValueError(
                f"Column {self.name!r} has type {self.type!r}; "
                f"use one of {', '.join(sorted(TYPES))}."
            )


@dataclass(frozen=True)
class TableSpec:
    """One table: columns plus what the upsert and BigQuery need to know about it.

    ``TableSpec(name="acme_widgets", columns=[Column("widget_id", "STRING", required=True),
    Column("size", "INT64")], key="widget_id")`` declares a keyed table that
    ``upsert(bq_client, "acme_widgets", rows)`` writes; ``payload_hash``, ``first_seen`` and
    ``last_seen`` are added. A table without a key is append-only.
    """

    name: str
    columns: Sequence[Column]  # kept as a tuple
    partition_by: str | None = None
    cluster_by: Sequence[str] = ()  # kept as a tuple
    key: str | None = None
    hash_column: str | None = None
    insert_only: tuple[str, ...] = ()
    touch: tuple[str, ...] = ()
    backup_kind: str = ""  # the backup folder; the table name when empty
    description: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    references: Mapping[str, str] = field(default_factory=dict)
    # Rebuilt from raw_objects by the package's own jobs: `lorchestra clean --derived` empties
    # it and `lorchestra rebuild` fills it again.
    derived: bool = False
    # Columns set to the time of the write, not derived from the data (e.g. a canonicalisation
    # time). With the insert-only and touched columns they are the row's write times, which
    # `lorchestra rebuild` keeps for every row it makes again unchanged.
    write_times: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"Table name {self.name!r} is not a plain identifier.")
        columns = tuple(self.columns)
        cluster_by = tuple(self.cluster_by)
        names = [c.name for c in columns]
        if self.key is not None:
            if self.key not in names:
                raise ValueError(f"Table {self.name}: key {self.key!r} is not one of its columns.")
            columns = _with_bookkeeping(columns, self)
            if self.hash_column is None:
                object.__setattr__(self, "hash_column", HASH_COLUMN)
            if not self.insert_only and not self.touch:
                object.__setattr__(self, "insert_only", (FIRST_SEEN,))
                object.__setattr__(self, "touch", (LAST_SEEN,))
            if not cluster_by:
                cluster_by = (self.key,)
        unknown = [n for n in self.write_times if n not in names]
        if unknown:
            raise ValueError(f"Table {self.name}: write time {unknown[0]!r} is not a column.")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"Table {self.name}: column(s) {', '.join(duplicates)} repeated.")
        object.__setattr__(self, "columns", columns)
        object.__setattr__(self, "cluster_by", cluster_by)
        if not self.backup_kind:
            object.__setattr__(self, "backup_kind", self.name)

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

    @property
    def kept_times(self) -> tuple[str, ...]:
        """The write-time columns a rebuild carries over: insert-only, touched and declared."""
        return tuple(dict.fromkeys((*self.insert_only, *self.touch, *self.write_times)))

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


def _with_bookkeeping(columns: tuple[Column, ...], spec: TableSpec) -> tuple[Column, ...]:
    """Add the hash and first/last-seen columns a keyed table needs, where it lacks them."""
    present = {c.name for c in columns}
    wanted = [Column(spec.hash_column or HASH_COLUMN, "STRING", required=True, phi=False)]
    if not spec.insert_only and not spec.touch:
        wanted += [
            Column(FIRST_SEEN, "TIMESTAMP", required=True, phi=False),
            Column(LAST_SEEN, "TIMESTAMP", required=True, phi=False),
        ]
    return columns + tuple(c for c in wanted if c.name not in present)


def columns(spec: str, not_phi: tuple[str, ...] = ()) -> tuple[Column, ...]:
    """Parse ``"name TYPE[!], ..."`` (``!`` marks a required column): a compact column list.

    ``not_phi`` names the columns that never hold PHI (ids, types, timestamps).
    """
    parsed = []
    for part in spec.split(","):
        name, type_ = part.split()
        parsed.append(
            Column(name, type_.rstrip("!"), type_.endswith("!"), phi=name not in not_phi)
        )
    return tuple(parsed)


EVENT_LOG = TableSpec(
    name="event_log",
    columns=columns(
        "event_id STRING!, event_type STRING!, source_system STRING, connection_name STRING, "
        "target_object_type STRING, event_schema_ref STRING, correlation_id STRING, "
        "trace_id STRING, created_at TIMESTAMP!, status STRING, error_message STRING, "
        "payload JSON",
        # Telemetry only: argument values and error messages are masked before they get here.
        not_phi=(
            "event_id", "event_type", "source_system", "connection_name", "target_object_type",
            "event_schema_ref", "correlation_id", "trace_id", "created_at", "status",
            "error_message", "payload",
        ),
    ),
    partition_by="created_at",
    cluster_by=("source_system", "event_type"),
    backup_kind="events",
    description="Append-only audit trail; telemetry only, never record contents.",
)

RAW_OBJECTS = TableSpec(
    name="raw_objects",
    columns=columns(
        "idem_key STRING!, source_system STRING!, connection_name STRING!, "
        "object_type STRING!, schema_ref STRING, external_id STRING!, payload JSON",
        not_phi=(
            "idem_key", "source_system", "connection_name", "object_type", "schema_ref",
            "external_id",
        ),
    ),
    cluster_by=("source_system", "connection_name", "object_type", "idem_key"),
    key="idem_key",
    backup_kind="raw",
    description="One row per source object, as the source sent it.",
)

CORE_TABLES: tuple[TableSpec, ...] = (EVENT_LOG, RAW_OBJECTS)
