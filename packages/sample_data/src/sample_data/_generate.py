"""The public entry points: stream records (`iter_records`) or write them to files (`generate`).

Records are produced lazily and written one JSON line at a time, so memory does not grow with
`size`. `generate` lays files out as `<out_dir>/<source_system>/<connection>/<object_type>.jsonl`
(directories 0700, files 0600, each written to a temporary name and renamed when complete) and
records what it wrote, with counts and SHA-256 digests, in a `Manifest` that is also saved as
`manifest.json`. In "count" mode every selected file gets exactly `count` records, taken from a
practice just large enough to hold them (files are then not cross-consistent with each other).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from sample_data._dataverse import iter_contacts, iter_reports, iter_sessions
from sample_data._exchange import iter_exchange
from sample_data._forms import iter_form_responses
from sample_data._gmail import iter_gmail
from sample_data._instruments import form_definition
from sample_data._plan import FileSpec, find_file, select_files
from sample_data._practice import MIN_SIZE, Practice
from sample_data._stripe import iter_customers, iter_invoices, iter_payment_intents, iter_refunds

DEFAULT_SEED = 7
DEFAULT_SIZE = 300
DEFAULT_ANCHOR = date(2026, 11, 20)
MAX_SIZE = 10_000_000
GENERATOR = "lorchestra-sample-data/1"
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


@cache
def _form_json(form_id: str) -> str:
    return _encode(form_definition(form_id))


def dumps(record: dict[str, Any]) -> str:
    """One compact JSON line (without newline); non-ASCII kept as UTF-8.

    A form response's `_form` (identical for every response of a form, and most of its bytes) is
    encoded once per form and spliced in: the result is the same as encoding the whole record.
    """
    form = record.get("_form")
    if form is None or next(reversed(record)) != "_form":
        return _encode(record)
    head = _encode({k: v for k, v in record.items() if k != "_form"})
    return f'{head[:-1]},"_form":{_form_json(form["formId"])}}}'


@dataclass(frozen=True)
class ManifestFile:
    """One written file: where it is, what it holds and how to key its records."""

    path: str  # relative to the output directory, with forward slashes
    source_system: str
    connection_name: str
    object_type: str
    external_id_field: str
    records: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What one `generate` call wrote; saved alongside the data as `manifest.json`."""

    generator: str
    seed: int
    size: int
    anchor: str
    gmail_format: str
    count: int | None
    total_records: int
    files: tuple[ManifestFile, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        files = tuple(ManifestFile(**f) for f in data["files"])
        return cls(**{**data, "files": files})

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Manifest:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def _check(size: int, count: int | None, gmail_format: str) -> None:
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"size must be between {MIN_SIZE} and {MAX_SIZE:,}, got {size}.")
    if count is not None and not 1 <= count <= MAX_SIZE:
        raise ValueError(f"count must be between 1 and {MAX_SIZE:,}, got {count}.")
    if gmail_format not in ("full", "raw"):
        raise ValueError(f"gmail_format must be 'full' or 'raw', got {gmail_format!r}.")


def _records(practice: Practice, spec: FileSpec, gmail_format: str) -> Iterator[dict[str, Any]]:
    conn, kind = spec.connection_name, spec.object_type
    n = practice.counts[spec]
    if spec.source_system == "gmail":
        return iter_gmail(practice, conn, n, gmail_format)
    if spec.source_system == "exchange":
        return iter_exchange(practice, conn, n)
    if spec.source_system == "google_forms":
        return iter_form_responses(practice, conn)
    makers = {
        "contact": iter_contacts,
        "clinical_session": iter_sessions,
        "report": iter_reports,
        "customer": iter_customers,
        "invoice": iter_invoices,
        "payment_intent": iter_payment_intents,
        "refund": iter_refunds,
    }
    return makers[kind](practice)


def _practice_for_count(seed: int, anchor: date, spec: FileSpec, count: int) -> Practice:
    """The smallest practice (searching upward from `count`) whose file `spec` has `count`."""
    size = max(MIN_SIZE, count)
    while True:
        practice = Practice(seed, size, anchor)
        have = practice.counts[spec]
        if have >= count:
            return practice
        grown = math.ceil(size * count / max(have, 1) * 1.02)
        size = max(size + 1, min(size * 10, grown))


