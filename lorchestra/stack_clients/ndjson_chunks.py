"""One chunk of an NDJSON file turned into ``raw_objects`` rows, in whichever process reads it.

:mod:`lorchestra.stack_clients.ndjson_upsert` splits a file into chunks (byte ranges of a clear
file, runs of records of a sealed one) and hands each to :func:`read_chunk`, in a worker
process when the file is large. The chunk is parsed, canonicalized and hashed where it is read;
what comes back is small (keys, hashes, line numbers), and the canonical payloads and backup
lines are left in a shared-memory block the caller created, which it reads only for the rows it
writes (new or changed ones) and for the backup. Imports stay light (orjson, the ingestor's
line reader; the sealed-file and backup helpers when needed), and a worker never opens the
warehouse.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import accumulate
from pathlib import Path
from typing import Any

import orjson

#: The record a tap emits in place of a line it could not read (packages/ingestor/taps/tap-lines).
MARKER = "_lorchestra_quarantine"


@dataclass(frozen=True)
class SealedRun:
    """Records ``first``.. of a sealed file: the header (their associated data), the key, and
    each record's file offset and ciphertext length."""

    header: bytes
    key: bytes
    first: int
    records: tuple[tuple[int, int], ...]  # (offset of the nonce, length of the ciphertext)


@dataclass(frozen=True)
class ChunkTask:
    """What one chunk is and what to make of it; picklable, sent to a worker."""

    path: str
    start: int  # byte range of a clear file (ignored when ``sealed`` is given)
    end: int
    sealed: SealedRun | None
    source_system: str
    connection_name: str
    object_type: str
    schema_ref: str | None
    external_id: str  # a field name, or a dotted path into nested objects
    now: datetime
    strip_sdc: bool
    backup_table: str | None  # write backup lines for this table too
    shared: str | None  # the shared-memory block to leave payloads in (None: return them)
    room: int  # the block's size

    @property
    def source(self) -> Source:
        return (self.source_system, self.connection_name, self.object_type, self.schema_ref)


@dataclass
class ChunkResult:
    """What a chunk held, numbered within the chunk (the caller adds the lines before it)."""

    lines: int = 0
    objects: int = 0  # JSON objects that were neither diverted nor bad lines
    bad: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    marked: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (line, marker)
    missing_ids: list[tuple[int, int]] = field(default_factory=list)  # (object, line)
    order: list[tuple[str, str]] = field(default_factory=list)  # every written (key, hash)
    keys: list[str] = field(default_factory=list)  # the rows to write: last of a key wins,
    external_ids: list[str] = field(default_factory=list)  # at the place of its first
    hashes: list[str] = field(default_factory=list)
    payload_ends: list[int] = field(default_factory=list)  # payload i is [ends[i-1], ends[i])
    backup_end: int = 0  # the backup lines follow the payloads, up to here
    inline: bytes | None = None  # payloads and backup, when not left in shared memory


#: Where objects come from: (source_system, connection_name, object_type, schema_ref).
Source = tuple[str, str, str, str | None]


def key_prefix(source: Source) -> str:
    """The ``idem_key`` of an object is this followed by its external id."""
    return f"{source[0]}:{source[1]}:{source[2]}:"


def raw_object_row(
    source: Source,
    key: str,
    external_id: str,
    payload: str | None,
    payload_hash: str,
    seen: datetime,
) -> dict[str, Any]:
    """A ``raw_objects`` row, its columns in the table's order (as backups hold them)."""
    return {
        "idem_key": key,
        "source_system": source[0],
        "connection_name": source[1],
        "object_type": source[2],
        "schema_ref": source[3],
        "external_id": external_id,
        "payload": payload,
        "payload_hash": payload_hash,
        "first_seen": seen,
        "last_seen": seen,
    }


