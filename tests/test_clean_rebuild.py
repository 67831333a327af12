"""`lorchestra clean` and `lorchestra rebuild` through the real executable, on a real daily run.

After `run daily` on sample data, `rebuild` empties every derived table and fills it again from
raw_objects: canonical, rejection, measurement and observation tables come back byte for byte,
every column included (rows that come back unchanged keep their write times). `clean --local`
removes the local outputs; `--dry-run` only lists.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import ingestor
import sample_data

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow

DERIVED = {"canonical_objects": "idem_key", "canonical_rejections": "idem_key",
           "measurement_events": "event_key", "observations": "observation_key"}


def lorc(home: Path, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LORCHESTRA_HOME": str(home), "LORCHESTRA_SAMPLE_DATA": str(data)}
    return subprocess.run([str(BIN / "lorchestra"), *args], capture_output=True, text=True,
                          env=env, timeout=900, stdin=subprocess.DEVNULL, check=False)


def snapshot(home: Path) -> dict[str, list[tuple[object, ...]]]:
    with duckdb.connect(str(home / "lorchestra.duckdb"), read_only=True) as db:
        tables = {}
        for table, key in DERIVED.items():
            tables[table] = db.execute(f"SELECT * FROM {table} ORDER BY {key}").fetchall()
        return tables


def test_clean_and_rebuild_reproduce_the_derived_tables(home: Path, tmp_path: Path) -> None:
    ingestor.install_project()
    data = tmp_path / "data"
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    sample_data.generate(data, seed=3, size=60, anchor=tomorrow)
    assert lorc(home, data, "init").returncode == 0
    lorc(home, data, "run", "daily")  # a stale source's freshness check may fail: not our point
    before = snapshot(home)
    assert all(before[t] for t in ("canonical_objects", "measurement_events", "observations"))
    assert (home / "local.db").is_file() and (home / "local_views").is_dir()

    listed = lorc(home, data, "clean", "--derived", "--local", "--dry-run")
    assert listed.returncode == 0, listed.stderr
    for table in DERIVED:
        assert f"would remove table {table}" in listed.stdout
    assert "raw_objects" not in listed.stdout and "event_log" not in listed.stdout
    assert snapshot(home) == before and (home / "local.db").is_file()  # dry run: nothing gone

    cleaned = lorc(home, data, "clean", "--derived")
    assert cleaned.returncode == 0, cleaned.stderr
    assert all(rows == [] for rows in snapshot(home).values())

    lorc(home, data, "rebuild")  # exit 1 when a freshness check fails, as daily's
    after = snapshot(home)
    assert after == before  # byte for byte, row for row
    with duckdb.connect(str(home / "lorchestra.duckdb"), read_only=True) as db:
        raw_runs = db.execute("SELECT COUNT(*) FROM event_log WHERE event_type = 'job.started' "
                              "AND source_system = 'ingester'").fetchone()
        side_tables = db.execute("SELECT table_name FROM information_schema.tables "
                                 "WHERE table_name LIKE '_lorchestra_rebuild_%'").fetchall()
    assert raw_runs is not None and raw_runs[0] == 5  # the rebuild ran no ingestion
    assert side_tables == []  # the kept write times are back in place and their copy gone

    local = lorc(home, data, "clean", "--local")
    assert local.returncode == 0, local.stderr
    assert not (home / "local.db").exists() and not (home / "local_views").exists()
    assert not (home / "reports").exists()
    assert lorc(home, data, "clean").returncode == 2  # nothing said: a usage error
