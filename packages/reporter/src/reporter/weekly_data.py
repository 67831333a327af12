"""What one ISO week's reports are made of, read from the warehouse as plain values.

The views (``reporting_snapshots``, ``measurement_timeseries``, ``inbox_view``) and the canonical
contacts and sessions are read through :mod:`reporter.local_tables`; invoices, payments and
Stripe customers through one GoogleSQL SELECT each, below. Everything is filtered to the week
here, in Python, so the SQL stays in the subset both backends run.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from lorchestra.api import InvalidJobArguments, Warehouse, parse_timestamp
from reporter.local_tables import Row, fetch_all, plain
from reporter.outcomes import ClientOutcome, PracticeOutcomes, client_outcome, practice_outcomes

AWAITING_SHOWN = 20
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class IsoWeek:
    """An ISO week (Monday to Sunday, UTC)."""

    year: int
    week: int

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def start(self) -> datetime:
        return datetime(self.monday.year, self.monday.month, self.monday.day, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the week."""
        return self.start + timedelta(days=7)

    def contains(self, iso: str | None) -> bool:
        moment = parse_instant(iso)
        return moment is not None and self.start <= moment < self.end


def parse_week(value: str | None, *, now: datetime | None = None) -> IsoWeek:
    """``2026-W47`` → IsoWeek; ``None`` → the current ISO week (UTC). Bad values raise."""
    if value is None:
        year, week, _ = (now or datetime.now(UTC)).astimezone(UTC).isocalendar()
        return IsoWeek(year, week)
    match = _WEEK.match(value.strip())
    if match is None:
        raise InvalidJobArguments(f"--week must be an ISO week like 2026-W47, got {value!r}")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        raise InvalidJobArguments(
            f"--week {value!r} does not exist (year {year} has no week {week})"
        ) from None
    return IsoWeek(year, week)


def parse_instant(value: Any) -> datetime | None:
    """ISO-8601 text (``Z`` or offset; a bare date is midnight UTC) → aware datetime, or None."""
    if value is None or value == "":
        return None
    try:
        return parse_timestamp(value if isinstance(value, datetime) else str(value))
    except ValueError:
        return None


# -- billing: canonical invoices, payments and Stripe customers ---------------------------------
_BILLING_SQL = {
    "invoice": (
        "SELECT JSON_VALUE(payload, '$.invoice_id') AS item_id, "
        "JSON_VALUE(payload, '$.customer_id') AS customer_id, "
        "JSON_VALUE(payload, '$.created_at') AS created_at, "
        "JSON_VALUE(payload, '$.status') AS status, "
        "JSON_VALUE(payload, '$.number') AS number, "
        "SAFE_CAST(JSON_VALUE(payload, '$.amount_due') AS INT64) AS amount_minor, "
        "JSON_VALUE(payload, '$.currency') AS currency "
        "FROM canonical_objects WHERE canonical_kind = 'invoice' ORDER BY item_id"
    ),
    "payment": (
        "SELECT JSON_VALUE(payload, '$.payment_id') AS item_id, "
        "JSON_VALUE(payload, '$.customer_id') AS customer_id, "
        "JSON_VALUE(payload, '$.created_at') AS created_at, "
        "JSON_VALUE(payload, '$.status') AS status, "
        "CAST(NULL AS STRING) AS number, "
        "SAFE_CAST(COALESCE(JSON_VALUE(payload, '$.amount_received'), "
        "JSON_VALUE(payload, '$.amount')) AS INT64) AS amount_minor, "
        "JSON_VALUE(payload, '$.currency') AS currency "
        "FROM canonical_objects WHERE canonical_kind = 'payment' ORDER BY item_id"
    ),
}
_CUSTOMERS_SQL = (
    "SELECT JSON_VALUE(payload, '$.customer_id') AS customer_id, "
    "JSON_VALUE(payload, '$.metadata.dataverse_contact_id') AS contact_id, "
    "LOWER(TRIM(JSON_VALUE(payload, '$.email'))) AS email "
    "FROM canonical_objects WHERE canonical_kind = 'customer' ORDER BY customer_id"
)
_ZERO_DECIMAL = {"JPY", "KRW", "VND", "CLP", "ISK", "XAF", "XOF", "PYG", "UGX", "RWF"}


def money(amount_minor: int | None, currency: str | None) -> str:
    """Minor units → ``USD 120.00`` (zero-decimal currencies such as JPY have no cents)."""
    if amount_minor is None:
        return ""
    code = (currency or "").upper()
    if code in _ZERO_DECIMAL:
        return f"{code} {amount_minor:,}".strip()
    return f"{code} {amount_minor / 100:,.2f}".strip()


def money_totals(items: list[Row]) -> str:
    """Sum per currency: ``USD 240.00`` (or several, comma-separated); ``0`` when none."""
    sums: dict[str, int] = defaultdict(int)
    for item in items:
        sums[(item.get("currency") or "").upper()] += int(item.get("amount_minor") or 0)
    return ", ".join(money(v, k) for k, v in sorted(sums.items())) or "0"


