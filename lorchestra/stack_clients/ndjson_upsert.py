"""``upsert_ndjson``: an NDJSON file (clear or sealed) into ``raw_objects``, read in parallel.

The ingester's load. It writes exactly what ``upsert_objects`` writes for the file's objects
(the same rows, hashes, counts and backup lines), but the file is parsed where it is read: a
file of at least two chunks (``CHUNK_BYTES``) is split into byte ranges (a sealed file into
runs of its records), and worker processes (``--jobs``, default the cores) parse,
canonicalize and hash them. Only keys, hashes and line numbers come back through the pipe; each
chunk's canonical payloads and backup lines wait in a shared-memory block this process created,
and are read from it only for the backup and for rows the warehouse does not hold unchanged.
An unchanged re-load therefore never moves its payloads between processes. Chunks are written
in file order, one merge at a time, as ``upsert_objects`` writes its batches: a chunk is a batch.

Lines that are not JSON objects, records a tap marked as unreadable and records without an id
are returned with their line numbers, for the caller's quarantine; nothing of them is logged.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lorchestra import sealed
from lorchestra.errors import LorchestraError
from lorchestra.sealed import KeyRing
from lorchestra.stack_clients.event_client import (
    Merges,
    Rejection,
    UpsertResult,
    _backup_target,
    _configured_batch_size,
)
from lorchestra.stack_clients.ndjson_chunks import (
    ChunkResult,
    ChunkTask,
    SealedRun,
    raw_object_row,
    read_chunk,
)
from lorchestra.warehouse.base import Row, Warehouse
from lorchestra.warehouse.schema import RAW_OBJECTS
from lorchestra.workers import usable_cores

if TYPE_CHECKING:
    from multiprocessing.shared_memory import SharedMemory

#: Bytes of the file per chunk (about 3,900 Gmail messages); chunks are merged in batches of
#: at least ``warehouse.batch_size`` rows.
CHUNK_BYTES = 8 << 20
#: How much bigger than its input a chunk's payloads (and backup lines) may be and still fit
#: in its shared block; one that does not fit comes back through the pipe instead.
_ROOM_FACTOR = 1.5
_ROOM_FACTOR_WITH_BACKUP = 3.5
_ROOM_SLACK = 1 << 20


class FileLoadError(LorchestraError):
    """A worker reading the file died, so the rest of it was not loaded."""


@dataclass
class NdjsonLoad:
    """What an ``upsert_ndjson`` call did, and the lines it did not write, by line number."""

    result: UpsertResult
    lines: int = 0
    bad_lines: list[tuple[int, str]] = field(default_factory=list)  # not a JSON object
    marked: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # the tap's markers
    rejected_lines: list[tuple[int, str]] = field(default_factory=list)  # no id


def upsert_ndjson(
    bq_client: Warehouse,
    path: Path,
    *,
    source_system: str,
    connection_name: str,
    object_type: str,
    external_id: str,
    schema_ref: str | None = None,
    ring: KeyRing | None = None,
    strip_sdc: bool = False,
    jobs: int | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    batch_size: int | None = None,
) -> NdjsonLoad:
    """Write the JSON objects of ``path`` to ``raw_objects`` idempotently; see the module doc.

    ``ring`` opens a sealed file; ``strip_sdc`` drops top-level ``_sdc_*`` fields (Singer
    bookkeeping) before hashing; ``jobs`` bounds the worker processes (1: read here);
    ``batch_size`` (default ``warehouse.batch_size``) is the fewest rows a merge takes.
    """
    template = ChunkTask(
        path=str(path),
        start=0,
        end=0,
        sealed=None,
        source_system=source_system,
        connection_name=connection_name,
        object_type=object_type,
        schema_ref=schema_ref,
        external_id=external_id,
        now=datetime.now(UTC),
        strip_sdc=strip_sdc,
        backup_table=None,
        shared=None,
        room=0,
    )
    if _backup_target(RAW_OBJECTS)[0] is not None:  # workers make the backup lines
        template = replace(template, backup_table=RAW_OBJECTS.name)
    tasks = _chunk_tasks(path, ring, max(chunk_bytes, 1), template)
    workers = min(jobs or usable_cores(), len(tasks))
    load = NdjsonLoad(UpsertResult(RAW_OBJECTS.name))
    with _chunks_read(tasks, workers) as chunks:
        _write(bq_client, chunks, load, template, batch_size)
    return load


# -- splitting --------------------------------------------------------------------------------
def _chunk_tasks(
    path: Path, ring: KeyRing | None, chunk_bytes: int, template: ChunkTask
) -> list[tuple[ChunkTask, int]]:
    """The file's chunks in order, each with its size in bytes of input."""
    if sealed.is_sealed(path):
        if ring is None:
            raise sealed.SealedFileError(f"{path} is encrypted and no key is configured.")
        header, spans = sealed.record_spans(path)
        key = ring.find(header[8:16])
        tasks: list[tuple[ChunkTask, int]] = []
        first, size = 0, 0
        for index, (_, length) in enumerate(spans):
            size += length
            if size >= chunk_bytes or index == len(spans) - 1:
                run = SealedRun(header, key, first, tuple(spans[first : index + 1]))
                tasks.append((replace(template, sealed=run), size))
                first, size = index + 1, 0
        return tasks
    total = path.stat().st_size
    tasks = []
    with path.open("rb") as handle:
        start = 0
        while start < total:
            end = start + chunk_bytes
            if end < total:
                handle.seek(end - 1)
                handle.readline()  # to the end of the line the boundary falls in
                end = handle.tell()
            end = min(end, total)
            tasks.append((replace(template, start=start, end=end), end - start))
            start = end
    return tasks


