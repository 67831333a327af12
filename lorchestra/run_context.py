"""The run a piece of code is part of: its run id, trace id and settings.

The runner sets this for the length of a job so that ``event_client`` calls inside the job are
stamped with the run's ids without every job passing them along.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lorchestra.config import Settings


@dataclass(frozen=True)
class RunContext:
    run_id: str
    trace_id: str | None = None
    job: str | None = None
    home: Path | None = None
    settings: Settings | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))


_CURRENT: ContextVar[RunContext | None] = ContextVar("lorchestra_run", default=None)


def new_run_id(now: datetime | None = None) -> str:
    """A run id that sorts by start time: ``20261122T032245123Z-1a2b3c``."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%dT%H%M%S}{moment.microsecond // 1000:03d}Z-{secrets.token_hex(3)}"


def current_run() -> RunContext | None:
    return _CURRENT.get()


@contextmanager
def running(context: RunContext) -> Iterator[RunContext]:
    token = _CURRENT.set(context)
    try:
        yield context
    finally:
        _CURRENT.reset(token)
