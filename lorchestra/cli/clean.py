"""``lorchestra clean`` and ``lorchestra rebuild``: empty what can be derived again, and derive it.

``clean --derived`` empties every table an installed package declares ``derived`` (rebuilt from
``raw_objects`` by its own jobs); ``clean --local`` deletes the local outputs in the data home
(the SQLite copy, the markdown files, the reports). ``rebuild`` is ``clean --derived`` followed
by every step of ``daily`` except ingestion: canonicalise, score, projections, reports, checks.
Nothing lorchestra cannot make again (raw_objects, event_log, backups) is ever touched.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lorchestra.cli._common import handle_errors, prepare_home, settings, use_namespace

if TYPE_CHECKING:
    from lorchestra.config import Settings
    from lorchestra.pipelines import Step
    from lorchestra.warehouse.base import Warehouse

# What the reporter writes into the data home, all of it rebuilt by `run daily`.
LOCAL_OUTPUTS = ("local.db", "local_views", "reports")
# lorc's own ingestion jobs: the one part of daily a rebuild leaves out.
INGEST_PACKAGE = "ingester"

DryRun = Annotated[bool, typer.Option("--dry-run", help="List what would go; change nothing.")]


def derived_tables() -> list[str]:
    from lorchestra.warehouse.registry import installed_tables

    return [name for name, spec in installed_tables().items() if spec.derived]


def local_outputs(home: Path) -> list[Path]:
    return [home / name for name in LOCAL_OUTPUTS if (home / name).exists()]


def empty_derived(current: Settings) -> list[str]:
    """Delete every row of every derived table, under the run lock.

    The rows' write times are copied aside first: `rebuild` gives every row it makes again
    unchanged the times it had (:func:`restore_times`).
    """
    from lorchestra.warehouse.kept_times import keep_write_times
    from lorchestra.warehouse.registry import installed_tables

    tables = installed_tables()
    names = derived_tables()
    with _derived_warehouse(current) as warehouse:
        warehouse.ensure_tables([tables[name] for name in names])
        keep_write_times(warehouse, [tables[name] for name in names])
        for name in names:
            warehouse.execute(f"DELETE FROM {name} WHERE TRUE")
    return names


def restore_times(current: Settings) -> None:
    """Give the rows a rebuild made again unchanged the write times they had before it."""
    from lorchestra.warehouse.kept_times import restore_write_times
    from lorchestra.warehouse.registry import installed_tables

    tables = installed_tables()
    with _derived_warehouse(current) as warehouse:
        restore_write_times(warehouse, [tables[name] for name in derived_tables()])


@contextmanager
def _derived_warehouse(current: Settings) -> Iterator[Warehouse]:
    from lorchestra.run_lock import hold_run_lock
    from lorchestra.warehouse import open_warehouse

    home = prepare_home(current)
    with hold_run_lock(home, wait_s=current.duckdb.lock_timeout):
        warehouse = open_warehouse(current)
        try:
            yield warehouse
        finally:
            warehouse.close()


@handle_errors
def clean_command(
    derived: Annotated[
        bool,
        typer.Option(
            "--derived",
            help="Empty every derived table (`lorchestra rebuild` fills them again from raw, "
            "rows that come back unchanged with the times they had).",
        ),
    ] = False,
    local: Annotated[
        bool, typer.Option("--local", help="Delete local.db, the markdown files, the reports.")
    ] = False,
    namespace: Annotated[
        str | None,
        typer.Option(
            "--namespace",
            metavar="NAME",
            help="Alone: remove the namespace NAME whole (its tables and its home). With "
            "--derived/--local: clean inside it.",
            show_default=False,
        ),
    ] = None,
    dry_run: DryRun = False,
) -> None:
    """Remove what lorchestra can make again from raw_objects; raw data is never touched.

    The one exception is `--namespace NAME` alone: a namespace is a scratch copy made by
    `run --namespace NAME`, and all of it goes, raw data included.
    """
    from lorchestra.errors import UsageError

    if namespace is not None and not (derived or local):
        _remove_namespace(namespace, dry_run)
        return
    if not (derived or local):
        raise UsageError("Say what to clean: --derived, --local or both (--dry-run to list).")
    use_namespace(namespace)
    current = settings()
    verb = "would remove" if dry_run else "removed"
    if derived:
        names = derived_tables() if dry_run else empty_derived(current)
        for name in names:
            typer.echo(f"{verb} table {name} (every row)")
    if local:
        for path in local_outputs(current.home):
            if not dry_run:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
            typer.echo(f"{verb} {path}")


@handle_errors
def rebuild_command(dry_run: DryRun = False) -> None:
    """Empty the derived tables, then run every step of daily but ingestion to fill them again.

    Canonical objects, scores, projections and reports come back from raw_objects exactly as
    they were: the same rows, keys and payloads, and a row that comes back unchanged keeps the
    times it was first and last written.
    """
    from lorchestra.cli.pipelines import run_target

    def keep(step: Step) -> bool:
        return not step.definition.job.startswith(f"{INGEST_PACKAGE}/")

    if dry_run:
        for name in derived_tables():
            typer.echo(f"would empty table {name}")
        run_target("daily", dry_run=True, keep=keep)
        return
    current = settings()
    empty_derived(current)
    try:
        run_target("daily", keep=keep)
    finally:
        restore_times(current)


def _remove_namespace(name: str, dry_run: bool) -> None:
    from lorchestra.run_lock import hold_run_lock
    from lorchestra.warehouse import open_warehouse

    use_namespace(name)
    scoped = settings()
    base = scoped.model_copy(update={"namespace": None, "home": scoped.base_home})
    base.bigquery = scoped.bigquery.model_copy(
        update={"dataset": scoped.bigquery.dataset.removesuffix(f"_{name}")})
    if scoped.warehouse.backend == "bigquery":
        target = f"dataset {scoped.bigquery.dataset}"
        statement = f"DROP SCHEMA IF EXISTS `{scoped.bigquery.dataset}` CASCADE"
    else:
        target = f"schema {name} of {scoped.duckdb_path}"
        statement = f"DROP SCHEMA IF EXISTS {name} CASCADE"
    verb = "would remove" if dry_run else "removed"
    if not dry_run:
        home = prepare_home(base)
        with hold_run_lock(home, wait_s=base.duckdb.lock_timeout):
            warehouse = open_warehouse(base)
            try:
                warehouse.execute(statement)
            finally:
                warehouse.close()
    typer.echo(f"{verb} {target}")
    if scoped.home.exists():
        if not dry_run:
            shutil.rmtree(scoped.home)
            if not any(scoped.home.parent.iterdir()):
                scoped.home.parent.rmdir()  # the last namespace: no empty namespaces/ left
        typer.echo(f"{verb} {scoped.home}")
