"""Alerts once per incident: a job fails (or is abandoned) or becomes overdue, then recovers.

After every run (and on ``lorchestra alerts check``) each job definition's state is compared
with the last alert delivered for it, read back from ``event_log``:

- a failing or overdue job with no open incident raises one alert (kind ``failed`` or
  ``overdue``); while the incident is open, further failures send nothing;
- the job's next completed run, on time, sends one ``recovered`` message and closes it.

A job that never ran is reported overdue by ``status`` but raises no alert: it cannot have
*become* overdue. An alert carries the job, the run id, the time and the sanitised cause that
``event_log`` already holds — never record contents. Each delivery is recorded as an
``alert.sent`` event; one that reached no channel is not recorded as delivered, so the next
check tries again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lorchestra.health import Health
from lorchestra.job_status import JobState
from lorchestra.named_queries import find_query
from lorchestra.notify import Channels, deliver
from lorchestra.timespec import isoformat_utc
from lorchestra.warehouse import Warehouse

EVENT = "alert.sent"
PROBLEMS = ("failed", "overdue")


@dataclass(frozen=True)
class Alert:
    kind: str  # failed | overdue | recovered | test
    job: str
    run_id: str | None
    at: datetime
    cause: str | None = None

    @property
    def subject(self) -> str:
        what = {
            "failed": "FAILED",
            "overdue": "OVERDUE",
            "recovered": "recovered",
            "test": "test message",
        }[self.kind]
        return f"[lorchestra] {self.job} {what}"

    def text(self) -> str:
        lines = [
            self.subject,
            f"job: {self.job}",
            f"run: {self.run_id or '-'}",
            f"time: {isoformat_utc(self.at)}",
        ]
        if self.cause:
            lines.append(f"cause: {self.cause}")
        if self.kind != "test":
            lines.append(f"details: lorchestra runs show {self.run_id}" if self.run_id else "")
        return "\n".join(line for line in lines if line) + "\n"

    def data(self) -> dict[str, Any]:
        return {
            "source": "lorchestra",
            "kind": self.kind,
            "job": self.job,
            "run_id": self.run_id,
            "time": isoformat_utc(self.at),
            "cause": self.cause,
            "text": self.text(),  # chat webhooks (Slack, Mattermost) show this field
        }


def open_incidents(warehouse: Warehouse) -> dict[str, str]:
    """Job -> the kind of its open incident (failed or overdue)."""
    rows = warehouse.query(find_query("alert_state").sql)
    return {row["job"]: row["kind"] for row in rows if row["kind"] in PROBLEMS}


def due_alerts(
    health: Health,
    incidents: dict[str, str],
    now: datetime | None = None,
    *,
    abandoned_only: bool = False,
) -> list[Alert]:
    """The alerts the current state calls for, given the open incidents."""
    now = now or datetime.now(UTC)
    alerts = []
    for job in health.jobs:
        if abandoned_only and job.status != "abandoned":
            continue
        problem = _problem(job)
        if problem and job.job_id not in incidents:
            cause = job.error if problem == "failed" else _overdue_cause(job)
            alerts.append(Alert(problem, job.job_id, job.run_id, now, cause))
        elif problem is None and job.job_id in incidents and job.status == "completed":
            alerts.append(Alert("recovered", job.job_id, job.run_id, now))
    return alerts


def _problem(job: JobState) -> str | None:
    if job.status in ("failed", "abandoned"):
        return "failed"
    if job.overdue and job.last_success is not None:
        return "overdue"
    return None


def _overdue_cause(job: JobState) -> str:
    last = isoformat_utc(job.last_success) if job.last_success else "never"
    return f"no completed run since {last} (schedule {job.schedule})"


def send(warehouse: Warehouse, channels: Channels, alert: Alert) -> dict[str, str]:
    """Deliver one alert and record it; returns each channel's outcome."""
    from lorchestra.stack_clients.event_client import emit

    outcome = deliver(channels, alert.subject, alert.text(), alert.data())
    delivered = [name for name, result in outcome.items() if result == "ok"]
    problems = [result for result in outcome.values() if result != "ok"]
    emit(
        warehouse,
        EVENT,
        "lorchestra",
        {"kind": alert.kind, "job": alert.job, "run_id": alert.run_id, "channels": delivered},
        status="ok" if delivered else "failed",
        error_message="; ".join(problems) or None,
    )
    return outcome


def alert_on(
    warehouse: Warehouse, health: Health, channels: Channels, *, abandoned_only: bool = False
) -> list[Alert]:
    """Send whatever the state calls for; returns the alerts delivered to some channel.

    ``abandoned_only`` is for the start of a run: a run killed since the last one is reported
    before the new run replaces it as the job's last run.
    """
    if not channels.names:
        return []
    sent = []
    for alert in due_alerts(health, open_incidents(warehouse), abandoned_only=abandoned_only):
        if "ok" in send(warehouse, channels, alert).values():
            sent.append(alert)
    return sent
