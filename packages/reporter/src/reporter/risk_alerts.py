"""Same-day risk alerts: PHQ-9 item 9 endorsed (or unreadable) reaches the clinician by email.

After scoring, every PHQ-9 administration whose item 9 (thoughts of being better off dead or
of self-harm) was answered above 0, or could not be read (the flag is null), and that has not
been alerted yet, is sent to ``LORCHESTRA_RISK_ALERT_EMAIL`` through the configured SMTP server
(:mod:`reporter.mailer`), one message per response. Each send is recorded at once as a
``risk_alert.sent`` event whose ``connection_name`` is the measurement's event_key, so a
response is alerted exactly once, across runs, re-scoring and replays (event keys are
deterministic and the event log is append-only). This address is the clinician's and the
message carries the client's name, the answer and the PHQ-9 total; it is kept apart from the
operational alerts, which never carry PHI. The message holds no link. Events carry ids only.

With no ``LORCHESTRA_RISK_ALERT_EMAIL`` nothing is sent and the job's counts say alerts are off
(the run summary and ``lorchestra status`` show it); with it set but the SMTP settings
incomplete, the job fails naming the missing setting.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from lorchestra.api import Warehouse, emit
from reporter.local_tables import Row, fetch_all, plain

ALERT_VARIABLE = "LORCHESTRA_RISK_ALERT_EMAIL"
SENT_EVENT = "risk_alert.sent"
TARGET = "risk_alert:phq9_item9"

_DUE_SQL = f"""
SELECT
  m.event_key,
  m.subject_id,
  m.occurred_at,
  m.score,
  m.band,
  SAFE_CAST(JSON_VALUE(m.flags, '$.item9_positive') AS BOOL) AS item9_positive,
  o.value AS item9_value,
  o.label AS item9_label
FROM measurement_events m
LEFT JOIN observations o
  ON o.event_key = m.event_key AND o.kind = 'item' AND o.code = 'phq9_9'
WHERE m.instrument_id = 'phq9'
  AND COALESCE(SAFE_CAST(JSON_VALUE(m.flags, '$.item9_positive') AS BOOL), TRUE)
  AND NOT EXISTS (
    SELECT 1 FROM event_log e
    WHERE e.event_type = '{SENT_EVENT}' AND e.status = 'ok'
      AND e.connection_name = m.event_key
  )
ORDER BY m.occurred_at, m.event_key
"""


@dataclass
class AlertCounts:
    flagged: int = 0  # responses due an alert (endorsed or unreadable, not alerted yet)
    alerts_sent: int = 0
    # 1 when no LORCHESTRA_RISK_ALERT_EMAIL is set: the run summary and status say "risk
    # alerts off" (counts are numbers only, so the flag is one).
    alerts_off: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def due_alerts(bq_client: Warehouse) -> list[Row]:
    """The responses due an alert, oldest first, as plain values."""
    kinds = {"occurred_at": "TIMESTAMP", "score": "REAL", "item9_value": "REAL"}
    return [
        {k: plain(v, kinds.get(k, "TEXT" if not isinstance(v, bool) else "BOOLEAN"))
         for k, v in row.items()}
        for row in bq_client.query(_DUE_SQL)
    ]  # fmt: skip


def send_alerts(bq_client: Warehouse, env: Mapping[str, str] | None = None) -> AlertCounts:
    from reporter.mailer import Mailer, smtp_settings

    env = os.environ if env is None else env
    due = due_alerts(bq_client)
    counts = AlertCounts(flagged=len(due))
    if not (env.get(ALERT_VARIABLE) or "").strip():
        counts.alerts_off = 1
        return counts
    settings = smtp_settings(
        env, recipient_variable=ALERT_VARIABLE, purpose="send same-day risk alerts"
    )
    if not due:
        return counts
    contacts = {
        (c.get("email") or "").strip().lower(): c for c in fetch_all(bq_client, "contacts")
    }
    with Mailer(settings) as mailer:
        for row in due:
            contact = contacts.get(str(row["subject_id"]))
            mailer.send(build_alert(settings.sender, settings.recipient, row, contact))
            counts.alerts_sent += 1
            emit(
                bq_client,
                SENT_EVENT,
                "reporter",
                {"event_key": row["event_key"],
                 "contact_id": contact.get("contact_id") if contact else None,
                 "unreadable": row["item9_positive"] is None},
                connection_name=row["event_key"],
                target_object_type=TARGET,
            )  # fmt: skip
    return counts


def build_alert(
    sender: str, recipient: str, row: Row, contact: Row | None
) -> EmailMessage:
    """The alert for one response: who, when, the answer and the total; no link."""
    name = _name(contact) or f"not in the contacts (respondent {row['subject_id']})"
    contact_id = f" (contact {contact['contact_id']})" if contact else ""
    when = str(row["occurred_at"] or "unknown time").replace("T", " ").replace("Z", " UTC")
    if row["item9_positive"] is None:
        answer = "unreadable — check with the client (the answer could not be read)"
    else:
        value = row["item9_value"]
        number = "" if value is None else f" ({float(value):g})"
        answer = f"{row['item9_label'] or 'endorsed'}{number}"
    total = "not scored" if row["score"] is None else f"{float(row['score']):g}"
    if row["score"] is not None and row["band"]:
        total += f" ({row['band']})"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = "Same-day risk alert: PHQ-9 item 9"
    message["Message-ID"] = make_msgid(domain="lorchestra.local")
    message.set_content(
        "PHQ-9 item 9 (thoughts of being better off dead or of self-harm) was answered above 0"
        " or could not be read.\n\n"
        f"Client: {name}{contact_id}\n"
        f"Completed: {when}\n"
        f"Item 9 answer: {answer}\n"
        f"PHQ-9 total: {total}\n\n"
        "Please review today, whatever the total score. This alert is sent once for this "
        "response; the client's weekly report shows it too.\n"
    )
    return message


def _name(contact: Row | None) -> str | None:
    if contact is None:
        return None
    full = contact.get("full_name") or " ".join(
        p for p in (contact.get("first_name"), contact.get("last_name")) if p
    )
    return str(full) or None
