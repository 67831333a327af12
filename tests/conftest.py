"""Shared fixtures: an isolated private data home, settings, and warehouses of both kinds.

The ``warehouse`` fixture is parametrized over DuckDB and the BigQuery emulator (one emulator
per test session, one fresh dataset per test), so the contract tests run on both backends.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lorchestra.config import Settings, load_settings
from lorchestra.warehouse import Warehouse, installed_tables
from tests.support.bqemu import MISSING_MESSAGE, BigQueryEmulator, emulator_available


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's own configuration or data home."""
    for name in list(os.environ):
        if name.startswith("LORCHESTRA_") or name in ("BQ_EVENTS_DATASET", "GOOGLE_CLOUD_PROJECT"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    path.mkdir(mode=0o700)
    path.chmod(0o700)
    monkeypatch.setenv("LORCHESTRA_HOME", str(path))
    return path


@pytest.fixture
def settings(home: Path) -> Settings:
    return load_settings(environ={"LORCHESTRA_HOME": str(home)})


@pytest.fixture(scope="session")
def bq_emulator() -> Iterator[BigQueryEmulator]:
    if not emulator_available():
        pytest.fail(MISSING_MESSAGE)
    with BigQueryEmulator() as emulator:
        yield emulator


def _duckdb(settings: Settings) -> Warehouse:
    from lorchestra.warehouse.duckdb_backend import DuckDBWarehouse

    warehouse = DuckDBWarehouse(settings.duckdb_path)
    warehouse.ensure_tables(installed_tables().values())
    return warehouse


def _bigquery(emulator: BigQueryEmulator) -> Warehouse:
    from lorchestra.warehouse.bigquery_backend import BigQueryWarehouse

    dataset = f"t_{uuid.uuid4().hex[:10]}"
    warehouse = BigQueryWarehouse(emulator.project, dataset, client=emulator.client())
    warehouse.ensure_tables(installed_tables().values())
    return warehouse


@pytest.fixture(params=["duckdb", pytest.param("bigquery", marks=pytest.mark.bigquery)])
def warehouse(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Warehouse]:
    if request.param == "duckdb":
        wh = _duckdb(settings)
    else:
        wh = _bigquery(request.getfixturevalue("bq_emulator"))
    try:
        yield wh
    finally:
        if wh.backend == "duckdb":
            wh.close()


@pytest.fixture
def duckdb_warehouse(settings: Settings) -> Iterator[Warehouse]:
    wh = _duckdb(settings)
    yield wh
    wh.close()
