"""Parse ``--since``/``--until`` values: ISO dates and times, or spans like ``-7d``.

Relative spans count back from one ``now`` fixed per run, so every job of a run sees the same
window. Results are timezone-aware UTC datetimes; naive inputs are taken as UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_RELATIVE = re.compile(r"^-(\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_instant(text: str, now: datetime) -> datetime:
    """Resolve ``text`` (ISO date/datetime or ``-N[mhdw]``) to an aware UTC datetime."""
    value = text.strip()
    match = _RELATIVE.match(value)
    if match:
        amount, unit = int(match.group(1)), _UNITS[match.group(2)]
        return now.astimezone(UTC) - timedelta(**{unit: amount})
    try:
        return parse_timestamp(value)
    except ValueError:
        pass
    try:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO date or time, nor a span like -7d, -12h, -2w or -30m"
        ) from None


def isoformat_utc(moment: datetime) -> str:
    """Format an aware datetime as RFC 3339 UTC with a ``Z`` suffix."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_timestamp(value: str | datetime) -> datetime:
    """An ISO 8601 timestamp (``Z`` or an offset; naive means UTC) as an aware UTC datetime."""
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
