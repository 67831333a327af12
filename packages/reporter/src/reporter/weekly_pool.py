"""Weekly reports rendered in worker processes: charts, HTML and PDF are CPU-bound Python.

:class:`ReportWriters` renders and writes each report (:func:`write_one`) in order, in up to
``jobs`` worker processes (``lorchestra.api.worker_pool`` with ``forkserver``: each worker
starts from a clean process with the renderer already imported, never from the parent that
holds the warehouse open, and exits when lorchestra does; workers only read and write report
files). Results come back in the order given, so counts, files and sends are the same whatever
the number of workers. A report that fails stops the run with a one-line error naming the
client (by id; never the report's contents); a worker that dies, one saying so.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from lorchestra.api import LorchestraError, usable_cores, worker_pool, write_private
from reporter.chart_cache import ChartCache
from reporter.pdf import import_ahead, to_pdf
from reporter.weekly_data import ClientWeek
from reporter.weekly_render import render_client


class ReportFailed(LorchestraError):
    """Rendering or writing one weekly report failed."""


@dataclass(frozen=True)
class Task:
    """One report to write: a client's (rendered in the worker) or ready-made HTML."""

    directory: Path
    stem: str
    label: str  # names the report in errors: "client <id>" or "practice summary"
    week: str
    client: ClientWeek | None = None
    html: str | None = None
    charts: Path | None = None  # the chart cache's directory (reporter.chart_cache)


@dataclass(frozen=True)
class Done:
    html: str
    written: bool


def default_jobs() -> int:
    """The number of cores this process may use."""
    return usable_cores()


# What a worker renders with, imported once in the forkserver and inherited by every worker.
RENDERER_MODULES = (
    "reporter.weekly_pool", "reporter.charts", "matplotlib.figure", "matplotlib.dates",
    "matplotlib.backends.backend_agg", "weasyprint",
)  # fmt: skip


class ReportWriters:
    """Where reports are rendered, made ready while the caller reads the week: with ``jobs`` > 1,
    worker processes, started on a thread on entry (the forkserver imports the renderer, ~1 s,
    before it forks them); with one, this process, importing WeasyPrint ahead on a thread
    (:func:`reporter.pdf.import_ahead`).
    """

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._pool: ProcessPoolExecutor | None = None
        self._starting: threading.Thread | None = None
        self._failed: BaseException | None = None

    def __enter__(self) -> ReportWriters:
        if self.jobs <= 1:
            import_ahead()
        else:
            self._starting = threading.Thread(target=self._start, name="start-report-workers")
            self._starting.start()
        return self

    def _start(self) -> None:
        try:
            pool = worker_pool(
                self.jobs, method="forkserver", preload=RENDERER_MODULES, initializer=_tune_gc
            )
            self._pool = pool
            pool.submit(_ready)  # launches the workers now, not at the first report
        except BaseException as exc:  # noqa: BLE001 - raised again on the caller's thread
            self._failed = exc

    def _started(self) -> ProcessPoolExecutor | None:
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        if self._failed is not None:
            failed, self._failed = self._failed, None
            raise failed
        return self._pool

    def __exit__(self, *exc_info: object) -> None:
        if self._starting is not None:
            self._starting.join()
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def write_all(self, tasks: Sequence[Task]) -> Iterator[Done]:
        """Each task's result, in the order of ``tasks``."""
        pool = self._started()
        if pool is None or len(tasks) <= 1:
            for task in tasks:
                yield _guarded(task)
            return
        try:
            yield from pool.map(_guarded, tasks)
        except BrokenProcessPool:
            raise ReportFailed(
                "A weekly report worker process died (killed, or out of memory); the reports "
                "written so far are whole. Run again to write the rest (or with --jobs 1)."
            ) from None


def _tune_gc() -> None:
    """Drawing makes and drops many small objects (matplotlib's artists): a worker collects
    cycles less often, and never scans what it imported; ~5% of its CPU."""
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)


def _ready() -> None:
    """Nothing: submitted first so that the pool starts its workers at once."""


def _guarded(task: Task) -> Done:
    try:
        return write_one(task)
    except Exception as exc:
        # The type only: a renderer's message could quote the report's contents.
        raise ReportFailed(
            f"The weekly report of {task.label} failed: {type(exc).__name__}"
        ) from None


def write_one(task: Task) -> Done:
    html = task.html
    if html is None:
        assert task.client is not None
        charts = ChartCache(task.charts) if task.charts is not None else None
        html = render_client(task.week, task.client, charts)
    return Done(html, write_report(task.directory, task.stem, html))


def write_report(directory: Path, stem: str, html: str) -> bool:
    """Write ``stem.html`` and its PDF unless the same HTML is already there with its PDF
    (rendering is deterministic, so the same HTML means the same report); True if written.
    The PDF goes first, so an interrupted write leaves the old HTML and is redone next time."""
    html_path, pdf_path = directory / f"{stem}.html", directory / f"{stem}.pdf"
    data = html.encode()
    if pdf_path.exists() and html_path.exists() and html_path.read_bytes() == data:
        return False
    write_private(pdf_path, to_pdf(html))
    write_private(html_path, data)
    return True
