"""``python -m benchmarks [--records N | --quick] [--records-large M] [--json FILE] [--profile]
[--skip-dlt]``.

Writes N synthetic Gmail messages to NDJSON once, then measures, each scenario in a fresh
child process: the floor (DuckDB ``read_ndjson_objects`` + one MERGE), lorchestra's
``upsert_ndjson`` (the ingester's load of an extract: worker processes parse the file) and dlt's
``merge``, on a first load, an unchanged re-load and a load where half the keys are new. With
``--records-large M`` also lorchestra's first load of M records (``upsert 1M`` at a million)
from a file written for it: its peak memory (with its workers') and its records/s against the
N-record first load's. Prints a table and PASS/MISS goal lines; always
exits 0.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.data import write_inputs
from benchmarks.report import document_results, goals, large_goals, table
from benchmarks.runner import (
    SCENARIO_LABELS,
    Measurement,
    median_of,
    run_child,
    run_engine,
    run_large,
    run_memory_probe,
)

DEFAULT_RECORDS = 100_000
QUICK_RECORDS = 10_000


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--records", type=int, default=DEFAULT_RECORDS, help="input size N")
    size.add_argument("--quick", action="store_true", help=f"smoke run: N={QUICK_RECORDS:,}")
    parser.add_argument(
        "--records-large",
        type=int,
        default=0,
        metavar="M",
        help="also a lorchestra first load of M records (make bench: 1000000); 0 skips it",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write results here")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="K",
        help="run floor and lorchestra K times and report medians (dlt runs once)",
    )
    parser.add_argument("--skip-dlt", action="store_true", help="leave out the dlt peer")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile one lorchestra first load with cProfile and print the top costs",
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep inputs and databases here (default: a temp dir)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.records = QUICK_RECORDS
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.records < 2:
        parser.error("--records must be at least 2")
    if args.records_large < 0:
        parser.error("--records-large must be 0 (skip) or more")
    return args


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def progress(measurement: Measurement) -> None:
    label = f"{measurement.engine} / {SCENARIO_LABELS[measurement.scenario]}"
    if measurement.error:
        say(f"  {label}: ERROR {measurement.error}")
    else:
        peak = f"{measurement.peak_mb:,.0f} MB" if measurement.peak_mb is not None else "?"
        say(f"  {label}: {measurement.seconds or 0:.2f} s, peak {peak}")


def run(args: argparse.Namespace, workdir: Path) -> int:
    started = time.perf_counter()
    n: int = args.records
    say(f"Writing {n:,} synthetic Gmail messages to NDJSON in {workdir} ...")
    base, halfnew, size = write_inputs(workdir, n)
    say(f"  {size / n:,.0f} bytes per record, {size / 2**20:,.1f} MiB")

    results: list[Measurement] = []
    engines = ["floor", "lorchestra"]
    dlt_missing = importlib.util.find_spec("dlt") is None
    if not args.skip_dlt and not dlt_missing:
        engines.append("dlt")
    for engine in engines:
        rounds = 1 if engine == "dlt" else args.repeat
        collected: dict[str, list[Measurement]] = {}
        for number in range(1, rounds + 1):
            say(f"{engine}" + (f" (round {number} of {rounds})" if rounds > 1 else "") + ":")
            found = run_engine(engine, workdir, base, halfnew, log=progress, round=number)
            if engine == "lorchestra":
                found.append(run_memory_probe(engine, workdir, base, n // 2, progress, number))
            for measurement in found:
                collected.setdefault(measurement.scenario, []).append(measurement)
        results.extend(median_of(group) for group in collected.values())
    if not args.skip_dlt and dlt_missing:
        for scenario in ("first", "reload", "halfnew"):
            results.append(
                Measurement(
                    "dlt",
                    scenario,
                    error="dlt is not installed (uv pip install 'dlt[duckdb]' into the venv)",
                )
            )

    large = None
    if args.records_large:
        say(f"lorchestra, first load of {args.records_large:,} records (written to a file first):")
        large = run_large(workdir, args.records_large, progress)
    goal_list = goals(results, n) + large_goals(results, large)
    print()
    print(
        f"Write path on DuckDB: {n:,} Gmail messages ({size / n:,.0f} B each), "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {_versions()}"
    )
    print(
        "wall s: open, read the NDJSON, write, commit, close; peak MB: a fresh process per "
        "scenario, its VmHWM or, with worker processes, the largest sampled sum of their RSS"
    )
    print()
    print(table(results + ([large] if large is not None else [])))
    print()
    for goal in goal_list:
        print(goal.line())

    if args.profile:
        print()
        print(profile_first_load(workdir, base))

    total = time.perf_counter() - started
    print()
    print(f"Total benchmark time: {total:.0f} s")
    document_results(results, large, n).write(args.json)
    return 0


def profile_first_load(workdir: Path, base: Path) -> str:
    """cProfile one lorchestra first load in a child; returns the top of its report."""
    directory = workdir / "profile"
    directory.mkdir()
    stats = directory / "first_load.pstats"
    measurement = run_child(
        "lorchestra", "first", directory / "warehouse.duckdb", base, profile=stats
    )
    if measurement.error:
        return f"Profile failed: {measurement.error}"
    text = Path(str(stats) + ".txt").read_text(encoding="utf-8")
    return (
        f"cProfile of one lorchestra first load ({measurement.seconds or 0:.2f} s under the "
        f"profiler; full stats in {stats}):\n{text}"
    )


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in ("duckdb", "pyarrow", "orjson", "dlt"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            continue
    return ", ".join(found)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        if any(args.workdir.iterdir()):
            say(f"--workdir {args.workdir} must be empty")
            return 0
        return run(args, args.workdir.resolve())
    with tempfile.TemporaryDirectory(prefix="lorchestra-bench-") as tmp:
        return run(args, Path(tmp))


if __name__ == "__main__":
    raise SystemExit(main())
