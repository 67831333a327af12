"""The data-check job: ``lorchestra run data_checks`` and the last stage of ``daily``.

It runs every data check (see :mod:`lorchestra.data_checks`), records the results in
``event_log`` and fails, naming the failed checks and their counts, when a check of severity
error found violations, so the run's exit code, ``status`` and alerts all see it.
"""

from __future__ import annotations

from lorchestra.data_checks import (
    DataChecksFailed,
    check_everything,
    errors_failed,
    failure_message,
    record,
)
from lorchestra.errors import LorchestraError
from lorchestra.run_context import current_run
from lorchestra.warehouse import Warehouse


def run(bq_client: Warehouse) -> dict[str, int]:
    """Run every data check; fail when a check of severity error found violations."""
    context = current_run()
    if context is None or context.settings is None:
        raise LorchestraError("checks/run needs lorchestra's settings: run it with lorchestra run.")
    results = check_everything(bq_client, context.settings)
    record(bq_client, results)
    failed = errors_failed(results)
    if failed:
        raise DataChecksFailed(failure_message(failed))
    return {
        "checks": len(results),
        "failed": 0,
        "warnings": sum(1 for r in results if r.failed),
    }
