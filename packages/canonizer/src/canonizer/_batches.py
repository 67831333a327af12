"""Raw rows in, canonical rows and rejections out: one batch inline, or many in worker processes.

A raw row here is ``(idem_key, payload JSON text, payload hash)``; the text is parsed where the
transform runs, so the process that reads the warehouse never decodes payloads. ``transform_rows``
is the whole per-row work (parse, transform, validate, canonical JSON, hash) and is the same
function inline and in a worker. ``transformed_batches`` runs it over a stream of batches: with
one job, or a stream that fits in one batch, in this process; otherwise in a pool of ``jobs``
worker processes (``lorchestra.api.worker_pool``: spawned, so no warehouse connection or thread
is inherited, and gone when lorchestra is), each batch split
into a chunk per worker, results taken back in input order. Workers never open the warehouse:
the caller stays the one writer, and writes batch N while the workers transform batch N+1.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from canonizer._api import canonize
from canonizer.email_messages import EMAIL_KIND, message_row
from canonizer.errors import CanonizerError
from canonizer.routing import registry_for
from lorchestra.api import usable_cores, worker_pool

__all__ = [
    "RawRow",
    "TransformSpec",
    "WorkerDied",
    "default_jobs",
    "transform_rows",
    "transformed_batches",
]

Row = dict[str, Any]
RawRow = tuple[str, str, str]
#: Canonical rows, rejections, and the ``email_messages`` rows of the canonical emails.
Result = tuple[list[Row], list[Row], list[Row]]
#: Batches read ahead while the caller writes: one being written, one being transformed.
IN_FLIGHT = 2


class WorkerDied(CanonizerError):
    """A worker process ended without returning its chunk (killed, out of memory)."""


@dataclass(frozen=True)
class TransformSpec:
    """What a worker needs to rebuild the transform: its ref, output names, and where the home
    transforms live (``None``: the shipped ones only)."""

    ref: str
    schema: str
    kind: str
    home: str | None = None


def default_jobs() -> int:
    """The number of cores this process may use."""
    return usable_cores()


def _load(text: str | Any) -> Any:
    """A payload from its JSON text: orjson, or the stdlib for what orjson refuses (NaN,
    integers past 64 bits, lone surrogate escapes), so every payload reads as it did before."""
    if not isinstance(text, str):
        return text  # a backend that already decoded it
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def transform_rows(rows: Sequence[RawRow], spec: TransformSpec) -> Result:
    """Canonical rows (``canonicalized_at`` left to the writer), rejections, and for emails
    their ``email_messages`` rows, for ``rows``."""
    registry = registry_for(Path(spec.home) if spec.home else None)
    good: list[Row] = []
    bad: list[Row] = []
    headers: list[Row] = []
    ref_bytes = spec.ref.encode()
    outcomes = canonize(spec.ref, (_load(text) for _, text, _ in rows), registry=registry)
    for (idem_key, _, source_hash), outcome in zip(rows, outcomes, strict=True):
        key = f"{idem_key}#{spec.kind}"
        if outcome.ok is not None:
            text = orjson.dumps(outcome.ok, option=orjson.OPT_SORT_KEYS)
            payload_hash = hashlib.sha256(text + ref_bytes).hexdigest()
            good.append(
                {
                    "idem_key": key,
                    "source_idem_key": idem_key,
                    "canonical_schema": spec.schema,
                    "canonical_kind": spec.kind,
                    "transform_ref": spec.ref,
                    "payload": text.decode(),
                    "source_payload_hash": source_hash,
                    "payload_hash": payload_hash,
                }
            )
            if spec.kind == EMAIL_KIND:
                headers.append(message_row(key, idem_key, outcome.ok, payload_hash))
        else:
            bad.append(
                {
                    "idem_key": key,
                    "source_idem_key": idem_key,
                    "transform_ref": spec.ref,
                    "source_payload_hash": source_hash,
                    "reason": outcome.rejected_reason or "rejected",
                }
            )
    return good, bad, headers


def transformed_batches(
    batches: Iterable[Sequence[RawRow]], spec: TransformSpec, *, jobs: int, batch_size: int
) -> Iterator[tuple[Sequence[RawRow], Result]]:
    """``(batch, (good, bad, headers))`` for each batch, in order; see the module docstring."""
    stream = iter(batches)
    first = next(stream, None)
    if first is None:
        return
    if jobs <= 1 or len(first) < batch_size:
        yield first, transform_rows(first, spec)
        for batch in stream:
            yield batch, transform_rows(batch, spec)
        return
    with worker_pool(jobs) as pool:
        pending: deque[tuple[Sequence[RawRow], list[Future[Result]]]] = deque()
        for batch in itertools.chain([first], stream):
            pending.append((batch, _submit(pool, batch, spec, jobs)))
            if len(pending) >= IN_FLIGHT:
                yield _collect(*pending.popleft())
        while pending:
            yield _collect(*pending.popleft())


def _submit(
    pool: ProcessPoolExecutor, batch: Sequence[RawRow], spec: TransformSpec, jobs: int
) -> list[Future[Result]]:
    size = -(-len(batch) // jobs)
    return [
        pool.submit(transform_rows, list(batch[start : start + size]), spec)
        for start in range(0, len(batch), size)
    ]


def _collect(
    batch: Sequence[RawRow], futures: list[Future[Result]]
) -> tuple[Sequence[RawRow], Result]:
    good: list[Row] = []
    bad: list[Row] = []
    headers: list[Row] = []
    for number, future in enumerate(futures):
        try:
            chunk_good, chunk_bad, chunk_headers = future.result()
        except BrokenProcessPool:
            size = -(-len(batch) // len(futures))
            first_key = batch[min(number * size, len(batch) - 1)][0]
            raise WorkerDied(
                f"A canonize worker process died transforming the rows from {first_key} on; "
                "nothing of this batch was written (run again, or with --jobs 1)."
            ) from None
        good.extend(chunk_good)
        bad.extend(chunk_bad)
        headers.extend(chunk_headers)
    return batch, (good, bad, headers)
