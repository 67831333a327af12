"""Dataverse clinical-report custom entity to canonical ``clinical_report``.

A report (an assessment after the first sessions, then progress reports) is a row of the
clinic's ``<prefix>_clientreport`` entity, linked to a contact and to the session it follows.
As with sessions, custom columns carry the publisher's prefix; the ``prefix`` parameter names it,
or, left null, it is detected from the single ``*_clientreportid`` column. ``report_date`` is
UTC (a date-only column stays ``YYYY-MM-DD``); the body keeps its paragraphs with ``\\n`` line
ends. A report without an id or without text is rejected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from canonizer.errors import TransformRejected
from canonizer.times import format_utc, parse_iso, parse_iso_date

_PREFIX_RE = re.compile(r"^([A-Za-z0-9]+)_clientreportid$")
_STATES = {0: "active", 1: "inactive"}


def _prefix(payload: Mapping[str, Any], params: Mapping[str, Any]) -> str:
    given = params.get("prefix")
    if given is not None:
        if not isinstance(given, str) or not re.fullmatch(r"[A-Za-z0-9]+", given):
            raise TransformRejected("parameter prefix: expected letters and digits only")
        return given
    found = [m.group(1) for m in (_PREFIX_RE.match(str(k)) for k in payload) if m]
    if len(found) != 1:
        raise TransformRejected(
            "prefix: expected exactly one '<prefix>_clientreportid' column "
            f"(found {len(found)}); pass the prefix parameter"
        )
    return found[0]


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _time(value: object) -> str | None:
    parsed = parse_iso(value)
    return format_utc(parsed) if parsed else None


def _date(value: object) -> str | None:
    if isinstance(value, str) and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", value):
        return parse_iso_date(value)
    return _time(value)


def to_clinical_report(payload: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """One report: ids, links, type, date, title, text and state."""
    prefix = _prefix(payload, params)
    report_id = _text(payload.get(f"{prefix}_clientreportid"))
    if report_id is None:
        raise TransformRejected("report_id: <prefix>_clientreportid is missing or empty")
    body = payload.get(f"{prefix}_body")
    if _text(body) is None:
        raise TransformRejected("text: <prefix>_body is missing or empty")
    assert isinstance(body, str)  # checked by _text above
    state, reason = payload.get("statecode"), payload.get("statuscode")
    kind = _text(payload.get(f"{prefix}_reporttype"))
    return {
        "report_id": report_id,
        "contact_id": _text(payload.get(f"_{prefix}_contactid_value")),
        "session_id": _text(payload.get(f"_{prefix}_sessionid_value")),
        "report_type": kind.casefold() if kind else None,
        "title": _text(payload.get(f"{prefix}_name")),
        "report_date": _date(payload.get(f"{prefix}_reportdate")),
        "text": body.replace("\r\n", "\n").strip(),
        "status": _STATES.get(state) if isinstance(state, int) else None,
        "status_reason": reason
        if isinstance(reason, int) and not isinstance(reason, bool)
        else None,
        "created_at": _time(payload.get("createdon")),
        "modified_at": _time(payload.get("modifiedon")),
    }
