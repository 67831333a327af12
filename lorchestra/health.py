"""Whether the installation is healthy: every job's state plus the last data checks.

``lorchestra status`` prints this and exits 1 when it is not healthy; the dashboard and alerts
read the same facts, so every place that says "something is wrong" agrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from lorchestra.data_checks import CheckResult, errors_failed, last_results
from lorchestra.definitions import Catalog
from lorchestra.job_status import JobState, job_states
from lorchestra.warehouse import Warehouse


@dataclass
class Health:
    jobs: list[JobState]
    checks: list[CheckResult]
    checks_at: datetime | None

    @property
    def failed(self) -> list[JobState]:
        return [job for job in self.jobs if job.status in ("failed", "abandoned")]

    @property
    def overdue(self) -> list[JobState]:
        return [job for job in self.jobs if job.overdue]

    @property
    def failed_checks(self) -> list[CheckResult]:
        return errors_failed(self.checks)

    @property
    def ok(self) -> bool:
        return not (self.failed or self.overdue or self.failed_checks)

    def verdict(self) -> str:
        """One line: "healthy: ..." or what is wrong, naming the jobs and checks."""
        if self.ok:
            checks = f"{len(self.checks)} data checks pass" if self.checks else "no data checks yet"
            return f"healthy: {len(self.jobs)} job(s), none failed or overdue; {checks}."
        parts = []
        if self.failed:
            parts.append(f"{len(self.failed)} failed ({', '.join(j.job_id for j in self.failed)})")
        if self.overdue:
            names = ", ".join(j.job_id for j in self.overdue)
            parts.append(f"{len(self.overdue)} overdue ({names})")
        if self.failed_checks:
            names = ", ".join(c.name for c in self.failed_checks)
            parts.append(f"{len(self.failed_checks)} data check(s) failed ({names})")
        return "UNHEALTHY: " + "; ".join(parts) + "."

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "verdict": self.verdict(),
            "jobs": [job.as_dict() for job in self.jobs],
            "checks_at": self.checks_at,
            "checks": [check.as_dict() for check in self.checks],
        }


def load_health(
    warehouse: Warehouse, catalog: Catalog, home: Path, *, own_lock: bool = False
) -> Health:
    """Jobs and checks as ``event_log`` has them (``own_lock``: see ``job_states``)."""
    checks_at, checks = last_results(warehouse)
    return Health(job_states(warehouse, catalog, home, own_lock=own_lock), checks, checks_at)
