"""Ingester jobs: source → Meltano → JSONL → ``raw_objects``, with events around each step.

For each selected connection the job resolves its window (``--since``, else the end of the
connection's last successful run recorded in ``event_log`` less the connection's
``overlap_seconds``, so late-indexed records are not missed; ``--full-refresh`` ignores that).
This is lorchestra's one resume mechanism: taps keep no state and read exactly the window they
are given, and a failed run records no window, so the next one reads it again (see
docs/operations.md). The job runs the extractor through the ingestor, loads the JSONL with
``upsert_ndjson`` (parsed by worker processes when it is large) and emits ``ingest.started`` /
``ingest.completed`` (read, inserted, updated, unchanged, rejected) or ``ingest.failed``.
Connections load one after another, each on its own (in a pipeline their extractions were
started ahead, several at once, by :mod:`lorchestra.jobs.prefetch`; a job takes over the one
for its connection and window): one whose extraction fails is recorded with its cause and the
next still runs; the job then fails with a one-line summary naming each failed connection and
its cause. Malformed lines and records without an id are rejected, counted and written with
their reason to a quarantine file (0600) in the data home; the rest loads. A tap failure writes
nothing of that connection to the object tables.

With encryption on (:mod:`lorchestra.keys`) the extract is sealed as soon as Meltano's target
has finished writing it — the clear JSONL exists only while the tap runs and for the moment it
takes to encrypt it, then is deleted — and the load reads the sealed copy; quarantine files are
written sealed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import orjson

from lorchestra import api, sealed
from lorchestra.config import Settings
from lorchestra.connections import Connection, select, select_all
from lorchestra.errors import JobSkipped, LorchestraError, first_line
from lorchestra.home import open_private, private_dir
from lorchestra.jobs import prefetch
from lorchestra.jobs.prefetch import ExtractionPool
from lorchestra.keys import ring_for
from lorchestra.meltano_project import meltano_project
from lorchestra.phi import NotPHI
from lorchestra.run_context import current_run, new_run_id
from lorchestra.sealed import KeyRing
from lorchestra.stack_clients.event_client import emit
from lorchestra.stack_clients.ndjson_upsert import NdjsonLoad, upsert_ndjson
from lorchestra.timespec import isoformat_utc, parse_timestamp
from lorchestra.warehouse.base import Warehouse

_LAST_WINDOW_SQL = """
SELECT JSON_VALUE(payload, '$.window_end') AS window_end
FROM event_log
WHERE event_type = 'ingest.completed' AND connection_name = @connection
  AND target_object_type = @object_type
ORDER BY created_at DESC
LIMIT 1
"""


class IngestError(LorchestraError):
    """An extraction failed; the message carries the exit code and a sanitised log line."""

    def __init__(
        self, message: str, cause: str | None = None, counts: dict[str, int] | None = None
    ) -> None:
        super().__init__(message)
        self.cause = cause or message
        self.counts = counts  # what was loaded all the same, when the rest of it loaded


def _source_job(source: str, doc: str) -> Callable[..., dict[str, Any]]:
    """Build the extraction job of one source system; every source takes the same options."""

    def job(
        bq_client: Warehouse,
        account: Annotated[str | None, NotPHI] = None,
        since: Annotated[str | None, NotPHI] = None,
        until: Annotated[str | None, NotPHI] = None,
        full_refresh: bool = False,
    ) -> dict[str, Any]:
        settings = _settings()
        if account is None and not select_all(settings, source_system=source):
            raise JobSkipped(
                f"No {source} connection is configured; add one under [connections.*] "
                "(docs/sources.md) to ingest it."
            )
        chosen = select(settings, source_system=source, account=account)
        return _run_all(bq_client, settings, chosen, since, until, full_refresh)

    def prefetch(
        bq_client: Warehouse,
        pool: ExtractionPool,
        account: str | None = None,
        since: str | None = None,
        until: str | None = None,
        full_refresh: bool = False,
    ) -> None:
        settings = pool.settings
        if account is None and not select_all(settings, source_system=source):
            return
        chosen = select(settings, source_system=source, account=account)
        _submit_all(bq_client, pool, chosen, since, until, full_refresh)

    job.__name__ = job.__qualname__ = f"extract_{source}"
    job.source_system = source  # type: ignore[attr-defined]  # doctor: which source it needs
    # A pipeline stage starts the extractions of its ingester jobs ahead (lorchestra.jobs.prefetch).
    job.prefetch = prefetch  # type: ignore[attr-defined]
    job.__doc__ = (
        f"{doc}\n\n--account selects one connection (all of the source's otherwise); "
        "without --since a connection resumes from its last successful run; --full-refresh "
        "ignores that."
    )
    return job


extract_gmail = _source_job("gmail", "Extract Gmail messages (format=full) into raw_objects.")
extract_exchange = _source_job("exchange", "Extract Microsoft Graph messages into raw_objects.")
extract_forms = _source_job("google_forms", "Extract Google Forms responses into raw_objects.")
extract_dataverse = _source_job(
    "dataverse", "Extract Dataverse contacts, clinical sessions and reports into raw_objects."
)
extract_stripe = _source_job(
    "stripe", "Extract Stripe customers, invoices, payment intents and refunds into raw_objects."
)


def extract(
    bq_client: Warehouse,
    connection: str,
    since: Annotated[str | None, NotPHI] = None,
    until: Annotated[str | None, NotPHI] = None,
    full_refresh: bool = False,
) -> dict[str, Any]:
    """Extract one configured connection (by its key or connection name)."""
    settings = _settings()
    return _run_all(
        bq_client, settings, select(settings, key=connection), since, until, full_refresh
    )


def _prefetch_extract(
    bq_client: Warehouse,
    pool: ExtractionPool,
    connection: str,
    since: str | None = None,
    until: str | None = None,
    full_refresh: bool = False,
) -> None:
    chosen = select(pool.settings, key=connection)
    _submit_all(bq_client, pool, chosen, since, until, full_refresh)


extract.prefetch = _prefetch_extract  # type: ignore[attr-defined]


def _submit_all(
    bq_client: Warehouse,
    pool: ExtractionPool,
    connections: list[Connection],
    since: str | None,
    until: str | None,
    full_refresh: bool,
) -> None:
    """Start each connection's extraction for the window its job will ask for."""
    for connection in connections:
        start = since
        if start is None and not full_refresh:
            start = _resume_point(bq_client, connection)
        pool.submit(connection, start, until)


