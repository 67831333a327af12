"""`lorchestra init --print-ddl`: the printed GoogleSQL, run on the emulator, gives init's
tables; and a namespace on BigQuery is a dataset of its own."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lorchestra.cli import app
from lorchestra.warehouse import installed_tables
from tests.support.bqemu import BigQueryEmulator

pytestmark = pytest.mark.bigquery


# Legacy names the emulator reports for the same types.
ALIASES = {"FLOAT": "FLOAT64", "BOOLEAN": "BOOL", "INTEGER": "INT64"}


def _shape(table: Any, *, json_as_string: bool = False) -> dict[str, Any]:
    def kind(field_type: str) -> str:
        field_type = ALIASES.get(field_type, field_type)
        # The emulator stores a JSON column created by DDL as STRING (by its API: JSON).
        return "STRING" if json_as_string and field_type == "JSON" else field_type

    return {
        "columns": [(f.name, kind(f.field_type), f.mode, f.description) for f in table.schema],
        "description": table.description,
    }


def _clauses(statement: str) -> tuple[str | None, list[str] | None]:
    """(partition column, cluster columns) as the printed statement declares them."""
    partition = re.search(r"^PARTITION BY DATE\((\w+)\)$", statement, re.M)
    cluster = re.search(r"^CLUSTER BY (.+)$", statement, re.M)
    return (partition.group(1) if partition else None,
            cluster.group(1).split(", ") if cluster else None)


def test_printed_ddl_creates_the_tables_init_creates(
    bq_emulator: BigQueryEmulator, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_init, by_ddl = f"init_{uuid.uuid4().hex[:8]}", f"ddl_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("LORCHESTRA_WAREHOUSE", "bigquery")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", bq_emulator.project)
    monkeypatch.setenv("LORCHESTRA_BQ_ENDPOINT", bq_emulator.endpoint)
    runner = CliRunner()
    monkeypatch.setenv("LORCHESTRA_BQ_DATASET", by_init)
    assert runner.invoke(app, ["init"]).exit_code == 0
    monkeypatch.setenv("LORCHESTRA_BQ_DATASET", by_ddl)
    printed = runner.invoke(app, ["init", "--print-ddl"])
    assert printed.exit_code == 0, printed.output
    event_log = f"CREATE TABLE IF NOT EXISTS `{bq_emulator.project}.{by_ddl}.event_log`"
    assert event_log in printed.output
    assert "PARTITION BY DATE(created_at)" in printed.output
    client = bq_emulator.client()
    assert list(client.list_tables(f"{bq_emulator.project}.{by_init}"))
    # Printing creates nothing.
    assert not any(d.dataset_id == by_ddl for d in client.list_datasets())
    statements = {}
    for statement in printed.output.split(";\n"):
        if statement.strip():
            client.query(statement).result()
            found = re.search(r"CREATE TABLE IF NOT EXISTS `[^`]*\.(\w+)`", statement)
            if found:
                statements[found.group(1)] = statement

    names = set(installed_tables())
    listed = {t.table_id for t in client.list_tables(f"{bq_emulator.project}.{by_ddl}")}
    assert listed == names == set(statements) == {
        t.table_id for t in client.list_tables(f"{bq_emulator.project}.{by_init}")}
    for name in sorted(names):
        made = client.get_table(f"{bq_emulator.project}.{by_init}.{name}")
        declared = client.get_table(f"{bq_emulator.project}.{by_ddl}.{name}")
        assert _shape(declared) == _shape(made, json_as_string=True), name
        # The emulator ignores PARTITION BY and CLUSTER BY in DDL: compare the printed clauses
        # with what init created instead.
        partition = made.time_partitioning.field if made.time_partitioning else None
        assert _clauses(statements[name]) == (partition, made.clustering_fields), name


def test_a_namespace_on_bigquery_is_its_own_dataset(
    bq_emulator: BigQueryEmulator, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests import fake_entry_points

    fake_entry_points.install(monkeypatch)
    dataset = f"ns_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("LORCHESTRA_WAREHOUSE", "bigquery")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", bq_emulator.project)
    monkeypatch.setenv("LORCHESTRA_BQ_ENDPOINT", bq_emulator.endpoint)
    monkeypatch.setenv("LORCHESTRA_BQ_DATASET", dataset)
    # --namespace sets LORCHESTRA_NAMESPACE in this process: let monkeypatch undo it after.
    monkeypatch.setenv("LORCHESTRA_NAMESPACE", "t1")
    monkeypatch.delenv("LORCHESTRA_NAMESPACE")
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    ran = runner.invoke(app, ["run-job", "testpkg", "hello", "--count", "3", "--namespace", "t1"])
    assert ran.exit_code == 0, ran.output
    client = bq_emulator.client()
    rows = client.query(f"SELECT COUNT(*) AS n FROM `{dataset}_t1.raw_objects`").result()
    assert [r["n"] for r in rows] == [3]
    rows = client.query(f"SELECT COUNT(*) AS n FROM `{dataset}.raw_objects`").result()
    assert [r["n"] for r in rows] == [0]  # the default dataset untouched
    assert (home / "namespaces" / "t1").is_dir()
    os.environ.pop("LORCHESTRA_NAMESPACE", None)
    cleaned = runner.invoke(app, ["clean", "--namespace", "t1"])
    assert cleaned.exit_code == 0, cleaned.output
    assert not any(d.dataset_id == f"{dataset}_t1" for d in client.list_datasets())
    assert any(d.dataset_id == dataset for d in client.list_datasets())
    assert not (home / "namespaces").exists()
