"""Extractions started ahead of their jobs, several at once; the loads stay in the jobs, in order.

A pipeline stage of ingester jobs (daily's ``ingest``) spends most of its time starting Meltano,
one connection after another. Before such a stage runs, :func:`start` resolves every
connection its jobs will ingest and the window each will read (the same resume point the job
would compute), and runs the extractions in a pool of ``jobs`` worker threads (threads, not
processes: each only waits on its Meltano process; the work is in that process and its taps),
each worker running its extractions in one reused Meltano process (``ingestor.MeltanoHost``:
Meltano's start-up paid once per worker, not once per connection).
When a job reaches a connection, :meth:`ExtractionPool.claim` hands it the extraction already
running or done for the same connection and window, and the job loads it as before: one
writer, the warehouse is never touched by a worker, loads and events in the jobs' own order.
A connection whose window changed since (or that was not started) is extracted by the job
itself, as without a pool.

Workers take the next extraction whose tap is not already running (two runs of one tap are
serialised by the ingestor anyway), so a busy tap never idles a worker. With encryption on a
worker seals the extract as soon as Meltano has written it, as the job would. A failed
extraction is handed to its job, which records it like any other (``ingest.failed``, the next
connection still loads). :meth:`ExtractionPool.close` cancels what is still running or queued
(a stopped or interrupted pipeline), stopping those Meltano runs, and deletes unclaimed
extracts; the guard process still stops Meltano's process groups if lorchestra itself dies.
"""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from lorchestra import sealed
from lorchestra.home import private_dir
from lorchestra.keys import ring_for
from lorchestra.meltano_project import meltano_project
from lorchestra.run_context import new_run_id
from lorchestra.timespec import isoformat_utc
from lorchestra.workers import usable_cores

if TYPE_CHECKING:
    from ingestor import MeltanoHost
    from lorchestra.config import Settings
    from lorchestra.connections import Connection
    from lorchestra.sealed import KeyRing

#: The pool of the stage being run (one stage at a time in a process).
_ACTIVE: ExtractionPool | None = None


def default_jobs(settings: Settings) -> int:
    """Parallel extractions: ``meltano.jobs`` (``run --jobs``), else the number of cores."""
    return settings.meltano.jobs or usable_cores()


@dataclass
class Extraction:
    """One connection's extraction for one window; ``path`` or ``error`` once ``done``."""

    connection: Connection
    since: str | None
    until: str | None
    window_end: str
    run_id: str
    path: Path | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)
    cancel: threading.Event = field(default_factory=threading.Event)
    claimed: bool = False

    def result(self) -> Path:
        """Wait for the extraction; its file, or the ingestor's error raised again."""
        self.done.wait()
        if self.error is not None:
            raise self.error
        assert self.path is not None
        return self.path


class ExtractionPool:
    """Runs extractions on ``jobs`` threads; jobs claim them by connection and window."""

    def __init__(self, settings: Settings, jobs: int) -> None:
        self.settings = settings
        self.jobs = max(1, jobs)
        self.ring: KeyRing | None = ring_for(settings)
        self.project = meltano_project(settings)
        self.output_root = private_dir(settings.home / "extract")
        self._queue: list[Extraction] = []
        self._all: list[Extraction] = []
        self._busy_taps: set[str] = set()
        self._condition = threading.Condition()
        self._closing = False
        self._threads: list[threading.Thread] = []

    def submit(self, connection: Connection, since: str | None, until: str | None) -> None:
        """Queue one connection's extraction (started when a worker and its tap are free).

        A connection missing a secret is left to its job, which reports it.
        """
        if connection.missing_secrets(os.environ):
            return
        window_end = until or isoformat_utc(datetime.now(UTC))
        extraction = Extraction(connection, since, until, window_end, new_run_id())
        with self._condition:
            self._queue.append(extraction)
            self._all.append(extraction)
            if len(self._threads) < self.jobs:
                thread = threading.Thread(target=self._work, name="lorchestra-extract",
                                          daemon=True)
                self._threads.append(thread)
                thread.start()
            self._condition.notify_all()

    def claim(self, connection: Connection, since: str | None,
              until: str | None) -> Extraction | None:
        """The unclaimed extraction of this connection and window, if one was submitted."""
        with self._condition:
            for extraction in self._all:
                if (not extraction.claimed and extraction.connection.key == connection.key
                        and extraction.since == since and extraction.until == until):
                    extraction.claimed = True
                    if extraction in self._queue:  # not started yet: run it now, first
                        self._queue.remove(extraction)
                        self._queue.insert(0, extraction)
                        self._condition.notify_all()
                    return extraction
        return None

    def close(self) -> None:
        """Stop what still runs (no job waits for it now), the workers; delete unclaimed extracts.

        Called when the stage is over, or when it was interrupted (Ctrl-C, an error): a claimed
        extraction still running then belongs to a job that will not load it.
        """
        with self._condition:
            self._closing = True
            for extraction in self._all:
                extraction.cancel.set()
            self._queue = []
            self._condition.notify_all()
        for thread in self._threads:
            thread.join()
        for extraction in self._all:
            if not extraction.claimed and extraction.path is not None:
                shutil.rmtree(extraction.path.parent, ignore_errors=True)

    def _next(self) -> Extraction | None:
        with self._condition:
            while True:
                for extraction in self._queue:
                    if extraction.connection.tap not in self._busy_taps:
                        self._queue.remove(extraction)
                        self._busy_taps.add(extraction.connection.tap)
                        return extraction
                if self._closing and not self._queue:
                    return None
                self._condition.wait()

    def _work(self) -> None:
        host = self._new_host()
        try:
            while (extraction := self._next()) is not None:
                try:
                    extraction.path = self._extract(extraction, host)
                except BaseException as exc:  # handed to the job, which records it
                    extraction.error = exc
                finally:
                    with self._condition:
                        self._busy_taps.discard(extraction.connection.tap)
                        extraction.done.set()
                        self._condition.notify_all()
        finally:
            if host is not None:
                host.close()

    def _new_host(self) -> MeltanoHost | None:
        """One Meltano process per worker, reused for each of its extractions (ingestor._host)."""
        import ingestor

        try:
            return ingestor.MeltanoHost.for_meltano(ingestor.find_meltano())
        except ingestor.IngestorError:
            return None  # no meltano: each extraction reports it

    def _extract(self, extraction: Extraction, host: MeltanoHost | None) -> Path:
        import ingestor

        connection = extraction.connection
        path = ingestor.extract_to_jsonl(
            connection.tap,
            f"{extraction.run_id}-{connection.key.replace('/', '__')}",
            since=extraction.since,
            until=extraction.until,
            config=connection.tap_config(os.environ),
            output_root=self.output_root,
            project_dir=self.project,
            cancel=extraction.cancel,
            host=host,
        )
        if self.ring is not None:
            clear, path = path, sealed.seal_file(path, self.ring)
            clear.unlink()
        return path


def active() -> ExtractionPool | None:
    """The pool of the stage being run, if any."""
    return _ACTIVE


def start(settings: Settings, jobs: int | None = None) -> ExtractionPool:
    """Make a pool the active one (for the jobs of one stage); :func:`stop` ends it."""
    global _ACTIVE
    stop()
    _ACTIVE = ExtractionPool(settings, jobs or default_jobs(settings))
    return _ACTIVE


def stop() -> None:
    """Close the active pool, if any (unclaimed extractions cancelled and deleted)."""
    global _ACTIVE
    pool, _ACTIVE = _ACTIVE, None
    if pool is not None:
        pool.close()
