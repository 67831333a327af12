"""Ended job runs from ``event_log``, grouped per job: what metrics and the dashboard draw."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lorchestra.named_queries import find_query
from lorchestra.pipelines import change_totals
from lorchestra.warehouse import Warehouse

# Record outcomes as metrics name them -> the change labels that add up to each.
OUTCOMES = {
    "inserted": ("new",),
    "updated": ("updated",),
    "unchanged": ("unchanged",),
    "rejected": ("rejected", "malformed"),
}


@dataclass(frozen=True)
class EndedRun:
    job: str
    run_id: str
    trace_id: str | None
    status: str  # completed | failed
    ended_at: datetime
    duration_s: float | None
    counts: dict[str, Any]
    error: str | None

    @property
    def records(self) -> dict[str, int]:
        totals = change_totals(self.counts)
        return {
            outcome: sum(totals.get(label, 0) for label in labels)
            for outcome, labels in OUTCOMES.items()
        }


@dataclass
class JobHistory:
    job: str
    runs: list[EndedRun] = field(default_factory=list)  # oldest first

    @property
    def last(self) -> EndedRun:
        return self.runs[-1]

    @property
    def last_success(self) -> EndedRun | None:
        return next((r for r in reversed(self.runs) if r.status == "completed"), None)

    def runs_by_status(self) -> dict[str, int]:
        out = {"completed": 0, "failed": 0}
        for run in self.runs:
            out[run.status] += 1
        return out

    def records_total(self) -> dict[str, int]:
        totals = dict.fromkeys(OUTCOMES, 0)
        for run in self.runs:
            for outcome, number in run.records.items():
                totals[outcome] += number
        return totals


def load_history(warehouse: Warehouse) -> dict[str, JobHistory]:
    """Job -> its ended runs, oldest first."""
    grouped: dict[str, JobHistory] = defaultdict(lambda: JobHistory(""))
    for row in warehouse.query(find_query("job_history").sql):
        history = grouped[row["job"]]
        history.job = row["job"]
        history.runs.append(
            EndedRun(
                row["job"],
                row["run_id"],
                row["trace_id"],
                row["status"],
                row["ended_at"],
                row["duration_s"],
                (json.loads(row["counts"]) if row["counts"] else None) or {},
                row["error"],
            )
        )
    return dict(sorted(grouped.items()))
