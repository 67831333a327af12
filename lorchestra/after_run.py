"""What happens around every run: alerts, the metrics file and the run dashboard.

Each part is independent and best-effort: a webhook that is down or a full disk is reported
as a warning (and logged) but never changes the run's own result or exit code.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import typer

from lorchestra.config import Settings
from lorchestra.definitions import Catalog
from lorchestra.errors import LorchestraError
from lorchestra.logs import get_logger
from lorchestra.warehouse import Warehouse

log = get_logger(__name__)


def before_run(
    warehouse: Warehouse, home: Path, catalog: Catalog, settings: Settings | None = None
) -> None:
    """Clean up after dead runs, then alert on runs abandoned since the last run.

    Called with the run lock held (so a started run with no end belongs to no live process):
    their extract files are removed and they are marked ``abandoned`` (``lorchestra.leftovers``).
    """
    from lorchestra.alerting import alert_on
    from lorchestra.health import load_health
    from lorchestra.leftovers import clean_leftovers
    from lorchestra.notify import channels_from_env

    def clean() -> None:
        found = clean_leftovers(warehouse, home)
        if found.abandoned_runs or found.extract_files:
            typer.echo(
                f"warning: cleaned up after runs that were stopped: "
                f"{len(found.abandoned_runs)} run(s) marked abandoned, "
                f"{found.extract_files} extract file(s) removed.",
                err=True,
            )

    with _recording(home, settings):
        _best_effort("clean-up", clean)

    try:
        channels = channels_from_env()
    except LorchestraError:
        return  # a bad alert setting is reported once, after the run
    with _recording(home, settings):
        _best_effort(
            "alerts",
            lambda: alert_on(
                warehouse,
                load_health(warehouse, catalog, home, own_lock=True),
                channels,
                abandoned_only=True,
            ),
        )


def after_run(warehouse: Warehouse, settings: Settings, home: Path, catalog: Catalog) -> None:
    """Send due alerts, then rewrite ``metrics/lorchestra.prom`` and ``dashboard/index.html``.

    Called with the run lock still held.
    """
    from lorchestra.alerting import alert_on
    from lorchestra.dashboard import write_dashboard
    from lorchestra.health import load_health
    from lorchestra.job_history import load_history
    from lorchestra.metrics import write_metrics
    from lorchestra.notify import channels_from_env

    health = load_health(warehouse, catalog, home, own_lock=True)
    histories = load_history(warehouse)
    with _recording(home, settings):
        _best_effort("alerts", lambda: alert_on(warehouse, health, channels_from_env()))
    _best_effort("metrics", lambda: write_metrics(home, histories.values()))
    _best_effort("dashboard", lambda: write_dashboard(home, health, histories))


def _recording(home: Path, settings: Settings | None) -> AbstractContextManager[object]:
    """A run context of its own for the alert events, so they are backed up like any other."""
    from lorchestra.run_context import RunContext, new_run_id, running

    return running(RunContext(new_run_id(), job="alerts", home=home, settings=settings))


def _best_effort(part: str, action: Callable[[], object]) -> None:
    try:
        action()
    except LorchestraError as exc:  # a bad setting (LORCHESTRA_ALERT_WEBHOOK=...): say which
        log.warning("after_run.failed", part=part, error_type=type(exc).__name__)
        typer.echo(f"warning: {part} could not be updated: {exc}", err=True)
    except Exception as exc:  # noqa: BLE001 - monitoring must not fail the run it reports on
        log.warning("after_run.failed", part=part, error_type=type(exc).__name__)
        typer.echo(f"warning: {part} could not be updated ({type(exc).__name__}).", err=True)
