"""The warehouse contract, run on DuckDB and on the BigQuery emulator with the same SQL."""

from __future__ import annotations

from typing import Any

import pytest

from lorchestra.errors import TerminalWarehouseError
from lorchestra.stack_clients.event_client import emit, log_event, upsert, upsert_objects
from lorchestra.warehouse import Warehouse, installed_tables


def raw(warehouse: Warehouse) -> dict[str, dict[str, Any]]:
    rows = warehouse.query(
        "SELECT idem_key, external_id, payload, payload_hash, first_seen, last_seen "
        "FROM raw_objects"
    )
    return {row["idem_key"]: row for row in rows}


def put(warehouse: Warehouse, objects: list[Any], **kw: Any) -> Any:
    return upsert_objects(
        warehouse,
        objects,
        source_system="gmail",
        connection_name="gmail-acct1",
        object_type="email",
        external_id="id",
        emit_event=False,
        **kw,
    )


def test_tables_exist_and_ensure_is_idempotent(warehouse: Warehouse) -> None:
    warehouse.ensure_tables(installed_tables().values())
    for name in installed_tables():
        assert warehouse.query(f"SELECT COUNT(*) AS n FROM {name}") == [{"n": 0}]


def test_upsert_counts_and_state(warehouse: Warehouse) -> None:
    first = put(warehouse, [{"id": "a", "v": 1}, {"id": "b", "v": 1}])
    assert first.counts() == {"inserted": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    before = raw(warehouse)
    assert set(before) == {"gmail:gmail-acct1:email:a", "gmail:gmail-acct1:email:b"}
    assert before["gmail:gmail-acct1:email:a"]["payload"] == {"id": "a", "v": 1}

    second = put(warehouse, [{"id": "a", "v": 1}, {"id": "b", "v": 2}, {"id": "c", "v": 1}])
    assert second.counts() == {"inserted": 1, "updated": 1, "unchanged": 1, "rejected": 0}
    after = raw(warehouse)
    a, b = after["gmail:gmail-acct1:email:a"], after["gmail:gmail-acct1:email:b"]
    assert a["payload_hash"] == before["gmail:gmail-acct1:email:a"]["payload_hash"]
    assert a["first_seen"] == before["gmail:gmail-acct1:email:a"]["first_seen"]
    assert a["last_seen"] > before["gmail:gmail-acct1:email:a"]["last_seen"]
    assert b["payload"] == {"id": "b", "v": 2}
    assert len(after) == 3


def test_an_unchanged_batch_only_moves_last_seen(warehouse: Warehouse) -> None:
    put(warehouse, [{"id": "a", "v": 1}, {"id": "b", "v": 1}])
    before = raw(warehouse)
    again = put(warehouse, [{"id": "b", "v": 1}, {"id": "a", "v": 1}])
    assert again.counts() == {"inserted": 0, "updated": 0, "unchanged": 2, "rejected": 0}
    after = raw(warehouse)
    for key, row in after.items():
        assert row["last_seen"] > before[key]["last_seen"]
        assert {k: v for k, v in row.items() if k != "last_seen"} == {
            k: v for k, v in before[key].items() if k != "last_seen"
        }


def test_key_order_does_not_change_the_hash(warehouse: Warehouse) -> None:
    put(warehouse, [{"id": "a", "x": 1, "y": 2}])
    again = put(warehouse, [{"y": 2, "id": "a", "x": 1}])
    assert again.unchanged == 1


def test_duplicates_within_a_batch_count_in_order(warehouse: Warehouse) -> None:
    result = put(warehouse, [{"id": "a", "v": 1}, {"id": "a", "v": 2}, {"id": "a", "v": 2}])
    assert (result.inserted, result.updated, result.unchanged) == (1, 1, 1)
    assert raw(warehouse)["gmail:gmail-acct1:email:a"]["payload"] == {"id": "a", "v": 2}


def test_rejections_name_positions_not_contents(warehouse: Warehouse) -> None:
    secret = "jane.roe@example.org"
    result = put(warehouse, [{"id": "ok"}, "not an object", {"email": secret}, {"id": ""}])
    assert result.inserted == 1
    assert [r.position for r in result.rejections] == [2, 3, 4]
    assert "record 2: not a JSON object" in result.rejections[0].reason
    assert all(secret not in r.reason for r in result.rejections)


def test_external_id_as_path_or_callable(warehouse: Warehouse) -> None:
    nested = upsert_objects(
        warehouse,
        [{"meta": {"uid": 7}}],
        source_system="s",
        connection_name="c",
        object_type="t",
        external_id="meta.uid",
        emit_event=False,
    )
    called = upsert_objects(
        warehouse,
        [{"k": "x"}],
        source_system="s",
        connection_name="c",
        object_type="t",
        external_id=lambda o: o["k"].upper(),
        emit_event=False,
    )
    assert nested.inserted == called.inserted == 1
    keys = {r["idem_key"] for r in warehouse.query("SELECT idem_key FROM raw_objects")}
    assert keys == {"s:c:t:7", "s:c:t:X"}


def test_batches_of_any_size_give_the_same_result(warehouse: Warehouse) -> None:
    objects = [{"id": str(i), "v": i} for i in range(25)]
    result = put(warehouse, objects, batch_size=7)
    assert result.batches == 4 and result.inserted == 25
    assert warehouse.query("SELECT COUNT(*) AS n FROM raw_objects") == [{"n": 25}]


def test_generic_upsert_with_json_columns(warehouse: Warehouse) -> None:
    row = {
        "event_key": "raw#phq9",
        "source_idem_key": "raw",
        "subject_id": "s1",
        "instrument_id": "phq9",
        "score": 11.0,
        "band": "moderate",
        "scales": {"total": 11.0},
        "flags": {"item9_positive": False},
        "n_missing": 0,
        "prorated": False,
    }
    first = upsert(warehouse, "measurement_events", [row], emit_event=False)
    again = upsert(warehouse, "measurement_events", [dict(row)], emit_event=False)
    changed = upsert(warehouse, "measurement_events", [{**row, "score": 12.0}], emit_event=False)
    assert (first.inserted, again.unchanged, changed.updated) == (1, 1, 1)
    stored = warehouse.query(
        "SELECT score, JSON_VALUE(scales, '$.total') AS total, prorated FROM measurement_events"
    )
    assert stored == [{"score": 12.0, "total": "11.0", "prorated": False}]


def test_events_carry_every_column(warehouse: Warehouse) -> None:
    emit(warehouse, "ingest.completed", "gmail", {"inserted": 3}, correlation_id="run-1")
    log_event(
        warehouse,
        event_type="job.failed",
        source_system="pkg",
        connection_name="c",
        target_object_type="email",
        event_schema_ref="iglu:x/y/jsonschema/1-0-0",
        correlation_id="run-1",
        trace_id="trace-1",
        status="failed",
        error_message="boom",
        payload={"job": "j"},
    )
    rows = warehouse.query(
        "SELECT event_type, source_system, status, trace_id, error_message, "
        "JSON_VALUE(payload, '$.inserted') AS inserted FROM event_log "
        "WHERE correlation_id = @run ORDER BY event_type",
        {"run": "run-1"},
    )
    assert rows == [
        {
            "event_type": "ingest.completed",
            "source_system": "gmail",
            "status": "ok",
            "trace_id": None,
            "error_message": None,
            "inserted": "3",
        },
        {
            "event_type": "job.failed",
            "source_system": "pkg",
            "status": "failed",
            "trace_id": "trace-1",
            "error_message": "boom",
            "inserted": None,
        },
    ]


def test_parameters_views_and_batched_reads(warehouse: Warehouse) -> None:
    put(warehouse, [{"id": str(i), "n": i} for i in range(5)])
    rows = warehouse.query(
        "SELECT external_id FROM raw_objects WHERE external_id IN UNNEST(@ids) "
        "AND CAST(JSON_VALUE(payload, '$.n') AS INT64) >= @min ORDER BY external_id",
        {"ids": ["1", "2", "3"], "min": 2},
    )
    assert [r["external_id"] for r in rows] == ["2", "3"]
    warehouse.execute(
        "CREATE OR REPLACE VIEW raw_ids AS SELECT external_id FROM raw_objects "
        "QUALIFY ROW_NUMBER() OVER (PARTITION BY external_id ORDER BY last_seen DESC) = 1"
    )
    batches = list(warehouse.iter_query("SELECT * FROM raw_ids ORDER BY external_id", batch_size=2))
    assert [len(b) for b in batches] == [2, 2, 1]


def test_bad_sql_is_a_terminal_error(warehouse: Warehouse) -> None:
    with pytest.raises(TerminalWarehouseError):
        warehouse.query("SELECT nope FROM no_such_table")
