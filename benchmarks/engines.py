"""The three writers, each run inside a fresh child process by ``benchmarks.child``.

Every engine times the same span: open the target, read the input from the NDJSON file, write
it idempotently, commit and close. Each returns a small JSON-able dict.
"""

from __future__ import annotations

import importlib
import os
import time
from pathlib import Path
from typing import Any

from benchmarks.data import SOURCE, iter_ndjson

Result = dict[str, Any]
DLT_TABLE = "emails"


# -- lorchestra -------------------------------------------------------------------------------
def run_lorchestra(db: Path, source: Path, limit: int | None) -> Result:
    """The ingester's load: ``upsert_ndjson`` reads the NDJSON file (in worker processes when
    it is large), as the floor has DuckDB read it."""
    from lorchestra.stack_clients import event_client
    from lorchestra.stack_clients.ndjson_upsert import upsert_ndjson
    from lorchestra.warehouse import installed_tables
    from lorchestra.warehouse.duckdb_backend import DuckDBWarehouse

    if limit is not None:
        raise ValueError("lorchestra reads the whole file, as the floor does")
    # Libraries load before the clock starts, as DuckDB does for the floor: pyarrow is
    # otherwise imported by the first batch write, and the installed packages' table
    # declarations by the first lookup (entry points and their modules: process start-up, done
    # once by any lorchestra process before it writes; the table DDL below stays timed). The
    # worker processes are started inside the clock.
    importlib.import_module("lorchestra.warehouse.arrow_batch")
    installed_tables()

    system, connection, object_type = SOURCE
    start = time.perf_counter()
    warehouse = DuckDBWarehouse(db)
    try:
        warehouse.ensure_tables(installed_tables().values())
        load = upsert_ndjson(
            warehouse,
            source,
            source_system=system,
            connection_name=connection,
            object_type=object_type,
            external_id="id",
        )
    finally:
        warehouse.close()
    seconds = time.perf_counter() - start
    result = load.result
    return {
        "seconds": seconds,
        "records": result.written + result.rejected,
        "counts": result.counts(),
        "batches": result.batches,
        "batch_size": event_client.DEFAULT_BATCH_SIZE,
        "rows_after": _count_rows(db, "raw_objects"),
    }


# -- floor: DuckDB reads the file itself and applies one MERGE --------------------------------
def floor_sql(source: Path) -> tuple[str, str]:
    """The staging statement and the MERGE, shaped like lorchestra's own raw_objects MERGE."""
    system, connection, object_type = SOURCE
    path = str(source).replace("'", "''")
    prefix = f"{system}:{connection}:{object_type}:"
    stage = (
        "CREATE TEMP TABLE stage AS SELECT "
        f"'{prefix}' || (json ->> 'id') AS idem_key, (json ->> 'id') AS external_id, "
        "json AS payload, sha256(json::VARCHAR) AS payload_hash, now() AS seen "
        f"FROM read_ndjson_objects('{path}')"
    )
    merge = (
        "MERGE INTO raw_objects T USING stage S ON T.idem_key = S.idem_key "
        "WHEN MATCHED AND T.payload_hash = S.payload_hash "
        "THEN UPDATE SET last_seen = GREATEST(T.last_seen, S.seen) "
        "WHEN MATCHED THEN UPDATE SET payload = S.payload, payload_hash = S.payload_hash, "
        "last_seen = GREATEST(T.last_seen, S.seen) "
        "WHEN NOT MATCHED THEN INSERT (idem_key, source_system, connection_name, object_type, "
        "schema_ref, external_id, payload, payload_hash, first_seen, last_seen) VALUES "
        f"(S.idem_key, '{system}', '{connection}', '{object_type}', NULL, S.external_id, "
        "S.payload, S.payload_hash, S.seen, S.seen)"
    )
    return stage, merge


def run_floor(db: Path, source: Path, limit: int | None) -> Result:
    import duckdb

    from lorchestra.warehouse.duckdb_backend import create_table_sql
    from lorchestra.warehouse.schema import RAW_OBJECTS

    if limit is not None:
        raise ValueError("the floor always reads the whole file")
    stage, merge = floor_sql(source)
    start = time.perf_counter()
    con = duckdb.connect(str(db))
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(create_table_sql(RAW_OBJECTS))  # the identical table shape
        before = _scalar(con, "SELECT count(*) FROM raw_objects")
        con.execute("BEGIN TRANSACTION")
        con.execute(stage)
        staged = _scalar(con, "SELECT count(*) FROM stage")
        changed = _scalar(
            con,
            "SELECT count(*) FROM stage S JOIN raw_objects T ON T.idem_key = S.idem_key "
            "WHERE T.payload_hash <> S.payload_hash",
        )
        con.execute(merge)
        con.execute("DROP TABLE stage")
        con.execute("COMMIT")
        after = _scalar(con, "SELECT count(*) FROM raw_objects")
    finally:
        con.close()
    seconds = time.perf_counter() - start
    inserted = after - before
    return {
        "seconds": seconds,
        "records": staged,
        "counts": {
            "inserted": inserted,
            "updated": changed,
            "unchanged": staged - inserted - changed,
            "rejected": 0,
        },
        "batches": 1,
        "batch_size": staged,
        "rows_after": after,
    }


# -- peer: dlt's merge write disposition ------------------------------------------------------
def run_dlt(workdir: Path, source: Path, limit: int | None) -> Result:
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")
    import dlt

    db = workdir / "dlt.duckdb"

    # Parquet loader and JSON columns (max_table_nesting=0): dlt's fastest setting for this
    # shape, and the one that stores a row per message with its payload, as lorchestra does.
    @dlt.resource(name=DLT_TABLE, primary_key="id", write_disposition="merge", max_table_nesting=0)
    def emails() -> Any:
        for record in iter_ndjson(source, limit):
            seen[0] += 1
            yield record

    seen = [0]

    start = time.perf_counter()
    pipeline = dlt.pipeline(
        pipeline_name="bench",
        destination=dlt.destinations.duckdb(str(db)),
        dataset_name="bench",
        pipelines_dir=str(workdir / "pipelines"),
    )
    info = pipeline.run(emails(), loader_file_format="parquet")
    seconds = time.perf_counter() - start
    info.raise_on_failed_jobs()
    return {
        "seconds": seconds,
        "records": seen[0],
        "counts": {},
        "batches": 1,
        "batch_size": None,
        "rows_after": _count_rows(db, f"bench.{DLT_TABLE}"),
    }


# -- helpers ----------------------------------------------------------------------------------
def _scalar(con: Any, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _count_rows(db: Path, table: str) -> int:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return _scalar(con, f"SELECT count(*) FROM {table}")
    finally:
        con.close()


ENGINES = {"lorchestra": run_lorchestra, "floor": run_floor, "dlt": run_dlt}