# -- reading ----------------------------------------------------------------------------------
class _Blocks:
    """The shared-memory blocks chunks are left in, all of one size, reused once released
    (their pages are already there), and all unlinked at the end."""

    def __init__(self, room: int, in_flight: int) -> None:
        self.room, self.in_flight = room, in_flight
        self.free: list[SharedMemory] = []
        self.made: list[SharedMemory] = []

    def take(self) -> SharedMemory | None:
        """A block for the next chunk; None when shared memory is short (the chunk then comes
        back through the pipe)."""
        if self.free:
            return self.free.pop()
        if not _shared_memory_has(self.room * (self.in_flight + 1)):
            return None
        from multiprocessing import shared_memory

        block = shared_memory.SharedMemory(create=True, size=self.room)
        self.made.append(block)
        return block

    def give_back(self, block: SharedMemory) -> None:
        self.free.append(block)

    def close(self) -> None:
        for block in self.made:
            block.close()
            block.unlink()
        self.made, self.free = [], []


@dataclass
class _Chunk:
    """A chunk read: its result and where its payloads and backup lines are."""

    result: ChunkResult
    data: memoryview
    block: SharedMemory | None = None
    blocks: _Blocks | None = None

    def release(self) -> None:
        self.data.release()
        if self.block is not None and self.blocks is not None:
            self.blocks.give_back(self.block)
        self.block = None


@contextmanager
def _chunks_read(tasks: list[tuple[ChunkTask, int]], workers: int) -> Iterator[Iterator[_Chunk]]:
    """The chunks, read in order: here when one worker would do, else by a worker pool that
    keeps a few chunks ahead of the writer. Every shared block is gone on the way out."""
    if workers <= 1:
        yield (_inline(read_chunk(task)) for task, _ in tasks)
        return
    from lorchestra.workers import worker_pool

    ahead = workers + 1
    factor = _ROOM_FACTOR_WITH_BACKUP if tasks[0][0].backup_table else _ROOM_FACTOR
    blocks = _Blocks(int(max(size for _, size in tasks) * factor) + _ROOM_SLACK, ahead)
    pending: deque[tuple[Future[ChunkResult], SharedMemory | None]] = deque()
    live: list[_Chunk] = []  # handed out, maybe not yet released

    def submit(pool: Any, number: int) -> None:
        task = tasks[number][0]
        block = blocks.take()
        if block is not None:
            task = replace(task, shared=block.name, room=blocks.room)
        pending.append((pool.submit(read_chunk, task), block))

    def read(pool: Any) -> Iterator[_Chunk]:
        from concurrent.futures.process import BrokenProcessPool

        following = 0
        while following < len(tasks) and len(pending) < ahead:
            submit(pool, following)
            following += 1
        while pending:
            future, block = pending.popleft()
            try:
                result = future.result()
            except BrokenProcessPool as exc:
                raise FileLoadError(
                    f"A worker reading {tasks[0][0].path} stopped ({exc}); the chunks before "
                    "it are written, run the load again for the rest."
                ) from None
            if result.inline is not None or block is None:
                if block is not None:
                    blocks.give_back(block)
                chunk = _inline(result)
            else:
                buffer = block.buf
                assert buffer is not None  # None only once closed
                chunk = _Chunk(result, buffer[: result.backup_end], block, blocks)
            if following < len(tasks):
                submit(pool, following)
                following += 1
            live[:] = [c for c in live if c.block is not None]
            live.append(chunk)
            yield chunk

    pool = worker_pool(workers)
    try:
        yield read(pool)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for chunk in live:
            chunk.release()
        blocks.close()


