"""The CLI and ``lorchestra.connect`` against BigQuery (the local emulator), configured by env."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

import lorchestra
from lorchestra.cli import app
from lorchestra.config import load_settings
from tests import fake_entry_points
from tests.support.bqemu import BigQueryEmulator

pytestmark = pytest.mark.bigquery


def test_run_job_and_read_back_on_bigquery(
    bq_emulator: BigQueryEmulator, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_entry_points.install(monkeypatch)
    dataset = f"cli_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("LORCHESTRA_WAREHOUSE", "bigquery")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", bq_emulator.project)
    monkeypatch.setenv("LORCHESTRA_BQ_DATASET", dataset)
    monkeypatch.setenv("LORCHESTRA_BQ_ENDPOINT", bq_emulator.endpoint)
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    ran = runner.invoke(app, ["run-job", "testpkg", "hello", "--count", "4", "--json"])
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.output)["counts"]["inserted"] == 4
    rows = runner.invoke(app, ["sql", "SELECT COUNT(*) AS n FROM raw_objects", "--json"])
    assert json.loads(rows.output) == [{"n": 4}]
    runs = json.loads(runner.invoke(app, ["runs", "list", "--json"]).output)
    assert [r["status"] for r in runs] == ["completed"]

    warehouse = lorchestra.connect(load_settings())
    try:
        assert warehouse.backend == "bigquery"
        assert warehouse.query("SELECT COUNT(*) AS n FROM event_log") == [{"n": 3}]
    finally:
        warehouse.close()
    table = bq_emulator.client().get_table(f"{bq_emulator.project}.{dataset}.event_log")
    assert table.time_partitioning.field == "created_at"
    assert table.clustering_fields == ["source_system", "event_type"]


def test_connect_defaults_to_duckdb_in_the_home(home: Path) -> None:
    warehouse = lorchestra.connect()
    try:
        assert warehouse.backend == "duckdb"
        assert warehouse.query("SELECT COUNT(*) AS n FROM raw_objects") == [{"n": 0}]
    finally:
        warehouse.close()
    assert (home / "lorchestra.duckdb").exists()
