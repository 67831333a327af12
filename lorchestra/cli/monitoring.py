"""``lorchestra check`` and ``lorchestra alerts``: data checks and alert delivery."""

from __future__ import annotations

from typing import Annotated

import typer

from lorchestra.cli._common import handle_errors, prepare_home, print_json, print_rows, settings

alerts_app = typer.Typer(no_args_is_help=True, help="Failure and overdue alerts.")
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@handle_errors
def check_command(as_json: JsonFlag = False) -> None:
    """Run the data checks and record their results in event_log.

    Freshness per connection, duplicate keys, required columns and references of every table,
    and the checks installed packages contribute. Exit code 1 when a check of severity error
    found violations (warnings are shown but do not fail).
    """
    from lorchestra.data_checks import check_everything, errors_failed, failure_message, record
    from lorchestra.run_context import RunContext, new_run_id, running
    from lorchestra.warehouse import open_warehouse

    current = settings()
    home = prepare_home(current)
    warehouse = open_warehouse(current)
    try:
        with running(RunContext(new_run_id(), job="checks/run", home=home, settings=current)):
            results = check_everything(warehouse, current)
            record(warehouse, results)
    finally:
        warehouse.close()
    failed = errors_failed(results)
    if as_json:
        print_json({"ok": not failed, "checks": [r.as_dict() for r in results]})
    else:
        print_rows([r.as_dict() for r in results], title="data checks")
        typer.echo(failure_message(failed) if failed else f"{len(results)} data checks pass.")
    if failed:
        raise typer.Exit(1)


@alerts_app.command("test")
@handle_errors
def alerts_test() -> None:
    """Send a test message to every configured channel (webhook, email); exit 1 if one fails."""
    from datetime import UTC, datetime

    from lorchestra.alerting import Alert, send
    from lorchestra.errors import ConfigError
    from lorchestra.notify import channels_from_env
    from lorchestra.run_context import new_run_id
    from lorchestra.warehouse import open_warehouse

    channels = channels_from_env()
    if not channels.names:
        raise ConfigError(
            "No alert channel is configured: set LORCHESTRA_ALERT_WEBHOOK and/or "
            "LORCHESTRA_ALERT_EMAIL (with the LORCHESTRA_SMTP_* settings)."
        )
    current = settings()
    prepare_home(current)
    warehouse = open_warehouse(current)
    try:
        outcome = send(warehouse, channels, Alert("test", "lorchestra", new_run_id(),
                                                  datetime.now(UTC)))  # fmt: skip
    finally:
        warehouse.close()
    for channel, result in outcome.items():
        typer.echo(f"{channel}: {'sent' if result == 'ok' else result}")
    if any(result != "ok" for result in outcome.values()):
        raise typer.Exit(1)


@alerts_app.command("check")
@handle_errors
def alerts_check() -> None:
    """Send the alerts the jobs' current state calls for (for a watchdog timer or cron)."""
    from lorchestra.alerting import alert_on
    from lorchestra.definitions import load_catalog
    from lorchestra.health import load_health
    from lorchestra.notify import channels_from_env
    from lorchestra.run_lock import run_in_progress
    from lorchestra.warehouse import open_warehouse

    current = settings()
    home = prepare_home(current)
    channels = channels_from_env()
    if run_in_progress(home):  # it sends what is due when it ends; do not wait for its lock
        typer.echo("a run is in progress; it sends any alert due when it ends")
        return
    warehouse = open_warehouse(current)
    try:
        sent = alert_on(warehouse, load_health(warehouse, load_catalog(home), home), channels)
    finally:
        warehouse.close()
    for alert in sent:
        typer.echo(f"sent: {alert.subject}")
    if not sent:
        typer.echo("no alert due" + ("" if channels.names else " (no channel configured)"))


@alerts_app.command("list")
@handle_errors
def alerts_list(
    days: Annotated[int, typer.Option("--days", min=1, help="Look back this many days.")] = 30,
    as_json: JsonFlag = False,
) -> None:
    """Alerts sent in the last --days days, newest first."""
    from lorchestra.named_queries import find_query
    from lorchestra.warehouse import open_warehouse

    current = settings()
    prepare_home(current)
    warehouse = open_warehouse(current, read_only=True)
    try:
        rows = warehouse.query(find_query("recent_alerts").sql, {"days": days})
    finally:
        warehouse.close()
    if as_json:
        print_json(rows)
    else:
        print_rows(rows, title="alerts")
