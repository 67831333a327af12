"""The only write path: audit events and idempotent, batched, hash-aware upserts.

``emit``/``log_event`` append to ``event_log`` (telemetry only: ids, counts, timings).
``upsert_objects`` writes source objects to ``raw_objects``; ``upsert`` writes rows to any keyed
table an installed package declares (``lorchestra.tables``). Both batch the input,
back each batch up to JSONL first, stage it and apply one MERGE, and count exactly what
happened: ``inserted``, ``updated`` (payload changed), ``unchanged`` (only ``last_seen``
moved) and ``rejected`` (with reasons that name positions, never contents).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

from lorchestra.backup import append_backup, append_backup_lines, backup_line, backup_path
from lorchestra.errors import WarehouseError
from lorchestra.keys import ring_for
from lorchestra.logs import get_logger
from lorchestra.run_context import current_run, new_run_id
from lorchestra.sealed import KeyRing, sealed_path
from lorchestra.stack_clients.ndjson_chunks import (
    canonical_bytes,
    field_getter,
    key_prefix,
    raw_object_row,
)
from lorchestra.warehouse.base import Row, Warehouse
from lorchestra.warehouse.registry import table_spec
from lorchestra.warehouse.schema import EVENT_LOG, RAW_OBJECTS, TableSpec

DEFAULT_BATCH_SIZE = 20_000
log = get_logger(__name__)


@dataclass(frozen=True)
class Rejection:
    """An input that was not written; ``reason`` names its position, never its contents."""

    position: int
    reason: str


@dataclass
class UpsertResult:
    """Exact counts of one upsert call."""

    table: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    batches: int = 0
    backup_files: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.rejections)

    @property
    def written(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def counts(self) -> dict[str, int]:
        return {
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }

    def merge_from(self, other: UpsertResult) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejections.extend(other.rejections)
        self.batches += other.batches
        self.backup_files.extend(f for f in other.backup_files if f not in self.backup_files)


# -- events -----------------------------------------------------------------------------------
def log_event(
    bq_client: Warehouse,
    *,
    event_type: str,
    source_system: str | None = None,
    connection_name: str | None = None,
    target_object_type: str | None = None,
    event_schema_ref: str | None = None,
    correlation_id: str | None = None,
    trace_id: str | None = None,
    status: str = "ok",
    error_message: str | None = None,
    payload: Mapping[str, Any] | None = None,
    created_at: datetime | None = None,
) -> str:
    """Append one row with every ``event_log`` column; returns its ``event_id``."""
    run = current_run()
    event_id = str(uuid.uuid4())
    row: Row = {
        "event_id": event_id,
        "event_type": event_type,
        "source_system": source_system,
        "connection_name": connection_name,
        "target_object_type": target_object_type,
        "event_schema_ref": event_schema_ref,
        "correlation_id": correlation_id or (run.run_id if run else None),
        "trace_id": trace_id or (run.trace_id if run else None),
        "created_at": created_at or datetime.now(UTC),
        "status": status,
        "error_message": error_message,
        "payload": orjson.dumps(dict(payload or {}), default=str).decode(),
    }
    # Backed up first, like every object batch: a rebuilt warehouse keeps run history, resume
    # windows and the "sent" records that stop a report or alert going out twice.
    target, ring = _backup_target(EVENT_LOG)
    if target is not None:
        append_backup(target, EVENT_LOG, [row], ring)
    bq_client.append(EVENT_LOG, [row])
    log.info(event_type, status=status, source=source_system, event_id=event_id)
    return event_id


def emit(
    bq_client: Warehouse,
    event_type: str,
    source: str,
    data: Mapping[str, Any] | None = None,
    *,
    status: str = "ok",
    correlation_id: str | None = None,
    trace_id: str | None = None,
    connection_name: str | None = None,
    target_object_type: str | None = None,
    event_schema_ref: str | None = None,
    error_message: str | None = None,
) -> str:
    """Append an event: ``emit(bq_client, "ingest.completed", "gmail", {"inserted": 3})``."""
    return log_event(
        bq_client,
        event_type=event_type,
        source_system=source,
        connection_name=connection_name,
        target_object_type=target_object_type,
        event_schema_ref=event_schema_ref,
        correlation_id=correlation_id,
        trace_id=trace_id,
        status=status,
        error_message=error_message,
        payload=data,
    )


# -- upserts ----------------------------------------------------------------------------------
ExternalId = str | Callable[[Mapping[str, Any]], Any]


def upsert_objects(
    bq_client: Warehouse,
    objects: Iterable[Any],
    *,
    source_system: str,
    connection_name: str,
    object_type: str,
    external_id: ExternalId,
    schema_ref: str | None = None,
    correlation_id: str | None = None,
    batch_size: int | None = None,
    emit_event: bool = True,
) -> UpsertResult:
    """Write source objects to ``raw_objects`` idempotently; see the module docstring."""
    result = UpsertResult(RAW_OBJECTS.name)
    get_id = external_id if callable(external_id) else field_getter(external_id)
    id_name = external_id if isinstance(external_id, str) else "external id"
    now = datetime.now(UTC)
    source = (source_system, connection_name, object_type, schema_ref)
    prefix = key_prefix(source)

    def rows() -> Iterator[Row]:
        for position, obj in enumerate(objects, start=1):
            if type(obj) is not dict and not isinstance(obj, Mapping):  # dict: no ABC check
                result.rejections.append(
                    Rejection(position, f"record {position}: not a JSON object")
                )
                continue
            try:
                value = get_id(obj)
            except Exception:  # noqa: BLE001 - a failing id callable rejects only this record
                value = None
            if value is None or value == "" or isinstance(value, (dict, list)):
                result.rejections.append(
                    Rejection(position, f"record {position}: no value at {id_name!r}")
                )
                continue
            ext = str(value)
            encoded = canonical_bytes(obj)
            digest = hashlib.sha256(encoded).hexdigest()
            yield raw_object_row(source, prefix + ext, ext, encoded.decode(), digest, now)

    _apply(bq_client, RAW_OBJECTS, rows(), result, batch_size)
    if emit_event:
        emit(
            bq_client,
            "upsert.completed",
            source_system,
            {"table": RAW_OBJECTS.name, **result.counts()},
            connection_name=connection_name,
            target_object_type=object_type,
            correlation_id=correlation_id,
        )
    return result


def upsert(
    bq_client: Warehouse,
    table: str | TableSpec,
    rows: Iterable[Mapping[str, Any]],
    *,
    key: str | None = None,
    batch_size: int | None = None,
    correlation_id: str | None = None,
    emit_event: bool = True,
) -> UpsertResult:
    """Write rows to a keyed table idempotently; JSON columns may hold Python values."""
    spec = table if isinstance(table, TableSpec) else table_spec(table)
    if key is not None and key != spec.key:
        raise ValueError(f"Table {spec.name} is keyed by {spec.key!r}, not {key!r}.")
    result = UpsertResult(spec.name)
    now = datetime.now(UTC)
    hashed = [
        c for c in spec.column_names if c not in {spec.hash_column, *spec.insert_only, *spec.touch}
    ]

    # Per-table facts looked up once, not once per row and column.
    json_columns = spec.json_columns
    names = [column.name for column in spec.columns]
    stamped = (*spec.insert_only, *spec.touch)
    required_times = [c.name for c in spec.columns if c.type == "TIMESTAMP" and c.required]

    def prepared() -> Iterator[Row]:
        for position, source in enumerate(rows, start=1):
            if not isinstance(source, Mapping) or not source.get(spec.key or ""):
                result.rejections.append(
                    Rejection(position, f"row {position}: no value for key {spec.key!r}")
                )
                continue
            row: Row = {name: source.get(name) for name in names}
            for name in json_columns:
                value = row[name]
                if value is not None and not isinstance(value, str):
                    row[name] = _canonical_json(value)
            for name in stamped:
                row[name] = now
            for name in required_times:
                if row[name] is None:
                    row[name] = now
            if spec.hash_column and not row.get(spec.hash_column):
                row[spec.hash_column] = _sha256(
                    _canonical_json({name: row[name] for name in hashed})
                )
            yield row

    _apply(bq_client, spec, prepared(), result, batch_size)
    if emit_event:
        emit(
            bq_client,
            "upsert.completed",
            "lorchestra",
            {"table": spec.name, **result.counts()},
            target_object_type=spec.name,
            correlation_id=correlation_id,
        )
    return result


def apply_rows(
    bq_client: Warehouse,
    spec: TableSpec,
    rows: Iterable[Row],
    *,
    batch_size: int | None = None,
    backup: bool = True,
) -> UpsertResult:
    """Apply already-prepared rows (as from a backup file); used by ``replay``.

    A keyless (append-only) table such as ``event_log`` is replayed by identity: its first
    column (``event_id``) names a row, and only rows not already present are appended, so
    replaying a file twice, or over a warehouse that still holds it, adds nothing.
    """
    result = UpsertResult(spec.name)
    if spec.key is None:
        _append_new(bq_client, spec, list(rows), result)
        return result
    _apply(bq_client, spec, iter(rows), result, batch_size, backup=backup)
    return result


def _append_new(
    bq_client: Warehouse, spec: TableSpec, rows: list[Row], result: UpsertResult
) -> None:
    identity = spec.columns[0].name
    bq_client.ensure_tables([spec])
    present: set[str] = set()
    ids = [str(row[identity]) for row in rows]
    for start in range(0, len(ids), 5_000):
        found = bq_client.query(
            f"SELECT {identity} AS id FROM {spec.name} WHERE {identity} IN UNNEST(@ids)",
            {"ids": ids[start : start + 5_000]},
        )
        present.update(str(row["id"]) for row in found)
    fresh: dict[str, Row] = {}
    for row in rows:
        if str(row[identity]) in present or str(row[identity]) in fresh:
            result.unchanged += 1
        else:
            fresh[str(row[identity])] = row
    if fresh:
        bq_client.append(spec, list(fresh.values()))
    result.inserted += len(fresh)
    result.batches += 1


def _apply(
    bq_client: Warehouse,
    spec: TableSpec,
    rows: Iterator[Row],
    result: UpsertResult,
    batch_size: int | None,
    *,
    backup: bool = True,
) -> None:
    """Back up, stage and merge ``rows`` batch by batch, counting exactly (see ``Merges``)."""
    size = batch_size or _configured_batch_size()
    key_name, hash_name = spec.key or "", spec.hash_column or ""
    table = spec.name.encode()
    with Merges(bq_client, spec, result, backup=backup) as merges:
        while batch := list(islice(rows, size)):
            keys = [row[key_name] for row in batch]
            # The last row of a key wins, at the place of its first; ``order`` counts them all.
            final = list(dict(zip(keys, batch, strict=True)).values())
            order = list(zip(keys, [row[hash_name] for row in batch], strict=True))
            if merges.backs_up:
                merges.back_up(b"".join(backup_line(table, row) for row in final))
            merges.send(final, order)


class Merges:
    """Batches merged one at a time, on a worker thread, while the caller prepares the next:
    the warehouse releases the GIL, so on two cores preparing and writing overlap. Each batch
    is counted into ``result`` once its merge is done; its backup is appended before it is sent.
    """

    def __init__(
        self, bq_client: Warehouse, spec: TableSpec, result: UpsertResult, *, backup: bool = True
    ) -> None:
        self.bq_client, self.spec, self.result = bq_client, spec, result
        self.target, self.ring = _backup_target(spec) if backup else (None, None)
        self.number = 0
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lorchestra-merge")
        self._flying: tuple[Future[dict[str, str]], int, list[tuple[str, str]]] | None = None
        self._done: Callable[[], None] | None = None

    @property
    def backs_up(self) -> bool:
        return self.target is not None

    def back_up(self, lines: bytes) -> None:
        """Append the next batch's backup lines (``backup_line``) to this run's backup."""
        if self.target is None:
            return
        append_backup_lines(self.target, lines, self.ring)
        if str(self.target) not in self.result.backup_files:
            self.result.backup_files.append(str(self.target))

    def send(
        self,
        rows: list[Row],
        order: list[tuple[str, str]],
        complete: Callable[[Sequence[Row]], None] | None = None,
        done: Callable[[], None] | None = None,
    ) -> None:
        """Merge ``rows`` (one per key; ``order``: every input's key and hash) once the batch
        before has been; ``complete`` fills in columns left None, ``done`` runs once merged."""
        self.wait()
        self.number += 1
        extra = () if complete is None else (complete,)
        merge = self._pool.submit(self.bq_client.merge, self.spec, rows, *extra)
        self._flying, self._done = (merge, self.number, order), done

    def wait(self) -> None:
        """Wait for the batch in flight and count it (its error names it and its backup)."""
        if self._flying is None:
            return
        flying, done = self._flying, self._done
        self._flying = self._done = None
        _finish(self.spec, flying, self.result, self.target)
        if done is not None:
            done()

    def __enter__(self) -> Merges:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        try:
            if exc_type is None:
                self.wait()
        finally:
            self._pool.shutdown(wait=True)


def _finish(
    spec: TableSpec,
    in_flight: tuple[Future[dict[str, str]], int, list[tuple[str, str]]],
    result: UpsertResult,
    target: Path | None,
) -> None:
    future, number, order = in_flight
    try:
        existing = future.result()
    except WarehouseError as exc:
        hint = (
            f" Batch {number} is saved in {target}; re-apply it with `lorchestra replay {target}`."
            if target
            else ""
        )
        raise type(exc)(f"Writing batch {number} to {spec.name} failed: {exc}.{hint}") from exc
    _count(order, existing, result)
    result.batches += 1


def _count(order: list[tuple[str, str]], existing: dict[str, str], result: UpsertResult) -> None:
    """Count as if each input row were applied in order, duplicates within the batch included."""
    seen = dict(existing)
    for key, digest in order:
        before = seen.get(key)
        if before is None:
            result.inserted += 1
        elif before == digest:
            result.unchanged += 1
        else:
            result.updated += 1
        seen[key] = digest


def _backup_target(spec: TableSpec) -> tuple[Path | None, KeyRing | None]:
    """Where this run backs up ``spec``'s batches, and the key ring when they are sealed."""
    run = current_run()
    if run is None or run.home is None:
        return None, None
    ring = ring_for(run.settings) if run.settings is not None else None
    path = backup_path(run.home, spec.backup_kind, run.run_id, run.started_at)
    return (sealed_path(path) if ring else path), ring


def _configured_batch_size() -> int:
    run = current_run()
    if run is not None and run.settings is not None:
        return run.settings.warehouse.batch_size
    return DEFAULT_BATCH_SIZE


def _canonical_json(value: Any) -> str:
    return canonical_bytes(value).decode()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


__all__ = [
    "Rejection",
    "UpsertResult",
    "apply_rows",
    "emit",
    "log_event",
    "new_run_id",
    "upsert",
    "upsert_objects",
]
