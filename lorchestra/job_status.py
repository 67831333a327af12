"""Each job definition's state for monitoring: last run, outcome, overdue, and overall health.

A definition is healthy when its last run completed (or is still running, or it never ran and
has no schedule) and it is not overdue. Overdue means a scheduled definition has not completed
within 1.5 of its intervals. A run that started and never ended while no run holds the lock was
abandoned (the process was killed, the machine went down) and counts as a failure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lorchestra.definitions import Catalog
from lorchestra.named_queries import find_query
from lorchestra.run_lock import run_in_progress
from lorchestra.warehouse import Warehouse

OVERDUE_FACTOR = 1.5
FAILED_STATES = ("failed", "abandoned")


@dataclass
class JobState:
    """One job definition's last run and what monitoring should make of it."""

    job_id: str
    schedule: str
    status: str  # completed | failed | abandoned | running | never run
    overdue: bool
    run_id: str | None = None
    last_run: datetime | None = None
    last_success: datetime | None = None
    duration_s: float | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def healthy(self) -> bool:
        return self.status not in FAILED_STATES and not self.overdue

    def as_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "schedule": self.schedule,
            "status": self.status,
            "overdue": self.overdue,
            "healthy": self.healthy,
            "run_id": self.run_id,
            "last_run": self.last_run,
            "last_success": self.last_success,
            "duration_s": self.duration_s,
            "counts": self.counts,
            "error": self.error,
        }


def job_states(
    warehouse: Warehouse,
    catalog: Catalog,
    home: Path,
    now: datetime | None = None,
    *,
    own_lock: bool = False,
) -> list[JobState]:
    """The state of every job definition in ``catalog``, sorted by id.

    ``own_lock``: the caller holds the run lock itself, so a run that started and never ended
    belongs to no live process (it was abandoned).
    """
    now = now or datetime.now(UTC)
    last = {row["definition"]: row for row in warehouse.query(find_query("last_runs").sql)}
    in_progress = not own_lock and run_in_progress(home)
    states = []
    for job_id, definition in sorted(catalog.jobs.items()):
        row = last.get(job_id)
        interval = definition.interval
        last_success = row["last_success_at"] if row else None
        overdue = interval is not None and (
            last_success is None or now - last_success > interval * OVERDUE_FACTOR
        )
        schedule = f"{definition.schedule} {definition.at}" if definition.schedule else ""
        if row is None:
            states.append(JobState(job_id, schedule, "never run", overdue))
            continue
        status = row["outcome"] or ("running" if in_progress else "abandoned")
        states.append(
            JobState(
                job_id,
                schedule,
                status,
                overdue,
                run_id=row["run_id"],
                last_run=row["started_at"],
                last_success=last_success,
                duration_s=row["duration_s"],
                counts=(json.loads(row["counts"]) if row["counts"] else None) or {},
                error=row["error"]
                or ("started and never ended: the process was stopped" if status == "abandoned"
                    else None),
            )
        )  # fmt: skip
    return states
