"""``python -m benchmarks.canonize [--records N]``: the canonize job against the bare transform.

Loads N synthetic Gmail messages (format=full) into ``raw_objects`` of a fresh DuckDB file,
then measures, in this one run: the bare transform (``canonizer.canonize``, validation included)
over the same records (the floor); the ``canonicalize_email`` job (incremental selection, batch
reads, validation, batched upsert with lineage); and a no-change re-run of the job. Goals: the
job within 1.5x of the floor, the re-run under 5% of the first run. Peak memory is this
process's resident high-water mark. Always exits 0.

The default N is 20,000, not 100,000: the Gmail transform itself runs at a few hundred records
a second on two cores (MIME header parsing and JSON Schema validation), so 100,000 takes minutes
per scenario; pass ``--records 100000`` for the full size.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import canonizer
import sample_data
from canonizer.jobs import canonicalize_email
from lorchestra.stack_clients.event_client import upsert_objects
from lorchestra.warehouse import installed_tables
from lorchestra.warehouse.duckdb_backend import DuckDBWarehouse

REF = "email/gmail_to_jmap_lite@1.0.0"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.canonize", description=__doc__)
    parser.add_argument("--records", type=int, default=20_000, help="Gmail messages (N)")
    args = parser.parse_args(argv)
    records = list(sample_data.iter_records("gmail", "gmail-acct1", "email", count=args.records))
    with tempfile.TemporaryDirectory(prefix="lorc-bench-canonize-") as tmp:
        warehouse = DuckDBWarehouse(Path(tmp) / "bench.duckdb")
        warehouse.ensure_tables(installed_tables().values())
        upsert_objects(
            warehouse,
            records,
            source_system="gmail",
            connection_name="gmail-acct1",
            object_type="email",
            external_id="id",
            emit_event=False,
        )

        # The floor: the transform with its validation, compiled once, over the same records.
        started = time.perf_counter()
        outcomes = sum(1 for outcome in canonizer.canonize(REF, records) if outcome.ok)
        floor_s = time.perf_counter() - started
        assert outcomes == len(records)

        started = time.perf_counter()
        first = canonicalize_email(warehouse)
        job_s = time.perf_counter() - started

        started = time.perf_counter()
        again = canonicalize_email(warehouse)
        rerun_s = time.perf_counter() - started
        warehouse.close()

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n = args.records
    print(f"{'what':<40}{'wall s':>9}{'records/s':>12}")
    for label, seconds in (
        ("bare transform in a loop (floor)", floor_s),
        ("canonicalize_email job, first run", job_s),
        ("canonicalize_email job, no-change re-run", rerun_s),
    ):
        print(f"{label:<40}{seconds:>9.2f}{n / seconds:>12,.0f}")
    print(f"first run: {first}")
    print(f"re-run:    {again}")
    print(f"peak resident set: {peak_mb:,.0f} MB")
    ratio, share = job_s / floor_s, rerun_s / job_s
    print(
        f"{'PASS' if ratio <= 1.5 else 'MISS'} job within 1.5x of the bare transform: {ratio:.2f}x"
    )
    print(
        f"{'PASS' if share < 0.05 else 'MISS'} no-change re-run under 5% of the first run: "
        f"{share:.1%}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
