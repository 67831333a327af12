"""The practice behind the data: how a `size` is split across sources and each client's history.

`Practice(seed, size, anchor)` decides, without generating any record, how many records every file
gets: about 9 % clinical sessions (one a week per client), 17 % questionnaire responses (an
intake per client, weekly follow-ups, a monthly wellbeing form), Stripe billing per session, one
Dataverse contact per client, and email as the remainder, so the total is exactly `size`. Each
client's `Schedule` (weeks in care, weekday, session hour, fee) and `Bill`s (invoice status,
payment and refund delays) are rebuilt on demand from the seed, so every source agrees on them.
All times fall strictly before midnight UTC at the start of the `anchor` date.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property

from sample_data._ids import offset_tz, rng_for
from sample_data._people import PRACTICE_TZ_MINUTES, Person, make_person
from sample_data._plan import EMAIL_CONNECTIONS, FILES, FileSpec, round_robin, split

# Shares of the email records, in EMAIL_CONNECTIONS order. gmail-acct1 and exchange-mbx1 keep
# exactly the messages they had before the third mailbox, the discharge form and the reports
# were added (the taps' tests replay them); the other mailboxes make room for those.
EMAIL_WEIGHTS = (0.30, 0.20, 0.10, 0.25, 0.15, 0.10)
_KEPT = (0, 3)  # gmail-acct1, exchange-mbx1
PRACTICE_TZ = offset_tz(PRACTICE_TZ_MINUTES)
MIN_SIZE = 10
FIRST_REPORT, REPORT_EVERY = 2, 4  # Dataverse reports follow session 2, then every 4th
DISCHARGED_AFTER = timedelta(days=21)  # no session for this long: care has ended


def report_count(sessions: int) -> int:
    """How many reports a client with `sessions` sessions has (after session 2, 6, 10, ...)."""
    return 0 if sessions < FIRST_REPORT else 1 + (sessions - FIRST_REPORT) // REPORT_EVERY


@dataclass(frozen=True)
class Schedule:
    """One client's time in care: weekly sessions from `first_day`, for `weeks` weeks."""

    client: int
    sessions: int
    followups: int
    wellbeing: int
    intake: bool
    customer: bool
    first_day: date
    weeks: int
    slot_hour: int
    fee_cents: int

    def day(self, week: int) -> date:
        return self.first_day + timedelta(weeks=week)

    def at(self, week: int, hour: int | None = None, minute: int = 0) -> datetime:
        """The practice-local time `hour:minute` on the client's day of `week`, as UTC."""
        local = datetime.combine(self.day(week), time(hour if hour is not None else self.slot_hour,
                                                       minute), PRACTICE_TZ)
        return local.astimezone(UTC)

    @property
    def last_day(self) -> date:
        return self.day(self.weeks - 1)


@dataclass(frozen=True)
class Bill:
    """The billing outcome of one session's invoice."""

    session: int
    status: str  # paid | open | void | uncollectible
    paid_after: timedelta
    refunded: bool
    refund_after: timedelta
    partial_refund: bool


