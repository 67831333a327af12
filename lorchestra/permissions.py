"""Keep everything inside the data home owner-only: find looser entries and restore them.

Commands run with umask 077, but a file can still end up looser (a ``chmod 644 local.db``, a
copy made by hand, a library that sets its own mode). Every command that opens the home, and the
runner after every job, calls :func:`restore` on what is inside it: directories back to 0700,
files back to 0600. The home itself is not changed silently — a run refuses a shared home — but
``lorchestra doctor`` lists every loose entry, the home included, and ``doctor --fix`` repairs
them. Symbolic links are neither followed nor changed.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from lorchestra.home import PRIVATE_DIR, PRIVATE_FILE


@dataclass(frozen=True)
class LooseEntry:
    """One file or directory that group or others can use."""

    path: Path
    mode: int
    is_dir: bool

    @property
    def wanted(self) -> int:
        return PRIVATE_DIR if self.is_dir else PRIVATE_FILE

    def describe(self, home: Path) -> str:
        where = "." if self.path == home else str(self.path.relative_to(home))
        return f"{where} {self.mode:o} (want {self.wanted:o})"


def loose_entries(home: Path, *, include_home: bool = True) -> list[LooseEntry]:
    """Every entry under ``home`` (and ``home`` itself) with any group or other bit set."""
    if not home.is_dir():
        return []
    found: list[LooseEntry] = []
    if include_home:
        _check(home, found)
    for root, dirs, files in os.walk(home):
        for name in (*dirs, *files):
            _check(Path(root) / name, found)
    return found


def restore(home: Path, *, include_home: bool = False) -> list[LooseEntry]:
    """Make every loose entry owner-only again (0700 directories, 0600 files); return them."""
    fixed = loose_entries(home, include_home=include_home)
    for entry in fixed:
        try:
            os.chmod(entry.path, entry.wanted, follow_symlinks=False)
        except FileNotFoundError:
            continue  # removed since the walk (a temporary file)
    return fixed


def _check(path: Path, found: list[LooseEntry]) -> None:
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        return
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        found.append(LooseEntry(path, mode, stat.S_ISDIR(info.st_mode)))
