"""Weekly reports and the local SQLite copy at practice scale: ``python -m benchmarks.reports``.

Builds a synthetic practice with the sample data generator (``--size`` 15,000 records: the 50x
demo practice, 128 clients of whom about 100 have activity in the reported week), loads it
with the real ``lorchestra`` executable (ingest, canonize, score, the views: the stages the
reports need, not the whole ``daily``), then times, each as its own ``lorchestra`` process with
the peak RSS of its process tree (worker processes included):

- ``weekly reports``: ``run-job reporter generate_weekly_report`` for every client, first run;
- ``weekly reports unchanged``: the same again, nothing changed (the daily re-run);
- ``weekly report one client``: ``--client`` alone, its report removed first so it renders;
- ``sync_sqlite 50x`` and ``sync_sqlite 25x``: ``run-job reporter sync_sqlite`` on the 50x
  practice and on one half its size (peak memory must stay flat as the practice grows).

``--quick`` uses a 10x and a 5x practice (a smoke run; the goals are still printed).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

from benchmarks.document import Results, Scenario, run_measured

BIN = Path(sys.executable).parent
ANCHOR = "2026-11-21"  # the data's "today"; the reported week is the one before it
WEEK = "2026-W47"
SIZE, HALF = 15_000, 7_500
QUICK_SIZE, QUICK_HALF = 3_000, 1_500
LOAD_PIPELINE = """{"pipeline_id": "bench-load", "on_failure": "stop",
 "stages": [{"name": "ingest", "run": ["daily-ingest"]},
            {"name": "canonize", "run": ["daily-canonize"]},
            {"name": "form", "run": ["daily-form"]},
            {"name": "projection", "run": ["create_projections"]}]}
"""
WEEKLY_GOAL_S, ONE_CLIENT_GOAL_S, SYNC_GOAL_MB, FLAT_GOAL = 30.0, 2.0, 300.0, 1.25


class BenchmarkFailed(RuntimeError):
    pass


def lorchestra(env: dict[str, str], *args: str) -> tuple[str, float, float]:
    """Run the real executable; its stdout, wall seconds and peak RSS (MB)."""
    done, wall, peak = run_measured([str(BIN / "lorchestra"), *args], env=env)
    if done.returncode != 0:
        raise BenchmarkFailed(f"lorchestra {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    return done.stdout, wall, peak


def build_practice(root: Path, size: int) -> dict[str, str]:
    """Generate and load a practice of ``size`` records; the environment that points at it."""
    home, data = root / f"home-{size}", root / f"data-{size}"
    home.mkdir(mode=0o700)
    (home / "definitions").mkdir(mode=0o700)
    (home / "definitions" / "bench.json").write_text(LOAD_PIPELINE)
    env = dict(os.environ, LORCHESTRA_HOME=str(home), LORCHESTRA_SAMPLE_DATA=str(data))
    generate = [str(BIN / "lorchestra-sample-data"), str(data), "--seed", "7", "--size",
                str(size), "--anchor", ANCHOR, "-q"]  # fmt: skip
    done, _, _ = run_measured(generate, env=env)
    if done.returncode != 0:
        raise BenchmarkFailed(f"generating the sample data failed: {done.stderr.strip()}")
    install = [str(BIN / "python"), "-c", "import ingestor; ingestor.install_project()"]
    done, _, _ = run_measured(install, env=env)
    if done.returncode != 0:
        raise BenchmarkFailed(f"installing the Meltano project failed: {done.stderr.strip()}")
    lorchestra(env, "init")
    _, wall, _ = lorchestra(env, "run", "bench-load")
    print(f"loaded a practice of {size:,} records in {wall:.0f} s", flush=True)
    return env


def count(stdout: str, name: str) -> int:
    found = re.search(rf"\b{name}=(\d+)", stdout)
    if found is None:
        raise BenchmarkFailed(f"the job did not report {name}: {stdout.strip()[-300:]}")
    return int(found.group(1))


def weekly(results: Results, env: dict[str, str], jobs: int | None) -> None:
    job = ["run-job", "reporter", "generate_weekly_report", "--week", WEEK]
    if jobs is not None:
        job += ["--jobs", str(jobs)]
    out, wall, peak = lorchestra(env, *job)
    clients = count(out, "reports_written")
    all_clients = results.add(Scenario("weekly reports", clients, wall, peak))
    out, wall, peak = lorchestra(env, *job)
    results.add(Scenario("weekly reports unchanged", count(out, "reports_unchanged"), wall, peak))
    directory = Path(env["LORCHESTRA_HOME"]) / "reports" / WEEK
    first = sorted(directory.glob("client_*.html"))[0]
    contact_id = first.stem.removeprefix("client_")
    for suffix in (".html", ".pdf"):
        (directory / f"client_{contact_id}{suffix}").unlink()
    out, wall, peak = lorchestra(env, *job, "--client", contact_id)
    written = count(out, "reports_written")
    one = results.add(Scenario("weekly report one client", written, wall, peak))
    results.goal("weekly reports s", all_clients.wall_s, WEEKLY_GOAL_S)
    results.goal("weekly report one client s", one.wall_s, ONE_CLIENT_GOAL_S)


def sync(results: Results, env: dict[str, str], name: str) -> Scenario:
    _, wall, peak = lorchestra(env, "run-job", "reporter", "sync_sqlite")
    con = sqlite3.connect(Path(env["LORCHESTRA_HOME"]) / "local.db")
    try:
        found = con.execute("SELECT value FROM _meta WHERE key LIKE 'rows.%'").fetchall()
    finally:
        con.close()
    return results.add(Scenario(name, sum(int(n) for (n,) in found), wall, peak))


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reports", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: practices of {QUICK_SIZE:,} and {QUICK_HALF:,} records")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write results here")
    parser.add_argument("--jobs", type=int, help="report workers (default: the job's, cores)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="build the practices here and leave them (default: a temp dir)")
    return parser.parse_args(argv)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    size, half = (QUICK_SIZE, QUICK_HALF) if args.quick else (SIZE, HALF)
    root = args.keep or Path(tempfile.mkdtemp(prefix="lorchestra-bench-reports-"))
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    results = Results()
    try:
        env = build_practice(root, size)
        weekly(results, env, args.jobs)
        big = sync(results, env, "sync_sqlite 50x")
        small = sync(results, build_practice(root, half), "sync_sqlite 25x")
    except BenchmarkFailed as exc:
        print(f"benchmarks.reports: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    results.goal("sync_sqlite peak MB", big.peak_mb or 0.0, SYNC_GOAL_MB)
    results.goal("sync_sqlite peak 50x / 25x", (big.peak_mb or 0.0) / (small.peak_mb or 1.0),
                 FLAT_GOAL)  # fmt: skip
    results.print()
    results.write(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
