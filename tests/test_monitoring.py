"""Unattended running: status exit codes, alerts once per incident, the metrics file."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from lorchestra import definitions
from lorchestra.cli import app
from lorchestra.config import load_settings
from lorchestra.run_lock import hold_run_lock
from lorchestra.stack_clients.event_client import emit
from lorchestra.warehouse import open_warehouse
from tests import fake_entry_points
from tests.jobs_for_tests.jobs import CANARY_EMAIL, CANARY_NAME
from tests.support.alert_sinks import Webhook, smtp_inbox
from tests.support.chromium import dump_dom

runner = CliRunner()
METRICS = (
    "lorchestra_job_runs",
    "lorchestra_job_duration_seconds",
    "lorchestra_job_last_success_timestamp_seconds",
    "lorchestra_records",
)


@pytest.fixture(autouse=True)
def _catalog(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Only this test's definitions: a greeting job, a flaky one, and a pipeline of both."""
    fake_entry_points.install(monkeypatch)
    monkeypatch.setattr(definitions, "_directories", lambda home: ([home / "definitions"], []))
    folder = home / "definitions"
    folder.mkdir()
    (folder / "night.json").write_text(
        json.dumps(
            [
                {"job_id": "greet", "job": "testpkg/hello", "schedule": "daily"},
                {"job_id": "flaky_job", "job": "testpkg/flaky", "schedule": "daily"},
                {
                    "pipeline_id": "nightly",
                    "on_failure": "continue",
                    "stages": [{"name": "all", "run": ["greet", "flaky_job"]}],
                },
            ]
        )
    )


