"""Seeded randomness, provider-shaped identifiers and timestamp formats.

Every random choice in the package goes through a `random.Random` made by `rng_for`, keyed by the
seed and a purpose ("person", 3, …), never through the global `random` module, so any record can be
rebuilt on its own and the output does not depend on generation order. String seeds are hashed
with SHA-512 by `random.Random`, which is stable across processes and Python versions. The id
helpers imitate each provider's visible format (Gmail's time-prefixed hex ids, Dataverse GUIDs,
Stripe's `cus_…` ids, Graph's base64 ids, Forms' `ACYDBNi…` response ids).
"""

from __future__ import annotations

import base64
import hashlib
import string
import uuid
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from random import Random

_BASE62 = string.digits + string.ascii_letters
_URLSAFE = string.ascii_letters + string.digits + "-_"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def rng_for(seed: int, *parts: object) -> Random:
    """A generator private to one purpose, e.g. `rng_for(7, "person", 3)`."""
    return Random(f"{seed}:" + ":".join(str(p) for p in parts))


def guid(rng: Random) -> str:
    """A random version-4 GUID in Dataverse's lower-case form."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def base62(rng: Random, n: int) -> str:
    return "".join(rng.choices(_BASE62, k=n))


def stripe_id(rng: Random, prefix: str, n: int = 24) -> str:
    """`cus_…`, `in_…`, `pi_…`: a prefix and base62 characters, as Stripe shows them."""
    return f"{prefix}_{base62(rng, n)}"


def forms_response_id(rng: Random) -> str:
    """An opaque Google Forms response id: `ACYDBNi` and 20 URL-safe characters."""
    return "ACYDBNi" + "".join(rng.choices(_URLSAFE, k=20))


def gmail_id(when: datetime, n: int) -> str:
    """A Gmail message id: milliseconds since the epoch shifted left 20 bits, in hex.

    The low 20 bits are a bijection of `n` (the message's index in its mailbox), so two messages of
    one mailbox never share an id, even when they share a millisecond.
    """
    low = (n * 0x9E3779B1 + 0x5BD1E) & 0xFFFFF
    return format((epoch_ms(when) << 20) | low, "016x")


@cache
def _mailbox_part(mailbox_key: bytes) -> bytes:
    return b"\x00\x00\x00\x00" + hashlib.sha256(mailbox_key).digest() + b"\x00F"


def graph_id(rng: Random, mailbox_key: bytes, head: str = "AAMkA", n: int = 70) -> str:
    """A Microsoft Graph id: URL-safe base64 of a fixed mailbox part and `n` random bytes."""
    raw = _mailbox_part(mailbox_key) + rng.randbytes(n)
    return head + base64.urlsafe_b64encode(raw).decode("ascii")[len(head):]


def message_id(rng: Random, domain: str, style: str) -> str:
    """An RFC 5322 Message-ID in the style of the sending system."""
    if style == "gmail":
        token = base64.b64encode(rng.randbytes(33)).decode("ascii").replace("/", "_")
        return f"<CA{token}@mail.gmail.com>"
    if style == "outlook":
        pod = rng.choice(["SN6PR", "BY5PR", "CH2PR", "DM6PR"])
        host = f"{pod}{rng.randint(10, 19)}MB{rng.randint(1000, 9999)}"
        local = f"{host}{rng.randbytes(6).hex().upper()}"
        return f"<{local}@{host}.namprd{rng.randint(10, 19)}.prod.outlook.com>"
    return f"<{rng.randbytes(8).hex()}.{rng.randint(100000, 999999)}@{domain}>"


def epoch_ms(when: datetime) -> int:
    return (when - _EPOCH) // timedelta(milliseconds=1)


def unix(when: datetime) -> int:
    return (when - _EPOCH) // timedelta(seconds=1)


def iso_z(when: datetime) -> str:
    """`2026-11-18T14:03:22Z`, the form Graph and Dataverse use."""
    u = when.astimezone(UTC)
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"


def iso_ms_z(when: datetime) -> str:
    """`2026-11-18T14:03:22.123Z`, the RFC 3339 form Google Forms uses."""
    return f"{iso_z(when)[:-1]}.{when.microsecond // 1000:03d}Z"


_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def rfc5322_date(when: datetime) -> str:
    """`Tue, 17 Nov 2026 09:14:03 -0600` (what `email.utils.format_datetime` gives, faster)."""
    offset = when.utcoffset()
    minutes = 0 if offset is None else offset // timedelta(minutes=1)
    sign = "-" if minutes < 0 else "+"
    hh, mm = divmod(abs(minutes), 60)
    clock = f"{when.hour:02d}:{when.minute:02d}:{when.second:02d}"
    return (f"{_DAYS[when.weekday()][:3]}, {when.day:02d} {_MONTHS[when.month - 1][:3]} "
            f"{when.year} {clock} {sign}{hh:02d}{mm:02d}")


def _clock(when: datetime) -> str:
    return f"{when.hour % 12 or 12}:{when.minute:02d} {'AM' if when.hour < 12 else 'PM'}"


def gmail_when(when: datetime) -> str:
    """`Mon, Nov 2, 2026 at 9:14 AM`, as in Gmail's "On … wrote:" line."""
    return (f"{_DAYS[when.weekday()][:3]}, {_MONTHS[when.month - 1][:3]} {when.day}, "
            f"{when.year} at {_clock(when)}")


def outlook_when(when: datetime) -> str:
    """`Monday, November 2, 2026 9:14 AM`, as in Outlook's "Sent:" line."""
    return (f"{_DAYS[when.weekday()]}, {_MONTHS[when.month - 1]} {when.day}, {when.year} "
            f"{_clock(when)}")


def offset_tz(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))
