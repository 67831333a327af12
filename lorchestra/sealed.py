"""Sealed files: JSONL kept encrypted at rest with AES-256-GCM (``cryptography``'s AEAD).

Backups, extracts and quarantine files are append-only JSONL; sealed, each append becomes one
authenticated record, so appending never rewrites what is there. The format (version 1)::

    file    = header record*
    header  = b"LORCENC1" | key_id (8 bytes) | file_id (16 random bytes)        -- 32 bytes
    record  = length (4 bytes, big-endian, of the ciphertext) | nonce (12 random bytes)
              | ciphertext (AES-256-GCM of the plaintext lines, 16-byte tag included)

The associated data of record *n* (counting from 0) is the 32-byte header followed by *n* as
8 bytes big-endian, so a record cannot be moved to another file or position, nor altered,
without decryption failing. ``key_id`` is the first 8 bytes of SHA-256 of the key: it says which
key of the ring (:mod:`lorchestra.keys`) opens the file. Each record's plaintext is whole lines.
Dropping records from the end of a file is not detected (appends have no end marker).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import secrets
import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lorchestra.errors import LorchestraError
from lorchestra.home import open_private, write_private

MAGIC = b"LORCENC1"
SUFFIX = ".enc"
HEADER_SIZE = 32
_LENGTH = struct.Struct(">I")
_INDEX = struct.Struct(">Q")
_CHUNK = 1 << 20  # plaintext per record when sealing a whole file


class SealedFileError(LorchestraError):
    """A sealed file cannot be opened: wrong or missing key, or damaged."""


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:8]


@dataclass(frozen=True)
class KeyRing:
    """The keys that may open sealed files; ``current`` seals new ones."""

    current: bytes
    older: tuple[bytes, ...] = ()

    @property
    def current_id(self) -> str:
        return key_id(self.current).hex()

    def find(self, wanted: bytes) -> bytes:
        for key in (self.current, *self.older):
            if key_id(key) == wanted:
                return key
        raise SealedFileError(
            f"No key {wanted.hex()} in the key ring; the file was sealed with a key that is "
            "no longer configured (see LORCHESTRA_KEY_FILE or `lorchestra key init`)."
        )


def is_sealed(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(MAGIC)) == MAGIC
    except FileNotFoundError:
        return False


def sealed_path(path: Path) -> Path:
    return path if path.name.endswith(SUFFIX) else path.with_name(path.name + SUFFIX)


def append(path: Path, plaintext: bytes, ring: KeyRing) -> None:
    """Append one record (whole lines) to ``path``, creating it 0600 with a header if new."""
    fd = open_private(path, "a")
    try:
        with open(path, "rb") as reader:
            header = reader.read(HEADER_SIZE)
            count = _count_records(reader) if header else 0
        if not header:
            header = MAGIC + key_id(ring.current) + secrets.token_bytes(16)
            os.write(fd, header)
        elif header[:8] != MAGIC:
            raise SealedFileError(f"{path} is not a sealed file; it cannot be appended to.")
        key = ring.find(header[8:16])
        os.write(fd, _seal(key, header, count, plaintext))
        os.fsync(fd)
    finally:
        os.close(fd)


def write(path: Path, chunks: Iterable[bytes], ring: KeyRing) -> None:
    """Write a new sealed file atomically (a temporary file renamed into place), 0600."""
    header = MAGIC + key_id(ring.current) + secrets.token_bytes(16)
    sealed = (_seal(ring.current, header, index, chunk) for index, chunk in enumerate(chunks))
    write_private(path, itertools.chain([header], sealed))


def iter_records(path: Path, ring: KeyRing) -> Iterator[bytes]:
    """Decrypt ``path``'s records in order; raise :class:`SealedFileError` if any fails."""
    header, spans = record_spans(path)
    yield from decrypt_records(path, ring.find(header[8:16]), header, spans)


