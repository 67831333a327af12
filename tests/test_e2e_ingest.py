"""Ingestion end to end: real Meltano runs through the real ``lorchestra`` executable.

Sample data from the shared generator feeds the sample extractors; then the canonizer and
final_form jobs turn it into canonical objects and scored measurements.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import ingestor
import sample_data

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def meltano_project() -> Path:
    return ingestor.install_project()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    out = tmp_path / "sample"
    sample_data.generate(out, seed=11, size=120)
    return out


def lorc(home: Path, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LORCHESTRA_HOME": str(home), "LORCHESTRA_SAMPLE_DATA": str(data)}
    return subprocess.run(
        [str(BIN / "lorchestra"), *args], capture_output=True, text=True, env=env, timeout=300
    )


def sql(home: Path, data: Path, statement: str) -> list[dict[str, object]]:
    out = lorc(home, data, "sql", statement, "--json")
    assert out.returncode == 0, out.stderr
    rows: list[dict[str, object]] = json.loads(out.stdout)
    return rows


def manifest_count(data: Path, connection: str) -> int:
    files = json.loads((data / "manifest.json").read_text())["files"]
    return sum(f["records"] for f in files if f["connection_name"] == connection)


def test_extract_gmail_account_lands_every_record_once(
    meltano_project: Path, home: Path, data: Path
) -> None:
    first = lorc(
        home,
        data,
        "run-job",
        "ingester",
        "extract_gmail",
        "--account",
        "acct1",
        "--since",
        "-30d",
        "--json",
    )
    assert first.returncode == 0, first.stderr
    expected = manifest_count(data, "gmail-acct1")
    counts = json.loads(first.stdout)["counts"]
    assert counts["read"] == counts["inserted"] == expected > 0
    rows = sql(home, data, "SELECT connection_name, COUNT(*) AS n FROM raw_objects GROUP BY 1")
    assert rows == [{"connection_name": "gmail-acct1", "n": expected}]
    events = sql(home, data, "SELECT event_type FROM event_log ORDER BY created_at")
    assert [e["event_type"] for e in events] == [
        "job.started",
        "ingest.started",
        "ingest.completed",
        "job.completed",
    ]

    again = lorc(home, data, "run-job", "ingester", "extract_gmail", "--account", "acct1", "--json")
    assert json.loads(again.stdout)["counts"]["unchanged"] == expected
    windows = sql(home, data, "SELECT JSON_VALUE(payload, '$.window_start') AS start, "
                              "JSON_VALUE(payload, '$.window_end') AS end_ FROM event_log "
                              "WHERE event_type = 'ingest.completed' ORDER BY created_at")
    # Resumed where the last run ended, less the default overlap of an hour.
    resumed = datetime.fromisoformat(windows[1]["start"].replace("Z", "+00:00"))
    ended = datetime.fromisoformat(windows[0]["end_"].replace("Z", "+00:00"))
    assert ended - resumed == timedelta(hours=1)
    full = lorc(home, data, "run-job", "ingester", "extract_gmail", "--account", "acct1",
                "--full-refresh", "--json")
    assert full.returncode == 0, full.stderr
    starts = sql(home, data, "SELECT JSON_VALUE(payload, '$.window_start') AS start "
                             "FROM event_log WHERE event_type = 'ingest.started' "
                             "ORDER BY created_at DESC LIMIT 1")
    assert starts == [{"start": None}]
    assert not list((home / "extract").rglob("*.jsonl"))  # extracts do not linger


def test_bad_records_are_quarantined_and_strict_fails(
    meltano_project: Path, home: Path, data: Path
) -> None:
    path = data / "stripe" / "stripe-practice" / "refund.jsonl"
    lines = path.read_text().splitlines()
    lines.insert(1, '{"object": "refund", "amount": 5, "id": ""}')
    lines.append('{"object": "refund", "amount": 100, "note": "CANARY-no-id"}')
    path.write_text("\n".join(lines) + "\n")
    result = lorc(
        home,
        data,
        "run-job",
        "ingester",
        "extract",
        "--connection",
        "stripe-practice/refund",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    assert "2 record(s) were rejected; where they are: lorchestra runs show " in result.stderr
    counts = json.loads(result.stdout)["counts"]
    shown = lorc(home, data, "runs", "show", json.loads(result.stdout)["run_id"], "--json")
    assert "quarantine/" in shown.stdout  # the run's events name the quarantine file
    assert counts["rejected"] == 2 and counts["inserted"] == len(lines) - 2
    quarantined = list((home / "quarantine").rglob("*.jsonl"))
    assert len(quarantined) == 1 and quarantined[0].stat().st_mode & 0o077 == 0
    entries = [json.loads(x) for x in quarantined[0].read_text().splitlines()]
    assert sorted(e["line"] for e in entries) == [2, len(lines)]
    assert any("CANARY-no-id" in (e["raw"] or "") for e in entries)
    logs = "".join(p.read_text() for p in (home / "logs").iterdir())
    events = json.dumps(sql(home, data, "SELECT * FROM event_log"))
    assert "CANARY" not in logs and "CANARY" not in events
    # A pipeline run says the same, once, after its summary.
    piped = lorc(home, data, "run", "ingest_stripe")
    assert piped.returncode == 0, piped.stderr
    assert "2 record(s) were rejected; where they are: lorchestra runs show " in piped.stderr
    strict = lorc(
        home,
        data,
        "run-job",
        "ingester",
        "extract",
        "--connection",
        "stripe-practice/refund",
        "--strict",
    )
    assert strict.returncode == 1


def test_tap_failure_fails_the_run_and_writes_nothing(
    meltano_project: Path, home: Path, data: Path
) -> None:
    path = data / "gmail" / "gmail-acct2" / "email.jsonl"
    path.unlink()
    path.mkdir()  # the tap cannot read it: its Meltano run fails
    result = lorc(home, data, "run-job", "ingester", "extract_gmail", "--account", "acct2")
    assert result.returncode == 1
    assert "Extraction for gmail-acct2/email failed" in result.stderr
    assert sql(home, data, "SELECT COUNT(*) AS n FROM raw_objects") == [{"n": 0}]
    failed = sql(home, data, "SELECT status FROM event_log WHERE event_type = 'ingest.failed'")
    assert failed == [{"status": "failed"}]


def test_unknown_account_is_a_usage_error(home: Path, data: Path) -> None:
    result = lorc(home, data, "run-job", "ingester", "extract_gmail", "--account", "nope")
    assert result.returncode == 2
    assert "No connection matches 'nope'" in result.stderr and "gmail-acct1/email" in result.stderr


def test_forms_through_canonize_and_score(meltano_project: Path, home: Path, data: Path) -> None:
    assert lorc(home, data, "run-job", "ingester", "extract_forms").returncode == 0
    canon = lorc(home, data, "run-job", "canonizer", "canonicalize_questionnaires", "--json")
    assert canon.returncode == 0, canon.stderr
    responses = (
        manifest_count(data, "forms-intake")
        + manifest_count(data, "forms-followup")
        + manifest_count(data, "forms-wellbeing")
        + manifest_count(data, "forms-discharge")
    )
    assert json.loads(canon.stdout)["counts"]["inserted"] == responses
    scored = lorc(home, data, "run-job", "final_form", "score_measurements", "--json")
    assert scored.returncode == 0, scored.stderr
    counts = json.loads(scored.stdout)["counts"]
    expected_events = 2 * (
        manifest_count(data, "forms-intake")
        + manifest_count(data, "forms-followup")
        + manifest_count(data, "forms-discharge")
    ) + 4 * manifest_count(data, "forms-wellbeing")
    assert counts["events_inserted"] == expected_events
    rows = sql(home, data, "SELECT COUNT(*) AS n FROM measurement_events")
    assert rows == [{"n": expected_events}]
    bands = sql(
        home,
        data,
        "SELECT DISTINCT band FROM measurement_events "
        "WHERE instrument_id = 'phq9' AND band IS NOT NULL",
    )
    assert {b["band"] for b in bands} <= {
        "minimal",
        "mild",
        "moderate",
        "moderately severe",
        "severe",
    }
    again = lorc(home, data, "run-job", "final_form", "score_measurements", "--json")
    assert json.loads(again.stdout)["counts"]["responses"] == 0
    recanon = lorc(home, data, "run-job", "canonizer", "canonicalize_questionnaires", "--json")
    assert json.loads(recanon.stdout)["counts"]["processed"] == 0


def test_one_failing_connection_never_stops_the_others(
    meltano_project: Path, home: Path, data: Path
) -> None:
    # A source file the tap cannot read fails that connection's Meltano run.
    path = data / "google_forms" / "forms-followup" / "form_response.jsonl"
    path.unlink()
    path.mkdir()
    result = lorc(home, data, "run-job", "ingester", "extract_forms")
    assert result.returncode == 1
    message = result.stderr.strip().splitlines()[-1]
    assert "Extraction failed for 1 of 4 connections: forms-followup/form_response (" in message
    assert "loaded: forms-discharge/form_response (read " in message
    assert "forms-intake/form_response (read " in message
    loaded = sql(home, data, "SELECT connection_name, COUNT(*) AS n FROM raw_objects "
                             "GROUP BY connection_name ORDER BY connection_name")
    assert loaded == [
        {"connection_name": name, "n": manifest_count(data, name)}
        for name in ("forms-discharge", "forms-intake", "forms-wellbeing")
    ]
    outcomes = sql(home, data, "SELECT connection_name, event_type FROM event_log WHERE "
                               "event_type IN ('ingest.completed', 'ingest.failed') "
                               "ORDER BY connection_name")
    assert outcomes == [
        {"connection_name": "forms-discharge", "event_type": "ingest.completed"},
        {"connection_name": "forms-followup", "event_type": "ingest.failed"},
        {"connection_name": "forms-intake", "event_type": "ingest.completed"},
        {"connection_name": "forms-wellbeing", "event_type": "ingest.completed"},
    ]


def quarantine_entries(home: Path) -> list[dict[str, object]]:
    return [json.loads(line) for path in sorted((home / "quarantine").rglob("*.jsonl"))
            for line in path.read_text().splitlines()]


def test_every_line_of_a_sample_file_is_loaded_or_quarantined(
    meltano_project: Path, home: Path, data: Path
) -> None:
    path = data / "google_forms" / "forms-intake" / "form_response.jsonl"
    lines = path.read_text().splitlines()
    good = len(lines)
    lines[1:1] = ["not json at all", '{"responseId": "r-trunc", ']
    lines.append('["an", "array"]')
    path.write_text("\n".join(lines) + "\n")
    result = lorc(home, data, "run-job", "ingester", "extract", "--connection",
                  "forms-intake/form_response", "--json")
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)["counts"]
    assert (counts["read"], counts["inserted"], counts["rejected"]) == (good + 3, good, 3)
    entries = quarantine_entries(home)
    assert [(e["line"], e["reason"]) for e in entries] == [
        (2, "not JSON"), (3, "not JSON"), (len(lines), "not an object")]
    assert entries[0]["raw"] == "not json at all"


def test_a_record_breaking_the_declared_schema_costs_only_itself(
    meltano_project: Path, home: Path, data: Path
) -> None:
    path = data / "google_forms" / "forms-intake" / "form_response.jsonl"
    lines = path.read_text().splitlines()
    good = len(lines)
    embedded = json.loads(lines[0]) | {"responseId": "bad-answer"}
    embedded["answers"] = {"q1": "CANARY-answer-text"}  # the schema says each answer is an object
    stringly = json.loads(lines[1]) | {"responseId": "bad-score", "totalScore": "CANARY-12"}
    lines[2:2] = [json.dumps(embedded), json.dumps(stringly)]
    path.write_text("\n".join(lines) + "\n")
    result = lorc(home, data, "run-job", "ingester", "extract", "--connection",
                  "forms-intake/form_response", "--json")
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)["counts"]
    assert (counts["read"], counts["inserted"], counts["rejected"]) == (good + 2, good, 2)
    entries = quarantine_entries(home)
    assert [(e["line"], e["reason"]) for e in entries] == [
        (3, "schema: answers.q1 type"), (4, "schema: totalScore type")]
    assert "CANARY" not in result.stdout + result.stderr
    loaded = sql(home, data, "SELECT COUNT(*) AS n FROM raw_objects WHERE external_id "
                             "IN ('bad-answer', 'bad-score')")
    assert loaded == [{"n": 0}]


def test_a_record_nested_900_deep_costs_only_itself(
    meltano_project: Path, home: Path, data: Path
) -> None:
    path = data / "google_forms" / "forms-followup" / "form_response.jsonl"
    lines = path.read_text().splitlines()
    good = len(lines)
    lines.insert(2, '{"responseId": "deep", "x": ' + "[" * 900 + "]" * 900 + "}")
    path.write_text("\n".join(lines) + "\n")
    result = lorc(home, data, "run-job", "ingester", "extract_forms")
    assert result.returncode == 1
    message = result.stderr.strip().splitlines()[-1]
    assert "Extraction failed for 1 of 4 connections: forms-followup/form_response " \
           "(quarantined line 3: too deep" in message
    loaded = sql(home, data, "SELECT connection_name, COUNT(*) AS n FROM raw_objects "
                             "GROUP BY connection_name ORDER BY connection_name")
    assert loaded == [
        {"connection_name": "forms-discharge", "n": manifest_count(data, "forms-discharge")},
        {"connection_name": "forms-followup", "n": good},
    ] + [
        {"connection_name": name, "n": manifest_count(data, name)}
        for name in ("forms-intake", "forms-wellbeing")
    ]
    entries = quarantine_entries(home)
    assert [(e["line"], e["reason"]) for e in entries] == [(3, "too deep")]


def test_the_ingest_stage_extracts_in_parallel_and_keeps_failures_apart(
    meltano_project: Path, home: Path, data: Path
) -> None:
    # `run daily-ingest --jobs 2`: every connection's extraction starts ahead in two reused
    # Meltano processes, the jobs load them in order; a failing one is still that job's failure.
    path = data / "google_forms" / "forms-followup" / "form_response.jsonl"
    path.unlink()
    path.mkdir()
    result = lorc(home, data, "run", "daily-ingest", "--jobs", "2", "--json")
    assert result.returncode == 1, result.stderr
    steps = {s["job_id"]: s for s in json.loads(result.stdout)["steps"]}
    assert {job: s["status"] for job, s in steps.items()} == {
        "ingest_gmail": "completed", "ingest_exchange": "completed", "ingest_forms": "failed",
        "ingest_dataverse": "completed", "ingest_stripe": "completed"}
    assert ("Extraction failed for 1 of 4 connections: forms-followup/form_response ("
            in steps["ingest_forms"]["error"])
    assert "forms-intake/form_response (read " in steps["ingest_forms"]["error"]
    files = json.loads((data / "manifest.json").read_text())["files"]
    expected: dict[str, int] = {}
    for f in files:
        if f["connection_name"] != "forms-followup":
            expected[f["connection_name"]] = expected.get(f["connection_name"], 0) + f["records"]
    loaded = sql(home, data, "SELECT connection_name, COUNT(*) AS n FROM raw_objects "
                             "GROUP BY connection_name")
    assert {row["connection_name"]: row["n"] for row in loaded} == expected
    failed = sql(home, data, "SELECT connection_name FROM event_log "
                             "WHERE event_type = 'ingest.failed'")
    assert failed == [{"connection_name": "forms-followup"}]
    assert [p for p in (home / "extract").rglob("*") if p.is_file()] == []
    again = lorc(home, data, "run", "daily-ingest", "--jobs", "2", "--json")
    counts = [s["counts"] for s in json.loads(again.stdout)["steps"]
              if s["job_id"] != "ingest_forms"]
    assert all(c["inserted"] == 0 and c["unchanged"] == c["read"] for c in counts)
