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

from typing import Any


def create_projections(bq_client: Any, practice_addresses: str | None = None) -> dict[str, Any]:
    """(Re)create inbox_view, measurement_timeseries and reporting_snapshots; count their rows.

    ``practice_addresses`` (comma-separated) adds the practice's own addresses to those found
    automatically (senders of SENT-labelled mail, and each mailbox's owner address).
    """
    from lorchestra.stack_clients.event_client import emit
    from reporter.projections import create_views, normalise_addresses

    addresses = normalise_addresses(practice_addresses)
    counts = create_views(bq_client, addresses)
    result: dict[str, Any] = {"views": counts, "configured_practice_addresses": len(addresses)}
    emit(bq_client, "projections.created", "reporter", result)
    return result


def sync_sqlite(bq_client: Any) -> dict[str, Any]:
    """Copy the views and the canonical tables a local user needs into <home>/local.db."""
    from lorchestra.stack_clients.event_client import emit
    from reporter._home import data_home, run_id
    from reporter.sqlite_sync import sync

    result = sync(bq_client, data_home(), run_id()).counts()
    emit(bq_client, "projections.sqlite_synced", "reporter", result)
    return result


def project_files(bq_client: Any) -> dict[str, Any]:
    """Write one markdown file per client and per session under <home>/local_views/."""
    from lorchestra.stack_clients.event_client import emit
    from reporter._home import data_home
    from reporter.files import project

    result: dict[str, Any] = project(bq_client, data_home()).as_dict()
    emit(bq_client, "projections.files_written", "reporter", result)
    return result
