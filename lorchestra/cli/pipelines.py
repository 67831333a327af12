"""``lorchestra run``, ``status`` and ``schedule``: named jobs and pipelines for operators."""

from __future__ import annotations

import json
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lorchestra.cli._common import (
    handle_errors,
    plain,
    prepare_home,
    print_json,
    print_rows,
    settings,
    state,
    warn,
)

if TYPE_CHECKING:
    from lorchestra.pipelines import PipelineRun, Step

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@handle_errors
def run_command(
    target: Annotated[str, typer.Argument(help="A job definition id or pipeline id, e.g. daily.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate every step and show the plan.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Run a named job definition or pipeline (lorchestra run daily).

    Every step is validated first (job installed, parameters accepted); nothing runs if one is
    invalid. Exit code 1 if any job failed.
    """
    from lorchestra.definitions import load_catalog
    from lorchestra.pipelines import plan, run_steps, validate
    from lorchestra.warehouse import open_warehouse

    current = settings()
    home = prepare_home(current)
    catalog = load_catalog(home)
    for problem in catalog.errors:
        warn(problem)
    steps, on_failure = plan(catalog, target)
    prepared = validate(steps)  # refuse before opening (or creating) anything
    if not dry_run:
        from lorchestra.keys import ring_for

        ring_for(current)  # encryption on without a key: one usage error, not a failed step each
    warehouse = open_warehouse(current, read_only=dry_run)
    display = _Display(as_json, steps)
    try:
        with display:
            run = run_steps(
                steps,
                prepared,
                current,
                warehouse,
                on_failure=on_failure,
                dry_run=dry_run,
                check_permissions=not state().skip_permission_check,
                listener=display.update,
                target=target,
            )
    finally:
        warehouse.close()
    display.summary(run)
    if not run.ok:
        raise typer.Exit(1)


class _Display:
    """Live progress on a terminal, one plain line per finished step otherwise."""

    def __init__(self, quiet: bool, steps: list[Step]) -> None:
        self.quiet = quiet
        self.steps = steps
        self.live: Any = None
        if not quiet and sys.stdout.isatty():
            from rich.live import Live

            self.live = Live(self._table(), refresh_per_second=4, transient=True)

    def __enter__(self) -> _Display:
        if self.live is not None:
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.__exit__(None, None, None)

    def update(self, step: Step) -> None:
        if self.live is not None:
            self.live.update(self._table())
        elif not self.quiet and step.status not in ("running", "pending"):
            duration = f"{step.outcome.duration_s:.1f}s" if step.outcome else "-"
            records = step.records if step.records is not None else "-"
            line = f"{step.label:>9}  {step.job_id:<28} records={records} time={duration}"
            if step.changes:
                line += f"  ({step.changes})"
            typer.echo(line + (f"  {step.error}" if step.error else ""))

    def _table(self) -> Any:
        from rich.table import Table

        table = Table(title="lorchestra run")
        for column in ("stage", "job", "status", "records", "changes", "time"):
            table.add_column(column)
        for step in self.steps:
            cells = (
                step.stage,
                step.job_id,
                step.label,
                "" if step.records is None else str(step.records),
                step.changes or "",
                f"{step.outcome.duration_s:.1f}s" if step.outcome else "",
            )
            table.add_row(*(plain(cell) for cell in cells))
        return table

    def summary(self, run: PipelineRun) -> None:
        if self.quiet:
            print_json(run.as_dict())
            return
        rows = [
            {
                "stage": s.stage,
                "job": s.job_id,
                "status": s.label,
                "records": s.records,
                "changes": s.changes,
                "time_s": round(s.outcome.duration_s, 2) if s.outcome else None,
                "error": s.error,
            }
            for s in run.steps
        ]
        print_rows(rows, title=f"run {run.run_id} ({run.target})")
        failed = sum(1 for s in run.steps if s.status == "failed")
        verdict = "completed" if run.ok else f"{failed} job(s) failed"
        typer.echo(f"{run.target}: {verdict}. Details: lorchestra runs show {run.run_id}")


@handle_errors
def status_command(as_json: JsonFlag = False) -> None:
    """Each job definition's last run and whether it is overdue for its schedule."""
    from lorchestra.definitions import load_catalog
    from lorchestra.pipelines import describe_changes
    from lorchestra.warehouse import open_warehouse

    current = settings()
    home = prepare_home(current)
    catalog = load_catalog(home)
    warehouse = open_warehouse(current, read_only=True)
    try:
        last = {
            row["definition"]: row
            for row in warehouse.query(
                "SELECT JSON_VALUE(payload, '$.definition') AS definition, created_at, "
                "event_type, CAST(JSON_VALUE(payload, '$.duration_s') AS FLOAT64) AS duration_s, "
                "TO_JSON_STRING(JSON_QUERY(payload, '$.counts')) AS counts "
                "FROM event_log WHERE event_type IN ('job.completed', 'job.failed') "
                "AND JSON_VALUE(payload, '$.definition') IS NOT NULL "
                "QUALIFY ROW_NUMBER() OVER (PARTITION BY JSON_VALUE(payload, '$.definition') "
                "ORDER BY created_at DESC) = 1"
            )
        }
    finally:
        warehouse.close()
    now = datetime.now(UTC)
    rows = []
    for job_id, definition in sorted(catalog.jobs.items()):
        seen = last.get(job_id)
        interval = definition.interval
        overdue = interval is not None and (
            seen is None or now - seen["created_at"] > interval * 1.5
        )
        rows.append(
            {
                "job_id": job_id,
                "schedule": f"{definition.schedule} {definition.at}" if definition.schedule else "",
                "last_run": seen["created_at"] if seen else None,
                "status": ("completed" if seen["event_type"] == "job.completed" else "failed")
                if seen
                else "never run",
                "duration_s": seen["duration_s"] if seen else None,
                "counts": seen["counts"] if seen else None,
                "overdue": overdue,
            }
        )
    if as_json:
        print_json(rows)
    else:  # a table shows what the counts mean, not the JSON
        for row in rows:
            counts = row.pop("counts")
            row["changes"] = describe_changes(json.loads(str(counts))) if counts else None
            row["overdue"] = "OVERDUE" if row.pop("overdue") else ""
        print_rows(rows, title="lorchestra status")


@handle_errors
def schedule_command(
    systemd: Annotated[bool, typer.Option("--systemd", help="Print systemd timer units.")] = False,
    cron: Annotated[bool, typer.Option("--cron", help="Print crontab lines (default).")] = True,
) -> None:
    """Print crontab lines (or systemd timers) that run the scheduled definitions."""
    from lorchestra.definitions import load_catalog

    current = settings()
    catalog = load_catalog(current.home)
    found = shutil.which("lorchestra")
    executable = str(Path(found).resolve()) if found else "lorchestra"
    for job_id, definition in sorted(catalog.jobs.items()):
        if not definition.schedule:
            continue
        hour, minute = (int(x) for x in definition.at.split(":"))
        command = f"{executable} run {job_id}"
        if systemd:
            calendar = {
                "hourly": f"*-*-* *:{minute:02d}:00",
                "daily": f"*-*-* {hour:02d}:{minute:02d}:00",
                "weekly": f"Mon *-*-* {hour:02d}:{minute:02d}:00",
            }[definition.schedule]
            typer.echo(
                f"# lorchestra-{job_id}.service\n[Unit]\nDescription=lorchestra {job_id}\n"
                f"[Service]\nType=oneshot\nExecStart={command}\n"
            )
            typer.echo(
                f"# lorchestra-{job_id}.timer\n[Unit]\nDescription=lorchestra {job_id}\n"
                f"[Timer]\nOnCalendar={calendar}\nPersistent=true\n"
                f"[Install]\nWantedBy=timers.target\n"
            )
        else:
            spec = {
                "hourly": f"{minute} * * * *",
                "daily": f"{minute} {hour} * * *",
                "weekly": f"{minute} {hour} * * 1",
            }[definition.schedule]
            typer.echo(f"{spec} {command}")
