"""reporter's views on DuckDB and on the BigQuery emulator: fixed synthetic rows in, exact rows out.

All data is synthetic. The same fixture goes through ``event_client.upsert`` on both backends,
the views are created by the ``create_projections`` job, and each view must return exactly the
rows worked out by hand below (times normalised to ISO-8601 UTC text for comparison).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from lorchestra.config import Settings
from lorchestra.run_context import RunContext, running
from lorchestra.stack_clients.event_client import upsert
from lorchestra.warehouse import Warehouse

pytest.importorskip("reporter")

from canonizer.email_messages import catch_up  # noqa: E402
from reporter import jobs  # noqa: E402
from reporter.local_tables import plain  # noqa: E402
from reporter.projections import EmailMessagesBehind  # noqa: E402

ALEX, BLAIR = "alex.client@example.test", "blair@example.test"
OWNER, DESK, EXTRA = "owner@practice.test", "desk@practice.test", "extra@practice.test"
PROSPECT = "prospect@elsewhere.test"


# -- fixture rows ------------------------------------------------------------------------------
def canonical(
    kind: str, connection: str, external_id: str, payload: dict[str, Any]
) -> dict[str, Any]:
    source = f"synthetic:{connection}:{kind}:{external_id}"
    return {
        "idem_key": f"{source}#{kind}",
        "source_idem_key": source,
        "canonical_schema": f"iglu:org.canonical/{kind}/jsonschema/1-0-0",
        "canonical_kind": kind,
        "transform_ref": f"synthetic/{kind}@1.0.0",
        "payload": payload,
        "canonicalized_at": datetime(2026, 3, 20, tzinfo=UTC),
    }


def email(
    connection: str,
    message_id: str,
    thread: str,
    at: str,
    sender: str,
    to: list[str],
    *,
    cc: tuple[str, ...] = (),
    labels: tuple[str, ...] = (),
    subject: str = "",
    copy: str = "",
) -> dict[str, Any]:
    def people(addresses: Any) -> list[dict[str, str]]:
        return [{"email": a, "name": "Synthetic"} for a in addresses]

    return canonical(
        "email_jmap_lite",
        connection,
        message_id + copy,
        {
            "id": message_id + copy,
            "threadId": thread,
            "receivedAt": at,
            "sentAt": at,
            "messageId": [f"{message_id}@mail.example.test"],
            "inReplyTo": [],
            "references": [],
            "from": people([sender]),
            "to": people(to),
            "cc": people(cc),
            "bcc": [],
            "replyTo": [],
            "subject": subject,
            "preview": "synthetic",
            "body": {"text": "synthetic", "html": None},
            "attachments": [],
            "hasAttachment": False,
            "keywords": {"$seen": True},
            "labels": list(labels),
            "size": 100,
            "importance": "normal",
        },
    )


def fixture_rows() -> list[dict[str, Any]]:
    rows = [
        canonical("contact", "dv", "c-0001", {"contact_id": "c-0001", "full_name": "Alex Client",
                                              "email": " Alex.Client@Example.TEST "}),
        canonical("contact", "dv", "c-0002", {"contact_id": "c-0002", "full_name": "Blair Client",
                                              "email": BLAIR}),
        canonical("customer", "st", "cus_1", {"customer_id": "cus_1", "email": ALEX,
                                              "metadata": {"dataverse_contact_id": "c-0001"}}),
        canonical("customer", "st", "cus_2", {"customer_id": "cus_2", "email": "BLAIR@example.test",
                                              "metadata": {}}),
        # T1 (gmail-a): Alex writes, the owner replies (SENT), Alex writes again, copying Blair.
        email("gmail-a", "m1", "T1", "2026-03-02T09:00:00Z", ALEX, [OWNER], subject="Scheduling",
              labels=("INBOX",)),
        email("gmail-a", "m2", "T1", "2026-03-03T10:00:00Z", OWNER, [ALEX],
              subject="Re: Scheduling", labels=("SENT",)),
        email("gmail-a", "m3", "T1", "2026-03-04T11:00:00Z", ALEX, [OWNER], cc=(BLAIR,),
              subject="Re: Scheduling", labels=("INBOX",)),
        # The same message (same Message-ID) seen in a second mailbox counts once.
        email("gmail-c", "m3", "T1", "2026-03-04T11:00:00Z", ALEX, [OWNER], cc=(BLAIR,),
              subject="Re: Scheduling", copy="-copy"),
        # T4 (gmail-a): sent from an address only the configuration names as the practice's.
        email("gmail-a", "m7", "T4", "2026-03-06T09:00:00Z", EXTRA, [ALEX], cc=(OWNER,),
              subject="Forms"),
        # T2, T3 (exchange-b, no SENT labels): desk@ is on every message, so it is the owner.
        email("exchange-b", "m4", "T2", "2026-03-05T08:00:00Z", PROSPECT, [DESK],
              subject="Question"),
        email("exchange-b", "m5", "T2", "2026-03-05T12:30:00Z", DESK, [PROSPECT],
              subject="RE: Question"),
        email("exchange-b", "m6", "T3", "2026-03-16T08:00:00Z", BLAIR, [DESK],
              subject="Billing question"),
    ]  # fmt: skip
    for session_id, contact_id, when, status in (
        ("s1", "c-0001", "2026-03-03T15:00:00Z", "active"),
        ("s2", "c-0001", "2026-03-10T15:00:00Z", "active"),
        ("s3", "c-0001", "2026-03-12T15:00:00Z", "inactive"),
        ("s4", "c-0002", "2026-03-08T15:00:00Z", "active"),  # a Sunday: week of 2026-03-02
    ):
        rows.append(
            canonical(
                "clinical_session",
                "dv",
                session_id,
                {"session_id": session_id, "contact_id": contact_id, "session_date": when,
                 "status": status, "has_transcript": False, "has_notes": False,
                 "has_summary": False},
            )
        )  # fmt: skip
    for invoice_id, customer, when, status, due in (
        ("in_1", "cus_1", "2026-03-03T12:00:00Z", "paid", 12000),
        ("in_2", "cus_1", "2026-03-10T12:00:00Z", "open", 12000),
        ("in_3", "cus_1", "2026-03-10T13:00:00Z", "void", 5000),
        ("in_4", "cus_2", "2026-03-09T12:00:00Z", "paid", 9000),
    ):
        rows.append(
            canonical(
                "invoice",
                "st",
                invoice_id,
                {"invoice_id": invoice_id, "customer_id": customer, "status": status,
                 "currency": "USD", "amount_due": due, "amount_paid": 0,
                 "amount_remaining": due, "created_at": when, "lines": []},
            )
        )  # fmt: skip
    for payment_id, customer, when, status, amount, received in (
        ("pi_1", "cus_1", "2026-03-04T12:00:00Z", "succeeded", 12000, 12000),
        ("pi_2", "cus_2", "2026-03-09T12:00:00Z", "succeeded", 9000, None),
        ("pi_3", "cus_1", "2026-03-11T12:00:00Z", "requires_payment_method", 500, None),
    ):
        rows.append(
            canonical(
                "payment",
                "st",
                payment_id,
                {"payment_id": payment_id, "customer_id": customer, "status": status,
                 "currency": "USD", "amount": amount, "amount_received": received,
                 "created_at": when},
            )
        )  # fmt: skip
    return rows


def measurement_rows() -> list[dict[str, Any]]:
    def event(
        key: str,
        subject: str,
        instrument: str,
        at: str,
        score: float,
        band: str,
        flags: dict[str, Any],
    ) -> dict[str, Any]:
        return {
            "event_key": key, "source_idem_key": f"synthetic:{key}", "subject_id": subject,
            "instrument_id": instrument, "instrument_version": "1.0.0",
            "occurred_at": datetime.fromisoformat(at), "score": score, "band": band,
            "scales": {"total": score}, "bands": {"total": band}, "flags": flags,
            "n_missing": 0, "prorated": False,
        }  # fmt: skip

    return [
        event("e1", ALEX, "phq9", "2026-03-02T10:00:00+00:00", 12, "moderate",
              {"item9_positive": False}),
        event("e2", ALEX, "phq9", "2026-03-09T10:00:00+00:00", 8, "mild",
              {"item9_positive": True}),
        event("e3", ALEX, "phq9", "2026-03-11T10:00:00+00:00", 5, "minimal",
              {"item9_positive": False}),
        event("g1", ALEX, "gad7", "2026-03-02T10:00:00+00:00", 9, "mild", {}),
        event("b1", BLAIR, "phq9", "2026-03-10T09:00:00+00:00", 15, "moderately severe",
              {"item9_positive": None}),
    ]  # fmt: skip


def fscrs_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Two FSCRS administrations for Alex: subscales only, no total."""
    events, observations = [], []
    for key, at, scales in (
        ("f1", "2026-03-02T10:00:00+00:00", {"inadequate_self": 20.0, "hated_self": 8.0}),
        ("f2", "2026-03-09T10:00:00+00:00", {"inadequate_self": 14.0, "hated_self": 9.0}),
    ):
        events.append({
            "event_key": key, "source_idem_key": f"synthetic:{key}", "subject_id": ALEX,
            "instrument_id": "fscrs", "instrument_version": "1.0.0",
            "occurred_at": datetime.fromisoformat(at), "score": scales["inadequate_self"],
            "band": None, "scales": scales, "bands": {}, "flags": {}, "n_missing": 0,
            "prorated": False,
        })  # fmt: skip
        observations += [scale_row(key, ALEX, "fscrs", at, code, value, None)
                         for code, value in scales.items()]  # fmt: skip
    return events, observations


