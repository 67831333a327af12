"""The whole daily pipeline on sample data, twice: every table filled, then nothing changes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import ingestor
import sample_data

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow
TABLES = ("raw_objects", "canonical_objects", "measurement_events", "observations")


def lorc(home: Path, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LORCHESTRA_HOME": str(home), "LORCHESTRA_SAMPLE_DATA": str(data)}
    return subprocess.run([str(BIN / "lorchestra"), *args], capture_output=True, text=True,
                          env=env, timeout=900)


def counts(home: Path, data: Path) -> dict[str, int]:
    out = {}
    for table in TABLES:
        result = lorc(home, data, "sql", f"SELECT COUNT(*) AS n FROM {table}", "--json")
        out[table] = json.loads(result.stdout)[0]["n"]
    return out


def test_daily_pipeline_twice(home: Path, tmp_path: Path) -> None:
    ingestor.install_project()
    data = tmp_path / "sample"
    manifest = sample_data.generate(data, seed=3, size=150)

    first = lorc(home, data, "run", "daily", "--json")
    assert first.returncode == 0, first.stderr
    run = json.loads(first.stdout)
    # 5 ingest, 6 canonize (email, questionnaires, contacts, sessions, reports, stripe),
    # 1 scoring, 4 reporter steps.
    assert run["ok"] and len(run["steps"]) == 16
    assert {s["status"] for s in run["steps"]} == {"completed"}

    tables = counts(home, data)
    assert tables["raw_objects"] == manifest.total_records
    forms = sum(f.records for f in manifest.files if f.source_system == "google_forms")
    sessions = sum(f.records for f in manifest.files if f.object_type == "clinical_session")
    # raw objects become one canonical object each, sessions four (session + three documents).
    assert tables["canonical_objects"] == manifest.total_records + 3 * sessions
    by_path = {f.path: f.records for f in manifest.files}
    assert by_path["dataverse/dataverse-clinic/report.jsonl"] > 0
    assert len({f.connection_name for f in manifest.files if f.source_system == "exchange"}) == 3
    assert len({f.connection_name for f in manifest.files
                if f.source_system == "google_forms"}) == 4
    assert tables["measurement_events"] >= 2 * forms > 0
    assert tables["observations"] > tables["measurement_events"]

    local_db = home / "local.db"
    assert local_db.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(local_db) as con:
        assert con.execute("SELECT COUNT(*) FROM measurement_timeseries").fetchone()[0] == (
            tables["measurement_events"])
    client_files = list((home / "local_views" / "clients").glob("*.md"))
    contacts = sum(f.records for f in manifest.files if f.object_type == "contact")
    assert len(client_files) == contacts
    report_files = list((home / "local_views" / "reports").glob("*.md"))
    assert len(report_files) == by_path["dataverse/dataverse-clinic/report.jsonl"]
    mtimes = {p: p.stat().st_mtime_ns for p in (home / "local_views").rglob("*.md")}
    reports = list((home / "reports").rglob("*.pdf"))
    assert reports and all(p.stat().st_mode & 0o777 == 0o600 for p in reports)

    second = lorc(home, data, "run", "daily", "--json")
    assert second.returncode == 0, second.stderr
    steps = {s["job_id"]: s["counts"] for s in json.loads(second.stdout)["steps"]}
    for job_id in ("ingest_gmail", "ingest_exchange", "ingest_forms", "ingest_dataverse",
                   "ingest_stripe"):
        assert steps[job_id]["inserted"] == steps[job_id]["updated"] == 0
        assert steps[job_id]["unchanged"] == steps[job_id]["read"] > 0
    assert all(steps[j]["processed"] == 0 for j in steps if j.startswith("canonize_"))
    assert steps["score_measurements"]["responses"] == 0
    assert steps["project_files"]["written"] == 0
    assert counts(home, data) == tables
    assert {p: p.stat().st_mtime_ns for p in (home / "local_views").rglob("*.md")} == mtimes
