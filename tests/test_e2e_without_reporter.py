"""``daily`` is assembled from what is installed: without the reporter it runs, minus reports.

The test uninstalls ``lorchestra-reporter`` from the test environment, runs the real
``lorchestra run daily`` on sample data, and installs the package again afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import ingestor
import sample_data
from tests.support.venv_packages import uv_pip

ROOT = Path(__file__).parent.parent
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


@pytest.fixture
def without_reporter() -> Iterator[None]:
    uv_pip("uninstall", "lorchestra-reporter")
    try:
        yield
    finally:
        uv_pip("install", "--no-deps", "--compile-bytecode", "-e", str(ROOT / "packages/reporter"))


def test_daily_runs_without_the_reporter(
    without_reporter: None, home: Path, tmp_path: Path
) -> None:
    ingestor.install_project()
    data = tmp_path / "sample"
    sample_data.generate(data, seed=5, size=20)
    env = {**os.environ, "LORCHESTRA_HOME": str(home), "LORCHESTRA_SAMPLE_DATA": str(data)}
    ran = subprocess.run([str(BIN / "lorchestra"), "run", "daily", "--json"],
                         capture_output=True, text=True, env=env, timeout=900)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    steps = json.loads(ran.stdout)["steps"]
    assert {s["status"] for s in steps} == {"completed"}
    stages = [s["stage"] for s in steps if s["stage"] not in ("ingest", "canonize")]
    assert stages == ["form", "check"]  # no risk alerts, projection or report stage
    assert not any(s["job"].startswith("reporter/") for s in steps)
    assert not (home / "reports").exists()
