"""Commands over the warehouse: ``init``, ``sql``, ``query``, ``replay``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lorchestra.backup import read_backup
from lorchestra.cli._common import (
    fail,
    handle_errors,
    prepare_home,
    print_rows,
    settings,
    warn,
)
from lorchestra.errors import UsageError
from lorchestra.named_queries import find_query, list_queries
from lorchestra.stack_clients.event_client import UpsertResult, apply_rows
from lorchestra.warehouse import installed_tables, open_warehouse
from lorchestra.warehouse.registry import table_load_errors

if TYPE_CHECKING:
    from lorchestra.config import Settings

Format = Annotated[str, typer.Option("--format", "-f", help="Output format: table, json or csv.")]


def _fmt(fmt: str, as_json: bool, as_csv: bool) -> str:
    if as_json:
        return "json"
    if as_csv:
        return "csv"
    if fmt not in ("table", "json", "csv"):
        raise UsageError(f"Unknown format {fmt!r}; use table, json or csv.")
    return fmt


@handle_errors
def init_command(
    encrypt: Annotated[
        bool,
        typer.Option(
            "--encrypt", help="Encrypt this home's backups, extracts and quarantine files."
        ),
    ] = False,
    print_ddl: Annotated[
        bool,
        typer.Option(
            "--print-ddl",
            help="Print the BigQuery DDL (GoogleSQL) for every installed table; create nothing.",
        ),
    ] = False,
) -> None:
    """Create the data home, the dataset and every installed package's tables (safe to re-run).

    The core's own tables (event_log, raw_objects) and those each installed package declares
    under the ``lorchestra.tables`` entry-point group, with BigQuery partitioning and clustering.
    --print-ddl prints the same as GoogleSQL statements for review or infrastructure as code.
    """
    current = settings()
    if print_ddl:
        from lorchestra.warehouse.ddl import bigquery_ddl

        for problem in table_load_errors():
            warn(problem)
        dataset = current.bigquery.dataset
        if current.bigquery.project:
            dataset = f"{current.bigquery.project}.{dataset}"
        typer.echo(bigquery_ddl(installed_tables().values(), dataset), nl=False)
        return
    home = prepare_home(current)
    if encrypt:
        _turn_on_encryption(current, home)
    tables = installed_tables()
    for problem in table_load_errors():
        warn(problem)
    warehouse = open_warehouse(current)
    try:
        warehouse.ensure_tables(tables.values())
    finally:
        warehouse.close()
    where = current.duckdb_path if warehouse.backend == "duckdb" else current.bigquery.dataset
    typer.echo(f"Initialised {warehouse.backend} warehouse at {where}: {', '.join(tables)}.")


def _turn_on_encryption(current: Settings, home: Path) -> None:
    from lorchestra.home import open_private
    from lorchestra.keys import MARKER, init_key, where

    ring, made = init_key(current)
    os.close(open_private(home / MARKER, "w"))
    verb = "created" if made else "existing"
    typer.echo(f"Encryption on, with the {verb} key {ring.current_id} in {where(current)}.")


@handle_errors
def sql_command(
    statement: Annotated[
        str | None, typer.Argument(help="GoogleSQL to run; read from stdin when omitted.")
    ] = None,
    write: Annotated[
        bool, typer.Option("--write", help="Allow statements that change data.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print rows as JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print rows as CSV.")] = False,
) -> None:
    """Run GoogleSQL against the warehouse; read-only unless --write.

    Read-only statements (as the engine types them) run with no file, network or extension
    access; anything else needs --write.
    """
    text = statement if statement is not None else sys.stdin.read()
    if not text.strip():
        raise UsageError("No SQL given: pass it as an argument or on stdin.")
    fmt = _fmt("table", as_json, as_csv)
    current = settings()
    prepare_home(current)
    rows = _run_sql(current, text, None, write=write)
    if rows is None:
        typer.echo("OK")
    else:
        print_rows(rows, fmt=fmt)


def _run_sql(
    current: Settings, text: str, params: dict[str, str] | None, *, write: bool
) -> list[dict[str, Any]] | None:
    """Rows of a read-only statement (run sandboxed), or None once a --write one ran."""
    from lorchestra.warehouse.readonly import open_sandboxed, require_read_only

    sandbox = open_sandboxed(current)
    try:
        if require_read_only(sandbox, text, write=write):
            return sandbox.query(text, params)
    finally:
        sandbox.close()
    warehouse = open_warehouse(current)
    try:
        warehouse.execute(text, params)
    finally:
        warehouse.close()
    return None


@handle_errors
def query_command(
    name: Annotated[str | None, typer.Argument(help="Named query to run.")] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="Query parameter as key=value.")
    ] = None,
    list_all: Annotated[bool, typer.Option("--list", help="List the named queries.")] = False,
    write: Annotated[
        bool, typer.Option("--write", help="Allow a query that changes data or files.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print rows as JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print rows as CSV.")] = False,
) -> None:
    """Run a named query from lorchestra, an installed package, or <home>/queries/.

    Read-only like `lorchestra sql`: a query that changes data or files needs --write.
    """
    current = settings()
    if list_all or name is None:
        queries = list_queries(current.home)
        print_rows(
            [
                {
                    "name": q.name,
                    "params": ", ".join(q.params),
                    "description": q.description,
                    "source": q.origin,
                }
                for q in queries
            ],
            fmt=_fmt("table", as_json, as_csv),
        )
        return
    query = find_query(name, current.home)
    params: dict[str, str] = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--param takes key=value, got {item.split('=')[0]!r} without '='.")
        params[key.strip()] = value
    missing = [p for p in query.params if p not in params]
    if missing:
        raise UsageError(f"Query {name!r} needs --param for: {', '.join(missing)}.")
    fmt = _fmt("table", as_json, as_csv)
    prepare_home(current)
    rows = _run_sql(current, query.sql, {k: params[k] for k in query.params}, write=write)
    if rows is None:
        typer.echo("OK")
    else:
        print_rows(rows, fmt=fmt)


@handle_errors
def replay_command(
    files: Annotated[list[Path], typer.Argument(help="Backup JSONL files to re-apply.")],
) -> None:
    """Re-apply JSONL backups (clear or encrypted) to the warehouse; safe to run again."""
    from lorchestra.keys import load_ring
    from lorchestra.sealed import SealedFileError, is_sealed

    current = settings()
    prepare_home(current)
    ring = None
    if any(is_sealed(path) for path in files if path.is_file()):
        ring = load_ring(current)
        if ring is None:
            fail("These backups are encrypted and no key is configured (LORCHESTRA_KEY_FILE).", 2)
    warehouse = open_warehouse(current)
    try:
        for path in files:
            if not path.is_file():
                fail(f"Backup file {path} does not exist.", 2)
            totals: dict[str, UpsertResult] = {}
            try:
                batches = list(read_backup(path, current.warehouse.batch_size, ring))
            except (ValueError, SealedFileError) as exc:
                fail(str(exc), 2)
            for spec, rows in batches:
                result = apply_rows(warehouse, spec, rows, backup=False)
                totals.setdefault(spec.name, UpsertResult(spec.name)).merge_from(result)
            for table, result in totals.items():
                counts = " ".join(f"{k}={v}" for k, v in result.counts().items())
                typer.echo(f"{path}: {table} {counts}")
    finally:
        warehouse.close()
