"""Appends of a few rows (a run's events) go in with parameters, not through Arrow: the same
stored values, the same refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from lorchestra.errors import TerminalWarehouseError
from lorchestra.warehouse import duckdb_backend
from lorchestra.warehouse.duckdb_backend import DuckDBWarehouse
from lorchestra.warehouse.schema import TableSpec, columns

ALL_TYPES = TableSpec(
    "all_types",
    columns("s STRING!, i INT64, f FLOAT64, b BOOL, t TIMESTAMP, j JSON"),
)


def appended(tmp_path: Path, name: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    warehouse = DuckDBWarehouse(tmp_path / f"{name}.duckdb")
    try:
        warehouse.append(ALL_TYPES, rows)
        return warehouse.query("SELECT * FROM all_types ORDER BY s")
    finally:
        warehouse.close()


def test_small_appends_store_what_arrow_staging_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    moment = datetime(2026, 11, 30, 23, 59, 58, 123456, tzinfo=UTC)
    elsewhere = datetime(2026, 12, 1, 1, 2, 3, tzinfo=timezone(timedelta(hours=-5)))
    rows: list[dict[str, Any]] = [
        {"s": "a", "i": 2**40, "f": 1.25, "b": True, "t": moment, "j": '{"z": [1, "ä"]}'},
        {"s": "b", "i": -1, "f": 3, "b": False, "t": elsewhere, "j": "[]"},
        {"s": "c"},
    ]
    by_parameters = appended(tmp_path, "parameters", rows)
    monkeypatch.setattr(duckdb_backend, "SMALL_APPEND_ROWS", 0)
    by_arrow = appended(tmp_path, "arrow", rows)
    assert by_parameters == by_arrow
    assert by_parameters[1]["t"] == elsewhere
    assert by_parameters[0]["j"] == {"z": [1, "ä"]}


def test_a_value_of_the_wrong_type_is_refused_on_either_path(tmp_path: Path) -> None:
    with pytest.raises(TerminalWarehouseError, match="do not match its schema"):
        appended(tmp_path, "wrong", [{"s": 5}])