class Practice:
    """Counts per file and the per-client facts every generator shares."""

    def __init__(self, seed: int, size: int, anchor: date) -> None:
        if size < MIN_SIZE:
            raise ValueError(f"size must be at least {MIN_SIZE}, got {size}.")
        self.seed = seed
        self.size = size
        self.anchor = anchor
        self.end = datetime.combine(anchor, time(0, 0), UTC)
        # Per-instance caches: they grow with the number of clients (~0.4 * size ** 0.6).
        self._clients: dict[int, Person] = {}
        self._prospects: dict[int, Person] = {}
        self._schedules: dict[int, Schedule] = {}
        # 12 clients at the demo size (300), ~150 at 20,000, ~1,600 at 1,000,000.
        self.clients = min(size, max(6, round(0.4 * size**0.6)))
        self.prospects = max(2, self.clients // 3)
        self.sessions = int(0.09 * size)
        forms = int(0.17 * size)
        self.intakes = min(self.clients, forms)
        self.wellbeing = (forms - self.intakes) // 5
        self.followups = forms - self.intakes - self.wellbeing
        self.customers = min(self.clients, math.ceil(0.04 * size)) if size >= 20 else 0
        self.invoices = sum(self.schedule(c).sessions for c in range(self.customers))
        paid = refunds = 0
        for c in range(self.customers):
            for bill in self.bills(c):
                paid += bill.status == "paid"
                refunds += bill.refunded
        self.payment_intents = paid
        self.refunds = refunds
        # Clients whose care ended fill in the discharge form; the clinician writes a report
        # in Dataverse after a client's second session and then after every fourth.
        self.discharges = sum(self.discharged(c) for c in range(self.intakes))
        self.reports = sum(report_count(self.schedule(c).sessions) for c in range(self.clients))
        rest = size - (self.clients + self.sessions + forms + self.customers + self.invoices
                       + paid + refunds)
        before = split(rest, EMAIL_WEIGHTS[:5])  # the five mailboxes' counts before
        others = [i for i in range(len(EMAIL_CONNECTIONS)) if i not in _KEPT]
        pool = rest - sum(before[i] for i in _KEPT) - self.discharges - self.reports
        if pool < 0:  # pragma: no cover - the fractions above leave room from MIN_SIZE up
            raise ValueError(f"size {size} is too small to hold one record of each kind.")
        shares = iter(split(pool, tuple(EMAIL_WEIGHTS[i] for i in others)))
        self.emails = {
            name: before[i] if i in _KEPT else next(shares)
            for i, name in enumerate(EMAIL_CONNECTIONS)
        }

    @cached_property
    def counts(self) -> dict[FileSpec, int]:
        """Exactly how many records each file gets; they sum to `size`."""
        by_kind = {
            "contact": self.clients,
            "clinical_session": self.sessions,
            "forms-intake": self.intakes,
            "forms-followup": self.followups,
            "forms-wellbeing": self.wellbeing,
            "forms-discharge": self.discharges,
            "report": self.reports,
            "customer": self.customers,
            "invoice": self.invoices,
            "payment_intent": self.payment_intents,
            "refund": self.refunds,
            **self.emails,
        }
        out: dict[FileSpec, int] = {}
        for spec in FILES:
            key = spec.object_type
            if spec.object_type in ("email", "form_response"):
                key = spec.connection_name
            out[spec] = by_kind[key]
        return out

    def client(self, index: int) -> Person:
        person = self._clients.get(index)
        if person is None:
            person = self._clients[index] = make_person(self.seed, "client", index, index + 1)
        return person

    def prospect(self, index: int) -> Person:
        person = self._prospects.get(index)
        if person is None:
            number = self.clients + index + 1
            person = self._prospects[index] = make_person(self.seed, "prospect", index, number)
        return person

    def schedule(self, c: int) -> Schedule:
        sched = self._schedules.get(c)
        if sched is None:
            sched = self._schedules[c] = self._make_schedule(c)
        return sched

    def _make_schedule(self, c: int) -> Schedule:
        n_sessions = round_robin(self.sessions, self.clients, c)
        n_follow = round_robin(self.followups, self.intakes, c)
        n_well = round_robin(self.wellbeing, self.intakes, c)
        weeks = max(1, n_sessions, n_follow + 1, 4 * (n_well - 1) + 1)
        rng = rng_for(self.seed, "schedule", c)
        lag_weeks = 0 if rng.random() < 0.8 else rng.randint(1, 6)
        last_day = self.anchor - timedelta(days=7 * lag_weeks + rng.randint(1, 7))
        return Schedule(
            client=c,
            sessions=n_sessions,
            followups=n_follow,
            wellbeing=n_well,
            intake=c < self.intakes,
            customer=c < self.customers,
            first_day=last_day - timedelta(weeks=weeks - 1),
            weeks=weeks,
            slot_hour=rng.randint(9, 15),  # ends before midnight UTC
            fee_cents=rng.choice((12000, 14000, 15000, 17500, 20000)),
        )

    def discharged(self, c: int) -> bool:
        """True when client `c` had an intake and their care ended before the anchor."""
        sched = self.schedule(c)
        return sched.intake and sched.last_day <= self.anchor - DISCHARGED_AFTER

    def bills(self, c: int) -> list[Bill]:
        """The invoice outcomes of client `c`'s sessions (empty for clients without Stripe)."""
        sched = self.schedule(c)
        if not sched.customer:
            return []
        rng = rng_for(self.seed, "billing", c)
        # Every sixth client has their first refundable payment refunded, so even the demo
        # size shows a few refunds; others are refunded at random (5 %).
        owed_refund = c % 6 == 1
        out = []
        for k in range(sched.sessions):
            r_status, r_refund, r_partial = rng.random(), rng.random(), rng.random()
            paid_after = timedelta(hours=rng.randint(1, 120), minutes=rng.randint(0, 59))
            refund_after = timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 23))
            issued = sched.at(k) + timedelta(hours=2)
            if self.end - issued < timedelta(days=10):
                status = "open" if r_status < 0.6 else "paid"
            elif r_status < 0.04:
                status = "void"
            elif r_status < 0.08:
                status = "open"
            elif r_status < 0.10:  # written off 30 days after issue, so only older invoices
                status = "uncollectible" if self.end - issued > timedelta(days=31) else "open"
            else:
                status = "paid"
            if status == "paid" and issued + paid_after >= self.end:
                paid_after = (self.end - issued) / 2
            refundable = status == "paid" and issued + paid_after + refund_after < self.end
            refunded = refundable and (owed_refund or r_refund < 0.05)
            owed_refund = owed_refund and not refunded
            out.append(Bill(k, status, paid_after, refunded, refund_after, r_partial < 0.4))
        return out
