"""Crash consistency of side effects: ``kill -9`` of lorchestra while it writes the markdown files
and while it writes the weekly reports, then a re-run, compared with a clean run.

One home gets a clean ``run daily`` (real Meltano runs on sample data) and the weekly reports of
the sample's busiest week. For each kill point a copy of that home without ``local_views/`` or
``reports/`` (whichever the writer makes) runs the writer (``run project_files``, or
``generate_weekly_report`` for that week, with ``--jobs 1`` so the writing process is lorchestra
itself) once with the test hook of ``tests/support/kill_in_write`` (on ``PYTHONPATH``), which
SIGKILLs the process inside ``write_private`` half-way through the n-th matching file, and then
once more normally. With report workers (``reports-workers``) the hook kills a worker instead:
lorchestra then fails with one line saying so, and the re-run repairs the same way.
The files must then be byte for byte the clean run's, with no partial file and no temp file
left anywhere in the home.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

import ingestor
import sample_data

BIN = Path(sys.executable).parent
HOOK = Path(__file__).parent / "support" / "kill_in_write"
pytestmark = pytest.mark.slow

KILL_POINTS = [
    # (writer, files the kill is among, which of them)
    ("markdown", "local_views/*/*.md", 3),
    ("reports", "reports/*/*.pdf", 2),  # the PDF goes first: the HTML is still missing
    ("reports", "reports/*/*.html", 2),  # the PDF is new, the HTML not yet written
    ("reports-workers", "reports/*/*.pdf", 2),  # a worker process dies mid-PDF
]


def lorc(home: Path, data: Path, *args: str, kill_at: str | None = None
         ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LORCHESTRA_HOME": str(home), "LORCHESTRA_SAMPLE_DATA": str(data)}
    if kill_at is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HOOK), env.get("PYTHONPATH")]))
        env["LORCHESTRA_TEST_KILL_IN_WRITE"] = kill_at
    return subprocess.run([str(BIN / "lorchestra"), *args], capture_output=True, text=True,
                          env=env, timeout=900)


def side_effects(home: Path) -> dict[str, bytes]:
    """Every markdown and report file of the home, by path, with its bytes."""
    return {str(p.relative_to(home)): p.read_bytes()
            for top in ("local_views", "reports") for p in sorted((home / top).rglob("*"))
            if p.is_file()}


def temp_files(home: Path) -> list[str]:
    return [str(p.relative_to(home)) for p in home.rglob(".*.tmp")]


def busiest_week(home: Path, data: Path) -> str:
    """The ISO week (e.g. 2026-W46) with the most clients in the sample, not today's."""
    out = lorc(home, data, "sql", "SELECT week_start FROM reporting_snapshots GROUP BY 1 "
                                  "ORDER BY COUNT(*) DESC, 1 DESC LIMIT 1", "--json")
    assert out.returncode == 0, out.stderr
    year, week, _ = date.fromisoformat(str(json.loads(out.stdout)[0]["week_start"])[:10]
                                       ).isocalendar()
    return f"{year}-W{week:02d}"


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, list[str]]]:
    """The clean home, the sample data, and each writer's command."""
    ingestor.install_project()
    root = tmp_path_factory.mktemp("crash")
    data, home = root / "sample", root / "clean"
    sample_data.generate(data, seed=5, size=60)
    run = lorc(home, data, "run", "daily")
    assert run.returncode in (0, 1), run.stderr  # 1: the data checks may flag the sample's age
    reports = ["run-job", "reporter", "generate_weekly_report", "--week", busiest_week(home, data)]
    commands = {"markdown": ["run", "project_files"], "reports": [*reports, "--jobs", "1"],
                "reports-workers": [*reports, "--jobs", "2"]}
    shutil.rmtree(home / "reports")  # daily's are this week's: keep only the busiest week's
    assert lorc(home, data, *commands["reports"]).returncode == 0
    return home, data, commands


@pytest.mark.parametrize(("writer", "pattern", "nth"), KILL_POINTS,
                         ids=[f"{p}#{n}" for _, p, n in KILL_POINTS])
def test_a_kill_inside_a_writer_then_a_rerun_equals_a_clean_run(
        clean: tuple[Path, Path, dict[str, list[str]]], tmp_path: Path, writer: str,
        pattern: str, nth: int) -> None:
    clean_home, data, commands = clean
    expected = side_effects(clean_home)
    assert sum(name.endswith(".md") for name in expected) > nth
    assert sum(name.endswith(".html") for name in expected) > nth
    home = tmp_path / "home"
    written = "local_views" if writer == "markdown" else "reports"
    shutil.copytree(clean_home, home, ignore=shutil.ignore_patterns(written))

    killed = lorc(home, data, *commands[writer], kill_at=f"{pattern}:{nth}")
    if writer == "reports-workers":  # each worker counts its own writes: one or both die
        assert killed.returncode == 1, killed.stderr
        assert "A weekly report worker process died" in killed.stderr
        assert 1 <= len(temp_files(home)) <= 2
    else:
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        # Killed inside the writer: its temp file is there and the run is incomplete.
        assert len(temp_files(home)) == 1
    assert side_effects(home) != expected

    rerun = lorc(home, data, *commands[writer])
    assert rerun.returncode == 0, rerun.stderr
    assert temp_files(home) == []
    found = side_effects(home)
    assert sorted(found) == sorted(expected)
    for name, body in found.items():  # rendering is deterministic, PDFs included
        assert body == expected[name], name
        if name.endswith(".pdf"):
            assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF"), name
