"""Timestamp parsing and formatting shared by the transforms: every canonical timestamp is UTC
RFC 3339 with second precision and a ``Z`` suffix (``2024-06-03T10:00:00Z``). Sources disagree
on almost everything else: Gmail sends epoch milliseconds as a string, Stripe unix seconds,
Graph and Dataverse ISO 8601 with up to seven fractional digits, mail headers RFC 5322 dates with
obsolete two-digit years and named zones. Every parser here returns ``None`` instead of raising
on input it cannot read, because a bad date should cost one field, not the whole object.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_tz

__all__ = [
    "format_utc",
    "from_epoch_millis",
    "from_unix_seconds",
    "parse_iso",
    "parse_iso_date",
    "parse_rfc5322",
]

# Far enough either side of now to cover any real record while keeping datetime arithmetic in
# range; a hostile "year 99999" becomes None instead of an OverflowError.
_MIN_EPOCH_SECONDS = -62_135_596_800 + 86_400  # 0001-01-02
_MAX_EPOCH_SECONDS = 253_402_214_400 - 86_400  # 9999-12-30

_ISO_RE = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2})?\s*$"
)
_DATE_RE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")
# The year of an RFC 5322 date: after "<day> <month-name>"; obsolete forms use 2 or 3 digits.
_RFC5322_YEAR_RE = re.compile(r"(\b\d{1,2}\s+[A-Za-z]{3,}\.?\s+)(\d{2,4})\b")


def format_utc(value: datetime) -> str:
    """Format an aware datetime (naive ones are taken as UTC) as ``YYYY-MM-DDTHH:MM:SSZ``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    v = value.astimezone(UTC)
    # Not strftime: its %Y does not zero-pad years before 1000 on every platform.
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}Z"


def from_unix_seconds(value: object) -> str | None:
    """Unix seconds (int, or an integral float) to UTC RFC 3339; ``None`` if unusable."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    seconds = math.floor(value)
    if not _MIN_EPOCH_SECONDS <= seconds <= _MAX_EPOCH_SECONDS:
        return None
    return format_utc(datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds))


def from_epoch_millis(value: object) -> str | None:
    """Epoch milliseconds (Gmail's ``internalDate``: a decimal string, or an int) to RFC 3339."""
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"-?\d{1,20}", text):
            return None
        millis = int(text)
    elif isinstance(value, int) and not isinstance(value, bool):
        millis = value
    else:
        return None
    return from_unix_seconds(millis // 1000)


def parse_iso(value: object) -> datetime | None:
    """Parse an ISO 8601 / RFC 3339 date-time; any fraction length; no offset means UTC."""
    if not isinstance(value, str):
        return None
    m = _ISO_RE.match(value)
    if m is None:
        return None
    year, month, day, hour, minute = (int(m.group(i)) for i in range(1, 6))
    second = int(m.group(6) or 0)
    zone = m.group(8)
    try:
        if second == 60:  # a leap second: keep the instant one second early rather than fail
            second = 59
        parsed = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        if zone and zone not in ("Z", "z"):
            sign = 1 if zone[0] == "+" else -1
            digits = zone[1:].replace(":", "")
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            if offset >= timedelta(hours=24):
                return None
            parsed -= sign * offset
    except (ValueError, OverflowError):
        return None
    return parsed


def parse_iso_date(value: object) -> str | None:
    """Return ``YYYY-MM-DD`` for a date or the date part of a date-time string; else ``None``.

    Date-only fields (birthdates) are calendar dates, not instants, so no zone shift applies.
    """
    if not isinstance(value, str):
        return None
    m = _DATE_RE.match(value) or _ISO_RE.match(value)
    if m is None:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None


def _fix_obsolete_year(match: re.Match[str]) -> str:
    year = match.group(2)
    if len(year) == 2:  # RFC 5322 4.3: 00-49 are 20xx, 50-99 are 19xx
        value = int(year)
        return f"{match.group(1)}{value + 2000 if value < 50 else value + 1900}"
    if len(year) == 3:  # RFC 5322 4.3: three-digit years add 1900
        return f"{match.group(1)}{int(year) + 1900}"
    return match.group(0)


def parse_rfc5322(value: object) -> datetime | None:
    """Parse a mail ``Date`` header: RFC 5322 including obsolete forms; ISO 8601 as a fallback.

    Missing seconds, comments such as ``(CEST)``, named US zones and two- or three-digit years
    are accepted. An unknown or military zone carries no usable offset (RFC 5322 4.3 says to
    read it as ``-0000``), so it is taken as UTC.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text = _RFC5322_YEAR_RE.sub(_fix_obsolete_year, value, count=1)
    try:
        parts = parsedate_tz(text)
    except (ValueError, TypeError, IndexError):
        parts = None
    if parts is None:
        return parse_iso(value)
    year, month, day, hour, minute, second = parts[:6]
    offset = parts[9] or 0
    try:
        if second == 60:
            second = 59
        naive = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        if abs(offset) >= 86_400:
            return None
        return naive - timedelta(seconds=offset)
    except (ValueError, OverflowError):
        return None
