"""Which weekly reports show a measurement: the reporter's hook for ``lorchestra lineage``.

A client's weekly report charts the client's whole measurement history up to the week's end,
so a measurement is shown by every report written for its subject's contact for the week it
was taken in or a later one. Reports written are known from ``report.generated`` events and the
files under ``<home>/reports/<week>/``; sends from ``report.sent`` events.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lorchestra.api import Warehouse
from reporter.local_tables import fetch_all
from reporter.weekly import REPORTS_DIR, SENT_EVENT, sent_target
from reporter.weekly_data import parse_instant, parse_week

_REPORT_WEEKS_SQL = (
    "SELECT DISTINCT target_object_type AS target FROM event_log "
    "WHERE event_type = 'report.generated' AND target_object_type LIKE 'weekly_report:%'"
)
_SENT_SQL = (
    "SELECT DISTINCT target_object_type AS target FROM event_log "
    "WHERE event_type = @event AND status = 'ok' AND connection_name = @contact_id"
)


def weekly_reports(
    bq_client: Warehouse, home: Path | None, nodes: Sequence[Any]
) -> list[dict[str, Any]]:
    """One entry per weekly report file that shows one of the measurement events in ``nodes``."""
    measurements = [node.row for node in nodes if node.table == "measurement_events"]
    if home is None or not measurements:
        return []
    contact_of: dict[str, str] = {}
    for contact in fetch_all(bq_client, "contacts"):
        if contact["contact_id"]:
            contact_of[str(contact["contact_id"])] = str(contact["contact_id"])
            if contact.get("email"):
                contact_of[str(contact["email"]).strip().lower()] = str(contact["contact_id"])
    weeks = sorted(
        (parse_week(row["target"].split(":", 1)[1]) for row in bq_client.query(_REPORT_WEEKS_SQL)),
        key=lambda week: (week.year, week.week),
    )
    found: list[dict[str, Any]] = []
    for measurement in measurements:
        contact_id = contact_of.get(str(measurement["subject_id"]))
        occurred = parse_instant(measurement["occurred_at"])
        if contact_id is None or occurred is None:
            continue
        sent = {
            row["target"]
            for row in bq_client.query(_SENT_SQL, {"event": SENT_EVENT, "contact_id": contact_id})
        }
        for week in weeks:
            path = home / REPORTS_DIR / week.label / f"client_{contact_id}.html"
            if occurred < week.end and path.is_file():
                found.append(
                    {
                        "kind": "weekly report",
                        "name": f"{week.label} client {contact_id}",
                        "file": str(path.relative_to(home)),
                        "sent": sent_target(week) in sent,
                        "shows": measurement["event_key"],
                    }
                )
    return found
