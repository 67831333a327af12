"""Data checks: generic checks from table metadata on both backends, package check files,
freshness, and `lorchestra check` / `status` over a warehouse with a broken reference."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lorchestra.cli import app
from lorchestra.config import load_settings
from lorchestra.connections import Connection
from lorchestra.data_checks import (
    freshness,
    load_check_file,
    package_checks,
    run_checks,
    spec_checks,
)
from lorchestra.errors import ConfigError
from lorchestra.stack_clients.event_client import upsert, upsert_objects
from lorchestra.warehouse import Warehouse, open_warehouse
from lorchestra.warehouse.schema import Column, TableSpec

runner = CliRunner()
PARENT = TableSpec("chk_parent", (Column("pk", "STRING", True), Column("label", "STRING")),
                   key="pk")  # fmt: skip
CHILD = TableSpec(
    "chk_child",
    (Column("ck", "STRING", True), Column("parent_pk", "STRING", True),
     Column("note", "STRING", True)),
    key="ck",
    references={"parent_pk": "chk_parent.pk"},
)  # fmt: skip


def _kept(*rows: dict[str, str | None]) -> list[dict[str, Any]]:
    """Rows as upsert leaves them: with the hash and first/last-seen every keyed table has."""
    now = datetime.now(UTC)
    return [{**row, "payload_hash": "h", "first_seen": now, "last_seen": now} for row in rows]


def _loose(spec: TableSpec) -> TableSpec:
    """The same table without NOT NULL, as a table written by an older version might be."""
    return replace(spec, columns=tuple(replace(c, required=False) for c in spec.columns))


def test_generic_checks_count_duplicates_nulls_and_dangling_references(
    warehouse: Warehouse,
) -> None:
    warehouse.ensure_tables([_loose(PARENT), _loose(CHILD)])
    warehouse.append(_loose(PARENT), _kept({"pk": "p1", "label": "a"}, {"pk": "p1", "label": "b"},
                                           {"pk": "p2", "label": None}))  # fmt: skip
    warehouse.append(
        _loose(CHILD),
        _kept(
            {"ck": "c1", "parent_pk": "p1", "note": "fine"},
            {"ck": "c2", "parent_pk": "gone", "note": "dangling"},
            {"ck": "c3", "parent_pk": "p2", "note": None},
            {"ck": "c4", "parent_pk": None, "note": "no parent is not a dangling reference"},
        ),
    )
    results = {r.name: r for r in run_checks(warehouse, spec_checks([PARENT, CHILD]))}
    assert {name: r.count for name, r in results.items()} == {
        "duplicate_keys:chk_parent": 1,
        "required:chk_parent": 0,
        "duplicate_keys:chk_child": 0,
        "required:chk_child": 2,  # c3's note, c4's parent_pk
        "reference:chk_child.parent_pk": 1,
    }
    assert all(r.severity == "error" for r in results.values())


def test_every_shipped_table_check_runs_clean_on_an_empty_warehouse(warehouse: Warehouse) -> None:
    from lorchestra.warehouse import installed_tables

    checks = spec_checks(installed_tables().values()) + package_checks()
    assert "measurement_subject_is_contact" in {c.name for c in checks}
    results = run_checks(warehouse, checks)
    assert [(r.name, r.error) for r in results if r.count != 0] == []


def test_a_check_that_cannot_run_fails_without_crashing(
    duckdb_warehouse: Warehouse, tmp_path: Path
) -> None:
    broken = load_check_file(_write(tmp_path, "SELECT COUNT(*) FROM no_such_table"), "t")
    [result] = run_checks(duckdb_warehouse, [broken])
    assert result.count is None and result.failed and "no_such_table" in (result.error or "")


def _write(folder: Path, sql: str, header: str = "-- name: broken\n-- severity: warning\n") -> Path:
    path = folder / "check.sql"
    path.write_text(header + "-- What it looks for.\n" + sql + ";\n")
    return path


def test_check_files_need_a_name_and_a_severity(tmp_path: Path) -> None:
    check = load_check_file(_write(tmp_path, "SELECT 0"), "pkg")
    assert (check.name, check.severity, check.sql, check.description) == (
        "broken", "warning", "SELECT 0", "What it looks for.")  # fmt: skip
    with pytest.raises(ConfigError, match="needs '-- name: NAME' and '-- severity"):
        load_check_file(_write(tmp_path, "SELECT 0", "-- name: x\n-- severity: fatal\n"), "pkg")


def test_freshness_per_connection(duckdb_warehouse: Warehouse) -> None:
    upsert_objects(duckdb_warehouse, [{"id": "1"}], source_system="gmail",
                   connection_name="acct1", object_type="email", external_id="id")  # fmt: skip
    conns = [
        Connection("acct1/email", "gmail", "acct1", "email", "tap", "id", freshness_hours=24),
        Connection("acct2/email", "gmail", "acct2", "email", "tap", "id", freshness_hours=24),
        Connection("quiet/email", "gmail", "quiet", "email", "tap", "id", freshness_hours=0),
    ]
    now = datetime.now(UTC)
    assert {r.name: r.count for r in freshness(duckdb_warehouse, conns, now)} == {
        "freshness:acct1/email": 0,
        "freshness:acct2/email": 1,  # nothing ever arrived
    }
    later = {r.name: r.count for r in freshness(duckdb_warehouse, conns, now + timedelta(days=2))}
    assert later["freshness:acct1/email"] == 1


def test_check_command_reports_an_observation_without_its_measurement(home: Path) -> None:
    settings = load_settings(environ={"LORCHESTRA_HOME": str(home)})
    warehouse = open_warehouse(settings)
    now = datetime.now(UTC)
    try:
        upsert(warehouse, "observations", [{
            "observation_key": "m-1/item/q1", "event_key": "m-1", "subject_id": "s-1",
            "instrument_id": "gad7", "kind": "item", "code": "q1", "value": 1.0,
            "occurred_at": now, "payload_hash": "h1",
        }])  # fmt: skip
    finally:
        warehouse.close()
    result = runner.invoke(app, ["check", "--json"])
    assert result.exit_code == 1
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["reference:observations.event_key"]["count"] == 1
    assert checks["reference:observations.event_key"]["status"] == "FAIL"

    status = runner.invoke(app, ["status", "--json"])
    assert status.exit_code == 1
    facts = json.loads(status.stdout)
    failed = [c["name"] for c in facts["checks"] if c["status"] == "FAIL"]
    assert failed == ["reference:observations.event_key"]
    assert "1 data check(s) failed (reference:observations.event_key)" in facts["verdict"]


def test_a_broken_package_check_fails_by_name_and_doctor_says_so(
    duckdb_warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from importlib import metadata as importlib_metadata

    package = tmp_path / "src" / "acme_checks"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""Checks."""\n')
    (package / "good.sql").write_text("-- name: acme_good\n-- severity: warning\nSELECT 0\n")
    (package / "bad.sql").write_text("SELECT 1\n")
    monkeypatch.syspath_prepend(str(tmp_path / "src"))

    class Dist:
        metadata = {"Name": "acme-checks"}
        entry_points = [
            importlib_metadata.EntryPoint("acme", "acme_checks", "lorchestra.checks"),
            importlib_metadata.EntryPoint("gone", "acme_missing_module", "lorchestra.checks"),
        ]

    monkeypatch.setattr(importlib_metadata, "distributions", lambda: [Dist()])
    results = {r.name: r for r in run_checks(duckdb_warehouse, package_checks())}
    assert results["acme_good"].count == 0
    assert results["load:bad.sql"].failed and "needs '-- name" in str(results["load:bad.sql"].error)
    assert "'acme-checks' cannot load lorchestra.checks (acme_missing_module)" in str(
        results["load:gone"].error
    )

    doctor = {c["check"]: c for c in json.loads(runner.invoke(app, ["doctor", "--json"]).stdout)}
    assert doctor["data checks"]["status"] == "FAIL"
    assert "'acme-checks' cannot load lorchestra.checks" in doctor["data checks"]["detail"]
