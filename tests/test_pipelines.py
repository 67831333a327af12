"""Named job definitions and pipelines: run, dry run, failure policies, status and schedule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lorchestra.cli import app
from tests import fake_entry_points

runner = CliRunner()


def define(home: Path, name: str, entries: list[dict[str, object]]) -> None:
    folder = home / "definitions"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(entries))


@pytest.fixture(autouse=True)
def _setup(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    fake_entry_points.install(monkeypatch)
    define(
        home,
        "mine",
        [
            {
                "job_id": "greet_two",
                "job": "testpkg/hello",
                "params": {"count": 2, "tags": ["a"]},
                "schedule": "daily",
                "at": "07:15",
            },
            {"job_id": "boom", "job": "testpkg/explode", "schedule": "hourly", "at": "00:05"},
            {"job_id": "greet_three", "job": "testpkg/hello", "params": {"count": 3}},
            {
                "pipeline_id": "p-stop",
                "on_failure": "stop",
                "stages": [
                    {"name": "first", "run": ["greet_two", "boom"]},
                    {"name": "second", "run": ["greet_three"]},
                ],
            },
            {
                "pipeline_id": "p-continue",
                "on_failure": "continue",
                "stages": [{"name": "all", "run": ["boom", "p-inner"]}],
            },
            {"pipeline_id": "p-inner", "stages": [{"name": "inner", "run": ["greet_three"]}]},
        ],
    )


def test_run_one_definition(home: Path) -> None:
    result = runner.invoke(app, ["run", "greet_two", "--json"])
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    assert run["ok"] and run["steps"][0]["counts"]["inserted"] == 2


def test_stop_policy_skips_the_rest_and_exits_1(home: Path) -> None:
    result = runner.invoke(app, ["run", "p-stop", "--json"])
    assert result.exit_code == 1
    steps = json.loads(result.stdout)["steps"]
    assert [(s["job_id"], s["status"]) for s in steps] == [
        ("greet_two", "completed"),
        ("boom", "failed"),
        ("greet_three", "skipped"),
    ]


def test_continue_policy_runs_everything_and_links_runs(home: Path) -> None:
    result = runner.invoke(app, ["run", "p-continue", "--json"])
    assert result.exit_code == 1
    run = json.loads(result.stdout)
    assert [(s["job_id"], s["status"]) for s in run["steps"]] == [
        ("boom", "failed"),
        ("greet_three", "completed"),
    ]
    events = json.loads(runner.invoke(app, ["runs", "show", run["run_id"], "--json"]).stdout)
    assert {e["run_id"] for e in events} == {s["run_id"] for s in run["steps"]}
    assert "job.failed" in [e["event_type"] for e in events]


def test_plain_progress_lines_off_a_terminal(home: Path) -> None:
    result = runner.invoke(app, ["run", "p-inner"])
    assert result.exit_code == 0
    assert "completed  greet_three" in result.output
    assert "p-inner: completed." in result.output


def test_the_summary_says_what_changed(home: Path) -> None:
    first = runner.invoke(app, ["run", "greet_two"])
    assert first.exit_code == 0, first.output
    assert "completed  greet_two" in first.output and "(2 new)" in first.output
    second = runner.invoke(app, ["run", "greet_two"])
    assert "(2 unchanged)" in second.output


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({"read": 88, "inserted": 3, "updated": 1, "unchanged": 84, "rejected": 0},
         "3 new, 1 updated, 84 unchanged"),
        ({"processed": 0, "inserted": 0, "updated": 0, "unchanged": 0, "rejected": 0},
         "no change"),
        ({"responses": 2, "events_inserted": 4, "events_unchanged": 1, "malformed": 1},
         "4 new, 1 unchanged, 1 malformed"),
        ({"written": 0, "unchanged": 39, "removed": 2}, "2 removed, 39 unchanged"),
        ({"views": {"inbox_view": 3}}, None),
        ({"responses": 3, "events_inserted": 6, "invalid_answers": 2},
         "6 new, 2 unreadable answers"),
        ({"written": 1, "unchanged": 3, "skipped": 2}, "1 written, 3 unchanged, 2 skipped"),
        ({"reports_written": 2, "skipped_unsafe_id": 1}, "2 reports, 1 skipped (unsafe id)"),
    ],
)
def test_describe_changes(counts: dict[str, object], expected: str | None) -> None:
    from lorchestra.pipelines import describe_changes

    assert describe_changes(counts) == expected


def test_dry_run_validates_and_writes_nothing(home: Path) -> None:
    result = runner.invoke(app, ["run", "p-stop", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    assert {s["status"] for s in json.loads(result.stdout)["steps"]} == {"dry-run"}
    assert not (home / "lorchestra.duckdb").exists()


def test_invalid_definitions_are_refused_before_anything_runs(home: Path) -> None:
    define(
        home,
        "bad",
        [
            {"job_id": "bad_param", "job": "testpkg/hello", "params": {"nope": 1}},
            {"job_id": "not_installed", "job": "nopkg/job"},
            {"pipeline_id": "p-bad", "stages": [{"name": "s", "run": ["greet_two", "bad_param"]}]},
        ],
    )
    result = runner.invoke(app, ["run", "p-bad"])
    assert result.exit_code == 2 and "Unknown option --nope" in result.output
    assert not (home / "lorchestra.duckdb").exists()
    missing = runner.invoke(app, ["run", "not_installed"])
    assert missing.exit_code == 2 and "No job 'job' in package 'nopkg'" in missing.output
    unknown = runner.invoke(app, ["run", "no-such-thing"])
    assert unknown.exit_code == 2 and "No job definition or pipeline" in unknown.output


def test_a_broken_definition_file_never_stops_unrelated_pipelines(home: Path) -> None:
    (home / "definitions" / "broken.json").write_text('{"job_id": "x", "job": "nojob"}')
    problem = "broken.json: entry 1: job: Value error, must be PACKAGE/JOB"
    unrelated = runner.invoke(app, ["run", "greet_two"])
    assert unrelated.exit_code == 0, unrelated.output
    assert problem in unrelated.output  # reported as a warning by every run
    needed = runner.invoke(app, ["run", "x"])
    assert needed.exit_code == 2
    assert "No job definition or pipeline 'x'" in needed.output and problem in needed.output
    doctor = runner.invoke(app, ["doctor", "--json"])
    rows = json.loads(doctor.stdout)
    assert any(r["status"] == "FAIL" and problem in r["detail"] for r in rows)


def test_packages_add_their_stages_to_daily_in_order(home: Path) -> None:
    (home / "definitions" / "steps.json").write_text(
        json.dumps(
            [
                {"pipeline_id": "assembled"},
                {"step_of": "assembled", "stage": "late", "order": 90, "run": ["greet_three"]},
                {"step_of": "assembled", "stage": "early", "order": 1, "run": ["greet_two"]},
                {"step_of": "assembled", "stage": "early", "order": 1, "run": ["boom"]},
                {"step_of": "p-stop", "stage": "ignored", "run": ["greet_three"]},
                {"step_of": "no-such-pipeline", "stage": "x", "run": ["greet_two"]},
            ]
        )
    )
    shown = json.loads(runner.invoke(app, ["jobs", "show", "assembled", "--json"]).stdout)
    # by their order, whatever the file order; steps of one stage keep their file order
    assert shown["steps"] == ["greet_two", "boom", "greet_three"]
    written_out = json.loads(runner.invoke(app, ["jobs", "show", "p-stop", "--json"]).stdout)
    assert written_out["steps"] == ["greet_two", "boom", "greet_three"]  # as declared, no more
    listed = runner.invoke(app, ["run", "greet_two"])
    assert "a step of 'no-such-pipeline', which no definition file defines" in listed.output


def test_listing_showing_status_and_schedule(home: Path) -> None:
    listed = json.loads(runner.invoke(app, ["jobs", "list", "--definitions", "--json"]).stdout)
    ids = {row["id"]: row for row in listed}
    assert ids["p-stop"]["kind"] == "pipeline" and ids["greet_two"]["runs"] == "testpkg/hello"
    shown = json.loads(runner.invoke(app, ["jobs", "show", "p-continue", "--json"]).stdout)
    assert shown["steps"] == ["boom", "greet_three"]

    assert runner.invoke(app, ["run", "greet_two"]).exit_code == 0
    result = runner.invoke(app, ["status", "--json"])
    assert result.exit_code == 1  # boom is overdue: it never ran
    status = {r["job_id"]: r for r in json.loads(result.stdout)["jobs"]}
    assert status["greet_two"]["status"] == "completed" and status["greet_two"]["overdue"] is False
    assert status["boom"]["status"] == "never run" and status["boom"]["overdue"] is True
    assert status["greet_three"]["overdue"] is False  # no schedule, never overdue
    table = runner.invoke(app, ["status"], env={"COLUMNS": "200"}).output
    greet = next(line for line in table.splitlines() if "greet_two" in line)
    assert "2 new" in greet and "OVERDUE" not in greet
    assert "OVERDUE" in next(line for line in table.splitlines() if "boom" in line)

    cron = runner.invoke(app, ["schedule", "--cron"]).output.splitlines()
    entries = [line for line in cron if not line.startswith("#")]
    assert len(entries) == 1 and entries[0].startswith("0 6 * * * ")
    assert entries[0].endswith(" run daily")
    per_stage = runner.invoke(app, ["schedule", "--target", "p-stop", "--per-stage"]).output
    entries = [line for line in per_stage.splitlines() if not line.startswith("#")]
    assert [(e.split()[:2], e.split()[-1]) for e in entries] == [
        (["15", "7"], "greet_two"),
        (["5", "0"], "boom"),
        (["0", "6"], "greet_three"),  # no schedule of its own: the --at time
    ]
    systemd = runner.invoke(app, ["schedule", "--systemd", "--at", "07:15"]).output
    assert "OnCalendar=*-*-* 07:15:00" in systemd and "Persistent=true" in systemd


def test_doctor_reports_invalid_definitions(home: Path) -> None:
    define(home, "bad", [{"job_id": "bad_param", "job": "testpkg/hello", "params": {"nope": 1}}])
    checks = {c["check"]: c for c in json.loads(runner.invoke(app, ["doctor", "--json"]).stdout)}
    assert checks["definition bad_param"]["status"] == "FAIL"
    assert "Unknown option --nope" in checks["definition bad_param"]["detail"]
