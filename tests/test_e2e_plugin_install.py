"""End to end: pip-install a job package, drive the real ``lorchestra`` executable, uninstall."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import venv_packages

SAMPLE = Path(__file__).parent / "sample_package"
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed() -> Iterator[None]:
    with venv_packages.installed(SAMPLE, "lorchestra-sample-jobs"):
        yield


def lorc(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "LORCHESTRA_HOME": str(home), **(env or {})}
    return subprocess.run(
        [str(BIN / "lorchestra"), *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


def test_installed_package_lists_shows_runs_and_fails(installed: None, home: Path) -> None:
    listed = lorc(home, "jobs", "list", "samplejobs", "--json")
    assert listed.returncode == 0, listed.stderr
    jobs = json.loads(listed.stdout)
    assert {j["job"] for j in jobs} == {"greet", "fail", "hold"}
    assert {j["distribution"] for j in jobs} == {"lorchestra-sample-jobs"}
    assert {j["version"] for j in jobs} == {"1.2.3"}

    shown = lorc(home, "jobs", "show", "samplejobs", "greet")
    assert shown.returncode == 0, shown.stderr
    assert "lorchestra-sample-jobs 1.2.3" in shown.stdout
    signature = "greet(bq_client: 'Warehouse', account: 'str | None' = None, times: 'int' = 1)"
    assert signature in shown.stdout
    assert "Write ``times`` greeting objects" in shown.stdout

    bad = lorc(home, "run-job", "samplejobs", "greet", "--times", "lots")
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith("error: Bad value for --times")
    assert len(bad.stderr.strip().splitlines()) == 1

    ran = lorc(home, "run-job", "samplejobs", "greet", "--account", "acct1", "--times", "2")
    assert ran.returncode == 0, ran.stderr
    assert "inserted=2" in ran.stdout

    failed = lorc(home, "run-job", "samplejobs", "fail")
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr
    runs = lorc(home, "runs", "list", "--status", "failed", "--json")
    assert runs.returncode == 0, runs.stderr
    assert [r["job"] for r in json.loads(runs.stdout)] == ["fail"]
    module = lorc(
        home, "sql", "SELECT COUNT(*) AS n FROM event_log WHERE event_type = 'job.failed'", "--json"
    )
    assert json.loads(module.stdout) == [{"n": 1}]


def test_python_dash_m_and_lorc_alias(home: Path) -> None:
    for command in (
        [sys.executable, "-m", "lorchestra", "--version"],
        [str(BIN / "lorc"), "--version"],
    ):
        out = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0 and out.stdout.startswith("lorchestra ")


def test_second_run_waits_for_the_lock_then_fails_clearly(installed: None, home: Path) -> None:
    assert lorc(home, "init").returncode == 0
    env = {**os.environ, "LORCHESTRA_HOME": str(home)}
    holder = subprocess.Popen(
        [str(BIN / "lorchestra"), "run-job", "samplejobs", "hold", "--seconds", "6"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(2.5)
        started = time.monotonic()
        blocked = lorc(home, "run-job", "samplejobs", "greet", env={"LORCHESTRA_LOCK_TIMEOUT": "1"})
        waited = time.monotonic() - started
        assert blocked.returncode == 1
        assert "is locked by another lorchestra run; waited 1s" in blocked.stderr
        assert waited >= 1.0
        waiting = lorc(
            home, "run-job", "samplejobs", "greet", env={"LORCHESTRA_LOCK_TIMEOUT": "30"}
        )
        assert waiting.returncode == 0, waiting.stderr
    finally:
        out, err = holder.communicate(timeout=60)
    assert holder.returncode == 0, err


def test_uninstall_makes_jobs_go(home: Path) -> None:
    venv_packages.uv_pip("install", str(SAMPLE))
    assert "greet" in lorc(home, "jobs", "list").stdout
    venv_packages.uv_pip("uninstall", "lorchestra-sample-jobs")
    after = lorc(home, "jobs", "list", "samplejobs")
    assert "No jobs found in package 'samplejobs'" in after.stdout
