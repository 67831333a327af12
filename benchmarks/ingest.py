"""``python -m benchmarks.ingest [--records N]``: what lorchestra adds on top of Meltano.

Writes N synthetic Gmail messages (the shared generator) to a JSONL file, then measures, in
this one run: (1) the Meltano run alone (``meltano run tap-gmail-sample target-jsonl`` through
the ingestor); (2) lorchestra's part on that output: the ingester's load, ``upsert_ndjson``
(worker processes), into a fresh DuckDB file, with backups, in a run context; and (3) the whole
ingester job end to end, for reference. lorchestra's share is (2) / ((1) + (2)), measured
directly rather than as a difference of two noisy wall times; the goal is under 30%.
Peak memory is the largest resident set among this process and its children. Always exits 0.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import orjson

import ingestor
import sample_data
from lorchestra.config import load_settings
from lorchestra.connections import Connection
from lorchestra.jobs.ingester import ingest_connection
from lorchestra.run_context import RunContext, new_run_id, running
from lorchestra.stack_clients.ndjson_upsert import upsert_ndjson
from lorchestra.warehouse import installed_tables
from lorchestra.warehouse.duckdb_backend import DuckDBWarehouse

GOAL_SHARE = 0.30


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ingest", description=__doc__)
    parser.add_argument("--records", type=int, default=100_000, help="Gmail messages (N)")
    args = parser.parse_args(argv)
    ingestor.install_project()
    with tempfile.TemporaryDirectory(prefix="lorc-bench-ingest-") as tmp:
        work = Path(tmp)
        source = work / "email.jsonl"
        with source.open("wb") as out:
            for record in sample_data.iter_records(
                "gmail", "gmail-acct1", "email", count=args.records
            ):
                out.write(orjson.dumps(record) + b"\n")
        size_mb = source.stat().st_size / 1e6
        print(f"input: {args.records:,} Gmail messages, {size_mb:.0f} MB", flush=True)

        started = time.perf_counter()
        path = ingestor.extract_to_jsonl(
            "tap-gmail-sample",
            "meltano-alone",
            config={"path": str(source)},
            output_root=work / "alone",
        )
        meltano_s = time.perf_counter() - started

        home = work / "home"
        home.mkdir(mode=0o700)
        settings = load_settings(environ={"LORCHESTRA_HOME": str(home)})
        loaded = DuckDBWarehouse(home / "load.duckdb")
        loaded.ensure_tables(installed_tables().values())
        started = time.perf_counter()
        with running(RunContext(new_run_id(), home=home, settings=settings)):
            upsert_ndjson(
                loaded,
                path,
                source_system="gmail",
                connection_name="bench",
                object_type="email",
                external_id="id",
                strip_sdc=True,
            )
        loaded.close()
        lorchestra_s = time.perf_counter() - started
        path.unlink()

        connection = Connection(
            key="bench/email",
            source_system="gmail",
            connection_name="bench",
            object_type="email",
            tap="tap-gmail-sample",
            external_id="id",
            settings={"path": str(source)},
        )
        warehouse = DuckDBWarehouse(home / "bench.duckdb")
        warehouse.ensure_tables(installed_tables().values())
        context = RunContext(new_run_id(), home=home, settings=settings)
        started = time.perf_counter()
        with running(context):
            counts = ingest_connection(warehouse, settings, connection, full_refresh=True)
        warehouse.close()
        whole_s = time.perf_counter() - started

    peak_mb = (
        max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        / 1024
    )
    share = lorchestra_s / (meltano_s + lorchestra_s)
    print(f"{'what':<40}{'wall s':>9}{'records/s':>12}")
    for label, seconds in (
        ("Meltano run alone", meltano_s),
        ("lorchestra's load of its output", lorchestra_s),
        ("whole ingester job (for reference)", whole_s),
    ):
        print(f"{label:<40}{seconds:>9.2f}{args.records / seconds:>12,.0f}")
    print(f"counts: {counts}")
    print(f"peak resident set (largest process): {peak_mb:,.0f} MB")
    verdict = "PASS" if share < GOAL_SHARE else "MISS"
    print(f"{verdict} lorchestra's share of the ingest time {share:.0%} (goal < {GOAL_SHARE:.0%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
