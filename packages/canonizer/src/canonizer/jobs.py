"""The canonizer's lorchestra jobs: raw objects in, canonical objects out, incrementally.

Each job runs the routes of its lane (``routes.json``: source system and object type to a
transform id; the version is the newest stable one, or the one pinned in configuration). It
picks the raw objects of its routes that are new, whose payload changed, or whose serving
transform version changed since they were last canonicalised (``full=True`` takes all), runs
the transform in batches (in ``jobs`` worker processes when there is more than one batch; see
``canonizer._batches``), and writes, from this process alone, through lorchestra's batched
upsert with lineage (source idem_key, transform_ref, source payload hash). Rejections are
recorded in ``canonical_rejections`` with a reason that names field and rule only, so a
rejected object is not retried until its payload or the transform changes; a rejection is
deleted once its object canonicalises from its current payload. A raw change that leaves the
canonical output as it was counts as ``unchanged`` and moves the canonical row's source hash,
so it is not read again.
This module is the plugin layer: it imports the lorchestra host API; the transforms themselves
never do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from canonizer._batches import (
    RawRow,
    Result,
    TransformSpec,
    WorkerDied,
    default_jobs,
    transformed_batches,
)
from canonizer._registry import Registry
from canonizer.email_messages import EMAIL_KIND, EMAIL_MESSAGES, catch_up, in_step
from canonizer.routing import Route, load_routes, pins_from, registry_for, resolve
from lorchestra.api import LorchestraError, NotPHI, Warehouse, current_run, emit, upsert

Row = dict[str, Any]
READ_BATCH = 5_000
#: Where a run's rejections can be read (ids and reasons only), named in its event.
REJECTIONS_QUERY = (
    "SELECT source_idem_key, transform_ref, reason FROM canonical_rejections ORDER BY 1"
)


# Lane -> routes, from routes.json (see canonizer.routing): data, not code.
ROUTES: dict[str, tuple[Route, ...]] = load_routes()

# Keys first, payloads a read batch at a time: the warehouse never holds every pending payload
# at once (a million pending messages are 2 GB of JSON).
_PENDING_SQL = """
SELECT r.idem_key
FROM raw_objects r
LEFT JOIN canonical_objects c ON c.idem_key = CONCAT(r.idem_key, '#', @kind)
LEFT JOIN canonical_rejections x ON x.idem_key = CONCAT(r.idem_key, '#', @kind)
WHERE r.source_system = @source_system
  AND r.object_type = @object_type
  AND (@connection = '' OR r.connection_name = @connection)
  AND (@full
       OR ((c.idem_key IS NULL OR c.source_payload_hash != r.payload_hash
            OR c.transform_ref != @ref)
           AND (x.idem_key IS NULL OR x.source_payload_hash != r.payload_hash
                OR x.transform_ref != @ref)))
ORDER BY r.idem_key
"""

# The key range lets the scan skip most of the table; the subquery makes the key list a join
# (``IN UNNEST(@keys)`` is a per-row list search on DuckDB).
_PAYLOADS_SQL = """
SELECT idem_key, TO_JSON_STRING(payload) AS payload, payload_hash
FROM raw_objects
WHERE idem_key BETWEEN @low AND @high AND idem_key IN (SELECT k FROM UNNEST(@keys) AS k)
ORDER BY idem_key
"""

# A raw change that leaves the canonical output as it was is written as "unchanged", which
# moves nothing but last_seen; the source hash is moved here so the object is not read again.
_MOVE_SOURCE_HASH_SQL = """
UPDATE canonical_objects T SET source_payload_hash = S.payload_hash
FROM raw_objects S
WHERE T.source_idem_key = S.idem_key AND T.idem_key IN UNNEST(@keys)
  AND T.transform_ref = @ref AND COALESCE(T.source_payload_hash, '') != S.payload_hash
"""

# A rejection is stale once its object canonicalises from the raw payload it has now.
_STALE_REJECTIONS_SQL = """
DELETE FROM canonical_rejections X
WHERE X.transform_ref = @ref AND EXISTS (
  SELECT 1 FROM canonical_objects C JOIN raw_objects R ON R.idem_key = C.source_idem_key
  WHERE C.idem_key = X.idem_key AND C.transform_ref = X.transform_ref
    AND C.source_payload_hash = R.payload_hash)
