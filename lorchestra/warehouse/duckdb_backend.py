"""The embedded default: a DuckDB file in the data home.

GoogleSQL is transpiled with sqlglot (cached). Batches are staged as Arrow tables registered
with DuckDB and applied with one MERGE inside a transaction, so a failed batch leaves the table
as it was. DuckDB lets one process write a file at a time: a second run waits for the lock up
to ``lock_timeout`` seconds, then fails with a message saying so. A ``sandboxed`` warehouse
(what read-only SQL runs on, :mod:`lorchestra.warehouse.readonly`) has external access —
files, network, extensions — disabled and its configuration locked.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from lorchestra.errors import TerminalWarehouseError, TransientWarehouseError, first_line
from lorchestra.home import PRIVATE_FILE
from lorchestra.warehouse.base import Row
from lorchestra.warehouse.retry import with_retries
from lorchestra.warehouse.schema import TableSpec
from lorchestra.warehouse.sql import (
    differing_hashes_sql,
    insert_from_stage_sql,
    insert_values_sql,
    merge_sql,
    to_duckdb,
    touch_unchanged_sql,
)

#: DuckDB's buffer pool cap while a batch is written (``append``, ``merge``), or
#: ``duckdb.memory_limit`` when that is lower. Under DuckDB's own limit (80% of RAM) the pool
#: keeps every block a long load writes: 2.7 GB of RSS after a million records; capped while
#: writing, it evicts them (spilling to ``<file>.tmp``), and a million-record load peaks under
#: 700 MB at about the same speed. Queries are not capped by it: the projections' views at a
#: practice 50 times the demo's need more than 256 MB, and some of their operators cannot spill.
WRITE_MEMORY_LIMIT = "256MB"

#: When DuckDB's allocator gives freed memory back to the system while queries run (both
#: ``allocator_flush_threshold`` and ``allocator_bulk_deallocation_flush_threshold``). By
#: default the memory a query used stays resident after it (DuckDB's JSON functions, for one,
#: keep every document they parsed until the query ends): ``sync_sqlite`` at 50x the demo
#: peaked at 585 MB, 443 MB with this. Batch writes keep DuckDB's defaults.
QUERY_ALLOCATOR_FLUSH = "1MB"

#: Appends of at most this many rows whose values already have their columns' Python types are
#: inserted with parameters instead of staged through Arrow: a process that only records its
#: run and events (a report, ``sync_sqlite``) never imports pyarrow, ~45 MB of resident memory
#: and ~0.15 s. Any other value takes the Arrow path and its checks, as before.
SMALL_APPEND_ROWS = 64

#: The Python types a column's values have for the parameter path (``None`` aside).
_PARAMETER_TYPES: dict[str, tuple[type, ...]] = {
    "STRING": (str,),
    "JSON": (str,),
    "INT64": (int,),
    "FLOAT64": (float, int),
    "BOOL": (bool,),
    "TIMESTAMP": (datetime,),
}

_DUCKDB_TYPES = {
    "STRING": "VARCHAR",
    "INT64": "BIGINT",
    "FLOAT64": "DOUBLE",
    "BOOL": "BOOLEAN",
    "TIMESTAMP": "TIMESTAMPTZ",
    "JSON": "JSON",
}


class DuckDBWarehouse:
    """A DuckDB database file (or ``:memory:``) speaking the ``Warehouse`` protocol."""

    backend = "duckdb"

    def __init__(
        self,
        path: Path | str,
        *,
        lock_timeout: float = 30.0,
        read_only: bool = False,
        memory_limit: str | None = None,
        sandboxed: bool = False,
        schema: str | None = None,
    ) -> None:
        self.path = str(path)
        self.read_only = read_only
        self._con = _connect(self.path, lock_timeout, read_only, sandboxed)
        self._con.execute("SET TimeZone = 'UTC'")
        self._sandboxed = sandboxed
        self._set_allocator_flush(QUERY_ALLOCATOR_FLUSH)
        # A namespace (`--namespace NAME`) is a schema of its own; every connection of this
        # warehouse resolves unqualified names there.
        self._schema = schema
        if schema is not None:
            if not read_only:
                self._con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            self._use_schema(self._con)
        self._memory_limit = _size(memory_limit) if memory_limit else None
        if self._memory_limit is not None:
            self._con.execute(f"SET memory_limit = '{self._memory_limit}'")
        self._write_limit = _write_limit(self._memory_limit)
        if not read_only:
            # A 20k-record batch is ~40 MB of JSON, past the 16 MiB default: without this every
            # batch's commit would checkpoint the whole file. DuckDB checkpoints on close.
            self._con.execute("SET checkpoint_threshold = '1GB'")
        if sandboxed:
            self._con.execute("SET lock_configuration = true")
        self._known_tables: set[str] = set()

    def _use_schema(self, con: duckdb.DuckDBPyConnection) -> None:
        if self._schema is not None:
            con.execute(f"SET schema = '{self._schema}'")

    # -- reading ---------------------------------------------------------------------------
    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        return [row for batch in self.iter_query(sql, params) for row in batch]

    def iter_query(
        self, sql: str, params: Mapping[str, Any] | None = None, *, batch_size: int = 10_000
    ) -> Iterator[list[Row]]:
        cursor = self._con.cursor()
        self._use_schema(cursor)
        try:
            _run(cursor, to_duckdb(sql), params)
            names = [d[0] for d in cursor.description or ()]
            json_cols = {i for i, d in enumerate(cursor.description or ()) if str(d[1]) == "JSON"}
            while True:
                chunk = cursor.fetchmany(batch_size)
                if not chunk:
                    break
                yield [_row(names, json_cols, values) for values in chunk]
        finally:
            cursor.close()

    def statement_types(self, sql: str) -> list[str]:
        """DuckDB's own parser's type of each statement of ``sql`` once transpiled."""
        try:
            statements = self._con.extract_statements(to_duckdb(sql))
        except duckdb.Error as exc:
            message = str(exc).strip().splitlines()[0]
            raise TerminalWarehouseError(f"DuckDB cannot parse the statement: {message}") from None
        return [str(statement.type).rsplit(".", 1)[-1] for statement in statements]

    # -- writing ---------------------------------------------------------------------------
    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        with_retries(lambda: _run(self._con, to_duckdb(sql), params))

    def ensure_tables(self, specs: Iterable[TableSpec]) -> None:
        for spec in specs:
            if spec.name in self._known_tables:
                continue
            if not self.read_only:
                self._con.execute(create_table_sql(spec))
            self._known_tables.add(spec.name)
        _chmod_private(self.path)

    def append(self, spec: TableSpec, rows: Sequence[Row]) -> None:
        if not rows:
            return
        self.ensure_tables([spec])

        def attempt() -> None:
            if len(rows) <= SMALL_APPEND_ROWS and _parameter_typed(spec, rows):
                names = spec.column_names
                params = {
                    f"r{r}_{c}": row.get(name)
                    for r, row in enumerate(rows)
                    for c, name in enumerate(names)
                }
                _run(self._con, to_duckdb(insert_values_sql(spec, len(rows))), params)
                return
            with self._staged(spec, rows) as stage:
                _run(self._con, to_duckdb(insert_from_stage_sql(spec, stage)), None)

        with self.writing():
            with_retries(attempt)

    def merge(
        self,
        spec: TableSpec,
        rows: Sequence[Row],
        complete: Callable[[Sequence[Row]], None] | None = None,
    ) -> dict[str, str]:
        self.ensure_tables([spec])
        if not rows:
            return {}

        key, digest = spec.key or "", spec.hash_column or ""
        # Only the key, hash and touched columns are staged first: an unchanged row then costs
        # a touch UPDATE, and its payload is never copied into Arrow or through the MERGE join.
        slim_columns = (key, digest, *spec.touch)

        def attempt() -> dict[str, str]:
            with _Stage(self._con, spec, rows, slim_columns) as slim:
                self._con.execute("BEGIN TRANSACTION")
                try:
                    # Only new and changed keys come back (usually few): every other staged
                    # key is stored with the hash it was staged with.
                    found = self._con.execute(to_duckdb(differing_hashes_sql(spec, slim)))
                    differing: dict[str, str | None] = dict(found.fetchall())
                    existing = {row[key]: row[digest] for row in rows}
                    for stale_key, stored in differing.items():
                        if stored is None:
                            del existing[stale_key]
                        else:
                            existing[stale_key] = stored
                    changed = [row for row in rows if row[key] in differing] if differing else []
                    if len(changed) < len(rows) and spec.touch:
                        _run(self._con, to_duckdb(touch_unchanged_sql(spec, slim)), None)
                    if changed:
                        if complete is not None:
                            complete(changed)
                        with self._staged(spec, changed) as stage:
                            _run(self._con, to_duckdb(merge_sql(spec, stage)), None)
                    self._con.execute("COMMIT")
                except BaseException:
                    self._con.execute("ROLLBACK")
                    raise
            return existing

        with self.writing():
            return with_retries(attempt)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Run a batch write under WRITE_MEMORY_LIMIT and DuckDB's allocator defaults, then give
        queries their own limit and QUERY_ALLOCATOR_FLUSH back. A sandboxed warehouse never
        writes, and its configuration is locked: nothing is changed."""
        if self._sandboxed:
            yield
            return
        self._set_allocator_flush(None)
        try:
            if self._write_limit is None:
                yield
                return
            self._con.execute(f"SET memory_limit = '{self._write_limit}'")
            try:
                yield
            finally:
                if self._memory_limit is None:
                    self._con.execute("RESET memory_limit")
                else:
                    self._con.execute(f"SET memory_limit = '{self._memory_limit}'")
        finally:
            self._set_allocator_flush(QUERY_ALLOCATOR_FLUSH)

    def _set_allocator_flush(self, threshold: str | None) -> None:
        """Set both allocator flush thresholds, or (None) give them DuckDB's defaults back."""
        for setting in ("allocator_flush_threshold", "allocator_bulk_deallocation_flush_threshold"):
            if threshold is None:
                self._con.execute(f"RESET {setting}")
            else:
                self._con.execute(f"SET {setting} = '{threshold}'")

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> DuckDBWarehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- staging ---------------------------------------------------------------------------
    def _staged(self, spec: TableSpec, rows: Sequence[Row]) -> _Stage:
        return _Stage(self._con, spec, rows)


