"""The canonicalize jobs give the same tables whether they transform inline or in workers.

More than one read batch of pending messages sends the transform to worker processes; the rows
written (payloads, hashes, lineage, rejections and their reasons) must be exactly those of a
``--jobs 1`` run over the same raw objects, in the same order.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import sample_data
from canonizer import _batches
from canonizer import jobs as canonize_jobs
from canonizer.jobs import canonicalize_email
from lorchestra.api import LorchestraError, worker_pool
from lorchestra.stack_clients.event_client import upsert_objects
from lorchestra.warehouse import installed_tables
from lorchestra.warehouse.duckdb_backend import DuckDBWarehouse

CANONICAL = (
    "SELECT idem_key, source_idem_key, canonical_schema, canonical_kind, transform_ref, "
    "CAST(payload AS VARCHAR) AS payload, payload_hash, source_payload_hash "
    "FROM canonical_objects ORDER BY idem_key"
)
EMAIL_MESSAGES = (
    "SELECT * EXCLUDE (first_seen, last_seen) FROM email_messages ORDER BY idem_key"
)
REJECTED = (
    "SELECT idem_key, source_idem_key, transform_ref, source_payload_hash, reason, payload_hash "
    "FROM canonical_rejections ORDER BY idem_key"
)


def _loaded(path: Path, records: list[dict[str, Any]]) -> DuckDBWarehouse:
    warehouse = DuckDBWarehouse(path)
    warehouse.ensure_tables(installed_tables().values())
    upsert_objects(
        warehouse,
        records,
        source_system="gmail",
        connection_name="gmail-acct1",
        object_type="email",
        external_id="id",
        emit_event=False,
    )
    return warehouse


def test_workers_write_what_one_process_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(canonize_jobs, "READ_BATCH", 700)  # three read batches, not 5,000
    pools: list[int] = []

    def counted_pool(workers: int, **kwargs: Any) -> ProcessPoolExecutor:
        pools.append(workers)
        return worker_pool(workers, **kwargs)

    monkeypatch.setattr(_batches, "worker_pool", counted_pool)
    records = list(sample_data.iter_records("gmail", "gmail-acct1", "email", count=1_800))
    records[5] = {"id": records[5]["id"], "threadId": "t"}  # no payload: rejected
    records[1_500]["payload"]["headers"] = [{"name": "From", "value": "=?x?q?broken <a@b"}]
    tables = {}
    for jobs in (1, 2):
        warehouse = _loaded(tmp_path / f"jobs{jobs}.duckdb", records)
        try:
            counts = canonicalize_email(warehouse, jobs=jobs)
            tables[jobs] = (
                warehouse.query(CANONICAL), warehouse.query(REJECTED), counts,
                warehouse.query(EMAIL_MESSAGES),
            )  # fmt: skip
        finally:
            warehouse.close()
    assert pools == [2]  # jobs=1 ran inline, jobs=2 in two worker processes
    single, parallel = tables[1], tables[2]
    assert single[2]["processed"] == 1_800 and single[2]["rejected"] >= 1
    assert parallel[2] == single[2]
    assert parallel[1] == single[1]
    assert parallel[0] == single[0]
    assert parallel[3] == single[3] and len(single[3]) == len(single[0])


def test_jobs_must_be_positive(tmp_path: Path) -> None:
    warehouse = _loaded(tmp_path / "w.duckdb", [])
    try:
        with pytest.raises(LorchestraError, match="--jobs must be at least 1"):
            canonicalize_email(warehouse, jobs=0)
    finally:
        warehouse.close()
