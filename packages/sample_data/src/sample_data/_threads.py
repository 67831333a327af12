"""Email conversations in one of the clinician's mailboxes, independent of the provider's format.

`iter_threads(practice, connection, count)` yields threads (lists of `Mail`) until exactly `count`
messages have been produced. A thread is a client or prospect talking with the clinician about
one topic; replies carry `In-Reply-To` and the full `References` chain, quote the message before,
and come 20 minutes to a day and a half later. Client threads fall inside the client's time in
care (a good share in the last ten days, so a weekly report has recent mail); prospect threads in
the last 60 days. Gmail and Graph renderers turn a `Mail` into their own payloads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from random import Random

from sample_data._ids import gmail_when, message_id, offset_tz, rng_for
from sample_data._people import (
    CLINICIAN_NAME,
    CLINICIAN_TITLE,
    FIRST_NAMES,
    MAILBOXES,
    PRACTICE_NAME,
    PRACTICE_TZ_MINUTES,
    Mailbox,
    Person,
    ascii_fold,
)
from sample_data._practice import Practice
from sample_data._text import (
    CLIENT_TOPICS,
    GREETINGS,
    PROSPECT_TOPICS,
    RESOURCES,
    SCRIPTS,
    SIGNOFFS,
)

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PROSPECT_SHARE = {"gmail-acct2": 0.6, "exchange-mbx2": 0.05, "exchange-mbx3": 0.4}
TOPICS_BY_BOX = {
    "exchange-mbx2": ("billing", "billing", "reschedule"),
    "exchange-mbx3": ("reschedule", "reschedule", "update", "checkin_form"),
}
THREAD_LENGTHS = ((1, 2, 3, 4, 5), (25, 35, 22, 12, 6))


@dataclass(frozen=True)
class Addr:
    name: str
    email: str


@dataclass(frozen=True)
class Quote:
    """The message a reply quotes."""

    sender: Addr
    sent: datetime
    lines: tuple[str, ...]


@dataclass(slots=True)  # not frozen: frozen dataclasses are slow to build, and there are many
class Mail:
    """One message as the clinician's mailbox holds it."""

    connection: str
    index: int  # position in the mailbox's stream, 0-based
    thread: int
    position: int  # position in the thread, 0-based
    mine: bool  # sent from the mailbox (otherwise received)
    sender: Addr
    to: tuple[Addr, ...]
    cc: tuple[Addr, ...]
    bcc: tuple[Addr, ...]
    reply_to: tuple[Addr, ...]
    subject: str
    lines: tuple[str, ...]  # body text without the quote
    quote: Quote | None
    charset: str  # "utf-8" | "iso-8859-1"
    sent: datetime  # aware, in the sender's zone
    received: datetime  # UTC
    message_id: str
    in_reply_to: str | None
    references: tuple[str, ...]
    attachment: tuple[str, int] | None  # (filename, size in bytes)
    plain_only: bool
    unread: bool
    starred: bool
    important: bool
    archived: bool
    token: int  # seed for renderer-only randomness (boundaries, provider ids)

    @property
    def text(self) -> str:
        """The text/plain body, CRLF line endings, quote included."""
        lines = [w for line in self.lines for w in _wrap(line)]
        if self.quote is not None:
            when = gmail_when(self.quote.sent)
            q = self.quote.sender
            lines += ["", *_wrap(f"On {when} {q.name} <{q.email}> wrote:")]
            lines += [f"> {w}" if w else ">" for line in self.quote.lines for w in _wrap(line, 74)]
        return "\r\n".join(lines) + "\r\n"

    @property
    def counterpart(self) -> Addr:
        return self.to[0] if self.mine else self.sender


def _wrap(line: str, width: int = 76) -> list[str]:
    """Hard-wrap a line at spaces as mail clients do for text/plain."""
    out: list[str] = []
    while len(line) > width:
        cut = line.rfind(" ", 0, width + 1)
        if cut <= 0:
            break
        out.append(line[:cut])
        line = line[cut + 1:]
    out.append(line)
    return out


def _quoted(lines: tuple[str, ...]) -> tuple[str, ...]:
    """The part of a message a reply quotes: the paragraphs, without greeting or signature."""
    last_blank = max(i for i, line in enumerate(lines) if not line)
    return lines[2:last_blank]


def _addr(person: Person) -> Addr:
    return Addr(person.name, person.email)


def _thread_start(practice: Practice, person: Person, rng: Random, span: timedelta) -> datetime:
    end = practice.end
    if person.kind == "client":
        sched = practice.schedule(person.index)
        lo = datetime.combine(sched.first_day, datetime.min.time(), UTC) - timedelta(days=14)
        hi = min(end, datetime.combine(sched.last_day, datetime.min.time(), UTC)
                 + timedelta(days=7))
        if rng.random() < 0.3 and hi > end - timedelta(days=10):
            lo = max(lo, end - timedelta(days=10))
    else:
        lo, hi = end - timedelta(days=60), end
        if rng.random() < 0.35:
            lo = end - timedelta(days=10)
    room = max(timedelta(0), hi - lo - span)
    start = (lo + room * rng.random()).astimezone(offset_tz(person.tz_minutes))
    # People write during the day, in their own time zone.
    start = start.replace(hour=rng.randint(7, 21), minute=rng.randint(0, 59),
                          second=rng.randint(0, 59), microsecond=0).astimezone(UTC)
    latest = end - span - timedelta(minutes=rng.randint(5, 600))
    return min(start, latest).replace(microsecond=0)


