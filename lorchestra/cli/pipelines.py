"""``lorchestra run``, ``status`` and ``schedule``: named jobs and pipelines for operators."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lorchestra.cli._common import (
    NamespaceOption,
    handle_errors,
    plain,
    prepare_home,
    print_json,
    print_rows,
    settings,
    state,
    use_jobs,
    use_namespace,
    warn,
    warn_rejected,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from lorchestra.pipelines import PipelineRun, Step

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@handle_errors
def run_command(
    target: Annotated[str, typer.Argument(help="A job definition id or pipeline id, e.g. daily.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate every step and show the plan.")
    ] = False,
    as_json: JsonFlag = False,
    namespace: NamespaceOption = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            min=1,
            metavar="N",
            help="Extractions run at once by an ingest stage (default: the number of cores); "
            "also LORCHESTRA_MELTANO_JOBS.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run a named job definition or pipeline (lorchestra run daily).

    Every step is validated first (job installed, parameters accepted); nothing runs if one is
    invalid. Exit code 1 if any job failed.
    """
    use_namespace(namespace)
    use_jobs(jobs)
    run_target(target, dry_run=dry_run, as_json=as_json)


def run_target(target: str, *, dry_run: bool = False, as_json: bool = False,
               keep: Callable[[Step], bool] | None = None) -> None:
    """Run a definition or pipeline as `lorchestra run` does; `keep` filters its steps."""
    from lorchestra.after_run import after_run, before_run
    from lorchestra.definitions import load_catalog
    from lorchestra.pipelines import plan, run_steps, validate
    from lorchestra.run_lock import hold_run_lock
    from lorchestra.warehouse import open_warehouse

    current = settings()
    home = prepare_home(current)
    catalog = load_catalog(home)
    for problem in catalog.errors:
        warn(problem)
    steps, on_failure = plan(catalog, target)
    if keep is not None:
        steps = [step for step in steps if keep(step)]
    prepared = validate(steps)  # refuse before opening (or creating) anything
    if not dry_run:
        from lorchestra.keys import ring_for

        ring_for(current)  # encryption on without a key: one usage error, not a failed step each
    wait_s = current.duckdb.lock_timeout
    with hold_run_lock(home, wait_s=wait_s) if not dry_run else nullcontext():
        warehouse = open_warehouse(current, read_only=dry_run)
        display = _Display(as_json, steps)
        try:
            if not dry_run:
                before_run(warehouse, home, catalog, current)
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
            if not dry_run:
                after_run(warehouse, current, home, catalog)
        finally:
            warehouse.close()
    display.summary(run)
    if not dry_run:
        warn_rejected([s.outcome.counts.get("rejected", 0) for s in run.steps if s.outcome],
                      run.run_id)
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
    """Each job definition's last run, whether it is overdue, and the last data checks.

    Exit code 0 when every job's last run completed, none is overdue and no data check of
    severity error failed; 1 otherwise (for monitoring). Abandoned runs count as failures.
    Below, what installed packages say needs attention (e.g. questionnaire responses that are
    not scored for want of a binding); a package's ``fail`` line also makes it exit 1.
    """
    from lorchestra.cli.package_status import package_status, print_lines, with_package_lines
    from lorchestra.definitions import load_catalog
    from lorchestra.health import load_health
    from lorchestra.pipelines import describe_changes
    from lorchestra.warehouse import open_warehouse

    current = settings()
    home = prepare_home(current)
    catalog = load_catalog(home)
    warehouse = open_warehouse(current, read_only=True)
    try:
        health = load_health(warehouse, catalog, home)
        lines = package_status(warehouse, home)
    finally:
        warehouse.close()
    ok, verdict = with_package_lines(health.ok, health.verdict(), lines)
    if as_json:
        print_json({**health.as_dict(), "ok": ok, "verdict": verdict,
                    "packages": [line.as_dict() for line in lines]})
    else:  # a table shows what the counts mean, not the JSON
        rows = [
            {
                "job_id": job.job_id,
                "schedule": job.schedule,
                "last_run": job.last_run,
                "status": job.status,
                "duration_s": job.duration_s,
                "changes": describe_changes(job.counts) if job.counts else None,
                "overdue": "OVERDUE" if job.overdue else "",
                "error": job.error,
            }
            for job in health.jobs
        ]
        print_rows(rows, title="lorchestra status")
        flagged = [check.as_dict() for check in health.checks if check.failed]
        if flagged:  # passing checks are counted in the verdict, not listed
            when = f"{health.checks_at:%Y-%m-%d %H:%M} UTC" if health.checks_at else "?"
            print_rows(
                flagged,
                columns=("name", "severity", "count", "status", "error"),
                title=f"data checks that found something ({when})",
            )
        print_lines(lines)
        typer.echo(verdict)
    if not ok:
        raise typer.Exit(1)


@handle_errors
def schedule_command(
    systemd: Annotated[
        bool,
        typer.Option(
            "--systemd/--cron",
            help="Print systemd service and timer units, or crontab lines (the default).",
        ),
    ] = False,
    target: Annotated[
        str, typer.Option("--target", help="The pipeline or job definition to run.")
    ] = "daily",
    at: Annotated[str, typer.Option("--at", help="Time of day (HH:MM, local time).")] = "06:00",
    per_stage: Annotated[
        bool,
        typer.Option("--per-stage", help="One entry per stage item, at its definitions' times."),
    ] = False,
    watchdog: Annotated[
        bool,
        typer.Option("--watchdog", help="Add an hourly `alerts check` (overdue alerts)."),
    ] = False,
) -> None:
    """Print a crontab line (or systemd units) that runs `lorchestra run daily` unattended.

    The command names the installed executable by absolute path and sets LORCHESTRA_HOME, so it
    works with cron's minimal PATH and as a systemd ExecStart; runs never overlap.
    """
    from lorchestra.definitions import load_catalog
    from lorchestra.schedule import crontab, entries, environment, executable, systemd_units

    current = settings()
    catalog = load_catalog(current.home)
    planned = entries(catalog, target, at, per_stage=per_stage, watchdog=watchdog)
    exe, env = executable(), environment(current)
    if systemd:
        for name, text in systemd_units(planned, exe, env, current.home):
            typer.echo(f"# {name}\n{text}")
        typer.echo(
            "# Install: copy both files of each pair to ~/.config/systemd/user/, then\n"
            "# systemctl --user daemon-reload && systemctl --user enable --now "
            + " ".join(name for name, _ in systemd_units(planned, exe, env, current.home)
                       if name.endswith(".timer"))
        )  # fmt: skip
    else:
        for line in crontab(planned, exe, env, current.home):
            typer.echo(line)
