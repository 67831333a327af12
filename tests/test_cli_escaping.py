"""Values from the warehouse are shown as they are: rich never reads them as markup or emoji."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def lorc(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LORCHESTRA_HOME": str(home)}
    return subprocess.run(
        [str(BIN / "lorchestra"), *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_sql_prints_markup_and_emoji_codes_literally(home: Path) -> None:
    result = lorc(
        home, "sql", "SELECT '[b]x[/b]' AS s, 'note [/b] x' AS t, 'a:smile:b [red]' AS \"[u]c\""
    )
    assert result.returncode == 0, result.stderr
    assert "[b]x[/b]" in result.stdout
    assert "note [/b] x" in result.stdout
    assert "a:smile:b [red]" in result.stdout and "\N{SMILING FACE WITH SMILING EYES}" not in (
        result.stdout
    )
    assert "[u]c" in result.stdout


def test_doctor_keeps_its_own_brackets(home: Path) -> None:
    result = lorc(home, "doctor")
    assert "[connections.*]" in result.stdout


def test_runs_list_shows_a_stored_error_literally(home: Path) -> None:
    assert lorc(home, "init").returncode == 0
    insert = (
        "INSERT INTO event_log (event_id, event_type, source_system, correlation_id, created_at, "
        "status, error_message, payload) VALUES ('e1', 'job.failed', 'pkg', 'run-1', "
        "CURRENT_TIMESTAMP(), 'failed', 'Boom [/b] :smile:', JSON '{\"job\": \"j\"}')"
    )
    assert lorc(home, "sql", insert, "--write").returncode == 0
    result = lorc(home, "runs", "list")
    assert result.returncode == 0, result.stderr
    assert "Boom [/b] :smile:" in result.stdout
