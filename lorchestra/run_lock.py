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
    """Another lorchestra run holds this data home's run lock."""

    exit_code = 75  # EX_TEMPFAIL: try again later


@contextmanager
def hold_run_lock(home: Path, *, wait_s: float = 2.0) -> Iterator[None]:
    """Hold the home's run lock for the block; raise ``RunInProgress`` if another run has it."""
    fd = os.open(home / LOCK_FILE, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    try:
        deadline = time.monotonic() + wait_s  # a status probe holds it for microseconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise RunInProgress(
                        f"Another lorchestra run is in progress in {home} (it holds "
                        f"{LOCK_FILE}); this one did not start."
                    ) from None
                time.sleep(0.05)
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
