"""Fault injection: ``kill -9`` at random points of ``run daily``, then a re-run, compared with a
clean run.

Drives the real executable on sample data. One home gets a clean ``run daily``. Another gets
``LORCHESTRA_CHAOS_KILLS`` runs (default 1 here; ``make chaos`` runs 10) each killed with SIGKILL
at a random moment (seeded by ``LORCHESTRA_CHAOS_SEED``) — during ingest, canonize, scoring,
projections or reports — and then one run left to finish. Every table (keys and payload hashes),
``local.db``, the markdown files and the report files must then equal the clean run's: nothing
lost, nothing duplicated; and nothing is left over: no process of the home, no extract file, no
run still ``running``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ingestor
import sample_data

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow
TABLES = {"raw_objects": "idem_key", "canonical_objects": "idem_key",
          "canonical_rejections": "idem_key", "measurement_events": "event_key",
          "observations": "observation_key"}


def env_for(home: Path, data: Path) -> dict[str, str]:
    return {**os.environ, "LORCHESTRA_HOME": str(home), "LORCHESTRA_SAMPLE_DATA": str(data)}


def lorc(home: Path, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "lorchestra"), *args], capture_output=True, text=True,
                          env=env_for(home, data), timeout=900)


def assert_completed(run: subprocess.CompletedProcess[str]) -> None:
    """Every step completed (or had nothing to do); the data checks may flag the sample's age."""
    steps = json.loads(run.stdout)["steps"]
    bad = [(s["job_id"], s["status"]) for s in steps
           if s["status"] not in ("completed", "skipped") and s["stage"] != "check"]
    assert bad == [], run.stderr


def snapshot(home: Path, data: Path) -> dict[str, object]:
    state: dict[str, object] = {}
    for table, key in TABLES.items():
        out = lorc(home, data, "sql", f"SELECT {key} AS k, payload_hash AS h FROM {table} "
                                      "ORDER BY 1", "--json")
        assert out.returncode == 0, out.stderr
        state[table] = [(r["k"], r["h"]) for r in json.loads(out.stdout)]
    with sqlite3.connect(home / "local.db") as db:
        names = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != '_meta' ORDER BY 1")]
        for name in names:
            rows = db.execute(f'SELECT * FROM "{name}"').fetchall()  # noqa: S608 - test names
            state[f"local.db:{name}"] = sorted(map(repr, rows))
    views = home / "local_views"
    state["local_views"] = {str(p.relative_to(views)): p.read_text()
                            for p in sorted(views.rglob("*.md"))}
    reports = home / "reports"
    state["reports"] = sorted(str(p.relative_to(reports)) for p in reports.rglob("*")
                              if p.is_file())
    return state


def processes_of(home: Path) -> list[int]:
    marker = f"LORCHESTRA_HOME={home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_killed_runs_then_a_rerun_equal_a_clean_run(tmp_path: Path) -> None:
    ingestor.install_project()
    data = tmp_path / "sample"
    sample_data.generate(data, seed=5, size=60)
    clean, chaos = tmp_path / "clean", tmp_path / "chaos"
    started = time.monotonic()
    assert_completed(lorc(clean, data, "run", "daily", "--json"))
    duration = time.monotonic() - started
    expected = snapshot(clean, data)

    kills = int(os.environ.get("LORCHESTRA_CHAOS_KILLS", "1"))
    chooser = random.Random(int(os.environ.get("LORCHESTRA_CHAOS_SEED", "15")))
    for _ in range(kills):
        run = subprocess.Popen([str(BIN / "lorchestra"), "run", "daily"],
                               env=env_for(chaos, data), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        try:
            run.wait(timeout=chooser.uniform(1.0, duration))
        except subprocess.TimeoutExpired:
            run.send_signal(signal.SIGKILL)
            run.wait()
        deadline = time.monotonic() + 10
        while processes_of(chaos) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert processes_of(chaos) == [], "a child outlived the killed run"

    assert_completed(lorc(chaos, data, "run", "daily", "--json"))
    assert snapshot(chaos, data) == expected
    assert not [p for p in (chaos / "extract").rglob("*") if p.is_file()]
    runs = json.loads(lorc(chaos, data, "runs", "list", "--json", "--limit", "500").stdout)
    assert "running" not in {r["status"] for r in runs}