class _Stage:
    """A batch (all columns, or the named ones) registered as an Arrow view for the length of
    one statement group."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        spec: TableSpec,
        rows: Sequence[Row],
        only: Sequence[str] | None = None,
    ):
        self.con = con
        self.name = f"_stage_{spec.name}_{uuid.uuid4().hex[:12]}"
        from lorchestra.warehouse.arrow_batch import arrow_table

        self.table = arrow_table(spec, rows, only)

    def __enter__(self) -> str:
        self.con.register(self.name, self.table)
        return self.name

    def __exit__(self, exc_type: object, *exc: object) -> None:
        try:
            self.con.unregister(self.name)
        except duckdb.Error:
            if exc_type is None:
                raise
            # The statement's own error (in an aborted transaction) is the one to report.


def create_table_sql(spec: TableSpec) -> str:
    columns = ", ".join(
        f"{c.name} {_DUCKDB_TYPES[c.type]}{' NOT NULL' if c.required else ''}" for c in spec.columns
    )
    # No PRIMARY KEY: the MERGE keeps keys unique, and an index would slow every batch.
    return f"CREATE TABLE IF NOT EXISTS {spec.name} ({columns})"


_UNITS = {"": 1, "B": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
          "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}  # fmt: skip


def _bytes(size: str) -> float:
    number = size.rstrip("KMGTIB")
    return float(number) * _UNITS[size[len(number) :]]


def _write_limit(memory_limit: str | None) -> str | None:
    """The cap for batch writes: WRITE_MEMORY_LIMIT, or none when the user's limit is lower."""
    if memory_limit is not None and _bytes(memory_limit) <= _bytes(WRITE_MEMORY_LIMIT):
        return None
    return WRITE_MEMORY_LIMIT


