"""``python -m benchmarks.pipeline [--quick] [--json FILE]``: ``lorchestra run daily`` end to end.

Builds two synthetic practices with the sample-data generator (``lorchestra-sample-data``, seed 7,
anchored at tomorrow as ``make demo`` does): the demo practice (``--size 300``) and one 50 times
larger (``--size 15000``, about 130 clients). Each gets a fresh data home in a temporary
directory, ``lorchestra init``, then ``lorchestra run daily --json`` through the real executable
(real Meltano runs, the shared Meltano project). Scenarios:

- ``daily first``: the demo practice's first day (everything new);
- ``daily no change``: the same day again with no new data;
- ``daily first 50x``: the 50x practice's first day (skipped with ``--quick``).

Each scenario's wall time is the whole command (start-up included) and its peak memory the
process tree's (lorchestra, Meltano, taps, targets; ``benchmarks.document.run_measured``). The
per-stage times come from the run's own summary (``run daily --json``: each step's duration,
summed by stage) and are recorded as extra scenarios named ``<scenario>: <stage>``. Goals (the
issue's): no change <= 15 s, first <= 30 s, first at 50x <= 90 s. ``--jobs N`` is passed to
``run daily`` (parallel extractions; default: lorchestra's, the number of cores). Always exits 0
unless a run itself fails, which is reported with its stderr's last lines.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from benchmarks.document import Results, Scenario, run_measured

DEMO_SIZE = 300
LARGE_FACTOR = 50
SEED = 7
GOALS = {"daily first": 30.0, "daily no change": 15.0, "daily first 50x": 90.0}


@dataclass
class Practice:
    """A generated practice and its data home."""

    data: Path
    home: Path
    records: int

    def env(self) -> dict[str, str]:
        # The user's own lorchestra settings must not leak into the measurement.
        env = {k: v for k, v in os.environ.items() if not k.startswith("LORCHESTRA_")}
        env.update(
            {"LORCHESTRA_HOME": str(self.home), "LORCHESTRA_SAMPLE_DATA": str(self.data)}
        )
        return env


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def build_practice(root: Path, name: str, size: int) -> Practice:
    """Generate the sample data and an initialised data home under ``root/name``."""
    anchor = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    if (root / name).exists():
        raise SystemExit(f"{root / name} already exists; give --keep an empty directory.")
    data, home = root / name / "data", root / name / "home"
    home.mkdir(mode=0o700, parents=True)
    _check(run_measured([_bin("lorchestra-sample-data"), str(data), "--seed", str(SEED),
                         "--size", str(size), "--anchor", anchor, "-q"])[0], "sample data")
    manifest = orjson.loads((data / "manifest.json").read_bytes())
    records = sum(int(f["records"]) for f in manifest["files"])
    practice = Practice(data, home, records)
    _check(run_measured([_bin("lorchestra"), "init"], env=practice.env())[0], "lorchestra init")
    return practice


def run_daily(practice: Practice, name: str, jobs: int | None, results: Results) -> None:
    """One ``run daily``: the whole command as ``name``, its stages as ``name: <stage>``."""
    argv = [_bin("lorchestra"), "run", "daily", "--json"]
    if jobs is not None:
        argv += ["--jobs", str(jobs)]
    completed, wall, peak = run_measured(argv, env=practice.env())
    summary = _summary(completed, name)
    results.add(Scenario(name, practice.records, wall, peak))
    stages: dict[str, float] = {}
    for step in summary.get("steps", []):
        stages[step["stage"]] = stages.get(step["stage"], 0.0) + float(step["duration_s"] or 0)
    for stage, seconds in stages.items():
        results.add(Scenario(f"{name}: {stage}", practice.records, seconds))
    failed = [s["job_id"] for s in summary.get("steps", []) if s["status"] == "failed"]
    error = f"failed steps: {', '.join(failed)}" if failed else None
    if error:
        print(f"{name}: {error}", file=sys.stderr)
    results.goal(f"{name} wall (s)", wall, GOALS[name], error)
    print(f"{name}: {wall:.1f} s, peak {peak:,.0f} MB", flush=True)


def _summary(completed: Any, name: str) -> dict[str, Any]:
    try:
        summary = orjson.loads(completed.stdout)
    except orjson.JSONDecodeError:
        _check(completed, name)
        raise SystemExit(f"{name}: run daily printed no JSON summary") from None
    if not isinstance(summary, dict):
        raise SystemExit(f"{name}: run daily printed no JSON summary")
    return summary


def _check(completed: Any, what: str) -> None:
    if completed.returncode != 0:
        tail = "\n".join(str(completed.stderr).splitlines()[-5:])
        raise SystemExit(f"{what} failed (exit {completed.returncode}):\n{tail}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pipeline", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="the demo practice only (no 50x practice)")
    parser.add_argument("--jobs", type=int, help="passed to `run daily --jobs`")
    parser.add_argument("--keep", type=Path,
                        help="build the practices under this directory and keep them")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the results document")
    args = parser.parse_args(argv)

    import ingestor

    ingestor.install_project()  # once, outside every measurement (make demo does the same)
    results = Results()
    with tempfile.TemporaryDirectory(prefix="lorc-bench-pipeline-") as tmp:
        root = args.keep or Path(tmp)
        demo = build_practice(root, "demo", DEMO_SIZE)
        run_daily(demo, "daily first", args.jobs, results)
        run_daily(demo, "daily no change", args.jobs, results)
        if not args.quick:
            large = build_practice(root, "large", DEMO_SIZE * LARGE_FACTOR)
            run_daily(large, "daily first 50x", args.jobs, results)
    results.print()
    results.write(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
