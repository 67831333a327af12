"""event_log is backed up like the object tables, and ``lorchestra replay`` restores it.

Drives the real executable: a few runs write events; the DuckDB file is deleted; replaying every
backup file restores event_log row for row (same event ids), and replaying again adds nothing.
"""

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
    return subprocess.run([str(BIN / "lorchestra"), *args], capture_output=True, text=True,
                          env=env, timeout=600)


def event_ids(home: Path) -> list[str]:
    done = lorc(home, "sql", "SELECT event_id FROM event_log ORDER BY event_id", "--json")
    assert done.returncode == 0, done.stderr
    return [row["event_id"] for row in json.loads(done.stdout)]


@pytest.mark.slow
def test_replaying_every_backup_restores_event_log(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for package, job in (("canonizer", "canonicalize_questionnaires"),
                         ("final_form", "score_measurements"),
                         ("canonizer", "canonicalize_questionnaires")):
        ran = lorc(home, "run-job", package, job)
        assert ran.returncode == 0, ran.stderr
    before = event_ids(home)
    assert len(before) >= 9  # started, the job's own event, completed; three runs
    backups = sorted(p for p in (home / "backup").rglob("*.jsonl") if p.is_file())
    assert any("events" in p.parts for p in backups)

    (home / "lorchestra.duckdb").unlink()
    replayed = lorc(home, "replay", *map(str, backups))
    assert replayed.returncode == 0, replayed.stderr
    assert event_ids(home) == before
    again = lorc(home, "replay", *map(str, backups))
    assert again.returncode == 0, again.stderr
    assert "event_log inserted=0" in again.stdout
    assert event_ids(home) == before
