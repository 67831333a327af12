"""Read-only SQL is enforced by the engine: `sql` and `query` (saved and shipped queries alike)
run read-only statements with no file, network or extension access and a locked configuration,
refuse anything else without --write, and report SQL that does not parse with its position."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from lorchestra.config import load_settings
from lorchestra.errors import TerminalWarehouseError
from lorchestra.warehouse import installed_tables
from lorchestra.warehouse.readonly import WriteRefused, open_sandboxed, require_read_only
from tests.support.bqemu import BigQueryEmulator

BIN = Path(sys.executable).parent


def lorc(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LORCHESTRA_HOME": str(home)}
    return subprocess.run(
        [str(BIN / "lorchestra"), *args], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture
def filled(home: Path) -> Path:
    assert lorc(home, "init").returncode == 0
    insert = (
        "INSERT INTO raw_objects (idem_key, source_system, connection_name, object_type, "
        "external_id, payload, payload_hash, first_seen, last_seen) VALUES ('k1', 's', 'c', 'o', "
        "'e1', JSON '{\"subject\": \"canary payload\"}', 'h', CURRENT_TIMESTAMP(), "
        "CURRENT_TIMESTAMP())"
    )
    assert lorc(home, "sql", "--write", insert).returncode == 0
    return home


def test_saved_copy_query_is_refused_without_write(filled: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    (filled / "queries").mkdir(mode=0o700)
    (filled / "queries" / "x.sql").write_text(
        f"-- exports every payload\nCOPY (SELECT payload FROM raw_objects) TO '{target}'\n"
    )
    result = lorc(filled, "query", "x")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: This SQL changes data, schema or files (COPY); add --write to run it."
    )
    assert not target.exists()


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM read_json_auto('/etc/hosts')",
    ],
)
def test_host_files_are_not_readable(filled: Path, statement: str) -> None:
    result = lorc(filled, "sql", statement)
    assert result.returncode == 1
    assert "read-only SQL has no file, network or extension access" in result.stderr
    assert "root:" not in result.stdout


def test_saved_select_reading_a_file_is_refused_by_the_engine(filled: Path) -> None:
    (filled / "queries").mkdir(mode=0o700)
    (filled / "queries" / "peek.sql").write_text("SELECT * FROM read_csv('/etc/passwd')\n")
    result = lorc(filled, "query", "peek")
    assert result.returncode == 1 and "no file, network or extension access" in result.stderr


def test_shipped_and_saved_read_queries_still_run(filled: Path) -> None:
    shipped = lorc(filled, "query", "raw_counts", "--json")
    assert shipped.returncode == 0, shipped.stderr
    assert json.loads(shipped.stdout)[0]["objects"] == 1
    (filled / "queries").mkdir(mode=0o700)
    (filled / "queries" / "mine.sql").write_text(
        "SELECT JSON_VALUE(payload, '$.subject') AS s FROM raw_objects WHERE idem_key = @key\n"
    )
    mine = lorc(filled, "query", "mine", "--param", "key=k1", "--json")
    assert json.loads(mine.stdout) == [{"s": "canary payload"}]


@pytest.mark.parametrize(
    ("statement", "kind"),
    [
        ("SELECT 1; DELETE FROM raw_objects WHERE TRUE", "DELETE"),
        ("DROP TABLE raw_objects", "DROP"),
        ("CREATE TABLE t (a INT64)", "CREATE"),
    ],
)
def test_writes_need_write(filled: Path, statement: str, kind: str) -> None:
    result = lorc(filled, "sql", statement)
    assert result.returncode == 2 and f"({kind})" in result.stderr
    assert json.loads(lorc(filled, "sql", "SELECT COUNT(*) AS n FROM raw_objects", "--json")
                      .stdout) == [{"n": 1}]


@pytest.mark.parametrize(
    ("statement", "where"),
    [("SELEC 1", "line 1, column 7"), ("SELECT a,\n  FROM (1", "line 2")],
)
def test_typos_are_syntax_errors_with_position(filled: Path, statement: str, where: str) -> None:
    result = lorc(filled, "sql", statement)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: SQL syntax error at {where}")
    assert "changes data" not in result.stderr


def test_sandbox_configuration_is_locked(filled: Path) -> None:
    warehouse = open_sandboxed(load_settings(environ={"LORCHESTRA_HOME": str(filled)}))
    try:
        assert warehouse.query(
            "SELECT current_setting('enable_external_access') AS v"
        ) == [{"v": False}]
        with pytest.raises(TerminalWarehouseError, match="locked"):
            warehouse.query("SET enable_external_access = true")
    finally:
        warehouse.close()


@pytest.mark.bigquery
def test_bigquery_types_statements_with_a_dry_run(bq_emulator: BigQueryEmulator) -> None:
    """The emulator answers dry runs with the statement type (and runs nothing), as BigQuery
    does, so this exercises the same code path production uses."""
    from lorchestra.warehouse.bigquery_backend import BigQueryWarehouse

    warehouse = BigQueryWarehouse(
        bq_emulator.project, f"ro_{uuid.uuid4().hex[:8]}", client=bq_emulator.client()
    )
    warehouse.ensure_tables(installed_tables().values())
    assert require_read_only(warehouse, "SELECT COUNT(*) AS n FROM raw_objects", write=False)
    for statement, kind in [
        ("DELETE FROM raw_objects WHERE TRUE", "DELETE"),
        ("CREATE TABLE t (a INT64)", "CREATE_TABLE"),
        ("SELECT 1; SELECT 2", "SCRIPT"),
    ]:
        with pytest.raises(WriteRefused, match=kind):
            require_read_only(warehouse, statement, write=False)
    assert not require_read_only(warehouse, "CREATE TABLE t (a INT64)", write=True)
    with pytest.raises(TerminalWarehouseError, match="not found"):
        warehouse.query("SELECT * FROM t")  # the dry run created nothing


def test_a_home_without_a_warehouse_file_is_sandboxed_too(home: Path) -> None:
    ok = lorc(home, "sql", "SELECT current_setting('enable_external_access') AS v", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == [{"v": False}]
    refused = lorc(home, "sql", "SELECT * FROM read_csv('/etc/passwd')")
    assert refused.returncode == 1 and "no file, network" in refused.stderr