# -- the week --------------------------------------------------------------------------------
@dataclass
class ClientWeek:
    """Everything in one client's report."""

    contact: Row
    snapshot: Row
    measurements: list[Row]  # whole history up to the week's end, one row per scale
    outcome: ClientOutcome  # first to last paired PHQ-9/GAD-7 up to the week's end
    sessions: list[Row]
    invoices: list[Row]
    payments: list[Row]
    # Dates this week on which PHQ-9 item 9 (thoughts of death or self-harm) was endorsed: the
    # report puts them first, whatever the total score says.
    item9_dates: list[str] = field(default_factory=list)
    # Administrations this week with answers that could not be read (scored as missing under
    # the published rule): {"date", "instrument_id", "item_ids"}; and the dates on which PHQ-9
    # item 9 itself could not be read, which the report puts beside the endorsed ones.
    invalid_answers: list[Row] = field(default_factory=list)
    item9_unreadable_dates: list[str] = field(default_factory=list)

    @property
    def contact_id(self) -> str:
        return str(self.contact["contact_id"])

    @property
    def short_id(self) -> str:
        return self.contact_id[:8]


@dataclass
class PracticeWeek:
    week: IsoWeek
    clients: list[ClientWeek]
    clients_without_activity: int
    new_threads: list[Row] = field(default_factory=list)
    # The oldest threads awaiting a reply (at most AWAITING_SHOWN, with "age_days" and
    # "sender"), and how many more there are.
    awaiting: list[Row] = field(default_factory=list)
    awaiting_total: int = 0
    median_response_hours: float | None = None
    totals: dict[str, Any] = field(default_factory=dict)
    outcomes: PracticeOutcomes = field(default_factory=PracticeOutcomes)

    @property
    def awaiting_more(self) -> int:
        return self.awaiting_total - len(self.awaiting)


def _unreadable(history: list[Row], week: IsoWeek) -> dict[str, list[Any]]:
    """This week's administrations with unreadable answers, and the unreadable item-9 dates."""
    events: dict[str, Row] = {}
    for row in history:
        if row.get("invalid_items") and week.contains(row["occurred_at"]):
            events[row["event_key"]] = {
                "date": str(row["occurred_at"])[:10],
                "instrument_id": row["instrument_id"],
                "item_ids": str(row["invalid_items"]).split(","),
            }
    listed = sorted(events.values(), key=lambda e: (e["date"], e["instrument_id"]))
    item9 = sorted(
        {e["date"] for e in listed if e["instrument_id"] == "phq9" and "phq9_9" in e["item_ids"]}
    )
    return {"invalid_answers": listed, "item9_unreadable_dates": item9}


def load_week(bq_client: Warehouse, week: IsoWeek, client: str | None = None) -> PracticeWeek:
    """Read the week from the warehouse. ``client`` (a contact_id) restricts to one client;
    the practice-wide parts only the summary shows (threads, outcomes) are then left empty."""
    contacts = {c["contact_id"]: c for c in fetch_all(bq_client, "contacts") if c["contact_id"]}
    if client is not None and client not in contacts:
        raise InvalidJobArguments(f"--client {client!r} is not a known contact_id")
    # One client's report needs one subject's rows; the summary's outcomes need everyone's.
    subject = None if client is None else (contacts[client].get("email") or "").strip().lower()
    of_subject = None if subject is None else ("subject_id", subject)
    snapshots = [
        s
        for s in fetch_all(bq_client, "reporting_snapshots", of_subject)
        if s["week_start"] == week.monday.isoformat() and s["contact_id"] in contacts
    ]
    timeseries = fetch_all(bq_client, "measurement_timeseries", of_subject)
    by_subject: dict[str, list[Row]] = defaultdict(list)
    for row in timeseries:
        by_subject[row["subject_id"]].append(row)
    sessions_by_contact: dict[str, list[Row]] = defaultdict(list)
    for session in fetch_all(bq_client, "sessions"):
        if week.contains(session["session_date"]):
            sessions_by_contact[session["contact_id"]].append(session)
    billing = _billing(bq_client, contacts)

    wanted = [client] if client is not None else sorted(contacts)
    active = {s["contact_id"]: s for s in snapshots if s["contact_id"] in wanted}
    clients: list[ClientWeek] = []
    for contact_id in sorted(active):
        contact = contacts[contact_id]
        email = (contact.get("email") or "").strip().lower()
        history = sorted(
            (
                r
                for r in by_subject.get(email, [])
                if (parse_instant(r["occurred_at"]) or week.end) < week.end
            ),
            key=lambda r: (r["instrument_id"], r["scale_id"], r["occasion"], r["event_key"]),
        )
        clients.append(
            ClientWeek(
                contact=contact,
                snapshot=active[contact_id],
                measurements=history,
                outcome=client_outcome(history),
                sessions=sorted(
                    sessions_by_contact.get(contact_id, []),
                    key=lambda s: (s["session_date"], s["session_id"]),
                ),
                invoices=[
                    i
                    for i in billing["invoice"].get(contact_id, [])
                    if week.contains(i["created_at"]) and i["status"] not in ("draft", "void")
                ],
                payments=[
                    p
                    for p in billing["payment"].get(contact_id, [])
                    if week.contains(p["created_at"]) and p["status"] == "succeeded"
                ],
                item9_dates=sorted(
                    {
                        str(r["occurred_at"])[:10]
                        for r in history
                        if r.get("item9_positive") is True and week.contains(r["occurred_at"])
                    }
                ),
                **_unreadable(history, week),
            )
        )
    practice = PracticeWeek(
        week=week, clients=clients, clients_without_activity=len(wanted) - len(clients)
    )
    if client is None:  # the practice summary's parts; a one-client run leaves it alone
        _pipeline(practice, fetch_all(bq_client, "inbox_view"), contacts)
        practice.outcomes = _practice_outcomes(contacts, by_subject, week)
    invoices = [i for c in clients for i in c.invoices]
    payments = [p for c in clients for p in c.payments]
    practice.totals = {
        "sessions": sum(len(c.sessions) for c in clients),
        "measurements": sum(int(c.snapshot.get("measurements") or 0) for c in clients),
        "item9_clients": sum(1 for c in clients if c.item9_dates),
        "messages": sum(int(c.snapshot.get("messages") or 0) for c in clients),
        "invoices": len(invoices),
        "invoiced": money_totals(invoices),
        "payments": len(payments),
        "paid": money_totals(payments),
    }
    return practice


