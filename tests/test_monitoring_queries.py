"""The named queries that status, runs, stats, alerts, metrics, checks and lineage run are
GoogleSQL that both backends execute, over a warehouse with a few recorded runs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lorchestra.named_queries import find_query
from lorchestra.stack_clients.event_client import emit
from lorchestra.warehouse import Warehouse

QUERIES = ("last_runs", "job_runs", "job_stats", "job_history", "run_events", "alert_state",
           "recent_alerts", "last_checks", "ingest_run_for", "raw_counts",
           "canonical_stats")  # fmt: skip
PARAMS = {"days": 7, "run": "run-b", "connection_name": "acct1", "object_type": "email",
          "last_seen": datetime(2020, 1, 1, tzinfo=UTC)}  # fmt: skip


def _record(warehouse: Warehouse) -> None:
    for run, ended, data in (
        ("run-a", "job.completed", {"counts": {"inserted": 2}, "duration_s": 1.5}),
        ("run-b", "job.failed", {"duration_s": 0.5}),
    ):
        named = {"job": "hello", "definition": "greet"}
        emit(warehouse, "job.started", "testpkg", named, correlation_id=run, trace_id="p-1")
        emit(warehouse, ended, "testpkg", {**named, **data}, correlation_id=run, trace_id="p-1",
             status="failed" if ended == "job.failed" else "ok")  # fmt: skip
    emit(warehouse, "ingest.completed", "gmail", {"inserted": 1}, correlation_id="run-i",
         connection_name="acct1", target_object_type="email")  # fmt: skip
    emit(warehouse, "alert.sent", "lorchestra", {"kind": "failed", "job": "greet",
         "run_id": "run-b", "channels": ["webhook"]})  # fmt: skip
    emit(warehouse, "checks.completed", "lorchestra", {"results": [], "failed": 0})


@pytest.mark.parametrize("name", QUERIES)
def test_named_query_runs_on_both_backends(warehouse: Warehouse, name: str) -> None:
    _record(warehouse)
    query = find_query(name)
    rows = warehouse.query(query.sql, {p: PARAMS[p] for p in query.params})
    expected = {"last_runs": 1, "job_runs": 2, "job_stats": 1, "job_history": 2,
                "run_events": 2, "alert_state": 1, "recent_alerts": 1, "last_checks": 1,
                "ingest_run_for": 1, "raw_counts": 0, "canonical_stats": 0}  # fmt: skip
    assert len(rows) == expected[name]
    if name == "last_runs":
        [row] = rows
        assert (row["definition"], row["outcome"], row["run_id"]) == ("greet", "failed", "run-b")
        assert row["last_success_at"] is not None
    if name == "job_stats":
        assert (rows[0]["runs"], rows[0]["failed"]) == (2, 1)
