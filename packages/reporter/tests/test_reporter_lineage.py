"""The reporter's lineage hook: which weekly reports show a measurement, through the host's
`lineage` walk and the installed `lorchestra.lineage` entry point."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from lorchestra.lineage import trace
from lorchestra.warehouse import installed_tables
from lorchestra.warehouse.duckdb_backend import DuckDBWarehouse
from reporter import jobs


def test_a_measurement_is_shown_by_its_week_and_later_reports(
    seeder: Any, run_job: Callable[..., dict[str, Any]], home: Path, warehouse: DuckDBWarehouse
) -> None:
    for week in ("2026-W10", "2026-W11"):
        run_job(jobs.generate_weekly_report, week=week)

    def shown_by(key: str) -> list[tuple[str, str, bool]]:
        lineage = trace(warehouse, installed_tables().values(), key, home)
        assert lineage.hook_errors == []
        return [(c["name"], c["file"], c["sent"]) for c in lineage.consumers]

    # Alex's first PHQ-9 (week 10) is charted in week 10's report and in week 11's history.
    assert shown_by("e1") == [
        ("2026-W10 client c-0001", "reports/2026-W10/client_c-0001.html", False),
        ("2026-W11 client c-0001", "reports/2026-W11/client_c-0001.html", False),
    ]
    assert shown_by("e2") == [
        ("2026-W11 client c-0001", "reports/2026-W11/client_c-0001.html", False)]  # fmt: skip
    # Blair had no activity in week 11, so no report of that week shows her score.
    assert shown_by("g1") == [
        ("2026-W10 client c-0002", "reports/2026-W10/client_c-0002.html", False)]  # fmt: skip
