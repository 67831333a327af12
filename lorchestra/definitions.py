"""Named job definitions and pipelines, loaded from JSON files.

A job definition names a job with its parameters and schedule::

    {"job_id": "ingest_gmail", "job": "ingester/extract_gmail", "params": {"account": "acct1"},
     "schedule": "daily", "at": "06:00", "description": "..."}

A pipeline runs stages in order; each stage lists job ids or other pipeline ids::

    {"pipeline_id": "daily-report", "on_failure": "stop",
     "stages": [{"name": "report", "run": ["weekly_report"]}]}

A package adds a stage to a pipeline it does not own with a step, so a pipeline declared
without stages, such as ``daily``, is assembled from whatever is installed (stages ordered by
``order``, then name); a pipeline that lists its own stages runs exactly those::

    {"step_of": "daily", "stage": "report", "order": 50, "run": ["daily-report"]}

Files come from lorchestra itself (``lorchestra/definitions/``), from installed packages that
register a module under the entry-point group ``lorchestra.definitions`` (the JSON files beside
that module), and from ``<home>/definitions/``; a later source overrides an earlier one by id.
A file that cannot be read or holds an invalid entry is skipped and reported (``errors``):
unrelated pipelines still run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from lorchestra.errors import ConfigError, UsageError
from lorchestra.plugin_data import package_folders

SHIPPED = Path(__file__).parent / "definitions"
ENTRY_POINT_GROUP = "lorchestra.definitions"
INTERVALS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(weeks=1)}


class JobDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    job_id: str
    job: str
    params: dict[str, Any] = Field(default_factory=dict)
    schedule: Literal["hourly", "daily", "weekly"] | None = None
    at: str = "06:00"
    description: str = ""

    @field_validator("job")
    @classmethod
    def _package_slash_job(cls, value: str) -> str:
        if value.count("/") != 1:
            raise ValueError("must be PACKAGE/JOB, e.g. ingester/extract_gmail")
        return value

    @field_validator("at")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        hour, _, minute = value.partition(":")
        if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
            raise ValueError("must be HH:MM")
        return value

    @property
    def package(self) -> str:
        return self.job.split("/")[0]

    @property
    def name(self) -> str:
        return self.job.split("/")[1]

    @property
    def interval(self) -> timedelta | None:
        return INTERVALS.get(self.schedule) if self.schedule else None

    def tokens(self) -> list[str]:
        """The parameters as command-line options, so they convert like ``run-job``'s."""
        out: list[str] = []
        for key, value in self.params.items():
            option = "--" + key.replace("_", "-")
            if isinstance(value, bool):
                out += [option, "true" if value else "false"]
            elif isinstance(value, list):
                out += [option, ",".join(str(v) for v in value)]
            else:
                out += [option, str(value)]
        return out


class Stage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    run: list[str]


class PipelineDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pipeline_id: str
    stages: list[Stage] = Field(default_factory=list)
    on_failure: Literal["stop", "continue"] = "stop"
    description: str = ""


class PipelineStep(BaseModel):
    """A stage a package adds to a pipeline defined elsewhere (``daily``)."""

    model_config = ConfigDict(extra="forbid")

    step_of: str
    stage: str
    order: int = 100
    run: list[str]


