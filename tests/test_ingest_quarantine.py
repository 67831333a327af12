"""Malformed lines and records without an id are quarantined with their line numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lorchestra import sealed
from lorchestra.connections import Connection
from lorchestra.jobs.ingester import _Quarantine
from lorchestra.sealed import KeyRing
from lorchestra.stack_clients.ndjson_upsert import upsert_ndjson
from lorchestra.warehouse import Warehouse


@pytest.mark.parametrize("encrypted", [False, True])
def test_bad_lines_and_missing_ids_keep_their_line_numbers(
    duckdb_warehouse: Warehouse, home: Path, tmp_path: Path, encrypted: bool
) -> None:
    source = tmp_path / "extract.jsonl"
    source.write_text(
        '{"id": "a"}\n'
        "not json at all\n"
        '{"id": "b"}\n'
        '["an", "array"]\n'
        '{"note": "CANARY no id"}\n'
        '{"id": "c"}\n'
    )
    ring = KeyRing(bytes(range(32))) if encrypted else None
    if ring is not None:  # as the ingester does: the extract sealed, the clear file gone
        clear, source = source, sealed.seal_file(source, ring)
        clear.unlink()
        assert b"CANARY" not in source.read_bytes()
    connection = Connection("c/email", "gmail", "c", "email", "tap", "id")
    quarantine = _Quarantine(home, "run-1", connection, ring)
    load = upsert_ndjson(
        duckdb_warehouse,
        source,
        source_system="gmail",
        connection_name="c",
        object_type="email",
        external_id="id",
        ring=ring,
        strip_sdc=True,
    )
    result = load.result
    quarantine.add(load)
    quarantine.write(source)
    assert result.inserted == 3 and quarantine.bad_lines == 2 and result.rejected == 1
    assert quarantine.path.name.endswith(".jsonl.enc" if encrypted else ".jsonl")
    assert (b"CANARY" in quarantine.path.read_bytes()) is not encrypted
    entries = [json.loads(line) for line in sealed.iter_lines(quarantine.path, ring)]
    assert [e["line"] for e in entries] == [2, 4, 5]
    assert entries[2]["raw"] == '{"note": "CANARY no id"}'
    assert all("CANARY" not in e["reason"] for e in entries)
    assert quarantine.path.stat().st_mode & 0o777 == 0o600


def test_singer_bookkeeping_never_reaches_the_payload(
    duckdb_warehouse: Warehouse, tmp_path: Path
) -> None:
    counts = []
    for run, extracted_at in enumerate(("2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z")):
        source = tmp_path / f"extract-{run}.jsonl"
        source.write_text(json.dumps({
            "id": "r1", "size": 3, "_sdc_extracted_at": extracted_at,
            "_sdc_batched_at": extracted_at, "_sdc_source_lineno": 2,
        }) + "\n")  # fmt: skip
        result = upsert_ndjson(
            duckdb_warehouse,
            source,
            source_system="csv",
            connection_name="c",
            object_type="row",
            external_id="id",
            strip_sdc=True,
        ).result
        counts.append((result.inserted, result.unchanged))
    assert counts == [(1, 0), (0, 1)]
    (row,) = duckdb_warehouse.query("SELECT payload FROM raw_objects")
    assert row["payload"] == {"id": "r1", "size": 3}