def status(home: Path) -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, ["status", "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_failure_alerts_once_then_recovers(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Webhook() as hook:
        monkeypatch.setenv("LORCHESTRA_ALERT_WEBHOOK", hook.url)
        monkeypatch.setenv("FLAKY_FAIL", "1")
        first = runner.invoke(app, ["run", "nightly", "--json"])
        assert first.exit_code == 1
        failed_run = next(
            s["run_id"] for s in json.loads(first.stdout)["steps"] if s["job_id"] == "flaky_job"
        )
        code, facts = status(home)
        assert code == 1 and facts["ok"] is False
        jobs = {j["job_id"]: j for j in facts["jobs"]}  # type: ignore[union-attr]
        assert jobs["flaky_job"]["status"] == "failed" and jobs["greet"]["status"] == "completed"
        assert "UNHEALTHY: 1 failed (flaky_job)" in str(facts["verdict"])

        assert len(hook.posts) == 1
        alert = hook.posts[0]
        assert set(alert) == {"source", "kind", "job", "run_id", "time", "cause", "text"}
        assert (alert["kind"], alert["job"], alert["run_id"]) == ("failed", "flaky_job", failed_run)
        assert alert["cause"].startswith("RuntimeError in flaky")
        body = json.dumps(alert)
        assert CANARY_NAME not in body and CANARY_EMAIL not in body

        assert runner.invoke(app, ["run", "nightly"]).exit_code == 1
        assert len(hook.posts) == 1  # the incident is open: no second alert

        monkeypatch.delenv("FLAKY_FAIL")
        assert runner.invoke(app, ["run", "nightly"]).exit_code == 0
        assert [p["kind"] for p in hook.posts] == ["failed", "recovered"]
        assert hook.posts[1]["job"] == "flaky_job"
        assert status(home)[0] == 0

        assert runner.invoke(app, ["run", "nightly"]).exit_code == 0
        assert len(hook.posts) == 2  # recovered once, nothing more while healthy

    listed = json.loads(runner.invoke(app, ["alerts", "list", "--json"]).stdout)
    assert [(a["kind"], a["job"], a["status"]) for a in listed] == [
        ("recovered", "flaky_job", "ok"),
        ("failed", "flaky_job", "ok"),
    ]


def test_email_alert_and_alerts_test(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with smtp_inbox() as (inbox, port), Webhook() as hook:
        for name, value in {
            "LORCHESTRA_ALERT_EMAIL": "oncall@practice.test",
            "LORCHESTRA_ALERT_WEBHOOK": hook.url,
            "LORCHESTRA_SMTP_HOST": "127.0.0.1",
            "LORCHESTRA_SMTP_PORT": str(port),
            "LORCHESTRA_SMTP_STARTTLS": "false",
            "LORCHESTRA_ALERT_FROM": "lorchestra@practice.test",
            "FLAKY_FAIL": "1",
        }.items():
            monkeypatch.setenv(name, value)
        assert runner.invoke(app, ["run", "flaky_job"]).exit_code == 1
        assert len(inbox.messages) == 1
        recipients, message = inbox.messages[0]
        assert recipients == ["oncall@practice.test"]
        assert message["Subject"] == "[lorchestra] flaky_job FAILED"
        text = message.get_content()
        assert "job: flaky_job" in text and "cause: RuntimeError in flaky" in text
        assert CANARY_NAME not in text and CANARY_EMAIL not in text

        result = runner.invoke(app, ["alerts", "test"])
        assert result.exit_code == 0, result.output
        assert "webhook: sent" in result.output and "email: sent" in result.output
        assert inbox.messages[-1][1]["Subject"] == "[lorchestra] lorchestra test message"
        assert hook.posts[-1]["kind"] == "test"


def test_alerts_test_needs_a_channel_and_reports_a_failing_one(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = runner.invoke(app, ["alerts", "test"])
    assert result.exit_code == 2
    assert "No alert channel is configured" in result.output
    with Webhook(status=500) as hook:
        monkeypatch.setenv("LORCHESTRA_ALERT_WEBHOOK", hook.url)
        result = runner.invoke(app, ["alerts", "test"])
    assert result.exit_code == 1
    assert "webhook: webhook: the server answered HTTP 500" in result.output
    assert hook.url not in result.output  # the URL may hold a token


def _seed(home: Path, definition: str, *, ended: str | None, at: datetime) -> None:
    warehouse = open_warehouse(load_settings(environ={"LORCHESTRA_HOME": str(home)}))
    try:
        run_id = f"seed-{definition}-{at:%H%M%S%f}"
        data = {"job": "hello", "definition": definition}
        emit(warehouse, "job.started", "testpkg", data, status="started", correlation_id=run_id)
        if ended:
            warehouse.execute(
                "UPDATE event_log SET created_at = @at WHERE correlation_id = @run",
                {"at": at, "run": run_id},
            )
            emit(warehouse, ended, "testpkg", {**data, "duration_s": 0.5}, correlation_id=run_id)
        warehouse.execute(
            "UPDATE event_log SET created_at = @at WHERE correlation_id = @run",
            {"at": at, "run": run_id},
        )
    finally:
        warehouse.close()


def test_abandoned_runs_count_as_failures(home: Path) -> None:
    now = datetime.now(UTC)
    _seed(home, "greet", ended="job.completed", at=now - timedelta(hours=1))
    _seed(home, "flaky_job", ended="job.completed", at=now - timedelta(hours=20))
    _seed(home, "flaky_job", ended=None, at=now - timedelta(minutes=5))
    code, facts = status(home)
    jobs = {j["job_id"]: j for j in facts["jobs"]}  # type: ignore[union-attr]
    assert code == 1 and jobs["flaky_job"]["status"] == "abandoned"
    with hold_run_lock(home, wait_s=1):  # a run in progress holds the lock: not abandoned
        code, facts = status(home)
    jobs = {j["job_id"]: j for j in facts["jobs"]}  # type: ignore[union-attr]
    assert code == 0 and jobs["flaky_job"]["status"] == "running"


def test_overdue_alerts_once(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime.now(UTC)
    _seed(home, "greet", ended="job.completed", at=now - timedelta(days=3))
    _seed(home, "flaky_job", ended="job.completed", at=now - timedelta(hours=2))
    code, facts = status(home)
    jobs = {j["job_id"]: j for j in facts["jobs"]}  # type: ignore[union-attr]
    assert code == 1 and jobs["greet"]["overdue"] and not jobs["flaky_job"]["overdue"]
    with Webhook() as hook:
        monkeypatch.setenv("LORCHESTRA_ALERT_WEBHOOK", hook.url)
        assert "sent: [lorchestra] greet OVERDUE" in runner.invoke(app, ["alerts", "check"]).output
        assert "no alert due" in runner.invoke(app, ["alerts", "check"]).output
    assert [(p["kind"], p["job"]) for p in hook.posts] == [("overdue", "greet")]
    assert "no completed run since" in hook.posts[0]["cause"]


def test_a_second_run_waits_for_the_lock(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LORCHESTRA_LOCK_TIMEOUT", "1")
    with hold_run_lock(home, wait_s=1):
        started = time.monotonic()
        result = runner.invoke(app, ["run", "greet"])
        assert time.monotonic() - started >= 1.0
    assert result.exit_code == 1
    assert "is locked by another lorchestra run; waited 1s" in result.output
    assert runner.invoke(app, ["run", "greet"]).exit_code == 0


def test_metrics_file_has_the_four_metrics_for_every_job(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLAKY_FAIL", "1")
    runner.invoke(app, ["run", "nightly"])
    monkeypatch.delenv("FLAKY_FAIL")
    runner.invoke(app, ["run", "nightly"])
    path = home / "metrics" / "lorchestra.prom"
    assert path.stat().st_mode & 0o777 == 0o600
    assert not list(path.parent.glob("*.tmp*"))  # written through a renamed temporary file
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(path.read_text()):
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            key = tuple(sorted(sample.labels.items()))
            samples.setdefault(family.name, {})[key] = sample.value
    assert set(samples) == set(METRICS)
    for job in ("greet", "flaky_job"):
        for metric in METRICS:
            assert any(("job", job) in labels for labels in samples[metric]), (metric, job)
    runs = samples["lorchestra_job_runs"]
    assert runs[(("job", "flaky_job"), ("status", "failed"))] == 1
    assert runs[(("job", "flaky_job"), ("status", "completed"))] == 1
    assert runs[(("job", "greet"), ("status", "completed"))] == 2
    records = samples["lorchestra_records"]
    assert records[(("job", "greet"), ("outcome", "inserted"))] == 2  # the first run's objects
    assert records[(("job", "greet"), ("outcome", "unchanged"))] == 2  # seen again
    assert records[(("job", "greet"), ("outcome", "rejected"))] == 0
    last = samples["lorchestra_job_last_success_timestamp_seconds"][(("job", "flaky_job"),)]
    assert abs(last - datetime.now(UTC).timestamp()) < 120
    assert samples["lorchestra_job_duration_seconds"][(("job", "greet"),)] > 0


def test_dashboard_shows_each_job_its_failures_and_causes(
    home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    runner.invoke(app, ["run", "nightly"])
    monkeypatch.setenv("FLAKY_FAIL", "1")
    runner.invoke(app, ["run", "nightly"])
    page = home / "dashboard" / "index.html"
    assert page.stat().st_mode & 0o777 == 0o600
    dom = dump_dom(page, tmp_path / "profile")
    rows = dict(re.findall(r'<tr class="job" data-job="([^"]+)">(.*?)</tr>', dom))
    assert set(rows) == {"greet", "flaky_job"}
    assert '<span class="badge failed">failed</span>' in rows["flaky_job"]
    assert '<span class="badge completed">completed</span>' in rows["greet"]
    assert rows["greet"].count("<rect") == 2  # one square per run
    attention = re.search(r'<ul id="attention">(.*?)</ul>', dom)
    assert attention and "flaky_job" in attention.group(1)
    assert "RuntimeError in flaky" in attention.group(1)
    assert re.search(r'<table id="failures">.*flaky_job.*RuntimeError in flaky', dom)
    assert CANARY_NAME not in dom and CANARY_EMAIL not in dom
    assert "UNHEALTHY: 1 failed (flaky_job)" in dom


def test_a_run_killed_since_the_last_one_alerts_before_the_next_replaces_it(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    _seed(home, "flaky_job", ended="job.completed", at=now - timedelta(hours=20))
    _seed(home, "flaky_job", ended=None, at=now - timedelta(minutes=5))  # killed mid-run
    with Webhook() as hook:
        monkeypatch.setenv("LORCHESTRA_ALERT_WEBHOOK", hook.url)
        assert runner.invoke(app, ["run", "flaky_job"]).exit_code == 0
    assert [(p["kind"], p["job"]) for p in hook.posts] == [
        ("failed", "flaky_job"),
        ("recovered", "flaky_job"),
    ]
    assert hook.posts[0]["run_id"].startswith("seed-flaky_job")
    assert "never ended" in hook.posts[0]["cause"]


def test_a_bad_alert_setting_warns_but_never_fails_the_run(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LORCHESTRA_ALERT_WEBHOOK", "ftp://hooks.example.test/x")
    result = runner.invoke(app, ["run", "greet"])
    assert result.exit_code == 0
    warning = (
        "warning: alerts could not be updated: LORCHESTRA_ALERT_WEBHOOK must be an http:// or "
        "https:// URL."
    )
    assert result.output.count(warning) == 1
    assert (home / "metrics" / "lorchestra.prom").is_file()  # the other parts still ran


def test_alerts_check_leaves_a_run_in_progress_alone(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Webhook() as hook:
        monkeypatch.setenv("LORCHESTRA_ALERT_WEBHOOK", hook.url)
        with hold_run_lock(home, wait_s=1):
            result = runner.invoke(app, ["alerts", "check"])
    assert result.exit_code == 0 and "a run is in progress" in result.output
    assert hook.posts == []
