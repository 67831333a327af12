"""``lorchestra run-job PACKAGE JOB [--name value ...]``: run one job now."""

from __future__ import annotations

import traceback
from contextlib import nullcontext
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lorchestra.cli._common import (
    NamespaceOption,
    handle_errors,
    prepare_home,
    print_json,
    settings,
    state,
    use_namespace,
    warn_rejected,
)
from lorchestra.discovery import find_job
from lorchestra.errors import UsageError

if TYPE_CHECKING:
    from lorchestra.runner import RunOutcome

# --help is the command's own option: after PACKAGE JOB it shows that job's options.
CONTEXT = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


@handle_errors
def run_job_command(
    ctx: typer.Context,
    package: Annotated[
        str | None, typer.Argument(help="Package name, e.g. ingester.", show_default=False)
    ] = None,
    job: Annotated[
        str | None, typer.Argument(help="Job name, e.g. extract_gmail.", show_default=False)
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and show what would run; write nothing.")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail (exit 1) when any record was rejected.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
    namespace: NamespaceOption = None,
    show_help: Annotated[
        bool,
        typer.Option("--help", "-h", help="Show this message (after PACKAGE JOB: the job's own)."),
    ] = False,
) -> None:
    """Run one job with the options its signature declares.

    Job options follow the job name: --account NAME, --since -7d, --until 2026-01-31 and any
    --name value the job accepts (hyphens become underscores). --since/--until take ISO dates
    and times or spans (-30m, -12h, -7d, -2w), resolved once per run in UTC.

    `lorchestra run-job PACKAGE JOB --help` lists that job's own options.

    Exit codes: 0 completed, 1 the job failed, 2 usage error (nothing ran).
    """
    if package is None or job is None:
        if show_help:
            typer.echo(ctx.get_help())
            raise typer.Exit()
        raise UsageError("run-job needs PACKAGE and JOB, e.g. `lorchestra run-job ingester "
                         "extract_gmail`; `lorchestra jobs list` shows them all.")
    if show_help:
        from lorchestra.cli.job_help import job_help

        typer.echo(job_help(find_job(package, job)), nl=False)
        raise typer.Exit()
    from lorchestra.after_run import after_run, before_run
    from lorchestra.definitions import load_catalog
    from lorchestra.run_lock import hold_run_lock
    from lorchestra.runner import prepare, run_job
    from lorchestra.warehouse import open_warehouse

    use_namespace(namespace)
    ref = find_job(package, job)
    callable_job, kwargs = prepare(ref, ctx.args)
    current = settings()
    if dry_run and "dry_run" not in _parameters(callable_job):
        _report_plan(ref.qualified_name, kwargs, as_json)
        return
    home = prepare_home(current)
    wait_s = current.duckdb.lock_timeout
    if not dry_run:
        from lorchestra.keys import ring_for

        ring_for(current)  # encryption on without a key: refuse before anything is opened
    with hold_run_lock(home, wait_s=wait_s) if not dry_run else nullcontext():
        if not dry_run:
            warehouse = open_warehouse(current)
            try:
                before_run(warehouse, home, load_catalog(home), current)
            finally:
                warehouse.close()
        outcome = run_job(
            ref,
            kwargs,
            callable_job,
            current,
            dry_run=dry_run,
            check_permissions=not state().skip_permission_check,
        )
        if not dry_run:
            warehouse = open_warehouse(current)
            try:
                after_run(warehouse, current, home, load_catalog(home))
            finally:
                warehouse.close()
    _report(outcome, as_json)
    if not outcome.ok:
        # A job that rejects its own arguments (e.g. an unknown --account) is a usage error.
        raise typer.Exit(2 if isinstance(outcome.exception, UsageError) else 1)
    if warn_rejected([outcome.counts.get("rejected", 0)], outcome.run_id) and strict:
        raise typer.Exit(1)


def _parameters(job: Any) -> set[str]:
    from lorchestra.arguments import JobSignature

    return set(JobSignature.of(job).parameters)


def _report_plan(name: str, kwargs: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json({"job": name, "status": "dry-run", "kwargs": kwargs})
        return
    typer.echo(f"dry run: would run {name} with:")
    for key, value in kwargs.items():
        typer.echo(f"  {key} = {value!r}")
    if not kwargs:
        typer.echo("  (no arguments)")


def _report(outcome: RunOutcome, as_json: bool) -> None:
    if as_json:
        print_json(outcome.as_dict())
        if not outcome.ok:  # the JSON is for scripts; the one-line error still goes to stderr
            what = "refused its arguments" if isinstance(outcome.exception, UsageError) else (
                f"failed (run {outcome.run_id})"
            )
            typer.echo(f"error: {outcome.job} {what}: {outcome.error}", err=True)
        return
    counts = " ".join(f"{k}={v}" for k, v in outcome.counts.items() if not isinstance(v, dict))
    if outcome.skipped:
        typer.echo(f"{outcome.job} skipped ({outcome.skipped}): {outcome.exception}")
    elif outcome.ok:
        typer.echo(
            f"{outcome.job} {outcome.status} in {outcome.duration_s:.2f}s "
            f"(run {outcome.run_id}){' ' + counts if counts else ''}"
        )
    elif isinstance(outcome.exception, UsageError):
        typer.echo(f"error: {outcome.job} refused its arguments: {outcome.error}", err=True)
    else:
        typer.echo(f"error: {outcome.job} failed (run {outcome.run_id}): {outcome.error}", err=True)
        if state().debug and outcome.exception is not None:
            traceback.print_exception(outcome.exception)