def expected_counts(*, seed: int = DEFAULT_SEED, size: int = DEFAULT_SIZE,
                    anchor: date = DEFAULT_ANCHOR) -> dict[str, int]:
    """Records per file (keyed by relative path) that `generate` writes for these arguments."""
    _check(size, None, "full")
    return {s.relpath: n for s, n in Practice(seed, size, anchor).counts.items()}


def iter_records(source: str, connection: str, object_type: str, *, seed: int = DEFAULT_SEED,
                 size: int = DEFAULT_SIZE, anchor: date = DEFAULT_ANCHOR,
                 count: int | None = None, gmail_format: str = "full",
                 ) -> Iterator[dict[str, Any]]:
    """Stream one file's records without writing anything.

    With `count=None` these are exactly the records `generate` writes to
    `<source>/<connection>/<object_type>.jsonl` for the same seed, size and anchor. With `count=N`
    they are exactly N records of that kind (e.g. 100,000 Gmail messages for a benchmark), and
    `size` is ignored. Records are fresh dicts, except that every response of a form shares one
    `_form` object: copy it before changing it.
    """
    _check(size, count, gmail_format)
    spec = find_file(source, connection, object_type)
    if count is None:
        return _records(Practice(seed, size, anchor), spec, gmail_format)
    practice = _practice_for_count(seed, anchor, spec, count)
    return itertools.islice(_records(practice, spec, gmail_format), count)


def _private_dir(path: Path) -> None:
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True)
    os.chmod(path, 0o700)


def _write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> tuple[int, int, str]:
    """Write records one line at a time; returns (records, bytes, sha256)."""
    tmp = path.with_name(path.name + ".tmp")
    digest = hashlib.sha256()
    n = size = 0
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb", buffering=1 << 20) as out:
        for record in records:
            line = dumps(record).encode("utf-8") + b"\n"
            out.write(line)
            digest.update(line)
            n += 1
            size += len(line)
    os.replace(tmp, path)
    return n, size, digest.hexdigest()


def generate(out_dir: str | os.PathLike[str], *, seed: int = DEFAULT_SEED,
             size: int = DEFAULT_SIZE, anchor: date = DEFAULT_ANCHOR,
             sources: Iterable[str] | None = None, count: int | None = None,
             gmail_format: str = "full") -> Manifest:
    """Write the synthetic data set under `out_dir` and return (and save) its manifest.

    `sources` narrows the files written: `gmail`, `gmail/gmail-acct1`,
    `stripe/stripe-practice/refund`, … (default: all). `size` is the total number of records
    across all files (10 to 10,000,000); a subset writes exactly the records the full set would
    hold in those files. `count` instead writes exactly that many records to each selected file.
    """
    _check(size, count, gmail_format)
    specs = select_files(sources)
    root = Path(out_dir)
    if not root.is_dir():
        root.mkdir(mode=0o700, parents=True)
    practice = Practice(seed, size, anchor) if count is None else None
    written = []
    for spec in specs:
        if practice is None:
            assert count is not None
            source = _practice_for_count(seed, anchor, spec, count)
            records: Iterable[dict[str, Any]] = itertools.islice(
                _records(source, spec, gmail_format), count)
        else:
            records = _records(practice, spec, gmail_format)
        _private_dir(root / spec.source_system)
        _private_dir(root / spec.source_system / spec.connection_name)
        n, nbytes, sha = _write_jsonl(root / spec.relpath, records)
        written.append(ManifestFile(spec.relpath, spec.source_system, spec.connection_name,
                                    spec.object_type, spec.id_field, n, nbytes, sha))
    manifest = Manifest(GENERATOR, seed, size, anchor.isoformat(), gmail_format, count,
                        sum(f.records for f in written), tuple(written))
    fd = os.open(root / "manifest.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(manifest.to_json())
    return manifest
