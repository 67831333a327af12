"""The whole daily pipeline on sample data, twice: every table filled, then nothing changes."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

import ingestor
import sample_data
from tests.support.chromium import dump_dom, screenshot

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow
TABLES = ("raw_objects", "canonical_objects", "measurement_events", "observations")


def lorc(home: Path, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Debug-level logs: the third-party loggers must stay quiet even then.
    env = {**os.environ, "LORCHESTRA_HOME": str(home), "LORCHESTRA_SAMPLE_DATA": str(data),
           "LORCHESTRA_LOG_LEVEL": "debug"}
    return subprocess.run([str(BIN / "lorchestra"), *args], capture_output=True, text=True,
                          env=env, timeout=900)


def counts(home: Path, data: Path) -> dict[str, int]:
    out = {}
    for table in TABLES:
        result = lorc(home, data, "sql", f"SELECT COUNT(*) AS n FROM {table}", "--json")
        out[table] = json.loads(result.stdout)[0]["n"]
    return out


def third_party_lines(home: Path) -> list[dict[str, str]]:
    """Log lines from fontTools, WeasyPrint, matplotlib, urllib3 or PIL below WARNING."""
    text = (home / "logs" / "lorchestra.jsonl").read_text()
    lines = [json.loads(line) for line in text.splitlines()]
    assert any(line.get("logger", "").startswith("lorchestra") for line in lines)
    quiet = ("fontTools", "weasyprint", "matplotlib", "urllib3", "PIL")
    return [
        line for line in lines
        if line.get("logger", "").split(".")[0] in quiet
        and line.get("level") not in ("warning", "error", "critical")
    ]


def test_daily_pipeline_twice(home: Path, tmp_path: Path) -> None:
    ingestor.install_project()
    data = tmp_path / "sample"
    manifest = sample_data.generate(data, seed=3, size=150)

    first = lorc(home, data, "run", "daily", "--json")
    assert first.returncode == 0, first.stderr
    assert first.stderr == ""  # nothing but the summary (on stdout): no library warnings
    run = json.loads(first.stdout)
    assert run["ok"] and len(run["steps"]) == 16
    assert {s["status"] for s in run["steps"]} == {"completed"}

    tables = counts(home, data)
    assert tables["raw_objects"] == manifest.total_records
    forms = sum(f.records for f in manifest.files if f.source_system == "google_forms")
    sessions = sum(f.records for f in manifest.files if f.object_type == "clinical_session")
    # raw objects become one canonical object each, sessions four (session + three documents).
    assert tables["canonical_objects"] == manifest.total_records + 3 * sessions
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
    mtimes = {p: p.stat().st_mtime_ns for p in (home / "local_views").rglob("*.md")}
    reports = list((home / "reports").rglob("*.pdf"))
    assert reports and all(p.stat().st_mode & 0o777 == 0o600 for p in reports)

    assert not third_party_lines(home)

    second = lorc(home, data, "run", "daily", "--json")
    assert second.returncode == 0, second.stderr
    assert second.stderr == ""
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
    assert steps["data_checks"]["failed"] == 0
    assert lorc(home, data, "status").returncode == 0

    # The dashboard, in a real browser, has every job of the last run on it.
    page = home / "dashboard" / "index.html"
    dom = dump_dom(page, tmp_path / "profile")
    shown = set(re.findall(r'<tr class="job" data-job="([^"]+)"', dom))
    assert set(steps) <= shown
    assert "healthy: " in dom and 'id="checks"' in dom
    assert not re.search(r"""(src|href)=["']?https?:""", page.read_text())  # no network
    with Image.open(screenshot(page, tmp_path / "dashboard.png")) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 20  # text, badges, charts

    # Lineage of a scored measurement names its raw object and the run that ingested it.
    key = json.loads(lorc(home, data, "sql", "SELECT event_key FROM measurement_events "
                          "ORDER BY occurred_at DESC LIMIT 1", "--json").stdout)[0]["event_key"]
    lineage = lorc(home, data, "lineage", key, "--json")
    assert lineage.returncode == 0, lineage.stderr
    chain = json.loads(lineage.stdout)
    assert [n["table"] for n in chain["chain"]] == [
        "measurement_events", "canonical_objects", "raw_objects"]
    raw = chain["chain"][-1]
    assert key.startswith(raw["key"] + "#") and raw["connection_name"].startswith("forms-")
    assert chain["ingest_run"]["connection_name"] == raw["connection_name"]
    assert chain["derived"]["observations"]["count"] > 0
    text = lorc(home, data, "lineage", key).stdout
    assert f"raw_objects {raw['key']}" in text

    # A measurement deleted under its observations: the data checks say so and fail.
    lorc(home, data, "sql", f"DELETE FROM measurement_events WHERE event_key = '{key}'",
         "--write")
    check = lorc(home, data, "check", "--json")
    assert check.returncode == 1
    results = {c["name"]: c for c in json.loads(check.stdout)["checks"]}
    assert results["reference:observations.event_key"]["count"] == (
        chain["derived"]["observations"]["count"])
    assert lorc(home, data, "status").returncode == 1
