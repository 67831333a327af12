"""JSONL backups of every batch written, and replay of them.

Before a batch reaches the warehouse it is appended to
``<home>/backup/<kind>/YYYY-MM-DD/run_<run_id>.jsonl`` (0600), one ``{"table", "row"}`` object
per line. If the warehouse write fails the file stays, and ``lorchestra replay FILE`` applies it
again through the same idempotent upsert, so nothing is lost and nothing is duplicated. With
encryption on the file is ``run_<run_id>.jsonl.enc``, each batch one sealed record
(:mod:`lorchestra.sealed`); replay reads both kinds.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from lorchestra import sealed
from lorchestra.home import open_private, private_dir
from lorchestra.sealed import KeyRing
from lorchestra.warehouse.base import Row
from lorchestra.warehouse.registry import table_spec
from lorchestra.warehouse.schema import TableSpec


def backup_path(home: Path, kind: str, run_id: str, day: datetime) -> Path:
    return home / "backup" / kind / f"{day:%Y-%m-%d}" / f"run_{run_id}.jsonl"


def append_backup(
    path: Path, spec: TableSpec, rows: Sequence[Row], ring: KeyRing | None = None
) -> None:
    """Append one batch to ``path`` (sealed under ``ring`` when given), flushed to disk."""
    table = spec.name.encode()
    append_backup_lines(path, b"".join(backup_line(table, row) for row in rows), ring)


def backup_line(table: bytes, row: Row) -> bytes:
    """One line of a backup file: ``{"table": ..., "row": ...}``."""
    return b'{"table":"' + table + b'","row":' + orjson.dumps(row) + b"}\n"


def append_backup_lines(path: Path, lines: bytes, ring: KeyRing | None = None) -> None:
    """Append backup lines already made (``{"table", "row"}`` objects) as one batch."""
    private_dir(path.parent)
    if ring is not None:
        sealed.append(path, lines, ring)
        return
    fd = open_private(path, "a")
    try:
        os.write(fd, lines)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_backup(
    path: Path, batch_size: int, ring: KeyRing | None = None
) -> Iterator[tuple[TableSpec, list[Row]]]:
    """Yield ``(table, rows)`` batches from a backup file (clear or sealed), in file order."""
    current: TableSpec | None = None
    batch: list[Row] = []
    for number, line in enumerate(sealed.iter_lines(path, ring), start=1):
        if not line.strip():
            continue
        try:
            entry = orjson.loads(line)
            spec = table_spec(entry["table"])
            row = _restore_types(spec, entry["row"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"{path}: line {number} is not a backup row ({type(exc).__name__})."
            ) from None
        if current is not None and (spec is not current or len(batch) >= batch_size):
            yield current, batch
            batch = []
        current = spec
        batch.append(row)
    if current is not None and batch:
        yield current, batch


def _restore_types(spec: TableSpec, row: dict[str, Any]) -> Row:
    for column in spec.columns:
        value = row.get(column.name)
        if column.type == "TIMESTAMP" and isinstance(value, str):
            row[column.name] = datetime.fromisoformat(value)
    return row
