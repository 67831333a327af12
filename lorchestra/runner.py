"""Run one job: validate its arguments, open the warehouse, call it, record what happened.

Arguments are recorded by their PHI tag (:mod:`lorchestra.phi`): a parameter tagged ``NotPHI``
as given, any other as a keyed hash; the values themselves are registered so that error messages
and log lines quoting them carry the hash instead.

The runner emits ``job.started`` and then ``job.completed`` (duration, numeric counts the job
returned) or ``job.failed`` (exception type and a sanitised message), all carrying the run id as
``correlation_id``. Failures of the job itself are recorded and returned, not raised; usage
errors (unknown job, bad arguments) raise before anything is written.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lorchestra import phi
from lorchestra.arguments import JobSignature, parse_job_options
from lorchestra.discovery import JobFunction, JobRef
from lorchestra.errors import JobSkipped, LorchestraError, UsageError
from lorchestra.home import ensure_home
from lorchestra.keys import ring_for
from lorchestra.logs import get_logger
from lorchestra.permissions import restore
from lorchestra.run_context import RunContext, new_run_id, running
from lorchestra.stack_clients.event_client import emit
from lorchestra.warehouse import Warehouse, open_warehouse

if TYPE_CHECKING:
    from lorchestra.config import Settings

log = get_logger(__name__)


@dataclass
class RunOutcome:
    """What happened when a job ran (or would have, for a dry run)."""

    run_id: str
    job: str
    status: str  # completed | failed | skipped | dry-run
    kwargs: dict[str, Any]
    duration_s: float = 0.0
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    exception: BaseException | None = None
    skipped: str | None = None  # why a skipped job had nothing to do ("not configured")

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "job": self.job,
            "status": self.status,
            "duration_s": round(self.duration_s, 3),
            "counts": self.counts,
            "error": self.error,
            **({"skipped": self.skipped} if self.skipped else {}),
        }


def prepare(
    ref: JobRef, tokens: Sequence[str], now: datetime | None = None
) -> tuple[JobFunction, dict[str, Any]]:
    """Load the job and convert its options; raises before anything is written."""
    job = ref.load()
    kwargs = parse_job_options(JobSignature.of(job), tokens, now=now or datetime.now(UTC))
    return job, kwargs


def run_job(
    ref: JobRef,
    kwargs: Mapping[str, Any],
    job: JobFunction,
    settings: Settings,
    *,
    dry_run: bool = False,
    check_permissions: bool = True,
    trace_id: str | None = None,
    warehouse: Warehouse | None = None,
    definition: str | None = None,
) -> RunOutcome:
    """Call ``job(warehouse, **kwargs)`` inside a run, recording events around it."""
    run_id = new_run_id()
    outcome = RunOutcome(
        run_id, ref.qualified_name, "dry-run" if dry_run else "running", dict(kwargs)
    )
    signature = JobSignature.of(job)
    if dry_run:
        if "dry_run" not in signature.parameters:
            return outcome
        kwargs = {**kwargs, "dry_run": True}
    home = ensure_home(settings.home, check_permissions=check_permissions)
    if not dry_run:
        ring_for(settings)  # encryption on without a key: refuse before anything is written
    own_warehouse = warehouse is None
    bq = warehouse or open_warehouse(settings, read_only=dry_run)
    context = RunContext(run_id, trace_id, ref.qualified_name, None if dry_run else home, settings)
    safe_args = recorded_arguments(signature, kwargs, phi.mask_key(home))
    named = {"job": ref.name, **({"definition": definition} if definition else {})}
    started = time.monotonic()
    try:
        with running(context):
            if not dry_run:
                emit(
                    bq,
                    "job.started",
                    ref.package,
                    {**named, "args": safe_args},
                    status="started",
                )
            log.info("job.started", job=ref.qualified_name, run_id=run_id, **safe_args)
            try:
                result = job(bq, **kwargs)
            except JobSkipped as exc:
                outcome.duration_s = time.monotonic() - started
                outcome.status, outcome.skipped = "skipped", exc.reason
                outcome.exception = exc
                if not dry_run:
                    emit(
                        bq,
                        "job.skipped",
                        ref.package,
                        {**named, "reason": exc.reason},
                        status="skipped",
                        error_message=sanitised_error(exc),
                    )
                log.info("job.skipped", job=ref.qualified_name, run_id=run_id, reason=exc.reason)
                return outcome
            except Exception as exc:  # noqa: BLE001 - a failing job is recorded, not raised
                outcome.duration_s = time.monotonic() - started
                outcome.status = "failed"
                outcome.error = sanitised_error(exc)
                outcome.exception = exc
                # A job refusing its arguments (UsageError: exit 2) ran nothing: recorded as
                # job.rejected, which run history and stats leave out.
                rejected = isinstance(exc, UsageError)
                if not dry_run:
                    emit(
                        bq,
                        "job.rejected" if rejected else "job.failed",
                        ref.package,
                        {
                            **named,
                            "duration_s": round(outcome.duration_s, 3),
                            "error_type": type(exc).__name__,
                        },
                        status="rejected" if rejected else "failed",
                        error_message=outcome.error,
                    )
                log.error("job.rejected" if rejected else "job.failed",
                          job=ref.qualified_name, run_id=run_id, error=outcome.error)
                return outcome
            outcome.duration_s = time.monotonic() - started
            outcome.counts = numeric_counts(result)
            outcome.status = "dry-run" if dry_run else "completed"
            if not dry_run:
                emit(
                    bq,
                    "job.completed",
                    ref.package,
                    {
                        **named,
                        "duration_s": round(outcome.duration_s, 3),
                        "counts": outcome.counts,
                    },
                    status="ok",
                )
            log.info(
                "job.completed",
                job=ref.qualified_name,
                run_id=run_id,
                duration_s=round(outcome.duration_s, 3),
                **_flat(outcome.counts),
            )
            return outcome
    finally:
        if own_warehouse:
            bq.close()
        if not dry_run:
            _keep_private(home)


def _keep_private(home: Path) -> None:
    """Whatever the job wrote into the home leaves it owner-only (0700/0600)."""
    fixed = restore(home)
    if fixed:
        log.warning("home.permissions_restored", entries=len(fixed))


def recorded_arguments(
    signature: JobSignature, kwargs: Mapping[str, Any], key: bytes
) -> dict[str, Any]:
    """The arguments as they may be recorded: NotPHI values as given, PHI values masked.

    Every PHI value is also registered with :func:`lorchestra.phi.remember`, so that any text
    quoting it later (an error message, a log line) carries its mask instead.
    """
    recorded: dict[str, Any] = {}
    for name, value in kwargs.items():
        param = signature.parameters.get(name)
        if param is not None and not param.phi:
            recorded[name] = _jsonable(value)
            continue
        phi.remember([value], key)
        if value is None or isinstance(value, bool):
            recorded[name] = value
        elif isinstance(value, (list, tuple)):
            recorded[name] = [phi.mask(item, key) for item in value]
        else:
            recorded[name] = phi.mask(value, key)
    return recorded


def sanitised_error(exc: BaseException) -> str:
    """A one-line description of ``exc`` that is safe to log and store.

    Messages of lorchestra's own errors (and of errors marked ``safe_to_log``) are written to
    name ids and positions only, so they are kept. Any other message may quote record data, so
    only the exception type and where it was raised are kept.
    """
    if isinstance(exc, LorchestraError) or getattr(exc, "safe_to_log", False):
        text = phi.scrub(str(exc)).strip().splitlines()
        return f"{type(exc).__name__}: {text[0] if text else ''}"[:500]
    frames = traceback.extract_tb(exc.__traceback__)
    where = (
        f" in {frames[-1].name} ({_module_path(frames[-1].filename)}:{frames[-1].lineno})"
        if frames
        else ""
    )
    return (
        f"{type(exc).__name__}{where}; message withheld because it may contain record data "
        "(re-run with --debug to see it)"
    )


def numeric_counts(result: Any) -> dict[str, Any]:
    """Keep only numbers (and dicts of numbers) from what a job returned: never free text."""
    if not isinstance(result, Mapping):
        return {}
    counts: dict[str, Any] = {}
    for key, value in result.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, Mapping)):
            continue
        if isinstance(value, Mapping):
            nested = numeric_counts(value)
            if nested:
                counts[str(key)] = nested
        else:
            counts[str(key)] = value
    return counts


def _flat(counts: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in counts.items():
        if isinstance(value, Mapping):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _module_path(filename: str) -> str:
    parts = filename.replace("\\", "/").split("/")
    return "/".join(parts[-2:])
