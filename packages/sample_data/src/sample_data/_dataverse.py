"""Dataverse (Dynamics 365 Web API) rows: `contact`, `cr8f3_clientsession`, `cr8f3_clientreport`.

One contact per client, with the same email address the client writes from and fills forms with;
one session row per weekly session, linked by the `_cr8f3_contactid_value` lookup. Session text
(transcript, notes, summary) comes from stock sentences that follow the client's trajectory. Ids
are GUIDs; `createdon`/`modifiedon` are UTC with a `Z`; every row has its `@odata.etag`. After
a client's second session, and after every fourth one from then on, the clinician writes a
report (`cr8f3_clientreport`), linked to the
contact and to that session, whose text follows the client's scores over those weeks.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sample_data._forms import trajectory
from sample_data._ids import iso_z, rng_for, unix
from sample_data._practice import FIRST_REPORT, REPORT_EVERY, Practice, report_count
from sample_data._text import session_texts


def session_guid(seed: int, client: int, number: int) -> str:
    """The GUID of a client's session `number` (1-based), shared with Stripe's metadata."""
    digest = hashlib.sha1(f"{seed}:session:{client}:{number}".encode()).digest()[:16]
    return str(uuid.UUID(bytes=digest, version=4))


def _etag(when: datetime, salt: int) -> str:
    return f'W/"{(unix(when) // 7 + salt) % 90_000_000 + 10_000_000}"'


def contact_created(practice: Practice, client: int) -> datetime:
    sched = practice.schedule(client)
    rng = rng_for(practice.seed, "contact", client)
    day = sched.first_day - timedelta(days=rng.randint(6, 21))
    return datetime.combine(day, time(rng.randint(14, 23), rng.randint(0, 59),
                                      rng.randint(0, 59)), UTC)


def iter_contacts(practice: Practice) -> Iterator[dict[str, Any]]:
    for c in range(practice.clients):
        p = practice.client(c)
        sched = practice.schedule(c)
        created = contact_created(practice, c)
        rng = rng_for(practice.seed, "contact-edit", c)
        last_touch = datetime.combine(sched.last_day, time(23, 0), UTC)
        modified = min(last_touch + timedelta(minutes=rng.randint(0, 600)),
                       practice.end - timedelta(seconds=rng.randint(1, 3600)))
        active = sched.last_day >= practice.anchor - timedelta(days=35)
        yield {
            "@odata.etag": _etag(modified, c),
            "contactid": p.contact_id,
            "firstname": p.first,
            "lastname": p.last,
            "fullname": p.name,
            "emailaddress1": p.email,
            "telephone1": p.phone,
            "mobilephone": p.mobile,
            "birthdate": p.birthdate.isoformat(),
            "address1_line1": p.street,
            "address1_city": p.city,
            "address1_stateorprovince": p.state,
            "address1_postalcode": p.postal,
            "address1_country": "United States",
            "createdon": iso_z(created),
            "modifiedon": iso_z(max(modified, created)),
            "statecode": 0 if active else 1,
            "statuscode": 1 if active else 2,
        }


def iter_sessions(practice: Practice) -> Iterator[dict[str, Any]]:
    for c in range(practice.clients):
        sched = practice.schedule(c)
        if not sched.sessions:
            continue
        person = practice.client(c)
        tr = trajectory(practice.seed, c)
        rng = rng_for(practice.seed, "session-notes", c)
        for k in range(sched.sessions):
            start = sched.at(k)
            change = tr.level(k) - tr.level(max(0, k - 2)) + rng.uniform(-1.0, 1.0)
            direction = "improving" if change < -1 else "worse" if change > 1 else "steady"
            transcript, notes, summary = session_texts(direction, rng.randrange(60), k + 1)
            written = timedelta(minutes=rng.randint(55, 150), seconds=rng.randint(0, 59))
            created = min(start + written, practice.end - timedelta(seconds=1))
            modified = created
            if rng.random() < 0.3:
                modified = min(created + timedelta(hours=rng.randint(1, 48)),
                               practice.end - timedelta(seconds=1))
            yield {
                "@odata.etag": _etag(modified, k),
                "cr8f3_clientsessionid": session_guid(practice.seed, c, k + 1),
                "cr8f3_name": f"{person.name} - Session {k + 1}",
                "cr8f3_sessiondate": iso_z(start),
                "_cr8f3_contactid_value": person.contact_id,
                "cr8f3_sessionnumber": k + 1,
                "cr8f3_transcript": transcript,
                "cr8f3_notes": notes,
                "cr8f3_summary": summary,
                "statecode": 0,
                "statuscode": 1,
                "createdon": iso_z(created),
                "modifiedon": iso_z(modified),
            }


def report_guid(seed: int, client: int, number: int) -> str:
    """The GUID of a client's progress report `number` (1-based)."""
    digest = hashlib.sha1(f"{seed}:report:{client}:{number}".encode()).digest()[:16]
    return str(uuid.UUID(bytes=digest, version=4))


def _report_body(first: str, start: int, end: int, before: float, after: float) -> str:
    change = after - before
    if change < -2:
        course = f"{first} reports clear improvement: better sleep and energy, fewer low days."
    elif change > 2:
        course = f"{first} reports a harder stretch, with more low days and poorer sleep."
    else:
        course = f"{first} describes a steady period with some good and some difficult weeks."
    return (
        f"Report on sessions {start}-{end}.\n\n{course} Estimated PHQ-9 level moved "
        f"from about {round(before)} to about {round(after)}.\n\nPlan: continue weekly sessions "
        "and review goals at the next report."
    )


def iter_reports(practice: Practice) -> Iterator[dict[str, Any]]:
    """A report after each client's session 2, 6, 10, ..., oldest first per client."""
    for c in range(practice.clients):
        sched = practice.schedule(c)
        count = report_count(sched.sessions)
        if not count:
            continue
        person = practice.client(c)
        tr = trajectory(practice.seed, c)
        rng = rng_for(practice.seed, "reports", c)
        for n in range(1, count + 1):
            last = FIRST_REPORT + (n - 1) * REPORT_EVERY  # the session it follows (1-based)
            first = 1 if n == 1 else last - REPORT_EVERY + 1
            written = sched.at(last - 1) + timedelta(days=rng.randint(1, 3),
                                                     minutes=rng.randint(0, 600))
            created = min(written, practice.end - timedelta(seconds=1))
            modified = created
            if rng.random() < 0.2:
                modified = min(created + timedelta(hours=rng.randint(1, 72)),
                               practice.end - timedelta(seconds=1))
            yield {
                "@odata.etag": _etag(modified, 1000 + n),
                "cr8f3_clientreportid": report_guid(practice.seed, c, n),
                "cr8f3_name": f"{person.name} - {'Assessment' if n == 1 else 'Progress'} report",
                "cr8f3_reporttype": "assessment" if n == 1 else "progress",
                "cr8f3_reportdate": iso_z(created),
                "_cr8f3_contactid_value": person.contact_id,
                "_cr8f3_sessionid_value": session_guid(practice.seed, c, last),
                "cr8f3_body": _report_body(person.first, first, last, tr.level(first - 1),
                                           tr.level(last - 1)),
                "statecode": 0,
                "statuscode": 1,
                "createdon": iso_z(created),
                "modifiedon": iso_z(modified),
            }
