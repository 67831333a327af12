"""Runs each scenario in its own child interpreter and collects the measurements."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson

from benchmarks.document import run_measured

REPO_ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("first", "reload", "halfnew")
SCENARIO_LABELS = {
    "first": "first load",
    "reload": "unchanged re-load",
    "halfnew": "half keys new",
    "first_half": "first load, N/2",
    "large": "first load, large",
}
CHILD_TIMEOUT = 1800


@dataclass
class Measurement:
    engine: str
    scenario: str
    records: int = 0
    seconds: float | None = None
    peak_mb: float | None = None
    start_mb: float | None = None
    batch_size: int | None = None
    batches: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    rows_after: int | None = None
    error: str | None = None
    runs: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        if self.seconds is None or self.error or not self.records:
            return None
        return self.records / self.seconds

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "records_per_s": self.rate}


def run_child(
    engine: str,
    scenario: str,
    target: Path,
    source: Path,
    *,
    limit: int | None = None,
    profile: Path | None = None,
) -> Measurement:
    """Run one scenario in a fresh interpreter (exec, not fork: its VmHWM is its own), its
    process tree's memory sampled (``benchmarks.document.run_measured``)."""
    spec = {
        "engine": engine,
        "db": str(target),
        "input": str(source),
        "limit": limit,
        "profile": str(profile) if profile else None,
    }
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    measurement = Measurement(engine, scenario)
    try:
        done, _, tree_peak_mb = run_measured(
            [sys.executable, "-m", "benchmarks.child", orjson.dumps(spec).decode()],
            cwd=target.parent,
            env=env,
            timeout=CHILD_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        measurement.error = f"timed out after {CHILD_TIMEOUT}s"
        return measurement
    lines = done.stdout.strip().splitlines()
    try:
        out: dict[str, Any] = orjson.loads(lines[-1]) if lines else {}
    except orjson.JSONDecodeError:
        out = {}
    if not out:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        measurement.error = f"child exited {done.returncode}: {tail}"
        return measurement
    measurement.records = int(out.get("records") or 0)
    measurement.seconds = out.get("seconds")
    measurement.batch_size = out.get("batch_size")
    measurement.batches = out.get("batches")
    measurement.counts = dict(out.get("counts") or {})
    measurement.rows_after = out.get("rows_after")
    measurement.error = out.get("error")
    if out.get("peak_kb") is not None:
        # The process's own high-water mark, or, when it has worker processes, the largest sum
        # of the tree's resident sets sampled while it ran (shared memory counted in each).
        measurement.peak_mb = max(out["peak_kb"] / 1024, tree_peak_mb)
    if out.get("start_kb") is not None:
        measurement.start_mb = out["start_kb"] / 1024
    return measurement


def run_engine(
    engine: str, workdir: Path, base: Path, halfnew: Path, *, log: Any = None, round: int = 1
) -> list[Measurement]:
    """First load into a fresh target; then re-load and half-new, each on a copy of it."""
    root = workdir / f"{engine}-{round}"
    root.mkdir()
    results: list[Measurement] = []

    def target(scenario: str) -> Path:
        directory = root / scenario
        directory.mkdir()
        return directory if engine == "dlt" else directory / "warehouse.duckdb"

    first = target("first")
    results.append(_logged(run_child(engine, "first", first, base), log))
    if results[0].error:
        return results
    for scenario, source in (("reload", base), ("halfnew", halfnew)):
        copy = target(scenario)
        _copy_target(first, copy)
        results.append(_logged(run_child(engine, scenario, copy, source), log))
    for scenario in SCENARIOS:  # keep the disk small: the copies are no longer needed
        shutil.rmtree(root / scenario, ignore_errors=True)
    return results


def run_memory_probe(
    engine: str, workdir: Path, base: Path, limit: int, log: Any, round: int = 1
) -> Measurement:
    """The same first load of a file of only the first ``limit`` records, for the memory
    comparison."""
    from benchmarks.data import write_head

    directory = workdir / f"{engine}-first_half-{round}"
    directory.mkdir()
    head = write_head(base, directory / "head.ndjson", limit)
    measurement = run_child(engine, "first_half", directory / "warehouse.duckdb", head)
    shutil.rmtree(directory, ignore_errors=True)
    return _logged(measurement, log)


def run_large(workdir: Path, count: int, log: Any) -> Measurement:
    """lorchestra's first load of ``count`` records from a file written for it (and deleted
    after): the benchmark never holds them in memory, and the child's workers read it a chunk
    at a time."""
    from benchmarks.data import write_records

    directory = workdir / "lorchestra-large"
    directory.mkdir()
    source = directory / "large.ndjson"
    write_records(source, count)
    measurement = run_child("lorchestra", "large", directory / "warehouse.duckdb", source)
    shutil.rmtree(directory, ignore_errors=True)
    return _logged(measurement, log)


def median_of(rounds: list[Measurement]) -> Measurement:
    """One measurement from repeated rounds: median wall time, highest peak memory."""
    good = [m for m in rounds if m.error is None and m.seconds is not None]
    if not good:
        return rounds[-1]
    times = sorted(m.seconds for m in good if m.seconds is not None)
    middle = statistics.median(times)
    chosen = min(good, key=lambda m: abs((m.seconds or 0) - middle))
    peaks = [m.peak_mb for m in good if m.peak_mb is not None]
    return replace(chosen, seconds=middle, peak_mb=max(peaks) if peaks else None, runs=times)


def _copy_target(source: Path, destination: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, destination, dirs_exist_ok=True)
        return
    shutil.copy2(source, destination)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        shutil.copy2(wal, destination.with_name(destination.name + ".wal"))


def _logged(measurement: Measurement, log: Any) -> Measurement:
    if log is not None:
        log(measurement)
    return measurement
