"""``lorchestra clean`` and ``lorchestra rebuild``: empty what can be derived again, and derive it.

``clean --derived`` empties every table an installed package declares ``derived`` (rebuilt from
``raw_objects`` by its own jobs); ``clean --local`` deletes the local outputs in the data home
(the SQLite copy, the markdown files, the reports). ``rebuild`` is ``clean --derived`` followed
by every step of ``daily`` except ingestion: canonicalise, score, projections, reports, checks.
Nothing lorchestra cannot make again (raw_objects, event_log, backups) is ever touched.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lorchestra.cli._common import handle_errors, prepare_home, settings, use_namespace

if TYPE_CHECKING:
    from lorchestra.config import Settings
    from lorchestra.pipelines import Step

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
    """Delete every row of every derived table, under the run lock."""
    from lorchestra.run_lock import hold_run_lock
    from lorchestra.warehouse import open_warehouse
    from lorchestra.warehouse.registry import installed_tables

    tables = installed_tables()
    names = derived_tables()
    home = prepare_home(current)
    with hold_run_lock(home, wait_s=current.duckdb.lock_timeout):
        warehouse = open_warehouse(current)
        try:
            warehouse.ensure_tables([tables[name] for name in names])
            for name in names:
                warehouse.execute(f"DELETE FROM {name} WHERE TRUE")
        finally:
            warehouse.close()
    return names


@handle_errors
def clean_command(
    derived: Annotated[
        bool, typer.Option("--derived", help="Empty every derived table (rebuilt from raw).")
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
    they were (the same rows, keys and payloads).
    """
    from lorchestra.cli.pipelines import run_target

    def keep(step: Step) -> bool:
        return not step.definition.job.startswith(f"{INGEST_PACKAGE}/")

    if dry_run:
        for name in derived_tables():
            typer.echo(f"would empty table {name}")
    else:
        empty_derived(settings())
    run_target("daily", dry_run=dry_run, keep=keep)


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
