"""Where local projections go: the running job's data home, else the configured one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from lorchestra.home import PRIVATE_FILE, private_dir
from lorchestra.run_context import current_run, new_run_id


def data_home() -> Path:
    """The run's home (set by the runner), falling back to the configured home."""
    run = current_run()
    if run is not None and run.home is not None:
        return run.home
    from lorchestra.config import load_settings

    return load_settings().home


def run_id() -> str:
    """The current run's id, or a fresh one when called outside a run."""
    run = current_run()
    return run.run_id if run is not None else new_run_id()


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` owner-only (0700) and tighten it if it already existed."""
    private_dir(path)
    os.chmod(path, 0o700)
    return path


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (0600) through a temp file in the same directory + replace."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, PRIVATE_FILE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
