"""Same-day risk alerts through a real SMTP server on loopback (aiosmtpd): once per response,
endorsed or unreadable item 9 only, alerts off without an address, a clear error without SMTP.

Seeded (synthetic): Alex's PHQ-9 e1 (item 9 = 0) and e2 (item 9 endorsed, "Several days"),
and Blair's PHQ-9 b9 whose item 9 could not be read (flag null).
"""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest

from lorchestra.errors import ConfigError
from lorchestra.pipelines import describe_changes
from reporter import jobs


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    from aiosmtpd.controller import Controller

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    for name, value in {
        "LORCHESTRA_SMTP_HOST": "127.0.0.1", "LORCHESTRA_SMTP_PORT": str(port),
        "LORCHESTRA_SMTP_STARTTLS": "false", "LORCHESTRA_REPORT_FROM": "reports@practice.test",
        "LORCHESTRA_RISK_ALERT_EMAIL": "clinician@practice.test",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("LORCHESTRA_REPORT_TO", raising=False)
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def risky(seeder: Any) -> Any:
    def item9(key: str, subject: str, at: str, value: float | None, label: str | None) -> None:
        from datetime import datetime

        from lorchestra.stack_clients.event_client import upsert

        upsert(seeder.warehouse, "observations", [{
            "observation_key": f"{key}/item/phq9_9", "event_key": key, "subject_id": subject,
            "instrument_id": "phq9", "kind": "item", "code": "phq9_9", "loinc": "44260-8",
            "value": value, "label": label, "missing": value is None,
            "occurred_at": datetime.fromisoformat(at.replace("Z", "+00:00")),
        }], emit_event=False)  # fmt: skip

    item9("e1", "alex.client@example.test", "2026-03-02T10:00:00Z", 0, "Not at all")
    item9("e2", "alex.client@example.test", "2026-03-09T10:00:00Z", 1, "Several days")
    seeder.measurement("b9", "blair@example.test", "phq9", "2026-03-10T10:00:00Z", 7, "mild",
                       item9=None)  # fmt: skip
    item9("b9", "blair@example.test", "2026-03-10T10:00:00Z", None, None)
    return seeder


def test_alerts_once_per_endorsed_or_unreadable_response(
    risky: Any, run_job: Any, smtp: Inbox
) -> None:
    first = run_job(jobs.send_risk_alerts)
    assert first == {"flagged": 2, "alerts_sent": 2, "alerts_off": 0}
    assert describe_changes(first) == "2 alerts sent"
    assert [to for to, _ in smtp.messages] == [["clinician@practice.test"]] * 2
    alex, blair = (message.get_content() for _, message in smtp.messages)
    assert "Client: Alex Client (contact c-0001)" in alex
    assert "Completed: 2026-03-09 10:00:00 UTC" in alex
    assert "Item 9 answer: Several days (1)" in alex and "PHQ-9 total: 8 (mild)" in alex
    assert "Client: Blair Client (contact c-0002)" in blair
    assert "Item 9 answer: unreadable" in blair
    for _, message in smtp.messages:
        assert message["Subject"] == "Same-day risk alert: PHQ-9 item 9"
        assert "Alex" not in message["Subject"]
        assert "http" not in message.get_content()  # a link to nothing

    second = run_job(jobs.send_risk_alerts)
    assert second == {"flagged": 0, "alerts_sent": 0, "alerts_off": 0}
    assert len(smtp.messages) == 2

    events = risky.warehouse.query(
        "SELECT connection_name, target_object_type, payload FROM event_log "
        "WHERE event_type = 'risk_alert.sent' ORDER BY connection_name"
    )
    assert [e["connection_name"] for e in events] == ["b9", "e2"]
    for event in events:
        assert "Alex" not in str(event["payload"]) and "@" not in str(event["payload"])


def test_a_rescored_response_is_not_alerted_again(risky: Any, run_job: Any, smtp: Inbox) -> None:
    run_job(jobs.send_risk_alerts)
    # A rebuild: the measurement tables emptied and scored again with the same keys.
    risky.warehouse.execute("DELETE FROM measurement_events WHERE TRUE")
    risky.measurement("e2", "alex.client@example.test", "phq9", "2026-03-09T10:00:00Z", 8, "mild",
                      item9=True)  # fmt: skip
    risky.measurement("b9", "blair@example.test", "phq9", "2026-03-10T10:00:00Z", 7, "mild",
                      item9=None)  # fmt: skip
    assert run_job(jobs.send_risk_alerts)["alerts_sent"] == 0
    # A new endorsed response is alerted.
    risky.measurement("e3", "alex.client@example.test", "phq9", "2026-03-11T10:00:00Z", 9,
                      "mild", item9=True)  # fmt: skip
    assert run_job(jobs.send_risk_alerts)["alerts_sent"] == 1
    assert len(smtp.messages) == 3


def test_no_address_means_alerts_off_and_says_so(
    risky: Any, run_job: Any, smtp: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LORCHESTRA_RISK_ALERT_EMAIL")
    result = run_job(jobs.send_risk_alerts)
    assert result == {"flagged": 2, "alerts_sent": 0, "alerts_off": 1}
    assert describe_changes(result) == (
        "no change; risk alerts off: LORCHESTRA_RISK_ALERT_EMAIL is not set"
    )
    assert smtp.messages == []


def test_address_without_smtp_fails_naming_the_setting(
    risky: Any, run_job: Any, smtp: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LORCHESTRA_SMTP_HOST")
    with pytest.raises(ConfigError, match="LORCHESTRA_SMTP_HOST is not set; it is needed to send"):
        run_job(jobs.send_risk_alerts)
