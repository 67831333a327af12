"""Permissions inside the data home are kept: runs restore 0600/0700 on what they find, doctor
lists any looser entry and ``doctor --fix`` repairs it (the home itself included)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def lorc(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LORCHESTRA_HOME": str(home)}
    return subprocess.run(
        [str(BIN / "lorchestra"), *args], capture_output=True, text=True, env=env, timeout=120
    )


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def home_files(home: Path) -> dict[str, str]:
    result = lorc(home, "doctor", "--json")
    rows = {row["check"]: row for row in json.loads(result.stdout)}
    return {"status": rows["home files"]["status"], "detail": rows["home files"]["detail"]}


@pytest.mark.slow
def test_a_run_restores_what_it_finds_and_writes(home: Path) -> None:
    assert lorc(home, "init").returncode == 0
    assert lorc(home, "run-job", "reporter", "create_projections").returncode == 0
    assert lorc(home, "run-job", "reporter", "sync_sqlite").returncode == 0
    local_db = home / "local.db"
    local_db.chmod(0o644)
    (home / "backup").chmod(0o755)
    result = lorc(home, "run-job", "reporter", "sync_sqlite")
    assert result.returncode == 0, result.stderr
    assert mode(local_db) == 0o600 and mode(home / "backup") == 0o700
    assert "home.permissions_restored" in result.stderr
    quiet = lorc(home, "run-job", "reporter", "sync_sqlite")
    assert "permissions" not in quiet.stderr  # nothing loose any more, nothing said


@pytest.mark.slow
def test_doctor_lists_loose_entries_and_fix_repairs_them(home: Path) -> None:
    assert lorc(home, "init").returncode == 0
    (home / "lorchestra.duckdb").chmod(0o644)
    (home / "logs").chmod(0o750)
    (home / "notes.txt").write_text("x")
    (home / "notes.txt").chmod(0o604)
    found = home_files(home)
    assert found["status"] == "FAIL"
    for entry in ("lorchestra.duckdb 644 (want 600)", "logs 750 (want 700)", "notes.txt 604"):
        assert entry in found["detail"]
    assert "doctor --fix" in found["detail"]
    assert mode(home / "lorchestra.duckdb") == 0o644  # doctor alone changes nothing

    home.chmod(0o755)
    fixed = lorc(home, "doctor", "--fix", "--json")
    rows = {row["check"]: row for row in json.loads(fixed.stdout)}
    assert rows["data home"]["status"] == "ok"
    assert rows["home files"]["status"] == "ok" and "(4 repaired)" in rows["home files"]["detail"]
    assert mode(home) == 0o700 and mode(home / "notes.txt") == 0o600
    assert home_files(home)["status"] == "ok"