def _practice_outcomes(
    contacts: dict[str, Row], by_subject: dict[str, list[Row]], week: IsoWeek
) -> PracticeOutcomes:
    """Outcomes of every client (not only this week's) with paired data up to the week's end."""
    emails = sorted({(c.get("email") or "").strip().lower() for c in contacts.values()} - {""})
    return practice_outcomes(
        client_outcome(
            r
            for r in by_subject.get(email, [])
            if (parse_instant(r["occurred_at"]) or week.end) < week.end
        )
        for email in emails
    )


def _billing(bq_client: Warehouse, contacts: dict[str, Row]) -> dict[str, dict[str, list[Row]]]:
    """Invoices and payments by contact_id (through the customer's metadata, else its email)."""
    by_email = {(c.get("email") or "").strip().lower(): cid for cid, c in sorted(contacts.items())}
    owner: dict[str, str] = {}
    for customer in bq_client.query(_CUSTOMERS_SQL):
        contact_id = customer.get("contact_id")
        if contact_id not in contacts:
            contact_id = by_email.get(customer.get("email") or "")
        if contact_id and customer.get("customer_id"):
            owner[str(customer["customer_id"])] = str(contact_id)
    result: dict[str, dict[str, list[Row]]] = {}
    for kind, sql in _BILLING_SQL.items():
        grouped: dict[str, list[Row]] = defaultdict(list)
        for row in bq_client.query(sql):
            contact_id = owner.get(str(row.get("customer_id")))
            if contact_id is None:
                continue
            item = {
                k: plain(v, "INTEGER" if k == "amount_minor" else "TEXT") for k, v in row.items()
            }
            grouped[contact_id].append(item)
        for items in grouped.values():
            items.sort(key=lambda r: (r["created_at"] or "", r["item_id"] or ""))
        result[kind] = dict(grouped)
    return result


def _pipeline(practice: PracticeWeek, threads: list[Row], contacts: dict[str, Row]) -> None:
    """New threads first seen in the week; the oldest threads awaiting a reply (age in whole
    calendar days, UTC, at the week's end or today for the current week, so a report re-made
    the same day is identical; the sender is the known contact's name, else the name on the
    last message, else its address); median response time over the week's new threads of exactly two
    messages whose last sender is the practice (one inbound message and its reply: inbox_view
    keeps no per-message senders, so longer threads cannot be timed)."""
    week = practice.week
    as_of = min(datetime.now(UTC), week.end)
    practice.new_threads = [t for t in threads if week.contains(t["first_message_at"])]
    today = (as_of - timedelta(microseconds=1)).date() if as_of == week.end else as_of.date()
    awaiting: list[tuple[datetime, Row]] = []
    for thread in threads:
        last = parse_instant(thread["last_message_at"])
        if thread["awaiting_reply"] and last is not None and last < week.end:
            awaiting.append((last, thread))
    awaiting.sort(key=lambda pair: (pair[0], str(pair[1]["thread_id"])))
    practice.awaiting_total = len(awaiting)
    practice.awaiting = [
        {
            **thread,
            "age_days": (today - last.date()).days,
            "sender": _sender(thread, contacts),
        }
        for last, thread in awaiting[:AWAITING_SHOWN]
    ]
    replied = []
    for thread in practice.new_threads:
        first = parse_instant(thread["first_message_at"])
        last = parse_instant(thread["last_message_at"])
        if not thread["awaiting_reply"] and first and last and int(thread["message_count"]) == 2:
            replied.append((last - first).total_seconds() / 3600)
    practice.median_response_hours = statistics.median(replied) if replied else None


def _sender(thread: Row, contacts: dict[str, Row]) -> str:
    contact = contacts.get(thread.get("contact_id") or "")
    if contact and contact.get("full_name"):
        return str(contact["full_name"])
    return str(thread.get("last_from_name") or thread.get("last_from") or "unknown sender")
