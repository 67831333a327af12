"""A batch that fails mid-write leaves the table as before it and its backup in place."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lorchestra.cli import app
from lorchestra.config import Settings
from lorchestra.errors import TransientWarehouseError, WarehouseError
from lorchestra.run_context import RunContext, new_run_id, running
from lorchestra.stack_clients.event_client import upsert_objects
from lorchestra.warehouse import TableSpec, installed_tables
from lorchestra.warehouse.duckdb_backend import DuckDBWarehouse


class FailingOnSecondBatch(DuckDBWarehouse):
    """Runs the real staging and MERGE, then fails inside the transaction of batch 2."""

    calls = 0

    def merge(self, spec: TableSpec, rows: Sequence[dict[str, Any]]) -> dict[str, str]:
        self.calls += 1
        if self.calls == 2:
            self._con.execute("BEGIN TRANSACTION")
            self._con.execute("DELETE FROM raw_objects")  # real work, then a crash
            self._con.execute("ROLLBACK")
            raise TransientWarehouseError("connection lost")
        return super().merge(spec, rows)


def test_failed_batch_keeps_backup_and_replay_completes(settings: Settings, home: Path) -> None:
    warehouse = FailingOnSecondBatch(settings.duckdb_path)
    warehouse.ensure_tables(installed_tables().values())
    objects = [{"id": str(i), "v": i} for i in range(10)]
    context = RunContext(new_run_id(), home=home, settings=settings)
    with running(context), pytest.raises(WarehouseError) as failure:
        upsert_objects(
            warehouse,
            objects,
            source_system="s",
            connection_name="c",
            object_type="t",
            external_id="id",
            batch_size=4,
            emit_event=False,
        )
    message = str(failure.value)
    assert "batch 2" in message and "lorchestra replay" in message
    assert warehouse.query("SELECT COUNT(*) AS n FROM raw_objects") == [{"n": 4}]
    warehouse.close()

    backups = list((home / "backup" / "raw").rglob("run_*.jsonl"))
    assert len(backups) == 1 and backups[0].stat().st_mode & 0o077 == 0
    assert str(backups[0]) in message
    # Batch 1, the failed batch 2, and batch 3, which was read while batch 2 was being written.
    assert len(backups[0].read_text().splitlines()) == 10

    runner = CliRunner()
    first = runner.invoke(app, ["replay", str(backups[0])])
    assert first.exit_code == 0, first.output
    assert "inserted=6 updated=0 unchanged=4" in first.output
    second = runner.invoke(app, ["replay", str(backups[0])])
    assert "inserted=0 updated=0 unchanged=10" in second.output
    check = DuckDBWarehouse(settings.duckdb_path, read_only=True)
    assert check.query("SELECT COUNT(*) AS n FROM raw_objects") == [{"n": 10}]
    check.close()


def test_replay_rejects_a_file_that_is_not_a_backup(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"table": "raw_objects"}\nnot json\n')
    result = CliRunner().invoke(app, ["replay", str(bad)])
    assert result.exit_code == 2
    assert "line 1 is not a backup row" in result.output