def canonical_bytes(value: Any) -> bytes:
    """The canonical JSON of a value: sorted keys, compact; what payload hashes are made of."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)


def field_getter(path: str) -> Callable[[Mapping[str, Any]], Any]:
    """Read ``path`` (``id`` or ``a.b.c``) from an object; None where it is absent."""
    parts = path.split(".")
    if len(parts) == 1:  # the common case, once per record: a plain top-level field
        return lambda obj: obj.get(path)

    def get(obj: Mapping[str, Any]) -> Any:
        value: Any = obj
        for part in parts:
            if type(value) is not dict and not isinstance(value, Mapping):
                return None
            value = value.get(part)
        return value

    return get


def read_chunk(task: ChunkTask) -> ChunkResult:
    """Parse, canonicalize and hash one chunk; leave its payloads (and backup) for the caller."""
    from ingestor import read_jsonl_line  # the ingestor's reading of a line, and its reasons

    result = ChunkResult()
    field_name = task.external_id
    get_id = field_getter(field_name)
    prefix = key_prefix(task.source)
    sha256, strip, space = hashlib.sha256, task.strip_sdc, _SPACE
    order, missing = result.order, result.missing_ids
    place: dict[str, int] = {}  # key -> its row; a repeated key keeps its first place
    external_ids, hashes = result.external_ids, result.hashes
    payloads: list[bytes] = []
    number = objects = 0
    for number, raw in enumerate(_chunk_lines(task), start=1):
        # orjson reads past a line's own newline; any other space around it is stripped, as
        # the ingestor does, so that blank lines are skipped and error positions agree.
        line = raw
        if raw[0] in space or (len(raw) > 1 and raw[-2] in space) or raw[-1] != _NEWLINE:
            line = raw.strip()
            if not line:
                continue
        value = read_jsonl_line(line, strip_sdc=strip)
        if isinstance(value, str):  # why the line is not a JSON object
            result.bad.append((number, value))
            continue
        if len(value) == 1 and isinstance(value.get(MARKER), dict):
            result.marked.append((number, value[MARKER]))
            continue
        objects += 1
        ext: Any = get_id(value)  # a field path: never raises, None where nothing is
        if ext is None or ext == "" or isinstance(ext, dict | list):
            missing.append((objects, number))
            continue
        if type(ext) is not str:
            ext = str(ext)
        encoded = canonical_bytes(value)
        key = prefix + ext
        digest = sha256(encoded).hexdigest()
        order.append((key, digest))
        index = place.get(key)
        if index is None:
            place[key] = len(payloads)
            external_ids.append(ext)
            hashes.append(digest)
            payloads.append(encoded)
        else:  # the last of a key wins
            external_ids[index], hashes[index], payloads[index] = ext, digest, encoded
    result.lines, result.objects, result.keys = number, objects, list(place)
    _lay_out(task, result, payloads)
    return result


#: What ``bytes.strip`` removes: a line that starts or ends with one of these is stripped.
_SPACE = frozenset(b" \t\n\r\x0b\x0c")
_NEWLINE = ord("\n")


def _lay_out(task: ChunkTask, result: ChunkResult, payloads: list[bytes]) -> None:
    """Write the rows' payloads, then their backup lines, into shared memory (or inline)."""
    result.payload_ends = list(accumulate(map(len, payloads)))
    parts = payloads
    if task.backup_table is not None:
        parts = payloads + _backup_lines(task, result, payloads)
    result.backup_end = end = sum(map(len, parts))
    if task.shared is None or end > task.room:
        result.inline = b"".join(parts)
        return
    from multiprocessing import shared_memory

    block = shared_memory.SharedMemory(task.shared)
    try:
        buffer = block.buf
        assert buffer is not None  # None only once closed
        position = 0
        for part in parts:  # straight into the block: no joined copy of the chunk
            following = position + len(part)
            buffer[position:following] = part
            position = following
        del buffer
    finally:
        block.close()


def _backup_lines(task: ChunkTask, result: ChunkResult, payloads: list[bytes]) -> list[bytes]:
    """The backup file's lines for the rows, as ``append_backup`` writes them."""
    from lorchestra.backup import backup_line

    table = task.backup_table.encode() if task.backup_table else b""
    source, seen = task.source, task.now
    return [
        backup_line(table, raw_object_row(source, key, ext, encoded.decode(), digest, seen))
        for key, ext, digest, encoded in zip(
            result.keys, result.external_ids, result.hashes, payloads, strict=True
        )
    ]


def _chunk_lines(task: ChunkTask) -> Iterator[bytes]:
    """The chunk's lines, split on ``\\n`` as a file is read line by line (each keeps its
    newline, the file's last line maybe has none), a few at a time: never the chunk whole."""
    if task.sealed is not None:
        from lorchestra.sealed import decrypt_records

        run = task.sealed
        pending = b""  # lorchestra seals whole lines per record; a cut line is joined anyway
        for plaintext in decrypt_records(Path(task.path), run.key, run.header, run.records,
                                         run.first):  # fmt: skip
            *lines, pending = (pending + plaintext).split(b"\n")
            for line in lines:
                yield line + b"\n"
        if pending:
            yield pending
        return
    left = task.end - task.start
    with open(task.path, "rb") as handle:
        handle.seek(task.start)
        while left > 0:
            line = handle.readline(left)
            if not line:
                return
            left -= len(line)
            yield line
