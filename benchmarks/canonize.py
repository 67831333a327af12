"""``python -m benchmarks.canonize [--records N | --quick] [--jobs J] [--json FILE]``.

Writes N synthetic Gmail messages (format=full) to NDJSON, then measures in this one run, each
step in a fresh child process on the same DuckDB file: ``upsert first load`` (``upsert_objects``
loads the N records into ``raw_objects``), ``canonize`` (the ``canonicalize_email`` job over
them: incremental selection, transform in worker processes, validation, batched upsert with
lineage) and ``canonize no change`` (the job again, nothing pending). Wall time is each step's
own span (open the warehouse, work, commit, close), without interpreter start-up and the
transforms' one-off load in this process (the workers' start-up counts); peak memory is
the step's process tree (the job's workers included). Goals: canonize within 3x of the upsert
first load of the same records; the no-change re-run under 5% of the first run. Always exits 0.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from benchmarks.data import SOURCE, iter_ndjson, write_records
from benchmarks.document import Results, Scenario, run_measured
from benchmarks.runner import REPO_ROOT

DEFAULT_RECORDS = 100_000
QUICK_RECORDS = 10_000
CANONIZE_LIMIT = 3.0
RERUN_SHARE_LIMIT = 0.05
STEPS = {
    "upsert": "upsert first load",
    "canonize": "canonize",
    "rerun": "canonize no change",
}


def step(name: str, db: Path, source: Path, jobs: int | None) -> dict[str, Any]:
    """One measured step, in this (child) process; returns seconds and the job's counts."""
    from canonizer import default_registry
    from canonizer.jobs import canonicalize_email
    from lorchestra.stack_clients.event_client import upsert_objects
    from lorchestra.warehouse import installed_tables
    from lorchestra.warehouse.duckdb_backend import DuckDBWarehouse

    # Libraries load before the clock starts, as imports do: the transforms' one-off load and
    # checksum check is not per-record work. The job's worker processes load theirs on the clock.
    default_registry().get("email/gmail_to_jmap_lite").compiled()
    started = time.perf_counter()
    warehouse = DuckDBWarehouse(db)
    try:
        warehouse.ensure_tables(installed_tables().values())
        if name == "upsert":
            system, connection, object_type = SOURCE
            result = upsert_objects(
                warehouse,
                iter_ndjson(source),
                source_system=system,
                connection_name=connection,
                object_type=object_type,
                external_id="id",
                emit_event=False,
            )
            counts: dict[str, Any] = result.counts()
        else:
            counts = canonicalize_email(warehouse, jobs=jobs)
    finally:
        warehouse.close()
    seconds = time.perf_counter() - started
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN
    )
    return {
        "seconds": seconds,
        "counts": counts,
        "cpu_s": own.ru_utime + own.ru_stime,
        "worker_cpu_s": workers.ru_utime + workers.ru_stime,
    }


def _run_step(name: str, db: Path, source: Path, jobs: int | None) -> tuple[dict[str, Any], float]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    argv = [sys.executable, "-m", "benchmarks.canonize", "--step", name, "--db", str(db)]
    argv += ["--input", str(source)] + (["--jobs", str(jobs)] if jobs else [])
    done, _wall, peak = run_measured(argv, env=env, cwd=db.parent)
    if done.returncode != 0:
        lines = (done.stderr or "").strip().splitlines() or ["no output"]
        raise RuntimeError(f"step {name} failed: {lines[-1]}")
    return orjson.loads(done.stdout.strip().splitlines()[-1]), peak


def run(args: argparse.Namespace, workdir: Path) -> Results:
    n: int = args.records
    source = workdir / "gmail.ndjson"
    print(f"Writing {n:,} synthetic Gmail messages to {source} ...", file=sys.stderr, flush=True)
    size = write_records(source, n)
    db = workdir / "bench.duckdb"
    results = Results()
    measured: dict[str, float] = {}
    for name, label in STEPS.items():
        try:
            out, peak = _run_step(name, db, source, args.jobs)
        except RuntimeError as exc:
            print(f"  {label}: ERROR {exc}", file=sys.stderr, flush=True)
            continue
        measured[name] = out["seconds"]
        results.add(Scenario(label, n, out["seconds"], peak))
        print(
            f"  {label}: {out['seconds']:.2f} s (CPU: this process {out['cpu_s']:.1f} s, "
            f"workers {out['worker_cpu_s']:.1f} s), peak {peak:,.0f} MB, {out['counts']}",
            file=sys.stderr,
            flush=True,
        )

    print()
    print(f"Canonize on DuckDB: {n:,} Gmail messages ({size / n:,.0f} B each), "
          f"{os.cpu_count()} CPUs, jobs {args.jobs or 'default (the cores)'}")
    print(f"{'scenario':<22}{'records':>10}{'wall s':>9}{'records/s':>12}{'peak MB':>9}")
    for scenario in results.scenarios:
        peak_text = f"{scenario.peak_mb:,.0f}" if scenario.peak_mb is not None else "-"
        print(
            f"{scenario.name:<22}{scenario.records:>10,}{scenario.wall_s:>9.2f}"
            f"{scenario.records / scenario.wall_s:>12,.0f}{peak_text:>9}"
        )
    print()
    if "upsert" in measured and "canonize" in measured:
        results.goal(
            f"canonize within {CANONIZE_LIMIT:g}x of upsert first load (ratio)",
            measured["canonize"] / measured["upsert"],
            CANONIZE_LIMIT,
        )
    if "canonize" in measured and "rerun" in measured:
        results.goal(
            f"canonize no change under {RERUN_SHARE_LIMIT:.0%} of the first run (ratio)",
            measured["rerun"] / measured["canonize"],
            RERUN_SHARE_LIMIT,
        )
    for goal in results.goals:
        print(goal.line())
    return results


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.canonize", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--records", type=int, default=DEFAULT_RECORDS, help="Gmail messages (N)")
    size.add_argument("--quick", action="store_true", help=f"smoke run: N={QUICK_RECORDS:,}")
    parser.add_argument("--jobs", type=int, help="canonize worker processes (default: cores)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write results here")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.records = QUICK_RECORDS
    if args.records < 1:
        parser.error("--records must be at least 1")
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.step:
        out = step(args.step, args.db, args.input, args.jobs)
        sys.stdout.write(orjson.dumps(out).decode() + "\n")
        return 0
    with tempfile.TemporaryDirectory(prefix="lorc-bench-canonize-") as tmp:
        results = run(args, Path(tmp))
    results.write(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