def decrypt_records(
    path: Path, key: bytes, header: bytes, spans: Sequence[tuple[int, int]], first: int = 0
) -> Iterator[bytes]:
    """Decrypt the records at ``spans`` (from :func:`record_spans`), record ``first`` onwards,
    in order: a worker process opens its share of a file this way."""
    cipher = AESGCM(key)
    with path.open("rb") as handle:
        for index, (offset, length) in enumerate(spans, start=first):
            handle.seek(offset)
            nonce = handle.read(12)
            body = handle.read(length)
            try:
                yield cipher.decrypt(nonce, body, header + _INDEX.pack(index))
            except InvalidTag:
                raise SealedFileError(
                    f"{path}: record {index + 1} does not decrypt (damaged, or another key)."
                ) from None


def record_spans(path: Path) -> tuple[bytes, list[tuple[int, int]]]:
    """A sealed file's header and, for each record, the offset of its nonce and the length of
    its ciphertext: enough to decrypt records apart (each is whole lines)."""
    spans: list[tuple[int, int]] = []
    size = path.stat().st_size
    with path.open("rb") as handle:
        header = handle.read(HEADER_SIZE)
        if len(header) < HEADER_SIZE or header[:8] != MAGIC:
            raise SealedFileError(f"{path} is not a sealed file.")
        while True:
            prefix = handle.read(_LENGTH.size)
            if not prefix:
                return header, spans
            if len(prefix) < _LENGTH.size:
                raise SealedFileError(f"{path}: record {len(spans) + 1} is cut short.")
            (length,) = _LENGTH.unpack(prefix)
            offset = handle.tell()
            if offset + 12 + length > size:
                raise SealedFileError(f"{path}: record {len(spans) + 1} is cut short.")
            spans.append((offset, length))
            handle.seek(12 + length, os.SEEK_CUR)


def iter_lines(path: Path, ring: KeyRing | None) -> Iterator[bytes]:
    """The lines of a JSONL file, sealed or clear (``ring`` is needed only for sealed ones)."""
    if is_sealed(path):
        if ring is None:
            raise SealedFileError(f"{path} is encrypted and no key is configured.")
        pending = b""
        for record in iter_records(path, ring):
            pending += record
            *lines, pending = pending.split(b"\n")
            for line in lines:
                yield line + b"\n"
        if pending:
            yield pending
        return
    with path.open("rb") as handle:
        yield from handle


def seal_file(source: Path, ring: KeyRing, target: Path | None = None) -> Path:
    """Write ``source`` (clear JSONL) sealed to ``target`` (default ``source`` + ``.enc``)."""
    destination = target or sealed_path(source)
    write(destination, _line_chunks(iter_lines(source, None)), ring)
    return destination


def reseal(path: Path, old: KeyRing, new: KeyRing) -> None:
    """Re-encrypt a sealed file under ``new.current`` in place (atomically)."""
    write(path, _line_chunks(iter_lines(path, old)), new)


def _line_chunks(lines: Iterable[bytes]) -> Iterator[bytes]:
    buffer: list[bytes] = []
    size = 0
    for line in lines:
        buffer.append(line)
        size += len(line)
        if size >= _CHUNK:
            yield b"".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield b"".join(buffer)


def _seal(key: bytes, header: bytes, index: int, plaintext: bytes) -> bytes:
    nonce = secrets.token_bytes(12)
    body = AESGCM(key).encrypt(nonce, plaintext, header + _INDEX.pack(index))
    return _LENGTH.pack(len(body)) + nonce + body


def _count_records(handle: BinaryIO) -> int:
    """How many records follow the header (``handle`` is positioned just after it)."""
    count = 0
    while True:
        prefix = handle.read(_LENGTH.size)
        if len(prefix) < _LENGTH.size:
            return count
        (length,) = _LENGTH.unpack(prefix)
        handle.seek(12 + length, os.SEEK_CUR)
        count += 1
