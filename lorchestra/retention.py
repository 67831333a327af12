"""Backup retention: ``lorchestra backup prune --older-than 90d``.

Backups hold a full copy of every record re-read on each run, so they grow without bound.
Pruning removes, from backup files of days older than the cut-off, every row of which a newer
copy exists (same table and key; for keyless tables, the same row), and deletes the files left
empty. The newest copy of every object is always kept, whatever its age, so replaying what
remains, oldest file first, still rebuilds every table. Files are rewritten atomically and stay
sealed when they were (under the current key).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import orjson

from lorchestra import sealed
from lorchestra.errors import UsageError
from lorchestra.home import write_private
from lorchestra.sealed import KeyRing
from lorchestra.timespec import parse_instant
from lorchestra.warehouse.registry import table_spec


@dataclass
class PruneResult:
    files_deleted: int = 0
    files_rewritten: int = 0
    rows_dropped: int = 0
    rows_kept_old: int = 0


def cutoff(older_than: str, now: datetime) -> date:
    """The first day kept whole: ``now`` less a span such as ``90d``, ``12w``."""
    text = older_than.strip()
    try:
        return parse_instant(text if text.startswith("-") else f"-{text}", now).date()
    except ValueError:
        raise UsageError(
            f"--older-than takes a span such as 90d or 12w, not {older_than!r}."
        ) from None


def backup_files(home: Path) -> list[tuple[date, Path]]:
    """Every backup file with its day, oldest first (run ids sort by start time)."""
    found = []
    for path in (home / "backup").glob("*/*/run_*.jsonl*"):
        try:
            day = date.fromisoformat(path.parent.name)
        except ValueError:
            continue
        found.append((day, path))
    return sorted(found, key=lambda item: (item[0], item[1].name))


def prune(home: Path, keep_from: date, ring: KeyRing | None) -> PruneResult:
    """Drop superseded rows from backups of days before ``keep_from`` (see module docstring)."""
    result = PruneResult()
    seen: set[tuple[str, str]] = set()
    for day, path in reversed(backup_files(home)):
        lines = [line for line in sealed.iter_lines(path, ring) if line.strip()]
        kept: list[bytes] = []
        for line in reversed(lines):
            identity = _identity(line)
            if day >= keep_from or identity not in seen:
                kept.append(line)
            seen.add(identity)
        if day >= keep_from or len(kept) == len(lines):
            result.rows_kept_old += len(kept) if day < keep_from else 0
            continue
        result.rows_dropped += len(lines) - len(kept)
        result.rows_kept_old += len(kept)
        if not kept:
            path.unlink()
            result.files_deleted += 1
            _remove_if_empty(path.parent)
            continue
        _rewrite(path, [line if line.endswith(b"\n") else line + b"\n" for line in kept[::-1]],
                 ring)
        result.files_rewritten += 1
    return result


def _identity(line: bytes) -> tuple[str, str]:
    entry = orjson.loads(line)
    table = str(entry["table"])
    spec = table_spec(table)
    if spec.key is not None:
        return table, str(entry["row"][spec.key])
    row = orjson.dumps(entry["row"], option=orjson.OPT_SORT_KEYS)
    return table, hashlib.sha256(row).hexdigest()


def _rewrite(path: Path, lines: list[bytes], ring: KeyRing | None) -> None:
    if sealed.is_sealed(path):
        if ring is None:
            raise UsageError(f"{path} is encrypted and no key is configured.")
        sealed.write(path, [b"".join(lines)], ring)
        return
    write_private(path, lines)


def _remove_if_empty(directory: Path) -> None:
    try:
        directory.rmdir()
    except OSError:
        pass  # not empty
