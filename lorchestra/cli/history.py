"""``lorchestra stats`` and ``lorchestra runs``: what is in the warehouse and what ran.

The SQL lives in named queries (the core's raw_counts, job_stats, job_runs, run_events; the
canonizer's canonical_stats); these commands only run them and render the rows.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lorchestra.cli._common import (
    fail,
    handle_errors,
    prepare_home,
    print_json,
    print_rows,
    settings,
)
from lorchestra.errors import UsageError
from lorchestra.named_queries import find_query
from lorchestra.warehouse import Warehouse, open_warehouse

stats_app = typer.Typer(no_args_is_help=True, help="Counts of what the warehouse holds.")
runs_app = typer.Typer(no_args_is_help=True, help="Run history, from event_log.")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
Days = Annotated[int, typer.Option("--days", min=1, help="Look back this many days.")]

def _open() -> Warehouse:
    current = settings()
    prepare_home(current)
    return open_warehouse(current, read_only=True)


def _emit(rows: list[dict[str, Any]], as_json: bool, title: str) -> None:
    if as_json:
        print_json(rows)
    else:
        print_rows(rows, title=title)


@stats_app.command("raw")
@handle_errors
def stats_raw(as_json: JsonFlag = False) -> None:
    """Raw objects by source system, connection and object type."""
    warehouse = _open()
    try:
        rows = warehouse.query(find_query("raw_counts").sql)
    finally:
        warehouse.close()
    _emit(rows, as_json, "raw_objects")


@stats_app.command("canonical")
@handle_errors
def stats_canonical(as_json: JsonFlag = False) -> None:
    """Canonical objects by schema and transform (the canonizer's ``canonical_stats`` query)."""
    query = find_query("canonical_stats", settings().home)
    warehouse = _open()
    try:
        rows = warehouse.query(query.sql)
    finally:
        warehouse.close()
    _emit(rows, as_json, "canonical objects")


@stats_app.command("jobs")
@handle_errors
def stats_jobs(days: Days = 7, as_json: JsonFlag = False) -> None:
    """Job runs of the last --days days: runs, failures and durations per job."""
    warehouse = _open()
    try:
        rows = warehouse.query(find_query("job_stats").sql, {"days": days})
    finally:
        warehouse.close()
    _emit(rows, as_json, f"jobs, last {days} days")


@runs_app.command("list")
@handle_errors
def runs_list(
    job: Annotated[
        str | None, typer.Option("--job", help="Only this job (name or pkg/name).")
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="Only runs with this status.")
    ] = None,
    days: Days = 7,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 50,
    as_json: JsonFlag = False,
) -> None:
    """Recent runs, newest first."""
    if status not in (None, "completed", "failed", "running", "abandoned"):
        raise UsageError("--status takes completed, failed, running or abandoned.")
    warehouse = _open()
    try:
        rows = warehouse.query(find_query("job_runs").sql, {"days": days})
    finally:
        warehouse.close()
    rows.sort(key=lambda r: r["started_at"], reverse=True)
    for row in rows:
        row["status"] = row["status"] or "running"
    if job:
        rows = [r for r in rows if job in (r["job"], f"{r['package']}/{r['job']}")]
    if status:
        rows = [r for r in rows if r["status"] == status]
    rows = rows[:limit]
    _emit(
        [
            {
                k: r[k]
                for k in ("run_id", "package", "job", "status", "started_at", "duration_s", "error")
            }
            for r in rows
        ],
        as_json,
        "runs",
    )


@runs_app.command("show")
@handle_errors
def runs_show(
    run_id: Annotated[str, typer.Argument(help="A run id (or pipeline run id).")],
    as_json: JsonFlag = False,
) -> None:
    """Every event of one run (or of every job in a pipeline run), in order."""
    warehouse = _open()
    try:
        rows = warehouse.query(find_query("run_events").sql, {"run": run_id})
    finally:
        warehouse.close()
    if not rows:
        fail(f"No events for run {run_id!r}.", 1)
    _emit(rows, as_json, f"run {run_id}")
