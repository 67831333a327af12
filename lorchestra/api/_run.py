"""``current_run()``: what a job may know about the run it is part of.

The runner opens a run around every job; inside it, ``current_run()`` gives the run id, the
validated settings and the data home. Outside a run it raises: settings are never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lorchestra.config import Settings
from lorchestra.errors import LorchestraError
from lorchestra.run_context import current_run as _current_context


@dataclass(frozen=True)
class Run:
    """The running job's context: ``run_id`` (also the audit events' correlation id),
    ``trace_id`` (shared by every job of one ``lorchestra run``), ``job`` (``package/name``),
    ``settings`` and ``home`` (the private data home; write files under it with
    ``write_private`` and ``private_dir``)."""

    run_id: str
    trace_id: str | None
    job: str | None
    settings: Settings
    home: Path

    def path(self, *parts: str) -> Path:
        """A path inside the data home: ``current_run().path("reports", week)``."""
        return self.home.joinpath(*parts)


def current_run() -> Run:
    """The run the calling job is part of; raises ``LorchestraError`` outside a run."""
    context = _current_context()
    if context is None or context.settings is None:
        raise LorchestraError(
            "current_run() was called outside a lorchestra run; run the job with "
            "`lorchestra run-job` (or, in a test, inside lorchestra.run_context.running)."
        )
    return Run(
        run_id=context.run_id,
        trace_id=context.trace_id,
        job=context.job,
        settings=context.settings,
        home=context.home or context.settings.home,
    )
