"""The one ``--json`` document every benchmark module writes, and the process-tree memory probe.

Shape (stable; docs/benchmarks.md reads it)::

    {"machine": {...},
     "scenarios": [{"name", "records", "wall_s", "peak_mb"}, ...],
     "goals": [{"name", "value", "limit", "pass"}, ...]}

Scenario names are stable across runs so results can be compared: ``floor unchanged re-load``,
``lorchestra unchanged re-load`` (``benchmarks``), ``upsert first load``, ``canonize``
(``benchmarks.canonize``), ``daily first``, ``daily no change``, ``daily first 50x``
(``benchmarks.pipeline``), ``weekly reports``, ``weekly report one client``
(``benchmarks.reports``). A goal's ``value`` and ``limit`` are in the unit its name says
(seconds, MB, or a ratio); ``pass`` is ``value <= limit``.
"""

from __future__ import annotations

import os
import platform
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import orjson
import psutil


@dataclass
class Scenario:
    """One measured thing: its wall time and the peak resident memory it took."""

    name: str
    records: int
    wall_s: float
    peak_mb: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "records": self.records,
            "wall_s": round(self.wall_s, 3),
            "peak_mb": None if self.peak_mb is None else round(self.peak_mb, 1),
        }


@dataclass
class Goal:
    """A target: ``value`` must not exceed ``limit``; a measurement that failed never passes."""

    name: str
    value: float
    limit: float
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and self.value <= self.limit

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": round(self.value, 3),
            "limit": self.limit,
            "pass": self.passed,
            **({"error": self.error} if self.error else {}),
        }

    def line(self) -> str:
        verdict = "PASS" if self.passed else "FAIL" if self.error else "MISS"
        failed = f"; {self.error}" if self.error else ""
        return f"{verdict:<4}  {self.name}: {self.value:.2f} (limit {self.limit:g}){failed}"


@dataclass
class Results:
    """What one benchmark module measured, printed and optionally written as JSON."""

    scenarios: list[Scenario] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)

    def add(self, scenario: Scenario) -> Scenario:
        self.scenarios.append(scenario)
        return scenario

    def goal(self, name: str, value: float, limit: float, error: str | None = None) -> Goal:
        goal = Goal(name, value, limit, error)
        self.goals.append(goal)
        return goal

    def print(self) -> None:
        for scenario in self.scenarios:
            peak = "" if scenario.peak_mb is None else f", peak {scenario.peak_mb:,.0f} MB"
            print(f"{scenario.name}: {scenario.records:,} records, {scenario.wall_s:.2f} s{peak}")
        for goal in self.goals:
            print(goal.line())

    def write(self, path: Path | None) -> None:
        if path is None:
            return
        document = {
            "machine": machine(),
            "scenarios": [s.to_json() for s in self.scenarios],
            "goals": [g.to_json() for g in self.goals],
        }
        path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
        print(f"Results written to {path}")


def machine(
    packages: Sequence[str] = ("duckdb", "pyarrow", "orjson", "meltano", "weasyprint"),
) -> dict[str, Any]:
    """The machine and the versions that shape the figures."""
    versions = {}
    for name in packages:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            continue
    return {
        "cpus": os.cpu_count(),
        "memory_mb": round(psutil.virtual_memory().total / 2**20),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


def run_measured(
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    interval: float = 0.05,
    timeout: float | None = None,
) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """Runs a command; returns it, its wall seconds and the peak RSS (MB) of its process tree.

    The tree (the command and every descendant alive at a sample) is sampled every ``interval``
    seconds and summed, so a pipeline's Meltano and tap processes count with lorchestra's own.
    Past ``timeout`` seconds the command is killed and ``subprocess.TimeoutExpired`` raised.
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        list(argv), env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = 0.0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        try:
            root = psutil.Process(process.pid)
        except psutil.NoSuchProcess:
            return
        while not stop.is_set():
            total = 0
            try:
                members = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for member in members:
                try:
                    total += member.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
            peak = max(peak, total / 2**20)
            stop.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    finally:
        stop.set()
        sampler.join()
    wall = time.perf_counter() - started
    completed = subprocess.CompletedProcess(list(argv), process.returncode, stdout, stderr)
    return completed, wall, peak
