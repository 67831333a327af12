"""Markdown files for reading without tools: ``<home>/local_views/``.

One file per client, ``clients/<contact_id>.md`` (contact details, measurement history per
reported scale with bands, recent sessions, reports), one per session,
``sessions/<session_id>.md`` (transcript, notes, summary), and one per clinical report,
``reports/<report_id>.md`` (linked to its client and to the session it follows). Paths come from
stable ids, never from names; an id that is not a safe file name is skipped and counted.
Rendering is deterministic (no clock in the text), so unchanged sources give identical bytes:
such files are not rewritten. Files whose source is gone are removed. Writes go through a temp
file and ``os.replace``; directories are 0700, files 0600.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lorchestra.api import PRIVATE_FILE, Warehouse, private_dir, write_private
from reporter.instruments import instrument_info
from reporter.local_tables import Row, fetch_all

VIEWS_DIR = "local_views"
RECENT_SESSIONS = 10
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_DOCUMENT_ORDER = (("transcript", "Transcript"), ("note", "Notes"), ("summary", "Summary"))


@dataclass
class FileCounts:
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "written": self.written,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "skipped": self.skipped,
        }


def project(bq_client: Warehouse, home: Path) -> FileCounts:
    """Bring ``home/local_views`` in line with the warehouse; see the module docstring."""
    contacts = fetch_all(bq_client, "contacts")
    sessions = fetch_all(bq_client, "sessions")
    documents = fetch_all(bq_client, "session_documents")
    timeseries = fetch_all(bq_client, "measurement_timeseries")
    reports = fetch_all(bq_client, "clinical_reports")

    contacts_by_id = {c["contact_id"]: c for c in contacts if c["contact_id"]}
    measurements: dict[str, list[Row]] = defaultdict(list)
    for row in timeseries:
        measurements[row["subject_id"]].append(row)
    sessions_by_contact: dict[str, list[Row]] = defaultdict(list)
    for session in sessions:
        if session["contact_id"]:
            sessions_by_contact[session["contact_id"]].append(session)
    documents_by_session: dict[str, list[Row]] = defaultdict(list)
    for document in documents:
        documents_by_session[document["session_id"]].append(document)

    reports_by_contact: dict[str, list[Row]] = defaultdict(list)
    for report in reports:
        if report["contact_id"]:
            reports_by_contact[report["contact_id"]].append(report)

    root = private_dir(home / VIEWS_DIR)
    counts = FileCounts()
    wanted_clients: dict[str, bytes] = {}
    for contact_id, contact in contacts_by_id.items():
        email = (contact.get("email") or "").strip().lower()
        wanted_clients[contact_id] = render_client(
            contact,
            measurements.get(email, []),
            sessions_by_contact.get(contact_id, []),
            reports_by_contact.get(contact_id, []),
        ).encode()
    wanted_sessions: dict[str, bytes] = {}
    for session in sessions:
        wanted_sessions[session["session_id"]] = render_session(
            session,
            contacts_by_id.get(session["contact_id"] or ""),
            documents_by_session.get(session["session_id"], []),
        ).encode()
    wanted_reports = {
        report["report_id"]: render_report(report, contacts_by_id.get(report["contact_id"] or ""))
        .encode()
        for report in reports
        if report["report_id"]
    }
    _sync_dir(root / "clients", wanted_clients, counts)
    _sync_dir(root / "sessions", wanted_sessions, counts)
    _sync_dir(root / "reports", wanted_reports, counts)
    return counts


def _sync_dir(directory: Path, wanted: dict[str, bytes], counts: FileCounts) -> None:
    private_dir(directory)
    keep: set[str] = set()
    for file_id, data in sorted(wanted.items()):
        if not _SAFE_ID.match(file_id):
            counts.skipped += 1
            continue
        path = directory / f"{file_id}.md"
        keep.add(path.name)
        if _same_bytes(path, data):
            if path.stat().st_mode & 0o777 != PRIVATE_FILE:
                os.chmod(path, PRIVATE_FILE)
            counts.unchanged += 1
            continue
        write_private(path, data)
        counts.written += 1
    for existing in directory.iterdir():
        stale_md = existing.suffix == ".md" and existing.name not in keep
        # Temp files of an interrupted write ('.<name>.<random>.tmp').
        stale_tmp = existing.name.startswith(".") and existing.name.endswith(".tmp")
        if existing.is_file() and (stale_md or stale_tmp):
            existing.unlink()
            counts.removed += stale_md


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except FileNotFoundError:
        return False


# -- rendering ---------------------------------------------------------------------------------
def _scale_order(row: Row) -> int:
    ids = [s.id for s in instrument_info(row["instrument_id"]).scales]
    return ids.index(row["scale_id"]) if row["scale_id"] in ids else len(ids)


def render_client(
    contact: Row,
    measurements: Iterable[Row],
    sessions: Iterable[Row],
    reports: Iterable[Row] = (),
) -> str:
    """The markdown of one client file."""
    name = contact.get("full_name") or " ".join(
        part for part in (contact.get("first_name"), contact.get("last_name")) if part
    )
    lines = [f"# {_inline(name) or 'Client'}", ""]
    region = " ".join(
        part for part in (contact.get("state_or_province"), contact.get("postal_code")) if part
    )
    address = ", ".join(
        part for part in (contact.get("address_line1"), contact.get("city"), region) if part
    )
    details = (
        ("Contact id", f"`{contact['contact_id']}`"),
        ("Email", contact.get("email")),
        ("Mobile phone", contact.get("phone_mobile")),
        ("Business phone", contact.get("phone_business")),
        ("Birthdate", contact.get("birthdate")),
        ("Address", address),
        ("Active", _yes_no(contact.get("active"))),
    )
    lines += [f"- {label}: {_inline(value)}" for label, value in details if value]
    lines += ["", "## Measurements", ""]
    # Only the scales a report shows (never a total the instrument does not define).
    history = sorted(
        (
            r
            for r in measurements
            if instrument_info(r["instrument_id"]).reports(r["scale_id"])
        ),
        key=lambda r: (r["instrument_id"], r["occasion"], _scale_order(r), r["event_key"]),
    )
    if history:
        lines += [
            "| Date | Instrument | Scale | # | Score | Band | Change from previous "
            "| Change from first | Item 9 positive |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for row in history:
            scale = instrument_info(row["instrument_id"]).scale(row["scale_id"])
            cells: tuple[Any, ...] = (
                _day(row["occurred_at"]),
                row["instrument_id"],
                scale.name if scale else row["scale_id"],
                str(row["occasion"]),
                _number(row["score"]),
                row["band"],
                _number(row["change_from_previous"], signed=True),
                _number(row["change_from_first"], signed=True),
                _yes_no(row["item9_positive"]),
            )
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    else:
        lines.append("No measurements yet.")
    lines += ["", "## Recent sessions", ""]
    recent = sorted(
        sessions, key=lambda s: (s.get("session_date") or "", s["session_id"]), reverse=True
    )[:RECENT_SESSIONS]
    if recent:
        lines += ["| Date | Status | Session |", "|---|---|---|"]
        for session in recent:
            link = f"[{session['session_id']}](../sessions/{session['session_id']}.md)"
            row_cells = (_day(session.get("session_date")), session.get("status"), link)
            lines.append("| " + " | ".join(_cell(c) for c in row_cells) + " |")
    else:
        lines.append("No sessions yet.")
    lines += ["", "## Reports", ""]
    ordered = sorted(
        reports, key=lambda r: (r.get("report_date") or "", r["report_id"]), reverse=True
    )
    if ordered:
        lines += ["| Date | Report | Session |", "|---|---|---|"]
        for report in ordered:
            link = f"[{_cell(report.get('title') or report['report_id'])}]" + (
                f"(../reports/{report['report_id']}.md)"
            )
            followed = report.get("session_id")
            session_link = f"[{followed}](../sessions/{followed}.md)" if followed else ""
            lines.append(f"| {_day(report.get('report_date'))} | {link} | {session_link} |")
    else:
        lines.append("No reports yet.")
    return "\n".join(lines) + "\n"


def _client_link(row: Row, contact: Row | None) -> str | None:
    """The client of a session or report: a link to their file, else their id, else None."""
    if contact is not None:
        label = contact.get("full_name") or contact["contact_id"]
        return f"[{_inline(label)}](../clients/{contact['contact_id']}.md)"
    return f"`{row['contact_id']}`" if row.get("contact_id") else None


def render_report(report: Row, contact: Row | None) -> str:
    """The markdown of one clinical report file."""
    title = _inline(report.get("title")) or f"Report {report['report_id']}"
    lines = [f"# {title}", ""]
    client = _client_link(report, contact)
    session = report.get("session_id")
    details = (
        ("Report id", f"`{report['report_id']}`"),
        ("Client", client),
        ("Follows session", f"[{session}](../sessions/{session}.md)" if session else None),
        ("Date", report.get("report_date")),
        ("Type", report.get("report_type")),
        ("Status", report.get("status")),
    )
    lines += [f"- {label}: {value}" for label, value in details if value]
    text = (report.get("text") or "").strip()
    lines += ["", text or "No text."]
    return "\n".join(lines) + "\n"


def render_session(session: Row, contact: Row | None, documents: Iterable[Row]) -> str:
    """The markdown of one session file."""
    lines = [f"# Session {_day(session.get('session_date')) or session['session_id']}", ""]
    client = _client_link(session, contact)
    details = (
        ("Session id", f"`{session['session_id']}`"),
        ("Client", client),
        ("Date", session.get("session_date")),
        ("Status", session.get("status")),
    )
    lines += [f"- {label}: {value}" for label, value in details if value]
    by_kind: dict[str, list[Row]] = defaultdict(list)
    for document in documents:
        by_kind[document.get("kind") or ""].append(document)
    for kind, title in _DOCUMENT_ORDER:
        lines += ["", f"## {title}", ""]
        texts = [
            (d.get("text") or "").strip()
            for d in sorted(by_kind.get(kind, []), key=lambda d: d["document_id"])
        ]
        texts = [t for t in texts if t]
        lines.append("\n\n".join(texts) if texts else "None.")
    return "\n".join(lines) + "\n"


def _inline(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split())


def _cell(value: Any) -> str:
    return _inline(value).replace("|", "\\|")


def _day(value: Any) -> str:
    return "" if not value else str(value)[:10]


def _yes_no(value: Any) -> str:
    return "" if value is None else ("yes" if value else "no")


def _number(value: Any, *, signed: bool = False) -> str:
    if value is None:
        return ""
    return f"{float(value):+g}" if signed else f"{float(value):g}"
