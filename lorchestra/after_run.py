"""What happens at the end of every run: alerts, the metrics file and the run dashboard.

Each part is independent and best-effort: a webhook that is down or a full disk is reported
as a warning (and logged) but never changes the run's own result or exit code.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer

from lorchestra.config import Settings
from lorchestra.definitions import Catalog
from lorchestra.logs import get_logger
from lorchestra.warehouse import Warehouse

log = get_logger(__name__)


def after_run(warehouse: Warehouse, settings: Settings, home: Path, catalog: Catalog) -> None:
    """Send due alerts, then rewrite ``metrics/lorchestra.prom`` and ``dashboard/index.html``."""
    from lorchestra.alerting import alert_on
    from lorchestra.dashboard import write_dashboard
    from lorchestra.health import load_health
    from lorchestra.job_history import load_history
    from lorchestra.metrics import write_metrics
    from lorchestra.notify import channels_from_env

    health = load_health(warehouse, catalog, home)
    histories = load_history(warehouse)
    _best_effort("alerts", lambda: alert_on(warehouse, health, channels_from_env()))
    _best_effort("metrics", lambda: write_metrics(home, histories.values()))
    _best_effort("dashboard", lambda: write_dashboard(home, health, histories))


def _best_effort(part: str, action: Callable[[], object]) -> None:
    try:
        action()
    except Exception as exc:  # noqa: BLE001 - monitoring must not fail the run it reports on
        log.warning("after_run.failed", part=part, error_type=type(exc).__name__)
        typer.echo(f"warning: {part} could not be updated ({type(exc).__name__}).", err=True)
