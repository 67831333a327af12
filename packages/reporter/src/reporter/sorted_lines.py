"""Sort byte lines without holding them all: an external merge sort over private run files.

Lines are collected in memory up to ``run_bytes``, then sorted and written to a run file
(created 0600, beside the file being built, so row data never leaves the private data home);
iterating merges the runs (and what is still in memory) in ``bytes`` order, the same order as
``sorted()`` of the whole list. Lines must not contain ``\\n`` (canonical JSON never does).
Run files are removed on :meth:`close` (or leaving the ``with`` block).
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from lorchestra.api import PRIVATE_FILE

RUN_BYTES = 16 << 20


class SortedLines:
    """Collect lines with :meth:`add`; iterate them once, sorted."""

    def __init__(self, prefix: Path, *, run_bytes: int = RUN_BYTES) -> None:
        self._prefix = prefix
        self._run_bytes = run_bytes
        self._lines: list[bytes] = []
        self._size = 0
        self._runs: list[Path] = []

    def add(self, line: bytes) -> None:
        # A copy of exactly the line's length: the caller's object may own a larger buffer
        # (orjson 3.13 returns bytes that keep a 4 KB allocation however short the output is).
        self._lines.append(bytes(memoryview(line)))
        self._size += len(line) + 64  # roughly what a bytes object and its list slot cost
        if self._size >= self._run_bytes:
            self._spill()

    def _spill(self) -> None:
        path = Path(f"{self._prefix}.sort-{len(self._runs)}")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        self._runs.append(path)
        with os.fdopen(fd, "wb", buffering=1 << 20) as out:
            self._lines.sort()
            for line in self._lines:
                out.write(line + b"\n")
        self._lines = []
        self._size = 0

    def __iter__(self) -> Iterator[bytes]:
        self._lines.sort()
        if not self._runs:
            yield from self._lines
            return
        files: list[BinaryIO] = [path.open("rb", buffering=1 << 16) for path in self._runs]
        try:
            runs = [(line[:-1] for line in handle) for handle in files]
            yield from heapq.merge(*runs, iter(self._lines))
        finally:
            for handle in files:
                handle.close()

    def close(self) -> None:
        self._lines = []
        for path in self._runs:
            path.unlink(missing_ok=True)
        self._runs = []

    def __enter__(self) -> SortedLines:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