@dataclass
class Catalog:
    """Every definition and pipeline found, with the file each came from."""

    jobs: dict[str, JobDefinition] = field(default_factory=dict)
    pipelines: dict[str, PipelineDefinition] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    steps: list[tuple[PipelineStep, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def resolve(self, identifier: str) -> JobDefinition | PipelineDefinition:
        if identifier in self.pipelines:
            return self.pipelines[identifier]
        if identifier in self.jobs:
            return self.jobs[identifier]
        known = sorted([*self.jobs, *self.pipelines])
        broken = f" Definition files that could not be read: {'; '.join(self.errors)}" if (
            self.errors
        ) else ""
        raise UsageError(
            f"No job definition or pipeline {identifier!r}. Known: {', '.join(known)}.{broken}"
        )

    def assemble(self) -> None:
        """Give each pipeline declared without stages the steps packages add to it, by order.

        A pipeline that lists its own stages (a user's ``daily`` in ``<home>/definitions``, say)
        runs exactly those: steps never change what someone wrote out.
        """
        by_pipeline: dict[str, list[tuple[PipelineStep, str]]] = {}
        for step, origin in self.steps:
            if step.step_of not in self.pipelines:
                self.errors.append(
                    f"{origin}: a step of {step.step_of!r}, which no definition file defines."
                )
                continue
            by_pipeline.setdefault(step.step_of, []).append((step, origin))
        for pipeline_id, steps in by_pipeline.items():
            pipeline = self.pipelines[pipeline_id]
            if pipeline.stages:
                continue
            stages: dict[str, Stage] = {}
            for step, _ in sorted(steps, key=lambda s: (s[0].order, s[0].stage, s[1])):
                stages.setdefault(step.stage, Stage(name=step.stage, run=[])).run.extend(step.run)
            self.pipelines[pipeline_id] = pipeline.model_copy(
                update={"stages": list(stages.values())}
            )

    def expand(self, pipeline_id: str, _seen: tuple[str, ...] = ()) -> list[tuple[str, str]]:
        """The ``(stage, job_id)`` pairs a pipeline runs, nested pipelines flattened in order."""
        if pipeline_id in _seen:
            raise ConfigError(
                f"Pipeline {pipeline_id!r} includes itself (via {' → '.join(_seen)})."
            )
        pipeline = self.pipelines[pipeline_id]
        steps: list[tuple[str, str]] = []
        for stage in pipeline.stages:
            for item in stage.run:
                if item in self.pipelines:
                    steps += self.expand(item, (*_seen, pipeline_id))
                elif item in self.jobs:
                    steps.append((stage.name, item))
                else:
                    raise ConfigError(
                        f"Pipeline {pipeline_id!r} stage {stage.name!r} names unknown {item!r}."
                    )
        return steps


def load_catalog(home: Path | None = None) -> Catalog:
    """Every definition installed and in ``home``; broken files are in ``errors``, not raised."""
    catalog = Catalog()
    directories, catalog.errors = _directories(home)
    for directory in directories:
        if directory.is_dir():
            for path in sorted(directory.glob("*.json")):
                try:
                    _load_file(catalog, path)
                except ConfigError as exc:
                    catalog.errors.append(str(exc))
    catalog.assemble()
    return catalog


def _directories(home: Path | None) -> tuple[list[Path], list[str]]:
    """Where definitions come from, in order (core, packages, home), and package problems."""
    folders, problems = package_folders(ENTRY_POINT_GROUP)
    directories = [SHIPPED, *(folder.path for folder in folders)]
    if home is not None:
        directories.append(home / "definitions")
    return directories, [problem.message for problem in problems]


def _load_file(catalog: Catalog, path: Path) -> None:
    """Add the file's entries to ``catalog``; nothing of a file with an invalid entry is kept."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not valid JSON ({type(exc).__name__}).") from None
    entries = data if isinstance(data, list) else [data]
    parsed: list[JobDefinition | PipelineDefinition | PipelineStep] = []
    for number, entry in enumerate(entries, start=1):
        try:
            if isinstance(entry, dict) and "pipeline_id" in entry:
                parsed.append(PipelineDefinition.model_validate(entry))
            elif isinstance(entry, dict) and "step_of" in entry:
                parsed.append(PipelineStep.model_validate(entry))
            else:
                parsed.append(JobDefinition.model_validate(entry))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"{path}: entry {number}: {where}: {first['msg']}.") from None
    for item in parsed:
        if isinstance(item, PipelineDefinition):
            catalog.pipelines[item.pipeline_id] = item
            catalog.origins[item.pipeline_id] = str(path)
        elif isinstance(item, PipelineStep):
            catalog.steps.append((item, str(path)))
        else:
            catalog.jobs[item.job_id] = item
            catalog.origins[item.job_id] = str(path)
