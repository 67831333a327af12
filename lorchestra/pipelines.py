"""Run job definitions and pipelines: validate every step first, then run them in order.

A pipeline run has its own run id, passed to each job as ``trace_id``, so ``lorchestra runs
show <pipeline run id>`` lists every job's events. With ``on_failure = "stop"`` the first failed
job ends the run (later steps are reported as skipped); with ``"continue"`` every step runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lorchestra.arguments import JobSignature, parse_job_options
from lorchestra.definitions import Catalog, JobDefinition, PipelineDefinition
from lorchestra.discovery import JobFunction, JobRef, find_job
from lorchestra.errors import LorchestraError
from lorchestra.jobs import prefetch
from lorchestra.logs import get_logger
from lorchestra.run_context import new_run_id
from lorchestra.runner import RunOutcome, run_job

if TYPE_CHECKING:
    from lorchestra.config import Settings
    from lorchestra.warehouse import Warehouse

log = get_logger(__name__)


# Counts jobs report -> how a run summary names them, in display order. Keys for the same
# outcome (a job's own objects, or a scoring job's events) add up under one label.
_CHANGE_LABELS: tuple[tuple[str, str], ...] = (
    ("inserted", "new"),
    ("events_inserted", "new"),
    ("updated", "updated"),
    ("events_updated", "updated"),
    ("written", "written"),
    ("reports_written", "reports"),
    ("removed", "removed"),
    ("unchanged", "unchanged"),
    ("events_unchanged", "unchanged"),
    ("summary_written", "reports"),
    ("reports_unchanged", "unchanged"),
    ("summary_unchanged", "unchanged"),
    ("alerts_sent", "alerts sent"),
    ("rejected", "rejected"),
    ("malformed", "malformed"),
    ("unbound", "not scored (no binding)"),
    # What went wrong is said in the summary itself, not only in --json.
    ("invalid_answers", "unreadable answers"),
    ("skipped", "skipped"),
    ("skipped_unsafe_id", "skipped (unsafe id)"),
)


# Counts that flag a state worth saying in words (counts are numbers only, never free text).
_NOTICES: tuple[tuple[str, str], ...] = (
    ("alerts_off", "risk alerts off: LORCHESTRA_RISK_ALERT_EMAIL is not set"),
)


def change_totals(counts: dict[str, Any]) -> dict[str, int]:
    """A job's counts added up by what they mean: ``{"new": 3, "unchanged": 85}``."""
    totals: dict[str, int] = {}
    for key, label in _CHANGE_LABELS:
        value = counts.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            totals[label] = totals.get(label, 0) + value
    return totals


def describe_changes(counts: dict[str, Any]) -> str | None:
    """What a job changed, from its counts: "3 new, 85 unchanged", "no change", or None; a
    flag count from ``_NOTICES`` that is set adds its words ("...; risk alerts off: ...")."""
    totals = change_totals(counts)
    notice = "; ".join(text for key, text in _NOTICES if counts.get(key)) or None
    if not totals:
        return notice  # the job reports no such counts (a view rebuilt, a copy refreshed)
    parts = [f"{number} {label}" for label, number in totals.items() if number]
    text = ", ".join(parts) or "no change"
    return f"{text}; {notice}" if notice else text


@dataclass
class Step:
    stage: str
    job_id: str
    definition: JobDefinition
    status: str = "pending"  # pending | running | completed | failed | skipped | dry-run
    outcome: RunOutcome | None = None
    error: str | None = None

    @property
    def records(self) -> int | None:
        if self.outcome is None:
            return None
        counts = self.outcome.counts
        for key in ("read", "processed", "responses", "written", "inserted"):
            if isinstance(counts.get(key), int):
                return int(counts[key])
        return None

    @property
    def changes(self) -> str | None:
        return None if self.outcome is None else describe_changes(self.outcome.counts)

    @property
    def label(self) -> str:
        """The status as shown: ``skipped (not configured)`` says why a job had nothing to do."""
        reason = self.outcome.skipped if self.outcome else None
        return f"{self.status} ({reason})" if reason else self.status

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "job_id": self.job_id,
            "job": self.definition.job,
            "status": self.status,
            **({"skipped": self.outcome.skipped} if self.outcome and self.outcome.skipped else {}),
            "run_id": self.outcome.run_id if self.outcome else None,
            "duration_s": round(self.outcome.duration_s, 3) if self.outcome else None,
            "counts": self.outcome.counts if self.outcome else {},
            "error": self.error,
        }


@dataclass
class PipelineRun:
    run_id: str
    target: str
    steps: list[Step]
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def ok(self) -> bool:
        return all(step.status in ("completed", "skipped", "dry-run") for step in self.steps)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "target": self.target,
            "ok": self.ok,
            "steps": [step.as_dict() for step in self.steps],
        }


