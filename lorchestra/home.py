"""The data home: one private directory for the database, backups, logs and local views.

Everything lorchestra writes lives here and is created owner-only (directories 0700, files
0600), because it is protected health information. A run refuses a home that group or others
can read; ``lorchestra doctor`` reports the same check.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from lorchestra.errors import HomePermissionError

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SUBDIRS = ("logs", "backup", "quarantine")


def ensure_home(home: Path, *, check_permissions: bool = True) -> Path:
    """Create the home and its sub-directories owner-only; refuse one others can read."""
    existed = home.exists()
    home.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    if not existed:
        os.chmod(home, PRIVATE_DIR)
    if check_permissions:
        problem = permission_problem(home)
        if problem:
            raise HomePermissionError(problem)
    for name in SUBDIRS:
        private_dir(home / name)
    return home


def private_dir(path: Path) -> Path:
    """Create ``path`` (and any missing parents) as owner-only directories."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        directory.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        os.chmod(directory, PRIVATE_DIR)
    return path


def open_private(path: Path, mode: str = "a") -> int:
    """Open (creating 0600) ``path`` and return the descriptor; for appending writers."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)
    return fd


def permission_problem(home: Path) -> str | None:
    """Describe why ``home`` is not private, or return None when it is."""
    mode = stat.S_IMODE(home.stat().st_mode)
    if mode & 0o077:
        return (
            f"Data home {home} is readable by group or others (mode {mode:o}); "
            f"run `chmod 700 {home}` or set LORCHESTRA_HOME to a private directory."
        )
    return None


def write_private(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Write ``data`` (bytes, or chunks of them) to ``path`` atomically, 0600: a temp file
    beside it, fsync, rename.

    A reader (or a crash) sees the old file or the new one, never half of either; call
    ``fsync_dir`` on the directory once a group of files is written to make the renames durable.
    """
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, PRIVATE_FILE)
        with os.fdopen(fd, "wb") as handle:
            for chunk in [data] if isinstance(data, bytes) else data:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fsync_dir(path: Path) -> None:
    """Make a rename in the directory ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
