"""run-job through typer's runner with in-process job registration."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from lorchestra.cli import app
from tests import fake_entry_points
from tests.jobs_for_tests.jobs import CANARY_EMAIL, CANARY_NAME, CANARY_PHONE

runner = CliRunner()


@pytest.fixture(autouse=True)
def _jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points.install(monkeypatch)


def events(home: Path) -> list[dict[str, object]]:
    con = duckdb.connect(str(home / "lorchestra.duckdb"), read_only=True)
    try:
        cur = con.execute(
            "SELECT event_type, correlation_id, status, error_message, CAST(payload AS VARCHAR) "
            "FROM event_log ORDER BY created_at"
        )
        cols = ["event_type", "correlation_id", "status", "error_message", "payload"]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def test_run_job_completes_and_records_events(home: Path) -> None:
    result = runner.invoke(
        app, ["run-job", "testpkg", "hello", "--account", "acct1", "--since", "-7d", "--count", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "testpkg/hello completed" in result.output
    assert "inserted=3" in result.output
    rows = events(home)
    types = [r["event_type"] for r in rows]
    assert types == ["job.started", "upsert.completed", "job.completed"]
    assert len({r["correlation_id"] for r in rows}) == 1
    completed = json.loads(str(rows[-1]["payload"]))
    assert completed["counts"]["inserted"] == 3
    assert "note" not in completed["counts"]  # free text never reaches event_log
    started = json.loads(str(rows[0]["payload"]))
    assert started["args"]["account"] == "acct1"
    assert started["args"]["since"].endswith("Z")


def test_rerun_is_a_no_op_in_the_data(home: Path) -> None:
    assert runner.invoke(app, ["run-job", "testpkg", "hello"]).exit_code == 0
    again = runner.invoke(app, ["run-job", "testpkg", "hello", "--json"])
    assert again.exit_code == 0
    summary = json.loads(again.output)
    assert summary["counts"]["unchanged"] == 2
    assert summary["counts"]["inserted"] == 0


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--nope", "1"], "Unknown option --nope"),
        (["--count", "many"], "Bad value for --count: expected an integer"),
        (["--since", "yesterday-ish"], "Bad value for --since"),
        (["--since", "2026-02-01", "--until", "2026-01-01"], "--until is before --since"),
        (["stray"], "Unexpected argument at position 1"),
    ],
)
def test_bad_arguments_exit_2_and_list_accepted_options(
    home: Path, args: list[str], fragment: str
) -> None:
    result = runner.invoke(app, ["run-job", "testpkg", "hello", *args])
    assert result.exit_code == 2
    assert fragment in result.output
    assert "Traceback" not in result.output
    assert not (home / "lorchestra.duckdb").exists()  # no run happened


def test_unknown_option_message_lists_what_the_job_accepts(home: Path) -> None:
    result = runner.invoke(app, ["run-job", "testpkg", "hello", "--nope", "1"])
    assert "--account?" in result.output and "--tags?" in result.output


def test_missing_required_parameter(home: Path) -> None:
    result = runner.invoke(app, ["run-job", "testpkg", "needs_name"])
    assert result.exit_code == 2
    assert "Missing required option --name" in result.output


def test_unknown_job_and_package(home: Path) -> None:
    result = runner.invoke(app, ["run-job", "testpkg", "nosuch"])
    assert result.exit_code == 2
    assert "Jobs in 'testpkg': careful, explode" in result.output
    result = runner.invoke(app, ["run-job", "nopkg", "x"])
    assert result.exit_code == 2 and "Installed packages: brokenpkg, testpkg" in result.output


def test_broken_package_is_reported_without_breaking_others(home: Path) -> None:
    broken = runner.invoke(app, ["run-job", "brokenpkg", "broken"])
    assert broken.exit_code == 1
    assert "Package 'brokenpkg'" in broken.output and "ModuleNotFoundError" in broken.output
    assert len(broken.output.strip().splitlines()) == 1
    assert runner.invoke(app, ["run-job", "testpkg", "hello"]).exit_code == 0


def test_kwargs_job_accepts_any_option(home: Path) -> None:
    result = runner.invoke(app, ["run-job", "testpkg", "takes_anything", "--a", "1", "--b-c=2"])
    assert result.exit_code == 0, result.output
    assert "options=2" in result.output


def test_failing_job_exits_1_records_job_failed_and_leaks_nothing(home: Path) -> None:
    result = runner.invoke(
        app, ["run-job", "testpkg", "explode", "--patient", f"{CANARY_NAME} {CANARY_EMAIL}"]
    )
    assert result.exit_code == 1
    assert "testpkg/explode failed" in result.output
    assert "ValueError" in result.output
    rows = events(home)
    failed = [r for r in rows if r["event_type"] == "job.failed"]
    assert len(failed) == 1 and failed[0]["status"] == "failed"
    assert "ValueError in explode" in str(failed[0]["error_message"])
    stored = json.dumps(rows) + result.output
    logs = "".join(p.read_text() for p in (home / "logs").iterdir())
    for canary in (CANARY_NAME, CANARY_EMAIL, CANARY_PHONE, "Zebedee", "quxworthy"):
        assert canary.lower() not in stored.lower()
        assert canary.lower() not in logs.lower()
    assert "job.failed" in logs


def test_debug_shows_the_traceback(home: Path) -> None:
    result = runner.invoke(app, ["--debug", "run-job", "testpkg", "explode"])
    assert result.exit_code == 1
    assert "Traceback" in result.output


def test_dry_run_writes_nothing(home: Path) -> None:
    result = runner.invoke(app, ["run-job", "testpkg", "hello", "--since", "-1d", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "dry run: would run testpkg/hello" in result.output
    assert "since = '20" in result.output
    assert not (home / "lorchestra.duckdb").exists()


def test_dry_run_reaches_jobs_that_declare_it(home: Path) -> None:
    runner.invoke(app, ["init"])
    result = runner.invoke(app, ["run-job", "testpkg", "careful", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["counts"] == {"dry_run": 1}
    assert events(home) == []


def test_rejections_warn_and_fail_under_strict(home: Path) -> None:
    result = runner.invoke(app, ["run-job", "testpkg", "rejecting"])
    assert result.exit_code == 0
    assert "1 record(s) were rejected" in result.output
    strict = runner.invoke(app, ["run-job", "testpkg", "rejecting", "--strict"])
    assert strict.exit_code == 1


def test_world_readable_home_is_refused(home: Path) -> None:
    home.chmod(0o755)
    result = runner.invoke(app, ["run-job", "testpkg", "hello"])
    assert result.exit_code == 2
    assert "chmod 700" in result.output
    ok = runner.invoke(app, ["--skip-permission-check", "run-job", "testpkg", "hello"])
    assert ok.exit_code == 0


def test_files_in_home_are_private(home: Path) -> None:
    assert runner.invoke(app, ["run-job", "testpkg", "hello"]).exit_code == 0
    for path in home.rglob("*"):
        mode = path.stat().st_mode & 0o777
        assert mode & 0o077 == 0, f"{path} has mode {mode:o}"


def test_arguments_are_recorded_by_their_phi_tag(home: Path) -> None:
    result = runner.invoke(
        app,
        ["run-job", "testpkg", "hello", "--account", "acct1", "--count", "3", "--tags",
         "alpha,beta", "--verbose"],
    )
    assert result.exit_code == 0, result.output
    args = json.loads(str(events(home)[0]["payload"]))["args"]
    assert args["account"] == "acct1"  # tagged NotPHI: as given
    assert args["verbose"] is True  # a bool holds no PHI
    assert args["count"].startswith("phi:") and len(args["count"]) == 14
    assert [t[:4] for t in args["tags"]] == ["phi:", "phi:"]
    logs = (home / "logs" / "lorchestra.jsonl").read_text()
    assert "alpha" not in logs and '"count": 3' not in logs
