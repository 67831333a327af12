"""The input: synthetic Gmail ``users.messages.get`` records written once as NDJSON."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

SOURCE = ("gmail", "gmail-acct1", "email")
NEW_ID_SUFFIX = "-n"


def write_inputs(directory: Path, count: int) -> tuple[Path, Path, int]:
    """Write ``base.ndjson`` (``count`` records) and ``halfnew.ndjson``; returns both and bytes.

    ``halfnew`` holds the same records, except that the second half carries new ids (suffix
    ``-n``): loaded on top of ``base`` it is half unchanged keys and half new keys.
    """
    import sample_data

    base = directory / "base.ndjson"
    half = directory / "halfnew.ndjson"
    size = 0
    with (
        base.open("wb", buffering=1 << 20) as out_base,
        half.open("wb", buffering=1 << 20) as out_half,
    ):
        records = sample_data.iter_records(*SOURCE, count=count)
        for position, record in enumerate(records):
            line = orjson.dumps(record) + b"\n"
            out_base.write(line)
            size += len(line)
            if position >= count // 2:
                record["id"] = f"{record['id']}{NEW_ID_SUFFIX}"
                line = orjson.dumps(record) + b"\n"
            out_half.write(line)
    # Flush the new files to disk and read them back, so the first scenario measured does not
    # compete with write-back of the input, and every scenario reads from the page cache.
    os.sync()
    for path in (base, half):
        with path.open("rb") as warm:
            while warm.read(1 << 24):
                pass
    return base, half, size


def write_records(path: Path, count: int) -> int:
    """Write ``count`` synthetic Gmail messages to ``path`` as NDJSON, streamed; returns bytes.

    Nothing is held in memory but the record being written, so a million records cost no more
    memory than a hundred.
    """
    import sample_data

    size = 0
    with path.open("wb", buffering=1 << 20) as out:
        for record in sample_data.iter_records(*SOURCE, count=count):
            line = orjson.dumps(record) + b"\n"
            out.write(line)
            size += len(line)
    os.sync()
    return size


def write_head(source: Path, target: Path, count: int) -> Path:
    """Copy the first ``count`` lines of ``source`` to ``target``; returns ``target``."""
    with source.open("rb") as lines, target.open("wb") as out:
        for number, line in enumerate(lines):
            if number >= count:
                break
            out.write(line)
    return target


def iter_ndjson(path: Path, limit: int | None = None) -> Iterator[dict[str, Any]]:
    """Stream records from an NDJSON file with orjson (at most ``limit`` of them)."""
    with path.open("rb", buffering=1 << 20) as lines:
        for number, line in enumerate(lines):
            if limit is not None and number >= limit:
                return
            record: dict[str, Any] = orjson.loads(line)
            yield record
