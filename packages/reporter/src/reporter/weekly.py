"""Weekly client reports: files under ``<home>/reports/<week>/`` and optional SMTP delivery.

For each client (contact) with activity in the ISO week (a ``reporting_snapshots`` row: sessions,
measurements, invoices/payments or email), ``client_<contact_id>.html`` and ``.pdf``; for the
clinician, ``practice_summary.html`` and ``.pdf`` (not with ``client``: a one-client run leaves
the summary as it was). A report whose HTML is unchanged is not rewritten, and counted as
unchanged; charts are kept between runs (:mod:`reporter.chart_cache`), so a re-run with
unchanged data draws none. Reports are rendered in up to ``jobs`` worker processes (default:
one per core; see :mod:`reporter.weekly_pool`). Paths come from ids (an unsafe id is skipped),
directories are 0700, files 0600, every write is atomic (a temp file a killed run left
beside the reports is removed by the next run; tests/test_crash_side_effects.py kills one
mid-write). Sends are recorded as ``report.sent``
events (connection_name = contact_id, target_object_type = ``weekly_report:<week>``) and a report
is not sent again for the same client and week unless ``resend``.
"""

from __future__ import annotations

import re
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lorchestra.api import Warehouse, emit, fsync_dir, private_dir
from reporter.chart_cache import CACHE_DIR
from reporter.weekly_data import ClientWeek, IsoWeek, PracticeWeek, load_week
from reporter.weekly_pool import ReportWriters, Task, default_jobs
from reporter.weekly_render import render_summary

REPORTS_DIR = "reports"
SENT_EVENT = "report.sent"
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_ALREADY_SENT_SQL = (
    "SELECT COUNT(*) AS n FROM event_log WHERE event_type = 'report.sent' "
    "AND status = 'ok' AND connection_name = @contact_id AND target_object_type = @target"
)


def sent_target(week: IsoWeek) -> str:
    return f"weekly_report:{week.label}"


@dataclass
class WeeklyCounts:
    week: str
    clients_with_activity: int = 0
    reports_written: int = 0
    reports_unchanged: int = 0
    # The practice summary: written, or unchanged (both 0 with --client or a dry run).
    summary_written: int = 0
    summary_unchanged: int = 0
    reports_sent: int = 0
    skipped_already_sent: int = 0
    clients_without_activity: int = 0
    skipped_unsafe_id: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Written:
    contact_id: str
    short_id: str
    html: str
    pdf: bytes


def generate(
    bq_client: Warehouse,
    home: Path,
    week: IsoWeek,
    *,
    client: str | None = None,
    send: bool = False,
    resend: bool = False,
    dry_run: bool = False,
    jobs: int | None = None,
) -> WeeklyCounts:
    settings = None
    if send and not dry_run:
        from reporter.mailer import smtp_settings

        settings = smtp_settings()  # fail before writing anything when it is incomplete
    # One report renders here, more in workers; either way the renderer gets ready (workers
    # started, WeasyPrint imported) while the week is read.
    writers = ReportWriters(1 if client is not None else jobs or default_jobs())
    with nullcontext() if dry_run else writers:
        practice = load_week(bq_client, week, client)
        counts = WeeklyCounts(
            week=week.label,
            clients_with_activity=len(practice.clients),
            clients_without_activity=practice.clients_without_activity,
            dry_run=dry_run,
        )
        safe = [item for item in practice.clients if _SAFE_ID.match(item.contact_id)]
        counts.skipped_unsafe_id = len(practice.clients) - len(safe)
        if dry_run:
            return counts
        reports = _write(writers, home, week, practice, safe, counts,
                         summary=client is None, keep=settings is not None)  # fmt: skip
    emit(
        bq_client,
        "report.generated",
        "reporter",
        {
            k: v
            for k, v in counts.as_dict().items()
            if k not in ("reports_sent", "skipped_already_sent")
        },
        target_object_type=sent_target(week),
    )
    if settings is not None:
        _send(bq_client, settings, week, reports, counts, resend)
    return counts


def _write(
    writers: ReportWriters,
    home: Path,
    week: IsoWeek,
    practice: PracticeWeek,
    clients: list[ClientWeek],
    counts: WeeklyCounts,
    *,
    summary: bool,
    keep: bool,
) -> list[Written]:
    """Write each client's report, and the practice summary when ``summary``, and count them;
    return the reports themselves when ``keep`` (to send them)."""
    directory = home / REPORTS_DIR / week.label
    private_dir(home / REPORTS_DIR)
    private_dir(directory)
    charts = home / REPORTS_DIR / CACHE_DIR / week.label
    tasks = [
        Task(
            directory,
            f"client_{item.contact_id}",
            f"client {item.contact_id}",
            week.label,
            client=item,
            charts=charts,
        )  # fmt: skip
        for item in clients
    ]
    # A one-client run leaves the practice summary as it was: it covers every client. The
    # summary goes first, so its (longest) PDF overlaps the clients' in the workers.
    if summary:
        tasks.insert(0, Task(directory, "practice_summary", "practice summary", week.label,
                             html=render_summary(practice)))  # fmt: skip
    reports: list[Written] = []
    for task, done in zip(tasks, writers.write_all(tasks), strict=True):
        if task.client is None:
            counts.summary_written = int(done.written)
            counts.summary_unchanged = int(not done.written)
            continue
        if done.written:
            counts.reports_written += 1
        else:
            counts.reports_unchanged += 1
        if keep:
            pdf = (directory / f"{task.stem}.pdf").read_bytes()
            item = task.client
            reports.append(Written(item.contact_id, item.short_id, done.html, pdf))
    remove_interrupted_writes(directory)
    fsync_dir(directory)
    return reports


def remove_interrupted_writes(directory: Path) -> None:
    """Delete temp files a killed run left beside the reports (``.<name>.<random>.tmp``, from
    ``write_private``): the reports themselves were never replaced by them, and this run has
    just written or confirmed every report."""
    for existing in directory.iterdir():
        if existing.is_file() and existing.name.startswith(".") and existing.name.endswith(".tmp"):
            existing.unlink()


def already_sent(bq_client: Warehouse, contact_id: str, week: IsoWeek) -> bool:
    rows = bq_client.query(
        _ALREADY_SENT_SQL, {"contact_id": contact_id, "target": sent_target(week)}
    )
    return bool(rows) and int(rows[0]["n"] or 0) > 0


def _send(
    bq_client: Warehouse,
    settings: Any,
    week: IsoWeek,
    reports: list[Written],
    counts: WeeklyCounts,
    resend: bool,
) -> None:
    from reporter.mailer import Mailer, build_message

    due = []
    for report in reports:
        if not resend and already_sent(bq_client, report.contact_id, week):
            counts.skipped_already_sent += 1
        else:
            due.append(report)
    if not due:
        return
    with Mailer(settings) as mailer:
        for report in due:
            subject = f"Weekly report {week.label} — client {report.short_id}"
            mailer.send(
                build_message(
                    settings, subject, report.html, report.pdf,
                    f"weekly_report_{week.label}_{report.short_id}.pdf",
                )
            )  # fmt: skip
            counts.reports_sent += 1
            emit(
                bq_client,
                SENT_EVENT,
                "reporter",
                {"contact_id": report.contact_id, "week": week.label, "messages": 1,
                 "attachments": 1, "resend": resend},
                connection_name=report.contact_id,
                target_object_type=sent_target(week),
            )  # fmt: skip
