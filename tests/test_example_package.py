"""The worked example of docs/writing-jobs.md: a third-party package with its own table.

``examples/acme-widgets`` is pip-installed into the test environment and driven through the
real ``lorchestra`` executable: ``init`` creates its table, the first run inserts three widgets,
the second finds them unchanged; its query and its stage of ``daily`` are there — on DuckDB
and on the BigQuery emulator.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import venv_packages
from tests.support.bqemu import BigQueryEmulator

EXAMPLE = Path(__file__).parent.parent / "examples" / "acme-widgets"
CATALOGUE = EXAMPLE / "widgets.csv"
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed() -> Iterator[None]:
    with venv_packages.installed(EXAMPLE, "acme-widgets"):
        yield


def lorc(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "lorchestra"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "LORCHESTRA_HOME": str(home), **(env or {})},
        timeout=180,
    )


def check_example(home: Path, env: dict[str, str] | None = None) -> None:
    initialised = lorc(home, "init", env=env)
    assert initialised.returncode == 0, initialised.stderr
    assert "acme_widgets" in initialised.stdout

    for expected in ({"inserted": 3, "unchanged": 0}, {"inserted": 0, "unchanged": 3}):
        ran = lorc(home, "run-job", "acme", "load_widgets", "--source", str(CATALOGUE), "--json",
                   env=env)  # fmt: skip
        assert ran.returncode == 0, ran.stderr
        counts = json.loads(ran.stdout)["counts"]
        assert {k: counts[k] for k in expected} == expected
        assert counts["updated"] == counts["rejected"] == 0

    sized = lorc(home, "query", "widgets_by_size", "--json", env=env)
    assert sized.returncode == 0, sized.stderr
    assert json.loads(sized.stdout) == [{"size": 3, "widgets": 2}, {"size": 5, "widgets": 1}]
    columns = lorc(home, "sql", "SELECT * FROM acme_widgets ORDER BY widget_id", "--json", env=env)
    first = json.loads(columns.stdout)[0]
    assert {"widget_id", "name", "size", "payload_hash", "first_seen", "last_seen"} <= set(first)


def test_the_example_package_on_duckdb(installed: None, home: Path) -> None:
    check_example(home)
    daily = lorc(home, "jobs", "show", "daily", "--json")
    assert daily.returncode == 0, daily.stderr
    # its stage (order 60) comes after the reports (50), before the data checks (1000)
    assert json.loads(daily.stdout)["steps"][-2:] == ["load_widgets", "data_checks"]


@pytest.mark.bigquery
def test_the_example_package_on_bigquery(
    installed: None, home: Path, bq_emulator: BigQueryEmulator
) -> None:
    dataset = f"acme_{uuid.uuid4().hex[:8]}"
    check_example(
        home,
        {
            "LORCHESTRA_WAREHOUSE": "bigquery",
            "GOOGLE_CLOUD_PROJECT": bq_emulator.project,
            "LORCHESTRA_BQ_DATASET": dataset,
            "LORCHESTRA_BQ_ENDPOINT": bq_emulator.endpoint,
        },
    )
    table = bq_emulator.client().get_table(f"{bq_emulator.project}.{dataset}.acme_widgets")
    assert table.clustering_fields == ["widget_id"]
