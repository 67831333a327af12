"""A local SQLite copy of the projections and canonical tables: ``<home>/local.db``.

The new database is built whole beside the old one (``local.db.tmp-<run id>``, mode 0600),
checked, and swapped in with one ``os.replace``: a reader that has the old file open keeps
reading the old, consistent database, and a reader opening the path afterwards gets the new
one whole; nobody ever sees a half-written file. A failed build leaves the old file untouched
and removes the temporary one.

The ``_meta`` table holds ``content_hash``: the SHA-256 of every table's name, columns and rows
(rows serialised canonically and sorted). When a rebuild has the same hash as the file in
place, the old file is kept as it is (same bytes, same mtime) and ``changed`` is False.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from lorchestra.api import PRIVATE_FILE, Warehouse, fsync_dir, private_dir
from reporter.local_tables import LOCAL_TABLES, SQLITE_TYPES, LocalTable, fetch
from reporter.sorted_lines import SortedLines

DB_NAME = "local.db"
SCHEMA_VERSION = "2"  # 2: measurement_timeseries.invalid_items
STALE_TEMP_SECONDS = 3600


@dataclass
class SyncResult:
    """What one sync did."""

    path: Path
    changed: bool
    content_hash: str
    previous_hash: str | None
    rows: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "content_hash": self.content_hash,
            "rows": dict(self.rows),
            "tables": len(self.rows),
        }


def create_table_sql(table: LocalTable) -> list[str]:
    """The table and an index on its key (not UNIQUE: an upstream duplicate must not fail)."""
    columns = ", ".join(f'"{name}" {SQLITE_TYPES[kind]}' for name, kind in table.columns)
    key = ", ".join(f'"{name}"' for name in table.key)
    return [
        f'CREATE TABLE "{table.name}" ({columns})',
        f'CREATE INDEX "{table.name}_key" ON "{table.name}" ({key})',
    ]


def sync(bq_client: Warehouse, home: Path, run_id: str) -> SyncResult:
    """Rebuild ``home/local.db`` from the warehouse; see the module docstring."""
    private_dir(home)
    target = home / DB_NAME
    _remove_stale_temps(home)
    tmp = home / f"{DB_NAME}.tmp-{run_id}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)
    os.close(fd)
    try:
        content_hash, rows = _build(bq_client, tmp)
        previous = read_content_hash(target)
        if previous == content_hash:
            tmp.unlink()
            return SyncResult(target, False, content_hash, previous, rows)
        _fsync_file(tmp)
        os.replace(tmp, target)
        fsync_dir(home)
        return SyncResult(target, True, content_hash, previous, rows)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_content_hash(path: Path) -> str | None:
    """The content hash stored in an existing local database, or None."""
    if not path.is_file():
        return None
    try:
        con = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        try:
            found = con.execute("SELECT value FROM _meta WHERE key = 'content_hash'").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return str(found[0]) if found else None


def _build(bq_client: Warehouse, path: Path) -> tuple[str, dict[str, int]]:
    con = sqlite3.connect(path, isolation_level=None)
    try:
        # A throwaway file until it is renamed: no journal to leave behind, no syncs per write.
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("PRAGMA synchronous = OFF")
        con.execute("BEGIN")
        con.execute("CREATE TABLE _meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        digest = hashlib.sha256(f"schema {SCHEMA_VERSION}\n".encode())
        rows: dict[str, int] = {}
        for table in LOCAL_TABLES:
            for statement in create_table_sql(table):
                con.execute(statement)
            rows[table.name] = _copy_table(bq_client, con, table, digest, path)
        content_hash = digest.hexdigest()
        meta = {
            "schema_version": SCHEMA_VERSION,
            "content_hash": content_hash,
            "built_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            **{f"rows.{name}": str(count) for name, count in rows.items()},
        }
        con.executemany("INSERT INTO _meta (key, value) VALUES (?, ?)", sorted(meta.items()))
        con.execute("COMMIT")
        problem = con.execute("PRAGMA integrity_check").fetchone()
        if not problem or problem[0] != "ok":
            raise sqlite3.DatabaseError(f"The new local database failed its check: {problem}")
    finally:
        con.close()
    return content_hash, rows


def _copy_table(
    bq_client: Warehouse, con: sqlite3.Connection, table: LocalTable, digest: Any, path: Path
) -> int:
    """Copy one table batch by batch and hash its rows in the order of their canonical lines.

    Memory stays flat as the table grows: each batch is inserted and let go, and the lines are
    sorted by :class:`~reporter.sorted_lines.SortedLines`, which spills to private run files
    beside the database being built once it holds more than a few megabytes.
    """
    names = table.column_names
    placeholders = ", ".join("?" for _ in names)
    insert = f'INSERT INTO "{table.name}" VALUES ({placeholders})'
    count = 0
    with SortedLines(path) as lines:
        for batch in fetch(bq_client, table):
            values = [tuple(_sqlite_value(row[name]) for name in names) for row in batch]
            con.executemany(insert, values)
            for row in values:
                lines.add(orjson.dumps(list(row)))
            count += len(values)
        # Sorted lines: the hash does not depend on the order the warehouse returned rows in.
        digest.update(f"table {table.name} {orjson.dumps(list(table.columns)).decode()}\n".encode())
        for line in lines:
            digest.update(line + b"\n")
    return count


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    return value


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale_temps(home: Path) -> None:
    """Remove temp files that crashed runs left (old enough that no run is still writing)."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    for leftover in home.glob(f"{DB_NAME}.tmp-*"):
        try:
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
        except FileNotFoundError:
            continue
