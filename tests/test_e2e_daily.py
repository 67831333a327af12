"""The whole daily pipeline on sample data, twice: every table filled, then nothing changes.

A real SMTP server on loopback (aiosmtpd) receives the same-day risk alerts: the first run sends
one per PHQ-9 response with item 9 endorsed (or unreadable), the second none. The second run
rewrites no report file.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import ingestor
import sample_data
from tests.support.chromium import dump_dom, screenshot

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow
TABLES = ("raw_objects", "canonical_objects", "measurement_events", "observations")


def lorc(home: Path, data: Path, *args: str,
         extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # Debug-level logs: the third-party loggers must stay quiet even then.
    env = {**os.environ, "LORCHESTRA_HOME": str(home), "LORCHESTRA_SAMPLE_DATA": str(data),
           "LORCHESTRA_LOG_LEVEL": "debug", **(extra_env or {})}
    return subprocess.run([str(BIN / "lorchestra"), *args], capture_output=True, text=True,
                          env=env, timeout=900)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, dict[str, str]]]:
    from aiosmtpd.controller import Controller

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    env = {"LORCHESTRA_SMTP_HOST": "127.0.0.1", "LORCHESTRA_SMTP_PORT": str(port),
           "LORCHESTRA_SMTP_STARTTLS": "false", "LORCHESTRA_REPORT_FROM": "lorc@practice.test",
           "LORCHESTRA_RISK_ALERT_EMAIL": "clinician@practice.test"}
    try:
        yield inbox, env
    finally:
        controller.stop()


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


def test_daily_pipeline_twice(home: Path, tmp_path: Path,
                              smtp: tuple[Inbox, dict[str, str]]) -> None:
    inbox, smtp_env = smtp
    ingestor.install_project()
    data = tmp_path / "sample"
    # As the demo does: the practice's history runs up to today, so this week has reports.
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    manifest = sample_data.generate(data, seed=3, size=150, anchor=tomorrow)

    first = lorc(home, data, "run", "daily", "--json", extra_env=smtp_env)
    assert first.returncode == 0, first.stderr
    assert first.stderr == ""  # nothing but the summary (on stdout): no library warnings
    run = json.loads(first.stdout)
    # 5 ingest, 6 canonize (email, questionnaires, contacts, sessions, reports, stripe),
    # 1 scoring, the risk alerts, 4 reporter steps and the data checks.
    assert run["ok"] and len(run["steps"]) == 18
    assert {s["status"] for s in run["steps"]} == {"completed"}

    # One alert per PHQ-9 response with item 9 endorsed (or unreadable).
    flagged = lorc(home, data, "sql", "SELECT COUNT(*) AS n FROM measurement_events WHERE "
                   "instrument_id = 'phq9' AND COALESCE(SAFE_CAST(JSON_VALUE(flags, "
                   "'$.item9_positive') AS BOOL), TRUE)", "--json")
    endorsed = json.loads(flagged.stdout)[0]["n"]
    assert endorsed > 0 and len(inbox.messages) == endorsed
    assert {m["To"] for m in inbox.messages} == {"clinician@practice.test"}
    assert all("Item 9 answer:" in m.get_content() for m in inbox.messages)

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
    scale_rows = lorc(home, data, "sql", "SELECT COUNT(*) AS n FROM observations "
                      "WHERE kind = 'scale'", "--json")
    with sqlite3.connect(local_db) as con:
        # One row per scale of every scored administration.
        assert con.execute("SELECT COUNT(*) FROM measurement_timeseries").fetchone()[0] == (
            json.loads(scale_rows.stdout)[0]["n"]) > tables["measurement_events"]
        ipip_scales = con.execute(
            "SELECT COUNT(DISTINCT scale_id) FROM measurement_timeseries "
            "WHERE instrument_id = 'ipip_neo_60'").fetchone()[0]
        assert ipip_scales >= 5
    client_files = list((home / "local_views" / "clients").glob("*.md"))
    contacts = sum(f.records for f in manifest.files if f.object_type == "contact")
    assert len(client_files) == contacts
    report_files = list((home / "local_views" / "reports").glob("*.md"))
    assert len(report_files) == by_path["dataverse/dataverse-clinic/report.jsonl"]
    mtimes = {p: p.stat().st_mtime_ns for p in (home / "local_views").rglob("*.md")}
    reports = list((home / "reports").rglob("*.pdf"))
    assert reports and all(p.stat().st_mode & 0o777 == 0o600 for p in reports)
    report_mtimes = {p: p.stat().st_mtime_ns for p in (home / "reports").rglob("*.*")}
    # No report shows a total an instrument does not define.
    for page in (home / "reports").rglob("client_*.html"):
        text = page.read_text()
        for instrument in ("ipip_neo_60", "phlms", "fscrs"):
            marker = f'data-instrument="{instrument}">'
            if marker in text:
                table = text[text.index(marker):]
                assert "total" not in table[: table.index("</table>")].lower(), page.name

    assert not third_party_lines(home)

    second = lorc(home, data, "run", "daily", "--json", extra_env=smtp_env)
    assert second.returncode == 0, second.stderr
    assert second.stderr == ""
    assert len(inbox.messages) == endorsed  # no alert sent twice
    steps = {s["job_id"]: s["counts"] for s in json.loads(second.stdout)["steps"]}
    assert steps["risk_alerts"]["alerts_sent"] == 0
    first_report = {s["job_id"]: s["counts"] for s in run["steps"]}["weekly_report"]
    assert first_report["reports_written"] > 0
    assert steps["weekly_report"]["reports_written"] == 0
    assert steps["weekly_report"]["reports_unchanged"] == first_report["reports_written"]
    assert steps["weekly_report"]["summary_unchanged"] == 1
    assert {p: p.stat().st_mtime_ns for p in (home / "reports").rglob("*.*")} == report_mtimes

    # The FHIR export of the same data: every resource valid against FHIR R4B models.
    export = lorc(home, data, "run-job", "final_form", "export_fhir", "--json")
    assert export.returncode == 0, export.stderr
    (directory,) = (home / "exports" / "fhir").iterdir()
    assert directory.stat().st_mode & 0o777 == 0o700
    from fhir.resources.R4B import get_fhir_model_class

    seen = {}
    for path in sorted(directory.iterdir()):
        assert path.stat().st_mode & 0o777 == 0o600
        lines = path.read_text().splitlines()
        for line in lines:
            resource = json.loads(line)
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        seen[path.name] = len(lines)
    assert seen["Observation.ndjson"] == tables["observations"]
    assert seen["QuestionnaireResponse.ndjson"] == forms
    assert seen["Patient.ndjson"] > 0
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


def test_alerts_off_is_stated_in_the_run_summary_and_status(home: Path, tmp_path: Path) -> None:
    env = {"LORCHESTRA_RISK_ALERT_EMAIL": ""}
    assert lorc(home, tmp_path, "init").returncode == 0
    summary = lorc(home, tmp_path, "run", "risk_alerts", extra_env=env)
    assert summary.returncode == 0, summary.stderr
    assert "risk alerts off: LORCHESTRA_RISK_ALERT_EMAIL is not set" in summary.stdout
    status = lorc(home, tmp_path, "status", extra_env=env)
    # Only risk_alerts ran: every other daily job is overdue, so status says unhealthy (1).
    assert status.returncode == 1 and status.stderr == ""
    assert "risk alerts off" in " ".join(status.stdout.split())
    assert "UNHEALTHY" in status.stdout
