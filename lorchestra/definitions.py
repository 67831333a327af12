"""Named job definitions and pipelines, loaded from JSON files.

A job definition names a job with its parameters and schedule::

    {"job_id": "ingest_gmail", "job": "ingester/extract_gmail", "params": {"account": "acct1"},
     "schedule": "daily", "at": "06:00", "description": "..."}

A pipeline runs stages in order; each stage lists job ids or other pipeline ids::

    {"pipeline_id": "daily", "on_failure": "continue",
     "stages": [{"name": "ingest", "run": ["daily-ingest"]}, ...]}

Files come from lorchestra itself (``lorchestra/definitions/``), from installed packages that
register a module under the entry-point group ``lorchestra.definitions`` (the JSON files beside
that module), and from ``<home>/definitions/``; a later source overrides an earlier one by id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from lorchestra.errors import ConfigError, UsageError

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
    stages: list[Stage]
    on_failure: Literal["stop", "continue"] = "stop"
    description: str = ""


@dataclass
class Catalog:
    """Every definition and pipeline found, with the file each came from."""

    jobs: dict[str, JobDefinition] = field(default_factory=dict)
    pipelines: dict[str, PipelineDefinition] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)

    def resolve(self, identifier: str) -> JobDefinition | PipelineDefinition:
        if identifier in self.pipelines:
            return self.pipelines[identifier]
        if identifier in self.jobs:
            return self.jobs[identifier]
        known = sorted([*self.jobs, *self.pipelines])
        raise UsageError(
            f"No job definition or pipeline {identifier!r}. Known: {', '.join(known)}."
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
    catalog = Catalog()
    for directory in _directories(home):
        for path in sorted(directory.glob("*.json")):
            _load_file(catalog, path)
    return catalog


def _directories(home: Path | None) -> list[Path]:
    directories = [SHIPPED]
    for dist in metadata.distributions():
        for ep in dist.entry_points:
            if ep.group != ENTRY_POINT_GROUP:
                continue
            try:
                module = ep.load()
            except Exception:  # noqa: BLE001 - a broken package is reported by doctor
                continue
            directories.append(Path(module.__file__).parent)
    if home is not None:
        directories.append(home / "definitions")
    return [d for d in directories if d.is_dir()]


def _load_file(catalog: Catalog, path: Path) -> None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not valid JSON ({type(exc).__name__}).") from None
    entries = data if isinstance(data, list) else [data]
    for entry in entries:
        try:
            if isinstance(entry, dict) and "pipeline_id" in entry:
                pipeline = PipelineDefinition.model_validate(entry)
                catalog.pipelines[pipeline.pipeline_id] = pipeline
                catalog.origins[pipeline.pipeline_id] = str(path)
            else:
                job = JobDefinition.model_validate(entry)
                catalog.jobs[job.job_id] = job
                catalog.origins[job.job_id] = str(path)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"{path}: {where}: {first['msg']}.") from None
