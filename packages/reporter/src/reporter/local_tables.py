"""The tables a local user gets, described once: columns, types and the GoogleSQL that reads them.

Both local projections (the SQLite copy and the markdown files) read the warehouse through
:func:`fetch`, which returns rows as plain, backend-independent values: timestamps as ISO-8601
UTC text ending in ``Z``, dates as ``YYYY-MM-DD``, JSON as canonical (key-sorted) JSON text,
booleans as ``bool``. Rows come back in a stable order (each query orders by a unique key), so
the same warehouse content always gives the same local bytes.

Columns that change without the content changing are left out on purpose: ``first_seen`` and
``last_seen`` (touched on every pipeline run) and ``inbox_view.hours_since_last_message``
(derived from the clock; compute it from ``last_message_at`` when reading).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson

from lorchestra.api import Warehouse, WarehouseError

Row = dict[str, Any]

# Column kinds and how SQLite stores them.
SQLITE_TYPES = {
    "TEXT": "TEXT",
    "INTEGER": "INTEGER",
    "REAL": "REAL",
    "BOOLEAN": "INTEGER",  # 0/1
    "TIMESTAMP": "TEXT",  # ISO-8601 UTC, e.g. 2026-11-01T16:00:00Z
    "DATE": "TEXT",  # YYYY-MM-DD
    "JSON": "TEXT",  # canonical JSON text
}


@dataclass(frozen=True)
class LocalTable:
    """One local table: its key, its typed columns and the GoogleSQL SELECT feeding it."""

    name: str
    key: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]
    select: str
    needs_view: bool = False

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)


def _cols(spec: str) -> tuple[tuple[str, str], ...]:
    return tuple((part.split()[0], part.split()[1]) for part in spec.split(","))


def _json_select(kinds: tuple[str, ...], fields: dict[str, str], order: str) -> str:
    """SELECT JSON_VALUE(payload, path) AS column ... FROM canonical_objects of some kinds."""
    parts = []
    for column, path in fields.items():
        value = f"JSON_VALUE(payload, '$.{path}')"
        if column in _BOOL_FIELDS:
            value = f"SAFE_CAST({value} AS BOOL)"
        parts.append(f"{value} AS {column}")
    kinds_sql = ", ".join("'" + kind + "'" for kind in kinds)
    return (
        f"SELECT {', '.join(parts)} FROM canonical_objects "
        f"WHERE canonical_kind IN ({kinds_sql}) ORDER BY {order}"
    )


_BOOL_FIELDS = {"active", "has_transcript", "has_notes", "has_summary"}

_CONTACT_FIELDS = {
    "contact_id": "contact_id",
    "first_name": "first_name",
    "last_name": "last_name",
    "full_name": "full_name",
    "email": "email",
    "phone_business": "phones.business",
    "phone_mobile": "phones.mobile",
    "birthdate": "birthdate",
    "address_line1": "address.line1",
    "city": "address.city",
    "state_or_province": "address.state_or_province",
    "postal_code": "address.postal_code",
    "active": "active",
    "created_at": "created_at",
    "modified_at": "modified_at",
}
_SESSION_FIELDS = {
    "session_id": "session_id",
    "contact_id": "contact_id",
    "session_date": "session_date",
    "status": "status",
    "has_transcript": "has_transcript",
    "has_notes": "has_notes",
    "has_summary": "has_summary",
    "created_at": "created_at",
    "modified_at": "modified_at",
}
_DOCUMENT_FIELDS = {
    "document_id": "document_id",
    "session_id": "session_id",
    "contact_id": "contact_id",
    "kind": "kind",
    "text": "text",
    "created_at": "created_at",
    "modified_at": "modified_at",
}
_REPORT_FIELDS = {
    "report_id": "report_id",
    "contact_id": "contact_id",
    "session_id": "session_id",
    "report_type": "report_type",
    "title": "title",
    "report_date": "report_date",
    "text": "text",
    "status": "status",
    "created_at": "created_at",
    "modified_at": "modified_at",
}

_MEASUREMENT_COLUMNS = _cols(
    "event_key TEXT, source_idem_key TEXT, subject_id TEXT, instrument_id TEXT, "
    "instrument_version TEXT, binding_id TEXT, binding_version TEXT, occurred_at TIMESTAMP, "
    "score REAL, band TEXT, scales JSON, bands JSON, flags JSON, n_missing INTEGER, "
    "prorated BOOLEAN, functional_difficulty INTEGER, source_payload_hash TEXT, "
    "payload_hash TEXT"
)
_OBSERVATION_COLUMNS = _cols(
    "observation_key TEXT, event_key TEXT, subject_id TEXT, instrument_id TEXT, kind TEXT, "
    "code TEXT, loinc TEXT, value REAL, label TEXT, missing BOOLEAN, occurred_at TIMESTAMP, "
    "payload_hash TEXT"
)
_INBOX_COLUMNS = _cols(
    "thread_id TEXT, subject TEXT, participants TEXT, first_message_at TIMESTAMP, "
    "last_message_at TIMESTAMP, message_count INTEGER, last_from TEXT, last_from_name TEXT, "
    "awaiting_reply BOOLEAN, contact_id TEXT"
)
_TIMESERIES_COLUMNS = _cols(
    "event_key TEXT, response_key TEXT, subject_id TEXT, instrument_id TEXT, "
    "instrument_version TEXT, scale_id TEXT, occasion INTEGER, occurred_at TIMESTAMP, "
    "score REAL, band TEXT, "
    "change_from_previous REAL, change_from_first REAL, item9_positive BOOLEAN, "
    "invalid_items TEXT, n_missing INTEGER, prorated BOOLEAN"
)
_SNAPSHOT_COLUMNS = _cols(
    "subject_id TEXT, contact_id TEXT, week_start DATE, iso_year INTEGER, iso_week INTEGER, "
    "sessions_held INTEGER, measurements INTEGER, phq9_score REAL, phq9_band TEXT, "
    "gad7_score REAL, gad7_band TEXT, invoices INTEGER, invoiced_minor INTEGER, "
    "payments INTEGER, paid_minor INTEGER, messages INTEGER"
)


def _plain_select(table: str, columns: tuple[tuple[str, str], ...], order: str) -> str:
    return f"SELECT {', '.join(n for n, _ in columns)} FROM {table} ORDER BY {order}"


LOCAL_TABLES: tuple[LocalTable, ...] = (
    LocalTable(
        "inbox_view",
        ("thread_id",),
        _INBOX_COLUMNS,
        _plain_select("inbox_view", _INBOX_COLUMNS, "thread_id"),
        needs_view=True,
    ),
    LocalTable(
        "measurement_timeseries",
        ("event_key", "scale_id"),
        _TIMESERIES_COLUMNS,
        _plain_select(
            "measurement_timeseries",
            _TIMESERIES_COLUMNS,
            "subject_id, instrument_id, scale_id, occasion",
        ),
        needs_view=True,
    ),
    LocalTable(
        "reporting_snapshots",
        ("subject_id", "week_start"),
        _SNAPSHOT_COLUMNS,
        _plain_select("reporting_snapshots", _SNAPSHOT_COLUMNS, "subject_id, week_start"),
        needs_view=True,
    ),
    LocalTable(
        "contacts",
        ("contact_id",),
        tuple((name, "BOOLEAN" if name in _BOOL_FIELDS else "TEXT") for name in _CONTACT_FIELDS),
        _json_select(("contact",), _CONTACT_FIELDS, "contact_id"),
    ),
    LocalTable(
        "sessions",
        ("session_id",),
        tuple((name, "BOOLEAN" if name in _BOOL_FIELDS else "TEXT") for name in _SESSION_FIELDS),
        _json_select(("clinical_session",), _SESSION_FIELDS, "session_id"),
    ),
    LocalTable(
        "session_documents",
        ("document_id",),
        tuple((name, "TEXT") for name in _DOCUMENT_FIELDS),
        _json_select(
            ("session_transcript", "session_note", "session_summary"),
            _DOCUMENT_FIELDS,
            "document_id",
        ),
    ),
    LocalTable(
        "clinical_reports",
        ("report_id",),
        tuple((name, "TEXT") for name in _REPORT_FIELDS),
        _json_select(("clinical_report",), _REPORT_FIELDS, "report_id"),
    ),
    LocalTable(
        "measurement_events",
        ("event_key",),
        _MEASUREMENT_COLUMNS,
        _plain_select("measurement_events", _MEASUREMENT_COLUMNS, "event_key"),
    ),
    LocalTable(
        "observations",
        ("observation_key",),
        _OBSERVATION_COLUMNS,
        _plain_select("observations", _OBSERVATION_COLUMNS, "observation_key"),
    ),
)
TABLES_BY_NAME = {table.name: table for table in LOCAL_TABLES}


class ProjectionsMissing(WarehouseError):
    """A view this job reads does not exist yet; run ``create_projections`` first."""


def fetch(
    bq_client: Warehouse,
    table: LocalTable,
    *,
    batch_size: int = 5_000,
    where: tuple[str, Any] | None = None,
) -> Iterator[list[Row]]:
    """Yield the table's rows in batches, as plain values (see the module docstring);
    ``where`` (a column of a view or plain table, and a value) keeps the rows holding it."""
    sql, params = table.select, None
    if where is not None:
        column, value = where
        if column not in table.column_names or " FROM canonical_objects " in sql:
            raise ValueError(f"{table.name} cannot be filtered on {column!r}")
        head, order = sql.rsplit(" ORDER BY ", 1)
        sql, params = f"{head} WHERE {column} = @value ORDER BY {order}", {"value": value}
    try:
        for batch in bq_client.iter_query(sql, params, batch_size=batch_size):
            yield [
                {name: plain(row.get(name), kind) for name, kind in table.columns} for row in batch
            ]
    except WarehouseError as exc:
        if table.needs_view and not _readable(bq_client, table.name):
            raise ProjectionsMissing(
                f"Reading {table.name} failed ({exc}); create the views first with the "
                "reporter job create_projections."
            ) from exc
        raise


def _readable(bq_client: Warehouse, view: str) -> bool:
    """Whether ``view`` exists and binds (a failed read may have failed for another reason:
    the warehouse's memory, a lost connection)."""
    try:
        bq_client.query(f"SELECT * FROM {view} LIMIT 0")
    except WarehouseError:
        return False
    return True


def fetch_all(bq_client: Warehouse, name: str, where: tuple[str, Any] | None = None) -> list[Row]:
    """All rows of one local table (for the small tables the markdown files need), or those
    ``where`` keeps (see :func:`fetch`)."""
    return [row for batch in fetch(bq_client, TABLES_BY_NAME[name], where=where) for row in batch]


def plain(value: Any, kind: str) -> Any:
    """One warehouse value as the plain Python value stored locally for a column kind."""
    if value is None:
        return None
    if kind == "TIMESTAMP":
        if isinstance(value, datetime):
            moment = value if value.tzinfo else value.replace(tzinfo=UTC)
            return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return str(value)
    if kind == "DATE":
        return value.isoformat() if isinstance(value, date) else str(value)[:10]
    if kind == "JSON":
        if isinstance(value, str):
            try:
                value = orjson.loads(value)
            except orjson.JSONDecodeError:
                return value
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    if kind == "BOOLEAN":
        if isinstance(value, str):
            return value.strip().lower() == "true"
        return bool(value)
    if kind == "INTEGER":
        return int(value)
    if kind == "REAL":
        return float(value) if isinstance(value, (int, float, Decimal, str)) else value
    return value if isinstance(value, str) else str(value)