def scale_row(key: str, subject: str, instrument: str, at: Any, code: str, value: float | None,
              band: str | None) -> dict[str, Any]:
    return {
        "observation_key": f"{key}/scale/{code}", "event_key": key, "subject_id": subject,
        "instrument_id": instrument, "kind": "scale", "code": code, "loinc": None,
        "value": value, "label": band, "missing": value is None,
        "occurred_at": at if isinstance(at, datetime) else datetime.fromisoformat(at),
    }  # fmt: skip


@pytest.fixture
def seeded(warehouse: Warehouse, home: Path) -> Warehouse:
    events = measurement_rows()
    observations = [
        scale_row(e["event_key"], e["subject_id"], e["instrument_id"], e["occurred_at"],
                  "total", e["score"], e["band"])
        for e in events
    ]  # fmt: skip
    fscrs_events, fscrs_observations = fscrs_rows()
    with running(RunContext("test-run", home=home, settings=Settings(home=home))):
        upsert(warehouse, "canonical_objects", fixture_rows(), emit_event=False)
        catch_up(warehouse)  # the canonizer's columns of each email, which the views read
        upsert(warehouse, "measurement_events", events + fscrs_events, emit_event=False)
        upsert(warehouse, "observations", observations + fscrs_observations, emit_event=False)
    return warehouse