def _inline(result: ChunkResult) -> _Chunk:
    return _Chunk(result, memoryview(result.inline or b""))


def _shared_memory_has(size: int) -> bool:
    """Whether the shared-memory file system has ``size`` bytes free (a container's /dev/shm
    is often 64 MB, and a write past it would kill the worker)."""
    try:
        stats = os.statvfs("/dev/shm")
    except OSError:
        return True  # not Linux: shared memory is not a size-limited file system there
    return stats.f_bavail * stats.f_frsize >= size


# -- writing ----------------------------------------------------------------------------------
def _write(
    bq_client: Warehouse,
    chunks: Iterator[_Chunk],
    load: NdjsonLoad,
    template: ChunkTask,
    batch_size: int | None,
) -> None:
    """Back up and merge the chunks in batches of at least ``batch_size`` rows, one merge in
    flight while the next chunks are read (``Merges``, as ``upsert_objects`` writes)."""
    size = batch_size or _configured_batch_size()
    objects = 0
    batch: list[_Chunk] = []
    rows = 0
    with Merges(bq_client, RAW_OBJECTS, load.result) as merges:
        for chunk in chunks:
            objects = _note_skipped(chunk.result, load, objects, template.external_id)
            if not chunk.result.keys:
                chunk.release()
                continue
            batch.append(chunk)
            rows += len(chunk.result.keys)
            if rows >= size:
                _send(merges, batch, template)
                batch, rows = [], 0
        if batch:
            _send(merges, batch, template)


def _send(merges: Merges, batch: list[_Chunk], template: ChunkTask) -> None:
    """Back up a batch of chunks (their workers made its lines), then hand it to the merges;
    its shared blocks are given back once it is written."""
    if merges.backs_up:
        merges.back_up(b"".join(
            chunk.data[chunk.result.payload_ends[-1] :] for chunk in batch
        ))  # fmt: skip
    rows, order, complete = _batch_rows(batch, template)
    merges.send(rows, order, complete, done=lambda: _release(batch))


def _note_skipped(read: ChunkResult, load: NdjsonLoad, objects: int, id_name: str) -> int:
    """Number the chunk's unwritten lines within the file; returns the objects counted so far."""
    base = load.lines
    load.lines += read.lines
    load.bad_lines.extend((base + line, reason) for line, reason in read.bad)
    load.marked.extend((base + line, marker) for line, marker in read.marked)
    for position, line in read.missing_ids:
        reason = f"record {objects + position}: no value at {id_name!r}"
        load.result.rejections.append(Rejection(objects + position, reason))
        load.rejected_lines.append((base + line, reason))
    return objects + read.objects


def _batch_rows(
    batch: list[_Chunk], template: ChunkTask
) -> tuple[list[Row], list[tuple[str, str]], Callable[[Sequence[Row]], None]]:
    """The rows of a batch of chunks (a repeated key: the last wins, at the place of its first),
    without payloads; every (key, hash) in order; and what fills in the payloads needed."""
    rows: dict[str, Row] = {}
    order: list[tuple[str, str]] = []
    source, seen = template.source, template.now
    for chunk in batch:
        read = chunk.result
        order.extend(read.order)
        for key, ext, digest in zip(read.keys, read.external_ids, read.hashes, strict=True):
            rows[key] = raw_object_row(source, key, ext, None, digest, seen)

    def complete(needed: Sequence[Row]) -> None:
        place = {key: (chunk, index) for chunk in batch
                 for index, key in enumerate(chunk.result.keys)}  # fmt: skip
        for row in needed:
            chunk, index = place[row["idem_key"]]
            ends = chunk.result.payload_ends
            start = ends[index - 1] if index else 0
            row["payload"] = str(chunk.data[start : ends[index]], "utf-8")

    return list(rows.values()), order, complete


def _release(chunks: list[_Chunk]) -> None:
    for chunk in chunks:
        chunk.release()


__all__ = ["CHUNK_BYTES", "FileLoadError", "NdjsonLoad", "upsert_ndjson"]