def _fill(rng: Random, person: Person, start: datetime, slot_hour: int) -> dict[str, str]:
    session_day = (start + timedelta(days=rng.randint(1, 4))).weekday()
    alt = (session_day + rng.randint(1, 3)) % 5
    last_month = (start.replace(day=1) - timedelta(days=1))
    hour = slot_hour % 12 or 12
    return {
        "first": person.first,
        "day": WEEKDAYS[session_day],
        "alt_day": WEEKDAYS[alt],
        "weekday": WEEKDAYS[(start.weekday() - 2) % 7],
        "time": f"{hour}:00 {'am' if slot_hour < 12 else 'pm'}",
        "month": last_month.strftime("%B"),
        "month_slug": last_month.strftime("%Y-%m"),
        "resource": rng.choice(RESOURCES),
    }


def _body(rng: Random, paragraphs: tuple[str, ...], mine: bool, person: Person,
          box: Mailbox, fill: dict[str, str]) -> tuple[str, ...]:
    to_name = person.first if mine else ("Maren" if box.display_name == CLINICIAN_NAME else "")
    greeting = rng.choice(GREETINGS).format(name=to_name) if to_name else "Hello,"
    lines = [greeting, ""]
    for para in paragraphs:
        lines += [para.format(**fill), ""]
    lines.append(rng.choice(SIGNOFFS))
    if mine:
        lines += [CLINICIAN_TITLE, PRACTICE_NAME]
    else:
        lines.append(person.first if person.kind == "client" else person.name)
    return tuple(lines)


def iter_threads(practice: Practice, connection: str, count: int) -> Iterator[list[Mail]]:
    """Threads of `connection`'s mailbox holding exactly `count` messages in all."""
    box = MAILBOXES[connection]
    others = [m for m in MAILBOXES.values() if m.connection != connection]
    mine_addr = Addr(box.display_name, box.address)
    practice_tz = offset_tz(PRACTICE_TZ_MINUTES)
    index = thread = 0
    while index < count:
        rng = rng_for(practice.seed, "thread", connection, thread)
        if rng.random() < PROSPECT_SHARE.get(connection, 0.2):
            person = practice.prospect(rng.randrange(practice.prospects))
            topic = rng.choice(PROSPECT_TOPICS)
            slot_hour = 14
        else:
            person = practice.client(rng.randrange(practice.clients))
            topic = rng.choice(TOPICS_BY_BOX.get(connection, CLIENT_TOPICS))
            slot_hour = practice.schedule(person.index).slot_hour
        script = SCRIPTS[topic]
        n = min(rng.choices(*THREAD_LENGTHS)[0], len(script.steps), count - index)
        gaps = [timedelta(minutes=rng.randint(20, 36 * 60), seconds=rng.randint(0, 59))
                for _ in range(n - 1)]
        start = _thread_start(practice, person, rng, sum(gaps, timedelta()))
        fill = _fill(rng, person, start, slot_hour)
        subject = rng.choice(script.subjects).format(**fill)
        if person.accented and rng.random() < 0.5:
            subject = f"{subject} - {person.first}"
        them = _addr(person)
        cc: tuple[Addr, ...] = ()
        if person.kind == "client" and rng.random() < 0.08:
            partner = rng.choice(FIRST_NAMES)
            cc = (Addr(f"{partner} {person.last}",
                       f"{partner.lower()}.{ascii_fold(person.last)}{person.index}@home.example.org"),)
        reply_to: tuple[Addr, ...] = ()
        if connection == "gmail-acct2" and rng.random() < 0.5:
            reply_to = (Addr(CLINICIAN_NAME, MAILBOXES["gmail-acct1"].address),)
        mails: list[Mail] = []
        when = start
        for pos in range(n):
            step = script.steps[pos]
            if pos:
                when = when + gaps[pos - 1]
            mine = step.mine
            lines = _body(rng, rng.choice(step.variants), mine, person, box, fill)
            prev = mails[-1] if mails else None
            sent = when.astimezone(practice_tz if mine else offset_tz(person.tz_minutes))
            received = when if mine else when + timedelta(seconds=rng.randint(2, 90))
            attachment = None
            if step.attachment:
                attachment = (step.attachment.format(**fill), rng.randint(18_000, 240_000))
            recent = practice.end - received < timedelta(days=4)
            mails.append(Mail(
                connection=connection,
                index=index,
                thread=thread,
                position=pos,
                mine=mine,
                sender=mine_addr if mine else them,
                to=(them,) if mine else (mine_addr,),
                cc=cc,
                bcc=((Addr(CLINICIAN_NAME, rng.choice(others).address),)
                     if mine and rng.random() < 0.04 else ()),
                reply_to=reply_to if mine else (),
                subject=subject if pos == 0 else f"Re: {subject}",
                lines=lines,
                quote=(Quote(prev.sender, prev.sent, _quoted(prev.lines))
                       if prev and rng.random() < 0.4 else None),
                charset="iso-8859-1" if (not mine and person.latin1_mail) else "utf-8",
                sent=sent,
                received=received,
                message_id=message_id(rng, person.email.split("@")[1], "generic")
                if not mine else message_id(rng, box.address.split("@")[1], box.style),
                in_reply_to=prev.message_id if prev else None,
                references=(*prev.references, prev.message_id) if prev else (),
                attachment=attachment,
                plain_only=not mine and attachment is None and rng.random() < 0.25,
                unread=not mine and pos == n - 1 and recent and rng.random() < 0.75,
                starred=rng.random() < 0.04,
                important=rng.random() < (0.7 if person.kind == "client" else 0.4),
                archived=(not mine and practice.end - received > timedelta(days=21)
                          and rng.random() < 0.35),
                token=rng.getrandbits(64),
            ))
            index += 1
        yield mails
        thread += 1