def normalised(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        item = {}
        for name, value in row.items():
            if isinstance(value, datetime):
                value = plain(value, "TIMESTAMP")
            elif isinstance(value, date):
                value = value.isoformat()
            item[name] = value
        out.append(item)
    return out


def hours_since(at: str) -> int:
    moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return int((datetime.now(UTC) - moment).total_seconds()) // 3600


# -- the views ---------------------------------------------------------------------------------
INBOX_COLUMNS = (
    "thread_id, subject, participants, first_message_at, last_message_at, message_count, "
    "last_from, awaiting_reply, contact_id"
)


def test_inbox_view(seeded: Warehouse) -> None:
    counts = jobs.create_projections(seeded, practice_addresses=" Extra@Practice.test ")
    assert counts["views"]["inbox_view"] == 4
    assert counts["configured_practice_addresses"] == 1
    rows = normalised(seeded.query(f"SELECT {INBOX_COLUMNS} FROM inbox_view ORDER BY thread_id"))
    assert rows == [
        {"thread_id": "T1", "subject": "Scheduling",
         "participants": f"{ALEX}, {BLAIR}, {OWNER}",
         "first_message_at": "2026-03-02T09:00:00Z", "last_message_at": "2026-03-04T11:00:00Z",
         "message_count": 3, "last_from": ALEX, "awaiting_reply": True, "contact_id": "c-0001"},
        {"thread_id": "T2", "subject": "Question", "participants": f"{DESK}, {PROSPECT}",
         "first_message_at": "2026-03-05T08:00:00Z", "last_message_at": "2026-03-05T12:30:00Z",
         "message_count": 2, "last_from": DESK, "awaiting_reply": False, "contact_id": None},
        {"thread_id": "T3", "subject": "Billing question", "participants": f"{BLAIR}, {DESK}",
         "first_message_at": "2026-03-16T08:00:00Z", "last_message_at": "2026-03-16T08:00:00Z",
         "message_count": 1, "last_from": BLAIR, "awaiting_reply": True, "contact_id": "c-0002"},
        {"thread_id": "T4", "subject": "Forms", "participants": f"{ALEX}, {EXTRA}, {OWNER}",
         "first_message_at": "2026-03-06T09:00:00Z", "last_message_at": "2026-03-06T09:00:00Z",
         "message_count": 1, "last_from": EXTRA, "awaiting_reply": False, "contact_id": "c-0001"},
    ]  # fmt: skip


def test_inbox_view_waiting_hours_and_unconfigured_practice(seeded: Warehouse) -> None:
    jobs.create_projections(seeded)
    before = hours_since("2026-03-04T11:00:00Z")
    rows = {
        row["thread_id"]: row
        for row in seeded.query(
            "SELECT thread_id, awaiting_reply, hours_since_last_message FROM inbox_view"
        )
    }
    after = hours_since("2026-03-04T11:00:00Z")
    assert rows["T1"]["hours_since_last_message"] in {before, after}
    # Without the configured address, extra@ is a stranger and T4 waits for a reply.
    assert rows["T4"]["awaiting_reply"] is True
    assert rows["T2"]["awaiting_reply"] is False


def test_measurement_timeseries(seeded: Warehouse) -> None:
    jobs.create_projections(seeded)
    rows = normalised(
        seeded.query(
            "SELECT event_key, subject_id, instrument_id, scale_id, occasion, occurred_at, "
            "score, band, change_from_previous, change_from_first, item9_positive "
            "FROM measurement_timeseries ORDER BY subject_id, instrument_id, scale_id, occasion"
        )
    )

    def row(
        key: str,
        subject: str,
        instrument: str,
        occasion: int,
        at: str,
        score: float,
        band: str,
        previous: float | None,
        first: float | None,
        item9: bool | None,
        scale: str = "total",
    ) -> dict[str, Any]:
        return {
            "event_key": key, "subject_id": subject, "instrument_id": instrument,
            "scale_id": scale, "occasion": occasion, "occurred_at": at, "score": score,
            "band": band,
            "change_from_previous": previous, "change_from_first": first,
            "item9_positive": item9,
        }  # fmt: skip

    # FSCRS: one row per subscale, each with its own changes; never a total.
    assert rows == [
        row("f1", ALEX, "fscrs", 1, "2026-03-02T10:00:00Z", 8.0, None, None, None, None,
            "hated_self"),
        row("f2", ALEX, "fscrs", 2, "2026-03-09T10:00:00Z", 9.0, None, 1.0, 1.0, None,
            "hated_self"),
        row("f1", ALEX, "fscrs", 1, "2026-03-02T10:00:00Z", 20.0, None, None, None, None,
            "inadequate_self"),
        row("f2", ALEX, "fscrs", 2, "2026-03-09T10:00:00Z", 14.0, None, -6.0, -6.0, None,
            "inadequate_self"),
        row("g1", ALEX, "gad7", 1, "2026-03-02T10:00:00Z", 9.0, "mild", None, None, None),
        row("e1", ALEX, "phq9", 1, "2026-03-02T10:00:00Z", 12.0, "moderate", None, None, False),
        row("e2", ALEX, "phq9", 2, "2026-03-09T10:00:00Z", 8.0, "mild", -4.0, -4.0, True),
        row("e3", ALEX, "phq9", 3, "2026-03-11T10:00:00Z", 5.0, "minimal", -3.0, -7.0, False),
        row("b1", BLAIR, "phq9", 1, "2026-03-10T09:00:00Z", 15.0, "moderately severe",
            None, None, None),
    ]  # fmt: skip


def test_reporting_snapshots(seeded: Warehouse) -> None:
    jobs.create_projections(seeded)
    rows = normalised(
        seeded.query("SELECT * FROM reporting_snapshots ORDER BY subject_id, week_start")
    )

    def snap(subject: str, contact: str, week: str, iso_week: int, **values: Any) -> dict[str, Any]:
        base = {
            "subject_id": subject, "contact_id": contact, "week_start": week,
            "iso_year": 2026, "iso_week": iso_week, "sessions_held": 0, "measurements": 0,
            "phq9_score": None, "phq9_band": None, "gad7_score": None, "gad7_band": None,
            "invoices": 0, "invoiced_minor": 0, "payments": 0, "paid_minor": 0, "messages": 0,
        }  # fmt: skip
        return {**base, **values}

    assert date(2026, 3, 2).isocalendar()[:3] == (2026, 10, 1)  # a Monday, ISO week 10
    assert rows == [
        # measurements count administrations (FSCRS once a week), not scales.
        snap(ALEX, "c-0001", "2026-03-02", 10, sessions_held=1, measurements=3,
             phq9_score=12.0, phq9_band="moderate", gad7_score=9.0, gad7_band="mild",
             invoices=1, invoiced_minor=12000, payments=1, paid_minor=12000, messages=4),
        # s3 is inactive, in_3 void, pi_3 not succeeded: none of them count.
        snap(ALEX, "c-0001", "2026-03-09", 11, sessions_held=1, measurements=3,
             phq9_score=5.0, phq9_band="minimal", invoices=1, invoiced_minor=12000),
        snap(BLAIR, "c-0002", "2026-03-02", 10, sessions_held=1, messages=1),
        snap(BLAIR, "c-0002", "2026-03-09", 11, measurements=1, phq9_score=15.0,
             phq9_band="moderately severe", invoices=1, invoiced_minor=9000, payments=1,
             paid_minor=9000),
        snap(BLAIR, "c-0002", "2026-03-16", 12, messages=1),
    ]  # fmt: skip


def test_create_projections_is_idempotent(seeded: Warehouse) -> None:
    first = jobs.create_projections(seeded)
    second = jobs.create_projections(seeded)
    assert first == second
    assert first["views"] == {
        "inbox_view": 4,
        "measurement_timeseries": 9,
        "reporting_snapshots": 5,
    }
    events = seeded.query(
        "SELECT COUNT(*) AS n FROM event_log WHERE event_type = 'projections.created'"
    )
    assert events == [{"n": 2}]


def test_views_wait_for_email_messages_to_hold_every_email(seeded: Warehouse) -> None:
    """A warehouse from before email_messages: the views are left as they were, with one line
    saying what to run, until the canonizer has given every email its row."""
    before = jobs.create_projections(seeded)["views"]
    seeded.execute("DELETE FROM email_messages WHERE TRUE")
    with pytest.raises(EmailMessagesBehind, match=r"0 row\(s\) for 8 canonical email\(s\).*"
                       r"run-job canonizer canonicalize_email"):  # fmt: skip
        jobs.create_projections(seeded)
    assert catch_up(seeded) == 8
    assert jobs.create_projections(seeded)["views"] == before


def test_views_without_the_canonizers_tables_say_what_is_missing(seeded: Warehouse) -> None:
    seeded.execute("DROP TABLE email_messages")
    with pytest.raises(EmailMessagesBehind, match="is lorchestra-canonizer installed"):
        jobs.create_projections(seeded)


def test_local_copies_from_either_backend(seeded: Warehouse, home: Path) -> None:
    """The SQLite copy and markdown files read the views the same way on both backends."""
    import sqlite3

    with running(RunContext("run-1", home=home, settings=Settings(home=home))):
        jobs.create_projections(seeded)
        synced = jobs.sync_sqlite(seeded)
        files = jobs.project_files(seeded)
    assert synced["changed"] is True
    assert synced["rows"]["reporting_snapshots"] == 5
    assert synced["rows"]["contacts"] == 2
    assert files == {"written": 6, "unchanged": 0, "removed": 0, "skipped": 0}
    con = sqlite3.connect(home / "local.db")
    try:
        inbox = con.execute(
            "SELECT thread_id, first_message_at, awaiting_reply FROM inbox_view ORDER BY 1"
        ).fetchall()
        weeks = con.execute(
            "SELECT week_start, paid_minor FROM reporting_snapshots WHERE subject_id = ? "
            "ORDER BY 1",
            (BLAIR,),
        ).fetchall()
    finally:
        con.close()
    assert inbox[0] == ("T1", "2026-03-02T09:00:00Z", 1)
    assert weeks == [("2026-03-02", 0), ("2026-03-09", 9000), ("2026-03-16", 0)]
