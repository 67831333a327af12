"""Namespaced runs (the seeds' --test-table): `run daily --namespace t1` writes only its own
schema and `<home>/namespaces/t1/`; `clean --namespace t1` removes every trace of it.
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
TABLES = ("event_log", "raw_objects", "canonical_objects", "measurement_events", "observations")


def lorc(home: Path, data: Path, *args: str,
         namespace: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LORCHESTRA_HOME": str(home), "LORCHESTRA_SAMPLE_DATA": str(data)}
    if namespace:
        env["LORCHESTRA_NAMESPACE"] = namespace
    return subprocess.run([str(BIN / "lorchestra"), *args], capture_output=True, text=True,
                          env=env, timeout=900, stdin=subprocess.DEVNULL, check=False)


def contents(home: Path, schema: str = "main") -> dict[str, list[tuple[object, ...]]]:
    with duckdb.connect(str(home / "lorchestra.duckdb"), read_only=True) as db:
        return {t: sorted(db.execute(f"SELECT * FROM {schema}.{t}").fetchall(), key=repr)
                for t in TABLES}


def schemas(home: Path) -> set[str]:
    with duckdb.connect(str(home / "lorchestra.duckdb"), read_only=True) as db:
        return {r[0] for r in db.execute("SELECT schema_name FROM information_schema.schemata "
                                         "WHERE catalog_name = 'lorchestra'").fetchall()}


def test_a_namespaced_daily_leaves_the_default_alone_and_cleans_away(
        home: Path, tmp_path: Path) -> None:
    ingestor.install_project()
    data = tmp_path / "data"
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    sample_data.generate(data, seed=3, size=40, anchor=tomorrow)
    assert lorc(home, data, "init").returncode == 0
    # The default tables hold one ingested source; the namespace gets the whole day.
    first = lorc(home, data, "run-job", "ingester", "extract_gmail", "--account", "acct1")
    assert first.returncode == 0, first.stderr
    before = contents(home)
    local_before = sorted(p.relative_to(home) for p in home.rglob("*")
                          if "logs" not in p.parts and p.name != "lorchestra.duckdb")

    lorc(home, data, "run", "daily", "--namespace", "t1")  # freshness may fail: not the point
    assert contents(home) == before  # the default tables untouched, row for row
    scoped = contents(home, "t1")
    assert scoped["raw_objects"] and scoped["measurement_events"] and scoped["observations"]
    space = home / "namespaces" / "t1"
    assert (space / "local.db").is_file() and (space / "local_views").is_dir()
    assert not (home / "local.db").exists()  # local outputs only in the namespace
    # Reads come from the same namespace.
    counted = lorc(home, data, "sql", "--json", "SELECT COUNT(*) AS n FROM raw_objects",
                   namespace="t1")
    assert counted.returncode == 0, counted.stderr
    assert f'"n": {len(scoped["raw_objects"])}' in counted.stdout

    listed = lorc(home, data, "clean", "--namespace", "t1", "--dry-run")
    assert listed.returncode == 0 and "would remove schema t1" in listed.stdout
    assert "t1" in schemas(home) and space.exists()
    cleaned = lorc(home, data, "clean", "--namespace", "t1")
    assert cleaned.returncode == 0, cleaned.stderr
    assert "t1" not in schemas(home) and not space.exists()
    assert contents(home) == before
    local_after = sorted(p.relative_to(home) for p in home.rglob("*")
                         if "logs" not in p.parts and p.name != "lorchestra.duckdb")
    assert local_after == local_before  # not even an empty namespaces/ folder