def _run_all(
    bq_client: Warehouse,
    settings: Settings,
    connections: list[Connection],
    since: str | None,
    until: str | None,
    full_refresh: bool,
) -> dict[str, Any]:
    totals: dict[str, Any] = {
        "read": 0,
        "inserted": 0,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "connections": {},
    }
    failures: dict[str, str] = {}
    for connection in connections:
        # Each connection on its own: one that fails is recorded (ingest.failed, its cause)
        # and the others still load; the job fails at the end, naming every failed one.
        try:
            counts = ingest_connection(
                bq_client, settings, connection, since=since, until=until,
                full_refresh=full_refresh,
            )
        except IngestError as exc:
            if len(connections) == 1:
                raise
            failures[connection.key] = exc.cause
            totals["connections"][connection.key] = {"failed": exc.cause, **(exc.counts or {})}
            continue
        totals["connections"][connection.key] = counts
        for name in ("read", "inserted", "updated", "unchanged", "rejected"):
            totals[name] += counts[name]
    if failures:
        raise IngestError(_failure_summary(totals["connections"], failures))
    return totals


def _failure_summary(outcomes: dict[str, dict[str, Any]], failures: dict[str, str]) -> str:
    """``Extraction failed for 1 of 2 connections: a (cause); loaded: b (read 12)``."""
    failed = "; ".join(f"{key} ({cause})" for key, cause in failures.items())
    loaded = ", ".join(
        f"{key} (read {counts['read']})" for key, counts in outcomes.items()
        if key not in failures or "read" in counts
    )
    text = f"Extraction failed for {len(failures)} of {len(outcomes)} connections: {failed}"
    return f"{text}; loaded: {loaded}" if loaded else text


def ingest_connection(
    bq_client: Warehouse,
    settings: Settings,
    connection: Connection,
    *,
    since: str | None = None,
    until: str | None = None,
    full_refresh: bool = False,
) -> dict[str, int]:
    """Extract one connection and load it; returns its counts."""
    import ingestor

    run = current_run()
    run_id = run.run_id if run else new_run_id()
    ring = ring_for(settings)  # before the tap runs: no key, no extract
    tap_config = connection.tap_config(os.environ)
    window_end = until or isoformat_utc(datetime.now(UTC))
    if since is None and not full_refresh:
        since = _resume_point(bq_client, connection)
    pool = prefetch.active()
    started = pool.claim(connection, since, until) if pool is not None else None
    if started is not None:
        window_end = started.window_end  # the extraction began then
    common = {
        "connection_name": connection.connection_name,
        "target_object_type": connection.object_type,
    }
    emit(
        bq_client,
        "ingest.started",
        connection.source_system,
        {"tap": connection.tap, "window_start": since, "window_end": window_end},
        status="started",
        **common,
    )
    output_root = private_dir(settings.home / "extract")
    try:
        if started is not None:
            path = started.result()  # already sealed, with encryption on
        else:
            path = ingestor.extract_to_jsonl(
                connection.tap,
                f"{run_id}-{_slug(connection.key)}",
                since=since,
                until=until,
                config=tap_config,
                output_root=output_root,
                project_dir=meltano_project(settings),
            )
            if ring is not None:
                clear, path = path, sealed.seal_file(path, ring)
                clear.unlink()
    except ingestor.IngestorError as exc:
        message = first_line(exc)
        emit(
            bq_client,
            "ingest.failed",
            connection.source_system,
            {"tap": connection.tap},
            status="failed",
            error_message=message,
            **common,
        )
        raise IngestError(f"Extraction for {connection.key} failed: {message}", message) from exc
    quarantine = _Quarantine(settings.home, run_id, connection, ring)
    # Singer bookkeeping (_sdc_extracted_at, _sdc_batched_at, ...) changes on every run of
    # some taps: it never reaches the payload, so re-extracting unchanged data is unchanged.
    load = upsert_ndjson(
        bq_client,
        path,
        source_system=connection.source_system,
        connection_name=connection.connection_name,
        object_type=connection.object_type,
        external_id=connection.external_id,
        ring=ring,
        strip_sdc=True,
    )
    result = load.result
    quarantine.add(load)
    quarantine.write(path)
    read = result.written + result.rejected + quarantine.bad_lines
    counts = {"read": read, **result.counts(), "rejected": result.rejected + quarantine.bad_lines}
    emit(
        bq_client,
        "ingest.completed",
        connection.source_system,
        {
            **counts,
            "window_start": since,
            "window_end": window_end,
            "quarantine": quarantine.relative_path if counts["rejected"] else None,
        },
        **common,
    )
    path.unlink(missing_ok=True)  # the backup and the warehouse now hold these records
    if quarantine.failing:
        # The rest of the connection is loaded and its window recorded; the job still fails,
        # naming the lines, so a broken source is seen and not only counted.
        shown = ", ".join(quarantine.failing[:3])
        more = f" and {len(quarantine.failing) - 3} more" if len(quarantine.failing) > 3 else ""
        cause = f"quarantined {shown}{more} (in {quarantine.relative_path})"
        raise IngestError(f"Extraction for {connection.key}: {cause}", cause, counts)
    return counts


