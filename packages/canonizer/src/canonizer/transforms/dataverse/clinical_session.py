"""Dataverse clinical-session custom entity to ``clinical_session`` and its three documents.

Custom columns carry the publisher's prefix (``cr8f3_clientsessionid``). The transforms take a
``prefix`` parameter; left null, the prefix is detected from the single ``*_clientsessionid``
column, and a record with none or several such columns is rejected. The transcript, notes and
summary columns become ``session_transcript``, ``session_note`` and ``session_summary``
documents with ``document_id = "<session_id>:<kind>"``; a session whose column is missing or
blank has no such document, and that transform rejects it (the job counts, not stores, it).
``session_date`` keeps a date-only column as ``YYYY-MM-DD`` and turns a date-time into UTC.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from canonizer.errors import TransformRejected
from canonizer.times import format_utc, parse_iso, parse_iso_date

_PREFIX_RE = re.compile(r"^([A-Za-z0-9]+)_clientsessionid$")
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
            "prefix: expected exactly one '<prefix>_clientsessionid' column "
            f"(found {len(found)}); pass the prefix parameter"
        )
    return found[0]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _time(value: object) -> str | None:
    parsed = parse_iso(value)
    return format_utc(parsed) if parsed else None


def _common(payload: Mapping[str, Any], params: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    prefix = _prefix(payload, params)
    session_id = _text(payload.get(f"{prefix}_clientsessionid"))
    if session_id is None:
        raise TransformRejected("session_id: <prefix>_clientsessionid is missing or empty")
    contact = _text(payload.get(f"_{prefix}_contactid_value"))
    return prefix, {
        "session_id": session_id,
        "contact_id": contact,
        "created_at": _time(payload.get("createdon")),
        "modified_at": _time(payload.get("modifiedon")),
    }


def _session_date(value: object) -> str | None:
    if isinstance(value, str) and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", value):
        return parse_iso_date(value)
    return _time(value)


def to_clinical_session(payload: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """The session itself: ids, date, state and which documents exist."""
    prefix, common = _common(payload, params)
    state, reason = payload.get("statecode"), payload.get("statuscode")
    return {
        "session_id": common["session_id"],
        "contact_id": common["contact_id"],
        "session_date": _session_date(payload.get(f"{prefix}_sessiondate")),
        "status": _STATES.get(state) if isinstance(state, int) else None,
        "status_reason": reason
        if isinstance(reason, int) and not isinstance(reason, bool)
        else None,
        "created_at": common["created_at"],
        "modified_at": common["modified_at"],
        "has_transcript": _text(payload.get(f"{prefix}_transcript")) is not None,
        "has_notes": _text(payload.get(f"{prefix}_notes")) is not None,
        "has_summary": _text(payload.get(f"{prefix}_summary")) is not None,
    }


def _document(
    payload: Mapping[str, Any], params: Mapping[str, Any], column: str, kind: str
) -> dict[str, Any]:
    prefix, common = _common(payload, params)
    text = _text(payload.get(f"{prefix}_{column}"))
    if text is None:
        raise TransformRejected(f"text: <prefix>_{column} is missing or empty; no {kind} document")
    return {
        "document_id": f"{common['session_id']}:{kind}",
        "session_id": common["session_id"],
        "contact_id": common["contact_id"],
        "kind": kind,
        "text": text.replace("\r\n", "\n"),
        "created_at": common["created_at"],
        "modified_at": common["modified_at"],
    }


def to_session_transcript(payload: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """The session's transcript column as a document."""
    return _document(payload, params, "transcript", "transcript")


def to_session_note(payload: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """The session's notes column as a document."""
    return _document(payload, params, "notes", "note")


def to_session_summary(payload: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """The session's summary column as a document."""
    return _document(payload, params, "summary", "summary")
