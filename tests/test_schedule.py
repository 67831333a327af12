"""`lorchestra schedule`: the emitted command lines run as cron and systemd would run them."""

from __future__ import annotations

import fcntl
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


def lorc(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LORCHESTRA_HOME": str(home)}
    return subprocess.run(
        [str(BIN / "lorchestra"), *args], capture_output=True, text=True, env=env, timeout=300
    )


@pytest.fixture
def daily_home(home: Path) -> Path:
    """A home whose `daily` is a quick real pipeline: the data checks on an empty warehouse."""
    folder = home / "definitions"
    folder.mkdir()
    (folder / "daily.json").write_text(
        json.dumps({"pipeline_id": "daily", "stages": [{"name": "check", "run": ["data_checks"]}]})
    )
    return home


def runs_of(home: Path) -> list[dict[str, object]]:
    result = lorc(home, "runs", "list", "--json")
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout))


def test_cron_line_runs_with_an_empty_path(daily_home: Path, tmp_path: Path) -> None:
    result = lorc(daily_home, "schedule", "--cron", "--at", "05:30")
    assert result.returncode == 0, result.stderr
    entries = [line for line in result.stdout.splitlines() if not line.startswith("#")]
    assert len(entries) == 1
    when, command = entries[0][: len("30 5 * * * ")], entries[0][len("30 5 * * * ") :]
    assert when == "30 5 * * * "
    words = shlex.split(command)
    assert f"LORCHESTRA_HOME={daily_home}" in words
    assert words[-2:] == ["run", "daily"] and Path(words[-3]).is_absolute()
    assert "-n" in words and str(daily_home / "schedule.lock") in words

    # cron runs the command with /bin/sh and next to no environment.
    ran = subprocess.run(["/bin/sh", "-c", command], env={"PATH": ""}, cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    runs = runs_of(daily_home)
    assert [(r["job"], r["status"]) for r in runs] == [("run", "completed")]
    assert (daily_home / "metrics" / "lorchestra.prom").is_file()
    assert (daily_home / "dashboard" / "index.html").is_file()

    # While a scheduled run holds the lock, the next one does nothing.
    with open(daily_home / "schedule.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        skipped = subprocess.run(["/bin/sh", "-c", command], env={"PATH": ""},
                                 capture_output=True, text=True, timeout=60)  # fmt: skip
    assert skipped.returncode != 0
    assert len(runs_of(daily_home)) == 1


def test_systemd_units_run_with_an_empty_path(daily_home: Path, tmp_path: Path) -> None:
    result = lorc(daily_home, "schedule", "--systemd")
    assert result.returncode == 0, result.stderr
    units: dict[str, list[str]] = {}
    current = ""
    for line in result.stdout.splitlines():
        if line.startswith("# lorchestra-"):
            current = line[2:]
            units[current] = []
        elif current:
            units[current].append(line)
    assert set(units) == {"lorchestra-run-daily.service", "lorchestra-run-daily.timer"}
    timer = units["lorchestra-run-daily.timer"]
    assert "OnCalendar=*-*-* 06:00:00" in timer and "Persistent=true" in timer
    service = units["lorchestra-run-daily.service"]
    assert "Type=oneshot" in service
    env = {"PATH": ""}
    for line in service:
        if line.startswith("Environment="):
            name, _, value = line[len("Environment=") :].strip('"').partition("=")
            env[name] = value
    assert env["LORCHESTRA_HOME"] == str(daily_home)
    exec_start = next(line for line in service if line.startswith("ExecStart="))
    argv = shlex.split(exec_start[len("ExecStart=") :])
    assert Path(argv[0]).is_absolute() and argv[1:] == ["run", "daily"]
    ran = subprocess.run(argv, env=env, cwd=tmp_path, capture_output=True, text=True,
                         timeout=300)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert [r["status"] for r in runs_of(daily_home)] == ["completed"]