Listener = Callable[[Step], None]


def plan(catalog: Catalog, identifier: str) -> tuple[list[Step], str]:
    """The steps ``identifier`` (a job definition or pipeline) runs, and its failure policy."""
    target = catalog.resolve(identifier)
    if isinstance(target, PipelineDefinition):
        steps = [
            Step(stage, job_id, catalog.jobs[job_id])
            for stage, job_id in catalog.expand(identifier)
        ]
        return steps, target.on_failure
    return [Step("job", identifier, target)], "stop"


def check_definition(
    definition: JobDefinition,
) -> tuple[JobRef, JobFunction, dict[str, Any]]:
    """Resolve and validate a definition: the job is installed and accepts its params."""
    ref = find_job(definition.package, definition.name)
    job = ref.load()
    kwargs = parse_job_options(JobSignature.of(job), definition.tokens(), now=datetime.now(UTC))
    return ref, job, kwargs


Prepared = dict[str, tuple[JobRef, JobFunction, dict[str, Any]]]


def validate(steps: list[Step]) -> Prepared:
    """Check every step before anything runs; the first invalid one raises a usage error."""
    return {step.job_id: check_definition(step.definition) for step in steps}


def run_steps(
    steps: list[Step],
    prepared: Prepared,
    settings: Settings,
    warehouse: Warehouse,
    *,
    on_failure: str,
    dry_run: bool = False,
    check_permissions: bool = True,
    listener: Listener | None = None,
    target: str = "",
) -> PipelineRun:
    """Run validated steps in order under one pipeline run id."""
    run = PipelineRun(new_run_id(), target, steps)
    stop = False
    stage: str | None = None
    try:
        for step in steps:
            if step.stage != stage:
                stage = step.stage
                if not (dry_run or stop):
                    _start_extractions(steps, stage, prepared, settings, warehouse)
            stop = _run_step(step, prepared, settings, warehouse, stop=stop, dry_run=dry_run,
                             check_permissions=check_permissions, listener=listener,
                             trace_id=run.run_id, on_failure=on_failure)
    finally:
        prefetch.stop()
    return run


def _start_extractions(steps: list[Step], stage: str, prepared: Prepared, settings: Settings,
                       warehouse: Warehouse) -> None:
    """Start the extractions of the stage's ingester jobs ahead, ``meltano.jobs`` at a time.

    Jobs with a ``prefetch`` hook (lorc's ingester jobs) queue their connections' extractions;
    each job then loads its own, in order (lorchestra.jobs.prefetch). Anything going wrong here
    only means the jobs extract for themselves, and report it.
    """
    prefetch.stop()  # the previous stage's pool
    hooks: list[tuple[dict[str, Any], Callable[..., None]]] = []
    for step in steps:
        _ref, job, kwargs = prepared[step.job_id]
        hook = getattr(job, "prefetch", None)
        if step.stage == stage and callable(hook):
            hooks.append((kwargs, hook))
    if not hooks:
        return
    try:
        pool = prefetch.start(settings)
    except Exception as exc:  # the jobs run without it and report their own errors
        log.warning("extractions.not_started", stage=stage, error=type(exc).__name__)
        return
    for kwargs, hook in hooks:
        try:
            hook(warehouse, pool, **kwargs)
        except Exception as exc:  # that job extracts for itself, and reports the cause
            log.warning("extractions.not_started", stage=stage, error=type(exc).__name__)


def _run_step(step: Step, prepared: Prepared, settings: Settings, warehouse: Warehouse, *,
              stop: bool, dry_run: bool, check_permissions: bool, listener: Listener | None,
              trace_id: str, on_failure: str) -> bool:
    """Run one step (or mark it skipped); True when the pipeline must stop after it."""
    if stop:
        step.status = "skipped"
        _tell(listener, step)
        return True
    ref, job, kwargs = prepared[step.job_id]
    step.status = "running"
    _tell(listener, step)
    try:
        step.outcome = run_job(
            ref,
            kwargs,
            job,
            settings,
            dry_run=dry_run,
            check_permissions=check_permissions,
            trace_id=trace_id,
            warehouse=warehouse,
            definition=step.job_id,
        )
    except LorchestraError as exc:
        step.status, step.error = "failed", str(exc)
    else:
        step.status = step.outcome.status
        step.error = step.outcome.error
    _tell(listener, step)
    return step.status == "failed" and on_failure == "stop"


def _tell(listener: Listener | None, step: Step) -> None:
    if listener is not None:
        listener(step)
