"""One run at a time per data home: an exclusive ``flock`` on ``<home>/run.lock``.

``lorchestra run`` and ``run-job`` hold it while jobs run, so two scheduled runs never overlap
and ``status`` can tell a run still in progress (lock held) from one that was abandoned (a job
started, never ended, and nothing holds the lock). The kernel drops the lock when the process
dies, however it dies.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lorchestra.errors import LorchestraError
from lorchestra.home import PRIVATE_FILE

LOCK_FILE = "run.lock"


class RunInProgress(LorchestraError):
    """Another lorchestra run held this data home's run lock for longer than we waited."""


@contextmanager
def hold_run_lock(home: Path, *, wait_s: float) -> Iterator[None]:
    """Hold the home's run lock for the block, waiting up to ``wait_s`` seconds for it (the
    ``duckdb.lock_timeout`` setting, as for the database file); then raise ``RunInProgress``."""
    fd = os.open(home / LOCK_FILE, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    try:
        deadline = time.monotonic() + max(wait_s, 0.5)  # a status probe holds it for a moment
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise RunInProgress(
                        f"The data home {home} is locked by another lorchestra run; waited "
                        f"{wait_s:g}s (set duckdb.lock_timeout or LORCHESTRA_LOCK_TIMEOUT to "
                        "wait longer)."
                    ) from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)


def run_in_progress(home: Path) -> bool:
    """True when a run holds the lock now (probed with a shared, non-blocking lock)."""
    path = home / LOCK_FILE
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
