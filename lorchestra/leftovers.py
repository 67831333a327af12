"""Clean up after runs whose process is gone, at the start of the next run.

A run killed outright (``kill -9``, a power cut) gets no chance to tidy up: its Meltano
extract (patient data) stays under ``<home>/extract/`` and its jobs have a ``job.started``
event and no end. Called with the run lock held — so no other run is in progress and every
unfinished run belongs to a dead process — :func:`clean_leftovers` removes everything under
``extract/`` and records a ``job.abandoned`` event (the time it was found, the job and its
definition) for each unfinished run, so ``runs list`` and ``status`` show ``abandoned``, never
``running`` forever. The kernel already released the dead run's lock.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lorchestra.logs import get_logger
from lorchestra.named_queries import find_query
from lorchestra.stack_clients.event_client import emit
from lorchestra.timespec import isoformat_utc
from lorchestra.warehouse.base import Warehouse

log = get_logger(__name__)

EXTRACT_DIR = "extract"


@dataclass(frozen=True)
class Leftovers:
    """What one clean-up found: extract files removed, runs marked abandoned."""

    extract_files: int
    abandoned_runs: list[str]


def clean_leftovers(warehouse: Warehouse, home: Path, now: datetime | None = None) -> Leftovers:
    """Remove stale extracts and mark unfinished runs abandoned; the caller holds the run lock."""
    found = now or datetime.now(UTC)
    files = _remove_extracts(home / EXTRACT_DIR)
    abandoned: list[str] = []
    for row in warehouse.query(find_query("unfinished_runs").sql):
        when = isoformat_utc(found)
        emit(
            warehouse,
            "job.abandoned",
            row["package"] or "lorchestra",
            {"job": row["job"], "definition": row["definition"], "found_at": when},
            status="abandoned",
            correlation_id=row["run_id"],
            error_message=(
                f"started and never ended: its process was gone when the next run started "
                f"at {when}"
            ),
        )
        abandoned.append(str(row["run_id"]))
    if files or abandoned:
        log.info("leftovers.cleaned", extract_files=files, abandoned_runs=len(abandoned))
    return Leftovers(files, abandoned)


def _remove_extracts(root: Path) -> int:
    if not root.is_dir():
        return 0
    count = 0
    for entry in root.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            count += sum(1 for p in entry.rglob("*") if p.is_file())
            shutil.rmtree(entry, ignore_errors=True)
        else:
            count += 1
            entry.unlink(missing_ok=True)
    return count