"""


def run_routes(
    bq_client: Warehouse,
    routes: tuple[Route, ...],
    *,
    source_system: str | None = None,
    connection: str | None = None,
    full: bool = False,
    dry_run: bool = False,
    jobs: int | None = None,
) -> dict[str, Any]:
    """Canonicalise every pending raw object of ``routes``; return counts."""
    totals: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    if jobs is not None and jobs < 1:
        raise LorchestraError(f"--jobs must be at least 1, not {jobs}.")
    workers = jobs or default_jobs()
    pins, registry, home = _configured()
    emails = False
    for route in routes:
        if source_system and route.source_system != source_system:
            continue
        info = resolve(route, pins, registry)
        kind = info.canonical_kind
        params = {
            "kind": kind,
            "source_system": route.source_system,
            "object_type": route.object_type,
            "connection": connection or "",
            "full": full,
            "ref": info.ref,
        }
        spec = TransformSpec(info.ref, info.output_schema, kind, home)
        batches = transformed_batches(
            _raw_rows(bq_client, params), spec, jobs=workers, batch_size=READ_BATCH
        )
        try:
            for batch, result in batches:
                _write_batch(bq_client, batch, result, info.ref, totals, reasons, dry_run)
        except WorkerDied as exc:
            raise LorchestraError(str(exc)) from exc
        if not dry_run:
            bq_client.execute(_STALE_REJECTIONS_SQL, {"ref": info.ref})
            emails |= kind == EMAIL_KIND
    counts: dict[str, Any] = {
        name: totals[name] for name in ("processed", "inserted", "updated", "unchanged", "rejected")
    }
    # Emails canonicalised before email_messages existed get their row.
    if emails and not in_step(bq_client) and (caught_up := catch_up(bq_client)):
        counts["email_messages_caught_up"] = caught_up
    if reasons:
        counts["rejected_by_reason"] = dict(reasons)
    if not dry_run:
        where = (
            {"rejections": f'lorchestra sql "{REJECTIONS_QUERY}"'} if totals["rejected"] else {}
        )
        emit(bq_client, "canonize.completed", "canonizer", {**counts, **where})
    return counts


def _configured() -> tuple[dict[str, str], Registry, str | None]:
    """The run's pinned versions, its transforms (the shipped ones outside a run), and the home
    the workers load the same transforms from."""
    try:
        run = current_run()
    except LorchestraError:
        return {}, registry_for(None), None  # called directly (tests, notebooks)
    home = str(run.home) if run.home is not None else None
    return pins_from(run.settings.packages), registry_for(run.home), home


def _raw_rows(bq_client: Warehouse, params: dict[str, Any]) -> Iterator[list[RawRow]]:
    """The pending raw objects in key order, a read batch at a time, payloads as JSON text."""
    keys = [row["idem_key"] for row in bq_client.query(_PENDING_SQL, params)]
    for start in range(0, len(keys), READ_BATCH):
        chunk = keys[start : start + READ_BATCH]
        params = {"keys": chunk, "low": chunk[0], "high": chunk[-1]}
        rows = bq_client.query(_PAYLOADS_SQL, params)
        yield [(row["idem_key"], row["payload"], row["payload_hash"]) for row in rows]


def _write_batch(
    bq_client: Warehouse,
    batch: Sequence[RawRow],
    result: Result,
    ref: str,
    totals: Counter[str],
    reasons: Counter[str],
    dry_run: bool,
) -> None:
    """Count one transformed batch and write it (the only writer: workers never write)."""
    good, bad, headers = result
    totals["processed"] += len(batch)
    totals["rejected"] += len(bad)
    reasons.update(row["reason"].split(":")[0] for row in bad)
    if dry_run:
        return
    # Emails' columns first: interrupted before the canonical rows, the raw objects stay pending.
    if headers:
        upsert(bq_client, EMAIL_MESSAGES, headers, emit_event=False)
    if good:
        now = datetime.now(UTC)
        for row in good:
            row["canonicalized_at"] = now
        written = upsert(bq_client, "canonical_objects", good, emit_event=False)
        for name, value in written.counts().items():
            if name != "rejected":
                totals[name] += value
        if written.counts()["unchanged"]:
            keys = [row["idem_key"] for row in good]
            bq_client.execute(_MOVE_SOURCE_HASH_SQL, {"keys": keys, "ref": ref})
    if bad:
        upsert(bq_client, "canonical_rejections", bad, emit_event=False)


def _route_job(lane: str, doc: str) -> Any:
    """Build the job for one lane of ``ROUTES``; every lane takes the same options."""

    def job(
        bq_client: Warehouse,
        source_system: Annotated[str | None, NotPHI] = None,
        connection: str | None = None,
        full: bool = False,
        dry_run: bool = False,
        jobs: Annotated[int | None, NotPHI] = None,
    ) -> dict[str, Any]:
        return run_routes(
            bq_client,
            ROUTES[lane],
            source_system=source_system,
            connection=connection,
            full=full,
            dry_run=dry_run,
            jobs=jobs,
        )

    job.__name__ = job.__qualname__ = f"canonicalize_{lane}"
    job.__doc__ = (
        doc + "\n\n--full reprocesses every object; --dry-run writes nothing; --jobs N "
        "transforms in N worker processes (default: the number of cores)."
    )
    return job


canonicalize_email = _route_job("email", "Gmail and Exchange messages to JMAP Lite email.")
canonicalize_questionnaires = _route_job(
    "questionnaires", "Google Forms responses to canonical questionnaire responses."
)
canonicalize_contacts = _route_job("contacts", "Dataverse contacts to canonical contacts.")
canonicalize_sessions = _route_job(
    "sessions", "Dataverse sessions to clinical sessions, transcripts, notes and summaries."
)
canonicalize_reports = _route_job(
    "reports", "Dataverse clinical reports (assessments, progress reports) to clinical reports."
)
canonicalize_stripe = _route_job(
    "stripe", "Stripe customers, invoices, payment intents and refunds to billing objects."
)
