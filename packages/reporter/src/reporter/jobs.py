"""reporter's lorchestra jobs: create the views, sync the local SQLite copy, write markdown.

Run them in this order after the canonizer and scoring jobs::

    lorchestra run reporter.create_projections [--practice-addresses a@x.org,b@y.org]
    lorchestra run reporter.sync_sqlite
    lorchestra run reporter.project_files

Each returns counts (which the runner records in ``job.completed``) and emits one event with
the same counts. Events and return values carry ids and counts only, never record contents.
This module is the plugin layer: it imports the lorchestra host API.
"""

from __future__ import annotations

from typing import Annotated, Any

from lorchestra.api import InvalidJobArguments, NotPHI, Warehouse, current_run, emit


def create_projections(
    bq_client: Warehouse, practice_addresses: str | None = None
) -> dict[str, Any]:
    """(Re)create inbox_view, measurement_timeseries and reporting_snapshots; count their rows.

    ``practice_addresses`` (comma-separated) adds the practice's own addresses to those found
    automatically (senders of SENT-labelled mail, and each mailbox's owner address).
    """
    from reporter.projections import create_views, normalise_addresses

    addresses = normalise_addresses(practice_addresses)
    counts = create_views(bq_client, addresses)
    result: dict[str, Any] = {"views": counts, "configured_practice_addresses": len(addresses)}
    emit(bq_client, "projections.created", "reporter", result)
    return result


def sync_sqlite(bq_client: Warehouse) -> dict[str, Any]:
    """Copy the views and the canonical tables a local user needs into <home>/local.db."""
    from reporter.sqlite_sync import sync

    run = current_run()
    result = sync(bq_client, run.home, run.run_id).counts()
    emit(bq_client, "projections.sqlite_synced", "reporter", result)
    return result


def project_files(bq_client: Warehouse) -> dict[str, Any]:
    """Write one markdown file per client and per session under <home>/local_views/."""
    from reporter.files import project

    result: dict[str, Any] = project(bq_client, current_run().home).as_dict()
    emit(bq_client, "projections.files_written", "reporter", result)
    return result


def generate_weekly_report(
    bq_client: Warehouse,
    week: str | None = None,
    client: str | None = None,
    send: bool = False,
    resend: bool = False,
    dry_run: bool = False,
    jobs: Annotated[int | None, NotPHI] = None,
) -> dict[str, Any]:
    """Write each active client's weekly report (HTML + PDF) and the practice summary under
    <home>/reports/<week>/; with ``send``, email each client report to LORCHESTRA_REPORT_TO.

    ``week`` is an ISO week such as ``2026-W47`` (default: the current one, UTC); ``client``
    restricts to one contact_id; ``resend`` sends again reports already sent for that week;
    ``dry_run`` counts without writing files, sending or emitting events; ``jobs`` is how many
    worker processes render reports (default: the number of cores).
    """
    if jobs is not None and jobs < 1:
        raise InvalidJobArguments(f"--jobs must be at least 1, got {jobs}")
    from reporter.weekly import generate
    from reporter.weekly_data import parse_week

    iso_week = parse_week(week)
    counts = generate(
        bq_client, current_run().home, iso_week, client=client, send=send or resend, resend=resend,
        dry_run=dry_run, jobs=jobs,
    )  # fmt: skip
    return counts.as_dict()


def send_risk_alerts(bq_client: Warehouse) -> dict[str, Any]:
    """Email the clinician (LORCHESTRA_RISK_ALERT_EMAIL) once for every PHQ-9 response whose
    item 9 was answered above 0 or could not be read; with no address set, say alerts are off.
    """
    from reporter.risk_alerts import send_alerts

    return send_alerts(bq_client).as_dict()