def _size(text: str) -> str:
    cleaned = text.strip().upper().replace(" ", "")
    number = cleaned.rstrip("KMGTIB")
    if not number.replace(".", "").isdigit() or cleaned[len(number) :] not in _UNITS:
        raise TerminalWarehouseError(f"duckdb.memory_limit must be a size like 2GB, not {text!r}.")
    return cleaned


_SANDBOX: dict[str, Any] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


def _connect(
    path: str, lock_timeout: float, read_only: bool, sandboxed: bool = False
) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + lock_timeout
    delay = 0.05
    config: dict[str, Any] = dict(_SANDBOX) if sandboxed else {}
    while True:
        try:
            return duckdb.connect(path, read_only=read_only, config=config)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise TerminalWarehouseError(f"Cannot open DuckDB file {path}: {exc}") from None
            if time.monotonic() >= deadline:
                raise TerminalWarehouseError(
                    f"DuckDB file {path} is locked by another lorchestra run; waited "
                    f"{lock_timeout:g}s (set duckdb.lock_timeout or LORCHESTRA_LOCK_TIMEOUT to "
                    "wait longer)."
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, Any] | None) -> None:
    try:
        con.execute(sql, dict(params) if params else None)
    except duckdb.TransactionException as exc:
        raise TransientWarehouseError(f"DuckDB transaction conflict: {exc}") from None
    except duckdb.PermissionException as exc:
        message = str(exc).strip().splitlines()[0]
        raise TerminalWarehouseError(
            f"Refused: read-only SQL has no file, network or extension access ({message})."
        ) from None
    except duckdb.OutOfMemoryException as exc:
        raise TerminalWarehouseError(
            f"DuckDB ran out of memory: {first_line(exc, limit=300)} (raise duckdb.memory_limit "
            "or LORCHESTRA_DUCKDB_MEMORY_LIMIT)."
        ) from None
    except duckdb.Error as exc:
        raise TerminalWarehouseError(
            f"DuckDB rejected the statement: {first_line(exc, limit=1000)}"
        ) from None


def _parameter_typed(spec: TableSpec, rows: Sequence[Row]) -> bool:
    """Whether every value is None or of its column's Python type (aware, for timestamps)."""
    kinds = [(column.name, _PARAMETER_TYPES[column.type]) for column in spec.columns]
    for row in rows:
        for name, types in kinds:
            value = row.get(name)
            if value is None:
                continue
            if type(value) not in types:
                return False
            if isinstance(value, datetime) and value.tzinfo is None:
                return False
    return True


def _row(names: list[str], json_cols: set[int], values: tuple[Any, ...]) -> Row:
    return {
        name: (json.loads(value) if i in json_cols and isinstance(value, str) else value)
        for i, (name, value) in enumerate(zip(names, values, strict=True))
    }


def _chmod_private(path: str) -> None:
    if path != ":memory:":
        for candidate in (Path(path), Path(path + ".wal")):
            if candidate.exists():
                candidate.chmod(PRIVATE_FILE)