#: Marker reasons that fail the connection (after the rest of it has loaded): the source sent
#: bytes or structures that are broken, not merely a bad record, and someone should look.
FAILING_REASONS = frozenset({"invalid UTF-8", "too deep"})


class _Quarantine:
    """Rejected records with their reasons, in ``<home>/quarantine/<run>/``, 0600.

    Entries are collected while the load streams, then written in one pass over the source
    file, so the raw lines are read once however many records were rejected.
    """

    def __init__(
        self, home: Path, run_id: str, connection: Connection, ring: KeyRing | None
    ) -> None:
        self.ring = ring
        self.path = home / "quarantine" / run_id / f"{_slug(connection.key)}.jsonl"
        if ring is not None:
            self.path = sealed.sealed_path(self.path)
        self.relative_path = str(self.path.relative_to(home))
        self.bad_lines = 0
        self.failing: list[str] = []  # "line 3: too deep", for lines that fail the connection
        self._entries: list[tuple[int, str]] = []
        self._marked: list[dict[str, Any]] = []

    def add(self, load: NdjsonLoad) -> None:
        """The lines a load did not write: bad lines, the tap's markers, records without id."""
        self.bad_lines += len(load.bad_lines) + len(load.marked)
        self._entries.extend(load.bad_lines)
        self._entries.extend(load.rejected_lines)
        for _, marker in load.marked:
            # A line or record the tap would not send, numbered where the tap says (``in``:
            # its own input file, or ``stream`` for its position among the stream's records).
            reason = str(marker.get("reason") or "unreadable")
            line = marker.get("line")
            self._marked.append({"line": line, "reason": reason, "raw": marker.get("raw"),
                                 "in": str(marker.get("in") or "source file")})
            if reason in FAILING_REASONS:
                self.failing.append(f"line {line}: {reason}")

    def write(self, source: Path) -> None:
        if not self._entries and not self._marked:
            return
        wanted = {number for number, _ in self._entries}
        raw: dict[int, str] = {}
        if wanted:
            for number, line in enumerate(sealed.iter_lines(source, self.ring), start=1):
                if number in wanted:
                    raw[number] = line.decode("utf-8", errors="replace").rstrip("\n")
        private_dir(self.path.parent)
        lines = b"".join(
            orjson.dumps({"line": number, "reason": reason, "raw": raw.get(number)}) + b"\n"
            for number, reason in sorted(self._entries)
        ) + b"".join(orjson.dumps(entry) + b"\n" for entry in self._marked)
        if self.ring is not None:
            sealed.append(self.path, lines, self.ring)
            return
        fd = open_private(self.path, "a")
        try:
            os.write(fd, lines)
        finally:
            os.close(fd)


def _resume_point(bq_client: Warehouse, connection: Connection) -> str | None:
    """The end of the connection's last successful window, less its overlap (None: no run)."""
    rows = bq_client.query(
        _LAST_WINDOW_SQL,
        {"connection": connection.connection_name, "object_type": connection.object_type},
    )
    if not rows or not rows[0]["window_end"]:
        return None
    end = parse_timestamp(str(rows[0]["window_end"]))
    return isoformat_utc(end - timedelta(seconds=connection.overlap_seconds))


def _settings() -> Settings:
    """The run's settings: an ingest job never reads configuration on its own."""
    return api.current_run().settings


def _slug(key: str) -> str:
    return key.replace("/", "__")
