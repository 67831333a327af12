"""The other commands: jobs, doctor, init, sql, query, stats, runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lorchestra.cli import app
from tests import fake_entry_points

runner = CliRunner()


@pytest.fixture(autouse=True)
def _jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points.install(monkeypatch)


def test_jobs_list_and_json(home: Path) -> None:
    table = runner.invoke(app, ["jobs", "list"])
    assert table.exit_code == 0 and "hello" in table.output and "brokenpkg" in table.output
    listed = json.loads(runner.invoke(app, ["jobs", "list", "testpkg", "--json"]).output)
    assert [j["job"] for j in listed] == sorted(fake_entry_points.JOBS)


def test_jobs_show(home: Path) -> None:
    shown = runner.invoke(app, ["jobs", "show", "testpkg", "hello", "--json"])
    info = json.loads(shown.output)
    assert info["signature"].startswith(
        "hello(bq_client: 'Any', account: 'Annotated[str | None, NotPHI]' = None"
    )
    assert "jobs_for_tests/jobs.py" in info["location"]
    broken = runner.invoke(app, ["jobs", "show", "brokenpkg", "broken"])
    assert broken.exit_code == 1 and "cannot load job" in broken.output


def test_doctor_reports_broken_packages_and_fails(home: Path) -> None:
    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 1
    checks = {c["check"]: c for c in json.loads(result.output)}
    assert checks["package brokenpkg"]["status"] == "FAIL"
    assert checks["package testpkg"]["status"] == "ok"
    assert checks["warehouse"]["status"] == "ok"
    assert checks["data home"]["status"] == "ok"


def test_doctor_flags_a_shared_home(home: Path) -> None:
    home.chmod(0o755)
    checks = {c["check"]: c for c in json.loads(runner.invoke(app, ["doctor", "--json"]).output)}
    assert checks["data home"]["status"] == "FAIL"


def test_doctor_names_unset_connection_secrets(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "secrets.toml"
    config.write_text(
        '[connections.stripe-main]\nsource_system = "stripe"\ntap = "tap-stripe"\n'
        'object_type = "customer"\nsecrets = { api_key = "STRIPE_MAIN_API_KEY" }\n'
    )
    monkeypatch.setenv("LORCHESTRA_CONFIG", str(config))
    monkeypatch.delenv("STRIPE_MAIN_API_KEY", raising=False)
    checks = {c["check"]: c for c in json.loads(runner.invoke(app, ["doctor", "--json"]).output)}
    assert checks["connections"]["status"] == "FAIL"
    assert "STRIPE_MAIN_API_KEY" in checks["connections"]["detail"]
    monkeypatch.setenv("STRIPE_MAIN_API_KEY", "sk_test_not_shown")
    output = runner.invoke(app, ["doctor", "--json"]).output
    checks = {c["check"]: c for c in json.loads(output)}
    assert checks["connections"]["status"] == "ok"
    assert "sk_test_not_shown" not in output


def test_doctor_names_settings_the_tap_would_ignore(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "typo.toml"
    config.write_text(
        '[connections.gmail-acct1]\nsource_system = "gmail"\ntap = "tap-gmail"\n'
        'object_type = "email"\nsettings = { user_id = "me", lable_ids = ["INBOX"] }\n'
        '[connections.other]\nsource_system = "x"\ntap = "tap-nowhere"\nobject_type = "x"\n'
    )
    monkeypatch.setenv("LORCHESTRA_CONFIG", str(config))
    checks = {c["check"]: c for c in json.loads(runner.invoke(app, ["doctor", "--json"]).output)}
    detail = checks["connections"]["detail"]
    assert checks["connections"]["status"] == "FAIL"
    assert "gmail-acct1: tap-gmail has no setting lable_ids" in detail
    assert "user_id" not in detail
    assert "other: tap tap-nowhere is not in the Meltano project" in detail


def test_the_overlap_is_the_connections_and_never_reaches_the_tap(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lorchestra.config import load_settings
    from lorchestra.connections import all_connections

    config = tmp_path / "overlap.toml"
    connection = (
        '[connections.gmail-acct1]\nsource_system = "gmail"\ntap = "tap-gmail"\n'
        'object_type = "email"\n'
    )
    config.write_text(connection + 'overlap_seconds = 600\nsettings = { user_id = "me" }\n')
    monkeypatch.setenv("LORCHESTRA_CONFIG", str(config))
    checks = {c["check"]: c for c in json.loads(runner.invoke(app, ["doctor", "--json"]).output)}
    assert checks["connections"] == {**checks["connections"], "status": "ok"}
    (gmail,) = all_connections(load_settings(config))
    assert gmail.overlap_seconds == 600 and gmail.tap_config({}) == {"user_id": "me"}

    # Put among the tap's settings, it is refused with a message saying where it belongs.
    config.write_text(connection + "settings = { overlap_seconds = 600 }\n")
    result = runner.invoke(app, ["doctor", "--json"])
    checks = {c["check"]: c for c in json.loads(result.output)}
    assert result.exit_code == 1 and checks["configuration"]["status"] == "FAIL"
    detail = checks["configuration"]["detail"]
    assert "connections.gmail-acct1.settings" in detail
    assert "overlap_seconds belongs to the connection itself (next to `tap`)" in detail


def test_init_sql_and_write_guard(home: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["run-job", "testpkg", "hello", "--count", "3"]).exit_code == 0
    out = runner.invoke(app, ["sql", "SELECT COUNT(*) AS n FROM raw_objects", "--json"])
    assert json.loads(out.output) == [{"n": 3}]
    csv_out = runner.invoke(
        app, ["sql", "--csv"], input="SELECT external_id FROM raw_objects ORDER BY external_id"
    )
    assert csv_out.output.splitlines() == ["external_id", "obj-0", "obj-1", "obj-2"]
    refused = runner.invoke(app, ["sql", "DELETE FROM raw_objects"])
    assert refused.exit_code == 2 and "--write" in refused.output
    allowed = runner.invoke(app, ["sql", "--write", "DELETE FROM raw_objects"])
    assert allowed.exit_code == 0
    bad = runner.invoke(app, ["sql", "SELEC oops"])
    assert bad.exit_code != 0 and "Traceback" not in bad.output


def test_named_queries_stats_and_runs(home: Path) -> None:
    assert runner.invoke(app, ["run-job", "testpkg", "hello"]).exit_code == 0
    assert runner.invoke(app, ["run-job", "testpkg", "explode"]).exit_code == 1
    names = runner.invoke(app, ["query", "--list", "--json"])
    assert {"raw_counts", "recent_failures"} <= {q["name"] for q in json.loads(names.output)}
    rows = json.loads(runner.invoke(app, ["query", "raw_counts", "--json"]).output)
    assert rows[0]["objects"] == 2
    missing = runner.invoke(app, ["query", "recent_failures"])
    assert missing.exit_code == 2 and "--param for: days" in missing.output
    failures = runner.invoke(app, ["query", "recent_failures", "-p", "days=1", "--json"])
    assert [r["job"] for r in json.loads(failures.output)] == ["explode"]
    (home / "queries").mkdir()
    (home / "queries" / "mine.sql").write_text("-- Mine.\nSELECT 1 AS one")
    assert json.loads(runner.invoke(app, ["query", "mine", "--json"]).output) == [{"one": 1}]

    raw = json.loads(runner.invoke(app, ["stats", "raw", "--json"]).output)
    assert raw[0]["objects"] == 2 and raw[0]["source_system"] == "test"
    jobs = {j["job"]: j for j in json.loads(runner.invoke(app, ["stats", "jobs", "--json"]).output)}
    assert jobs["explode"]["failed"] == 1 and jobs["hello"]["runs"] == 1
    assert json.loads(runner.invoke(app, ["stats", "canonical", "--json"]).output) == []

    runs = json.loads(runner.invoke(app, ["runs", "list", "--json"]).output)
    assert [r["status"] for r in runs] == ["failed", "completed"]
    shown = runner.invoke(app, ["runs", "show", runs[1]["run_id"], "--json"])
    assert [e["event_type"] for e in json.loads(shown.output)] == [
        "job.started",
        "upsert.completed",
        "job.completed",
    ]
    assert runner.invoke(app, ["runs", "show", "nope"]).exit_code == 1
