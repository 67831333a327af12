"""``lorchestra stats`` and ``lorchestra runs``: what is in the warehouse and what ran."""

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

_RUNS_SQL = """
SELECT correlation_id AS run_id,
       MAX(trace_id) AS trace_id,
       MAX(source_system) AS package,
       MAX(JSON_VALUE(payload, '$.job')) AS job,
       MIN(created_at) AS started_at,
       MAX(CASE WHEN event_type = 'job.completed' THEN 'completed'
                WHEN event_type = 'job.failed' THEN 'failed' END) AS status,
       MAX(CAST(JSON_VALUE(payload, '$.duration_s') AS FLOAT64)) AS duration_s,
       MAX(error_message) AS error
FROM event_log
WHERE event_type IN ('job.started', 'job.completed', 'job.failed')
  AND created_at >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL @days DAY)
GROUP BY correlation_id
"""


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
        rows = warehouse.query(
            "SELECT source_system, connection_name, object_type, COUNT(*) AS objects, "
            "MAX(last_seen) AS last_seen FROM raw_objects "
            "GROUP BY source_system, connection_name, object_type "
            "ORDER BY source_system, connection_name, object_type"
        )
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
        rows = warehouse.query(
            f"SELECT package, job, COUNT(*) AS runs, COUNTIF(status = 'failed') AS failed, "
            f"ROUND(AVG(duration_s), 3) AS avg_duration_s, MAX(started_at) AS last_run "
            f"FROM ({_RUNS_SQL}) GROUP BY package, job ORDER BY package, job",
            {"days": days},
        )
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
    if status not in (None, "completed", "failed", "running"):
        raise UsageError("--status takes completed, failed or running.")
    warehouse = _open()
    try:
        rows = warehouse.query(
            f"SELECT * FROM ({_RUNS_SQL}) ORDER BY started_at DESC", {"days": days}
        )
    finally:
        warehouse.close()
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
        rows = warehouse.query(
            "SELECT created_at, event_type, status, correlation_id AS run_id, source_system, "
            "connection_name, target_object_type, error_message, TO_JSON_STRING(payload) AS data "
            "FROM event_log WHERE correlation_id = @run OR trace_id = @run "
            "ORDER BY created_at",
            {"run": run_id},
        )
    finally:
        warehouse.close()
    if not rows:
        fail(f"No events for run {run_id!r}.", 1)
    _emit(rows, as_json, f"run {run_id}")
