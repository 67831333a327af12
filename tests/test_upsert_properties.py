"""Idempotency as a property: any sequence of upserts ends in the last version of each key."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lorchestra.stack_clients.event_client import upsert_objects
from lorchestra.warehouse import installed_tables
from lorchestra.warehouse.duckdb_backend import DuckDBWarehouse

versions = st.lists(
    st.tuples(st.sampled_from("abcdef"), st.integers(min_value=0, max_value=3)),
    min_size=0,
    max_size=30,
)
calls = st.lists(st.tuples(versions, st.integers(min_value=1, max_value=8)), max_size=5)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calls=calls)
def test_any_interleaving_ends_in_the_last_version(calls: list[tuple[list[Any], int]]) -> None:
    warehouse = DuckDBWarehouse(":memory:")
    warehouse.ensure_tables(installed_tables().values())
    state: dict[str, int] = {}
    try:
        for records, batch_size in calls:
            expected = {"inserted": 0, "updated": 0, "unchanged": 0}
            for key, version in records:
                if key not in state:
                    expected["inserted"] += 1
                elif state[key] == version:
                    expected["unchanged"] += 1
                else:
                    expected["updated"] += 1
                state[key] = version
            result = upsert_objects(
                warehouse,
                [{"id": key, "version": version} for key, version in records],
                source_system="s",
                connection_name="c",
                object_type="t",
                external_id="id",
                batch_size=batch_size,
                emit_event=False,
            )
            assert {k: v for k, v in result.counts().items() if k != "rejected"} == expected
        stored = {
            row["external_id"]: row["payload"]["version"]
            for row in warehouse.query("SELECT external_id, payload FROM raw_objects")
        }
        assert stored == state
    finally:
        warehouse.close()
