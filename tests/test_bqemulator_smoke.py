"""Smoke tests: the local BigQuery emulator driven by the OFFICIAL google-cloud-bigquery client.

They pin down exactly the operations the BigQuery warehouse backend relies on (API-created
partitioned/clustered tables with JSON columns, NDJSON load jobs into a staging table, one
three-clause MERGE per batch, parameterised GoogleSQL) and how the emulator differs from
real BigQuery where it does. Each known gap is asserted, so an emulator upgrade that fixes
one makes its test fail and tells us to drop the workaround.

Conventions every BigQuery test should follow (see ``run``/``load_ndjson`` below):

* ``client.query(sql, ..., retry=RETRY, job_retry=None).result(retry=RETRY, timeout=...)``.
  ``job_retry=None`` matters: any other ``job_retry`` wraps ``jobs.insert`` in the client's
  private 10-minute retry, whatever deadline you gave it.
* Loads: ``load_table_from_file(io.BytesIO(ndjson), table, job_config=...)`` WITHOUT ``size``
  (resumable upload); the emulator rejects the multipart upload used below 5 MiB.

Run: ``.venv/bin/python -m pytest tests/test_bqemulator_smoke.py -p no:cacheprovider -q``
(``-s`` prints the timings). Needs ``tools/bqemulator/install.sh`` (``make test`` runs it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pytest

pytest.importorskip("google.cloud.bigquery", reason="needs the [bigquery] extra")

from google.api_core import exceptions as gexc  # noqa: E402
from google.cloud import bigquery  # noqa: E402
from google.cloud.bigquery import client as bq_client_module  # noqa: E402

from tests.support.bqemu import MISSING_MESSAGE, BigQueryEmulator, emulator_available  # noqa: E402

pytestmark = [pytest.mark.bigquery]

# Bounded retries: the client's defaults retry HTTP 5xx for 10 minutes (jobs: 40 minutes).
RETRY = bigquery.DEFAULT_RETRY.with_deadline(15)
TIMEOUT = 30.0

UTC = dt.UTC
T0 = dt.datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
T1 = dt.datetime(2026, 1, 6, 10, 0, tzinfo=UTC)
T2 = dt.datetime(2026, 1, 7, 11, 0, tzinfo=UTC)

TARGET_SCHEMA = [
    bigquery.SchemaField("idem_key", "STRING", mode="REQUIRED"),
    bigquery.SchemaField("source_system", "STRING"),
    bigquery.SchemaField("payload", "JSON"),
    bigquery.SchemaField("payload_hash", "STRING"),
    bigquery.SchemaField("seq", "INT64"),
    bigquery.SchemaField("active", "BOOL"),
    bigquery.SchemaField("score", "FLOAT64"),
    bigquery.SchemaField("first_seen", "TIMESTAMP"),
    bigquery.SchemaField("last_seen", "TIMESTAMP"),
]
STAGING_SCHEMA = [
    bigquery.SchemaField("idem_key", "STRING", mode="REQUIRED"),
    bigquery.SchemaField("source_system", "STRING"),
    bigquery.SchemaField("payload", "STRING"),  # JSON text; MERGE applies PARSE_JSON
    bigquery.SchemaField("payload_hash", "STRING"),
    bigquery.SchemaField("seq", "INT64"),
    bigquery.SchemaField("active", "BOOL"),
    bigquery.SchemaField("score", "FLOAT64"),
    bigquery.SchemaField("last_seen", "TIMESTAMP"),
]

MERGE_SQL = """
MERGE `{target}` T
USING `{staging}` S
ON T.idem_key = S.idem_key
WHEN MATCHED AND T.payload_hash = S.payload_hash THEN
  UPDATE SET last_seen = S.last_seen
WHEN MATCHED THEN
  UPDATE SET payload = PARSE_JSON(S.payload), payload_hash = S.payload_hash, seq = S.seq,
             active = S.active, score = S.score, last_seen = S.last_seen
WHEN NOT MATCHED THEN
  INSERT (idem_key, source_system, payload, payload_hash, seq, active, score,
          first_seen, last_seen)
  VALUES (S.idem_key, S.source_system, PARSE_JSON(S.payload), S.payload_hash, S.seq,
          S.active, S.score, S.last_seen, S.last_seen)
"""

TIMINGS: dict[str, float] = {}


# -- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def emulator() -> Iterator[BigQueryEmulator]:
    if not emulator_available():
        pytest.skip(MISSING_MESSAGE)
    with BigQueryEmulator() as emu:
        assert emu.startup_seconds is not None
        TIMINGS["emulator start-up (s)"] = emu.startup_seconds
        yield emu
    print("\nbqemulator timings:", {k: round(v, 3) for k, v in TIMINGS.items()})


@pytest.fixture(scope="module")
def client(emulator: BigQueryEmulator) -> Iterator[bigquery.Client]:
    c = emulator.client()
    yield c
    c.close()  # type: ignore[no-untyped-call]


@pytest.fixture
def dataset(client: bigquery.Client) -> Iterator[str]:
    """A fresh dataset per test; yields ``project.dataset``."""
    ds = client.create_dataset(f"smoke_{uuid.uuid4().hex[:10]}", retry=RETRY, timeout=TIMEOUT)
    yield f"{ds.project}.{ds.dataset_id}"
    client.delete_dataset(ds, delete_contents=True, not_found_ok=True, retry=RETRY)


def run(
    client: bigquery.Client,
    sql: str,
    params: Sequence[bigquery.ScalarQueryParameter | bigquery.ArrayQueryParameter] = (),
) -> list[dict[str, Any]]:
    """Run one statement with bounded retries; return the rows as dicts."""
    job = client.query(
        sql,
        job_config=bigquery.QueryJobConfig(query_parameters=list(params)),
        retry=RETRY,
        job_retry=None,
        timeout=TIMEOUT,
    )
    return [dict(row) for row in job.result(retry=RETRY, timeout=TIMEOUT)]


def ndjson(rows: Iterable[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(row, default=str).encode() + b"\n" for row in rows)


def load_ndjson(
    client: bigquery.Client,
    table_id: str,
    rows: Iterable[dict[str, Any]],
    schema: Sequence[bigquery.SchemaField] = STAGING_SCHEMA,
    write_disposition: str | None = None,
) -> bigquery.LoadJob:
    """The documented workaround: a file object and no ``size`` -> resumable upload."""
    config = bigquery.LoadJobConfig(
        source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON, schema=list(schema)
    )
    if write_disposition is not None:
        config.write_disposition = write_disposition
    job = client.load_table_from_file(
        io.BytesIO(ndjson(rows)), table_id, job_config=config, timeout=TIMEOUT
    )
    job.result(retry=RETRY, timeout=TIMEOUT)
    return job


def count(client: bigquery.Client, table_id: str) -> int:
    return int(run(client, f"SELECT COUNT(*) AS n FROM `{table_id}`")[0]["n"])


def create_target(client: bigquery.Client, table_id: str) -> bigquery.Table:
    table = bigquery.Table(table_id, schema=TARGET_SCHEMA)
    table.time_partitioning = bigquery.TimePartitioning(
        type_=bigquery.TimePartitioningType.DAY, field="first_seen"
    )
    table.clustering_fields = ["source_system", "idem_key"]
    return client.create_table(table, retry=RETRY, timeout=TIMEOUT)


def create_staging(client: bigquery.Client, table_id: str) -> bigquery.Table:
    return client.create_table(
        bigquery.Table(table_id, schema=STAGING_SCHEMA), retry=RETRY, timeout=TIMEOUT
    )


def staged(key: str, payload: dict[str, Any], seen: dt.datetime, seq: int = 1) -> dict[str, Any]:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return {
        "idem_key": key,
        "source_system": "gmail",
        "payload": text,
        "payload_hash": hashlib.sha256(text.encode()).hexdigest(),
        "seq": seq,
        "active": seq % 2 == 1,
        "score": seq / 4,
        "last_seen": seen.isoformat(),
    }


def target_rows(client: bigquery.Client, table_id: str) -> dict[str, dict[str, Any]]:
    return {r["idem_key"]: r for r in run(client, f"SELECT * FROM `{table_id}`")}


# -- 1. datasets and tables -------------------------------------------------------------------


def test_dataset_and_partitioned_clustered_table_metadata(
    client: bigquery.Client, dataset: str
) -> None:
    assert client.get_dataset(dataset, retry=RETRY).dataset_id == dataset.split(".")[1]
    create_target(client, f"{dataset}.raw_objects")

    table = client.get_table(f"{dataset}.raw_objects", retry=RETRY)
    assert [(f.name, f.field_type, f.mode) for f in table.schema] == [
        ("idem_key", "STRING", "REQUIRED"),
        ("source_system", "STRING", "NULLABLE"),
        ("payload", "JSON", "NULLABLE"),
        ("payload_hash", "STRING", "NULLABLE"),
        ("seq", "INT64", "NULLABLE"),
        ("active", "BOOL", "NULLABLE"),
        ("score", "FLOAT64", "NULLABLE"),
        ("first_seen", "TIMESTAMP", "NULLABLE"),
        ("last_seen", "TIMESTAMP", "NULLABLE"),
    ]
    assert table.time_partitioning is not None
    assert table.time_partitioning.type_ == "DAY"
    assert table.time_partitioning.field == "first_seen"
    assert table.clustering_fields == ["source_system", "idem_key"]
    # The older accessor warns, which pytest's filterwarnings=error turns into a failure.
    with pytest.warns(PendingDeprecationWarning, match="Table.time_partitioning.type_"):
        assert table.partitioning_type == "DAY"
    assert table.num_rows == 0
    assert [t.table_id for t in client.list_tables(dataset, retry=RETRY)] == ["raw_objects"]

    with pytest.raises(gexc.Conflict):
        client.create_dataset(dataset, retry=RETRY)
    assert client.create_dataset(dataset, exists_ok=True, retry=RETRY).dataset_id


# -- 2. load jobs -------------------------------------------------------------------------------


def test_ndjson_load_resumable_append_and_truncate(client: bigquery.Client, dataset: str) -> None:
    staging = f"{dataset}.staging"
    create_staging(client, staging)
    rows = [staged(f"k{i}", {"a": {"b": i}}, T0) for i in range(3)]

    job = load_ndjson(client, staging, rows)
    assert job.state == "DONE" and job.errors is None
    assert job.output_rows == 3
    assert count(client, staging) == 3

    load_ndjson(client, staging, rows)  # default WRITE_APPEND
    assert count(client, staging) == 6

    job = load_ndjson(client, staging, rows[:2], write_disposition="WRITE_TRUNCATE")
    assert job.output_rows == 2
    assert count(client, staging) == 2

    # WRITE_TRUNCATE keeps the API-created schema.
    table = client.get_table(staging, retry=RETRY)
    assert [f.field_type for f in table.schema] == [f.field_type for f in STAGING_SCHEMA]


def test_small_multipart_load_fails_and_workarounds(
    client: bigquery.Client, dataset: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    staging = f"{dataset}.staging"
    create_staging(client, staging)
    rows = [staged(f"k{i}", {"i": i}, T0) for i in range(3)]
    data = ndjson(rows)
    config = bigquery.LoadJobConfig(
        source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON, schema=STAGING_SCHEMA
    )
    expected = "multipart upload's second part has unsupported Content-Type '*/*'"

    # Below 5 MiB with a known size the client uses a multipart upload: the emulator rejects it.
    with pytest.raises(gexc.BadRequest, match=f"400 POST .*{expected}".replace("*/*", r"\*/\*")):
        client.load_table_from_file(io.BytesIO(data), staging, job_config=config, size=len(data))
    # load_table_from_json always sends the size -> same failure.
    with pytest.raises(gexc.BadRequest, match="unsupported Content-Type"):
        client.load_table_from_json(rows, staging, job_config=config)
    assert count(client, staging) == 0

    # Second workaround (the first is load_ndjson's unsized, resumable upload), test-only:
    # patch the client's private content type for the multipart's media part.
    monkeypatch.setattr(bq_client_module, "_GENERIC_CONTENT_TYPE", "application/octet-stream")
    job = client.load_table_from_file(io.BytesIO(data), staging, job_config=config, size=len(data))
    job.result(retry=RETRY, timeout=TIMEOUT)
    client.load_table_from_json(rows, staging, job_config=config).result(
        retry=RETRY, timeout=TIMEOUT
    )
    assert count(client, staging) == 6


def test_ndjson_load_of_10k_rows(client: bigquery.Client, dataset: str) -> None:
    staging = f"{dataset}.staging"
    create_staging(client, staging)
    rows = [
        staged(f"gmail:acct:email:{i:05d}", {"n": i, "s": "x" * 200}, T0) for i in range(10_000)
    ]
    began = time.monotonic()
    job = load_ndjson(client, staging, rows)
    TIMINGS["load 10k NDJSON rows (s)"] = time.monotonic() - began
    assert job.output_rows == 10_000
    assert count(client, staging) == 10_000


# -- 3. MERGE -----------------------------------------------------------------------------------


def test_merge_three_clauses_with_parse_json_and_idempotent_rerun(
    client: bigquery.Client, dataset: str
) -> None:
    target, staging = f"{dataset}.raw_objects", f"{dataset}.staging"
    create_target(client, target)
    create_staging(client, staging)
    merge = MERGE_SQL.format(target=target, staging=staging)

    # Batch 1: three new objects -> WHEN NOT MATCHED inserts them, payload parsed to JSON.
    batch1 = [staged(f"k{i}", {"a": {"b": i}, "tags": ["x", i]}, T0, seq=i) for i in range(3)]
    load_ndjson(client, staging, batch1, write_disposition="WRITE_TRUNCATE")
    began = time.monotonic()
    job = client.query(merge, retry=RETRY, job_retry=None, timeout=TIMEOUT)
    job.result(retry=RETRY, timeout=TIMEOUT)
    TIMINGS["MERGE 3 staged rows (s)"] = time.monotonic() - began
    assert job.statement_type == "MERGE"
    assert job.num_dml_affected_rows == 3
    # Emulator gaps: table metadata num_rows is not updated by DML (0 here, 3 on BigQuery),
    # and job.dml_stats is None (BigQuery: inserted/updated/deleted counts).
    assert client.get_table(target, retry=RETRY).num_rows == 0
    assert job.dml_stats is None
    rows = target_rows(client, target)
    assert sorted(rows) == ["k0", "k1", "k2"]
    assert rows["k1"]["payload"] == {"a": {"b": 1}, "tags": ["x", 1]}
    assert rows["k1"]["payload_hash"] == batch1[1]["payload_hash"]
    assert rows["k1"]["first_seen"] == rows["k1"]["last_seen"] == T0
    assert (rows["k1"]["seq"], rows["k1"]["active"], rows["k1"]["score"]) == (1, True, 0.25)

    # Re-run of the same batch, seen later: only last_seen changes.
    load_ndjson(
        client,
        staging,
        [{**r, "last_seen": T1.isoformat()} for r in batch1],
        write_disposition="WRITE_TRUNCATE",
    )
    job = client.query(merge, retry=RETRY, job_retry=None, timeout=TIMEOUT)
    job.result(retry=RETRY, timeout=TIMEOUT)
    assert job.num_dml_affected_rows == 3  # matched rows count as updated (as on BigQuery)
    again = target_rows(client, target)
    assert count(client, target) == 3
    for key, before in rows.items():
        assert again[key] == {**before, "last_seen": T1}

    # Clause order: same hash -> first clause (only last_seen), even though the staged text
    # differs; a changed hash -> second clause rewrites payload but keeps first_seen; a new
    # key -> inserted.
    same_hash = {**batch1[0], "payload": '{"different": "text"}', "last_seen": T2.isoformat()}
    changed = staged("k1", {"a": {"b": 100}}, T2, seq=7)
    new = staged("k3", {"a": {"b": 3}}, T2, seq=3)
    load_ndjson(client, staging, [same_hash, changed, new], write_disposition="WRITE_TRUNCATE")
    run(client, merge)
    final = target_rows(client, target)
    assert sorted(final) == ["k0", "k1", "k2", "k3"]
    assert final["k0"] == {**rows["k0"], "last_seen": T2}
    assert final["k1"]["payload"] == {"a": {"b": 100}}
    assert final["k1"]["payload_hash"] == changed["payload_hash"]
    assert (final["k1"]["seq"], final["k1"]["first_seen"], final["k1"]["last_seen"]) == (7, T0, T2)
    assert final["k2"] == {**rows["k2"], "last_seen": T1}
    assert final["k3"]["first_seen"] == final["k3"]["last_seen"] == T2


def test_merge_10k_staged_rows_into_10k(client: bigquery.Client, dataset: str) -> None:
    target, staging = f"{dataset}.raw_objects", f"{dataset}.staging"
    create_target(client, target)
    create_staging(client, staging)
    merge = MERGE_SQL.format(target=target, staging=staging)
    keys = [f"gmail:acct:email:{i:05d}" for i in range(10_000)]
    load_ndjson(client, staging, [staged(k, {"n": i}, T0) for i, k in enumerate(keys)])
    began = time.monotonic()
    run(client, merge)
    TIMINGS["MERGE 10k staged rows into empty target (s)"] = time.monotonic() - began

    # Half unchanged (touch last_seen), a quarter changed, a quarter new.
    batch = [staged(k, {"n": i}, T1) for i, k in enumerate(keys[:5_000])]
    batch += [staged(k, {"n": -i}, T1) for i, k in enumerate(keys[5_000:7_500])]
    batch += [staged(f"gmail:acct:email:new{i:05d}", {"n": i}, T1) for i in range(2_500)]
    load_ndjson(client, staging, batch, write_disposition="WRITE_TRUNCATE")
    began = time.monotonic()
    run(client, merge)
    TIMINGS["MERGE 10k staged rows into 10k (s)"] = time.monotonic() - began

    stats = run(
        client,
        f"""
        SELECT COUNT(*) AS n,
               COUNTIF(first_seen = @t0 AND last_seen = @t1) AS touched,
               COUNTIF(first_seen = @t0 AND last_seen = @t0) AS untouched,
               COUNTIF(first_seen = @t1) AS inserted,
               COUNTIF(CAST(JSON_VALUE(payload, '$.n') AS INT64) < 0) AS rewritten
        FROM `{target}`
        """,
        [
            bigquery.ScalarQueryParameter("t0", "TIMESTAMP", T0),
            bigquery.ScalarQueryParameter("t1", "TIMESTAMP", T1),
        ],
    )
    # rewritten excludes key 5000 (n = -0 = 0); touched includes both matched clauses.
    assert stats == [
        {"n": 12_500, "touched": 7_500, "untouched": 2_500, "inserted": 2_500, "rewritten": 2_499}
    ]


# -- 4. queries -------------------------------------------------------------------------------


@pytest.fixture
def events(client: bigquery.Client, dataset: str) -> str:
    """A small raw_objects table: k1 seen twice (two versions), k2 recent, k3 old."""
    target = f"{dataset}.raw_objects"
    create_target(client, target)
    now = dt.datetime.now(UTC).replace(microsecond=0)
    rows: list[dict[str, Any]] = [
        {"idem_key": "k1", "payload": {"a": {"b": "old"}}, "seq": 1, "first_seen": T0},
        {"idem_key": "k1", "payload": {"a": {"b": "new"}}, "seq": 2, "first_seen": T1},
        {"idem_key": "k2", "payload": {"a": {"b": 42}}, "seq": 3, "first_seen": now},
        {"idem_key": "k3", "payload": {"x": [1, 2]}, "seq": 4, "first_seen": T2},
    ]
    for row in rows:
        row.update(source_system="gmail", active=row["seq"] % 2 == 0, score=row["seq"] * 1.5)
        row["last_seen"] = row["first_seen"] = row["first_seen"].isoformat()
    # NDJSON objects load straight into a JSON column.
    load_ndjson(client, target, rows, schema=TARGET_SCHEMA)
    return target


def test_named_scalar_and_array_params(client: bigquery.Client, events: str) -> None:
    sql = (
        f"SELECT idem_key, seq FROM `{events}` "
        "WHERE source_system = @source AND seq >= @min_seq AND first_seen < @until ORDER BY seq"
    )

    def params(source: str) -> list[bigquery.ScalarQueryParameter]:
        return [
            bigquery.ScalarQueryParameter("source", "STRING", source),
            bigquery.ScalarQueryParameter("min_seq", "INT64", 2),
            bigquery.ScalarQueryParameter("until", "TIMESTAMP", T2),
        ]

    # seq 1 fails @min_seq; seq 3 (now) and seq 4 (T2) fail @until.
    assert run(client, sql, params("gmail")) == [{"idem_key": "k1", "seq": 2}]
    assert run(client, sql, params("outlook")) == []

    rows = run(
        client,
        f"SELECT DISTINCT idem_key FROM `{events}` WHERE idem_key IN UNNEST(@keys) ORDER BY 1",
        [bigquery.ArrayQueryParameter("keys", "STRING", ["k3", "k1", "nope"])],
    )
    assert rows == [{"idem_key": "k1"}, {"idem_key": "k3"}]
    rows = run(
        client,
        f"SELECT COUNT(*) AS n FROM `{events}` WHERE idem_key IN UNNEST(@keys)",
        [bigquery.ArrayQueryParameter("keys", "STRING", [])],
    )
    assert rows == [{"n": 0}]
    rows = run(
        client,
        f"SELECT idem_key FROM `{events}` WHERE seq IN UNNEST(@seqs) ORDER BY seq",
        [bigquery.ArrayQueryParameter("seqs", "INT64", [4, 1])],
    )
    assert rows == [{"idem_key": "k1"}, {"idem_key": "k3"}]


def test_json_functions(client: bigquery.Client, events: str) -> None:
    job = client.query(
        f"""
        SELECT seq,
               JSON_VALUE(payload, '$.a.b') AS b,
               TO_JSON_STRING(payload) AS text,
               JSON_QUERY(payload, '$.a') AS a,
               TO_JSON_STRING(JSON_QUERY(payload, '$.a')) AS a_text,
               TO_JSON_STRING(STRUCT(idem_key AS k, seq AS n)) AS obj
        FROM `{events}` ORDER BY seq
        """,
        retry=RETRY,
        job_retry=None,
    )
    result = job.result(retry=RETRY, timeout=TIMEOUT)
    rows = [dict(r) for r in result]
    assert rows == [
        {"seq": 1, "b": "old", "text": '{"a":{"b":"old"}}', "a": '{"b":"old"}',
         "a_text": '{"b":"old"}', "obj": '{"k":"k1","n":1}'},
        {"seq": 2, "b": "new", "text": '{"a":{"b":"new"}}', "a": '{"b":"new"}',
         "a_text": '{"b":"new"}', "obj": '{"k":"k1","n":2}'},
        {"seq": 3, "b": "42", "text": '{"a":{"b":42}}', "a": '{"b":42}',
         "a_text": '{"b":42}', "obj": '{"k":"k2","n":3}'},
        {"seq": 4, "b": None, "text": '{"x":[1,2]}', "a": None,
         "a_text": None, "obj": '{"k":"k3","n":4}'},
    ]  # fmt: skip
    # Emulator gap: JSON_QUERY on a JSON column yields STRING (real BigQuery: JSON, which the
    # client would return as a dict). Portable: TO_JSON_STRING(JSON_QUERY(...)) -> text on both.
    types = {f.name: f.field_type for f in result.schema}
    assert (types["a"], types["a_text"], types["b"], types["text"]) == (
        "STRING", "STRING", "STRING", "STRING"
    )  # fmt: skip

    rows = run(
        client,
        "SELECT JSON_VALUE(PARSE_JSON(@doc), '$.a.b') AS b",
        [bigquery.ScalarQueryParameter("doc", "STRING", '{"a": {"b": "via param"}}')],
    )
    assert rows == [{"b": "via param"}]


def test_qualify_countif_timestamp_sub(client: bigquery.Client, events: str) -> None:
    latest = run(
        client,
        f"SELECT idem_key, seq FROM `{events}` WHERE TRUE "
        "QUALIFY ROW_NUMBER() OVER (PARTITION BY idem_key ORDER BY first_seen DESC) = 1 "
        "ORDER BY idem_key",
    )
    assert latest == [
        {"idem_key": "k1", "seq": 2},
        {"idem_key": "k2", "seq": 3},
        {"idem_key": "k3", "seq": 4},
    ]
    rows = run(
        client,
        f"""
        SELECT COUNTIF(active) AS active, COUNTIF(seq > 100) AS none,
               COUNTIF(first_seen >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 7 DAY)) AS recent
        FROM `{events}`
        """,
    )
    assert rows == [{"active": 2, "none": 0, "recent": 1}]


def test_date_trunc(client: bigquery.Client) -> None:
    # 2026-01-15 is a Thursday.
    rows = run(
        client,
        """
        SELECT DATE_TRUNC(DATE '2026-01-15', MONTH) AS month,
               DATE_TRUNC(DATE '2026-01-15', YEAR) AS year,
               DATE_TRUNC(DATE '2026-01-15', WEEK) AS week_sunday,
               DATE_TRUNC(DATE(TIMESTAMP '2026-01-15 23:30:00+00'), DAY) AS day,
               TIMESTAMP_TRUNC(TIMESTAMP '2026-01-15 10:11:12+00', DAY) AS ts_day
        """,
    )
    assert rows == [
        {
            "month": dt.date(2026, 1, 1),
            "year": dt.date(2026, 1, 1),
            "week_sunday": dt.date(2026, 1, 11),
            "day": dt.date(2026, 1, 15),
            "ts_day": dt.datetime(2026, 1, 15, tzinfo=UTC),
        }
    ]
    # Known emulator gaps (real BigQuery returns 2026-01-12 for both):
    assert run(client, "SELECT DATE_TRUNC(DATE '2026-01-15', WEEK(MONDAY)) AS d") == [
        {"d": dt.date(2026, 1, 11)}  # WRONG: the Sunday; WEEK(MONDAY) is ignored
    ]
    with pytest.raises(gexc.BadRequest, match='extract specifier "ISOWEEK" not recognized'):
        run(client, "SELECT DATE_TRUNC(DATE '2026-01-15', ISOWEEK) AS d")
    # Workaround for Monday-based weeks, counted from a Monday (1970-01-05). (A DAYOFWEEK-based
    # formula is not portable: sqlglot keeps DAYOFWEEK, whose numbering differs in DuckDB.)
    monday = (
        "DATE_ADD(DATE '1970-01-05', INTERVAL DIV(DATE_DIFF(d, DATE '1970-01-05', DAY), 7) * 7 DAY)"
    )
    rows = run(
        client,
        f"SELECT d, {monday} AS monday FROM UNNEST([DATE '2026-01-11', DATE '2026-01-12', "
        "DATE '2026-01-15', DATE '2026-01-18', DATE '2024-02-29']) AS d ORDER BY d",
    )
    assert [(r["d"].isoformat(), r["monday"].isoformat()) for r in rows] == [
        ("2024-02-29", "2024-02-26"),
        ("2026-01-11", "2026-01-05"),
        ("2026-01-12", "2026-01-12"),
        ("2026-01-15", "2026-01-12"),
        ("2026-01-18", "2026-01-12"),
    ]


def test_safe_cast(client: bigquery.Client) -> None:
    rows = run(
        client,
        "SELECT SAFE_CAST('x' AS INT64) AS bad_int, SAFE_CAST('12' AS INT64) AS int, "
        "SAFE_CAST('2026-01-01' AS DATE) AS date, SAFE_CAST('nope' AS TIMESTAMP) AS bad_ts, "
        "SAFE_CAST('1.5' AS FLOAT64) AS float",
    )
    assert rows == [
        {"bad_int": None, "int": 12, "date": dt.date(2026, 1, 1), "bad_ts": None, "float": 1.5}
    ]


def test_create_or_replace_view(client: bigquery.Client, events: str) -> None:
    view = events.rsplit(".", 1)[0] + ".latest_view"
    run(client, f"CREATE OR REPLACE VIEW `{view}` AS SELECT idem_key, COUNT(*) AS n "
                f"FROM `{events}` GROUP BY idem_key")  # fmt: skip
    assert run(client, f"SELECT * FROM `{view}` ORDER BY idem_key") == [
        {"idem_key": "k1", "n": 2},
        {"idem_key": "k2", "n": 1},
        {"idem_key": "k3", "n": 1},
    ]
    run(client, f"CREATE OR REPLACE VIEW `{view}` AS SELECT idem_key FROM `{events}` "
                "WHERE seq = 4")  # fmt: skip
    assert run(client, f"SELECT * FROM `{view}`") == [{"idem_key": "k3"}]
    assert client.get_table(view, retry=RETRY).table_type == "VIEW"


def test_drop_table_if_exists(client: bigquery.Client, dataset: str) -> None:
    create_staging(client, f"{dataset}.doomed")
    run(client, f"DROP TABLE IF EXISTS `{dataset}.doomed`")
    run(client, f"DROP TABLE IF EXISTS `{dataset}.never_existed`")
    with pytest.raises(gexc.NotFound):
        client.get_table(f"{dataset}.doomed", retry=RETRY)


def test_temporary_staging_table_pattern(client: bigquery.Client, dataset: str) -> None:
    target = f"{dataset}.raw_objects"
    create_target(client, target)
    staging = f"{dataset}._staging_raw_objects_{uuid.uuid4().hex[:12]}"
    create_staging(client, staging)
    try:
        load_ndjson(client, staging, [staged("k1", {"v": 1}, T0), staged("k2", {"v": 2}, T0)])
        run(client, MERGE_SQL.format(target=target, staging=staging))
    finally:
        client.delete_table(staging, not_found_ok=True, retry=RETRY)
    client.delete_table(staging, not_found_ok=True, retry=RETRY)  # second delete: no error
    with pytest.raises(gexc.NotFound):
        client.get_table(staging, retry=RETRY)
    assert count(client, target) == 2


# -- 5. errors and retries --------------------------------------------------------------------


def test_errors_surface_as_api_core_exceptions(client: bigquery.Client, dataset: str) -> None:
    # Errors surface from .result(), not from client.query() (which only submits the job).
    job = client.query("SELEC 1", retry=RETRY, job_retry=None)
    with pytest.raises(gexc.BadRequest, match=r'400 Syntax error: Unexpected identifier "SELEC"'):
        job.result(retry=RETRY, timeout=TIMEOUT)

    with pytest.raises(gexc.NotFound, match=r"404 Not found: Table local\.\w+\.missing"):
        run(client, f"SELECT * FROM `{dataset}.missing`")
    with pytest.raises(gexc.NotFound, match="404 GET .*Not found: table:"):
        client.get_table(f"{dataset}.missing", retry=RETRY)
    with pytest.raises(gexc.BadRequest, match="Invalid Input Error: boom"):
        run(client, "SELECT ERROR('boom')")
    with pytest.raises(gexc.BadRequest, match="division by zero"):
        run(client, "SELECT 1 / 0")
    # A failed CAST is a BadRequest too, but its message starts misleadingly.
    with pytest.raises(
        gexc.BadRequest,
        match=r"(?s)No matching signature for operator = .*Could not convert string 'x' to INT64",
    ):
        run(client, "SELECT CAST('x' AS INT64)")
    # BadRequest and NotFound are both GoogleAPICallError (code 400 / 404).
    assert issubclass(gexc.BadRequest, gexc.GoogleAPICallError)


def test_http_500_is_bounded_by_retry_deadline(client: bigquery.Client, dataset: str) -> None:
    """A streaming insert of a dict into a JSON column makes the emulator answer HTTP 500."""
    table = f"{dataset}.raw_objects"
    create_target(client, table)
    row = {"idem_key": "k1", "payload": {"a": 1}, "first_seen": T0.isoformat()}

    with pytest.raises(gexc.InternalServerError, match="500 POST .*insertAll"):
        # retry=None is documented ("to disable retry") but not in the client's annotations.
        client.insert_rows_json(table, [row], retry=None)  # type: ignore[arg-type]

    began = time.monotonic()
    with pytest.raises(gexc.RetryError, match="Timeout of 2.0s exceeded") as excinfo:
        client.insert_rows_json(table, [row], retry=bigquery.DEFAULT_RETRY.with_deadline(2))
    assert time.monotonic() - began < 5
    assert isinstance(excinfo.value.cause, gexc.InternalServerError)

    # The workaround: JSON values as JSON text.
    assert client.insert_rows_json(table, [{**row, "payload": '{"a": 1}'}], retry=RETRY) == []
    assert target_rows(client, table)["k1"]["payload"] == {"a": 1}


_DEAD_ENDPOINT_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery
    from google.cloud.bigquery.retry import DEFAULT_JOB_RETRY

    client = bigquery.Client(
        project="local",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": "http://127.0.0.1:" + sys.argv[1]},
    )
    retry = bigquery.DEFAULT_RETRY.with_deadline(1)
    job_retry = None if sys.argv[3] == "none" else DEFAULT_JOB_RETRY.with_deadline(1)
    began = time.monotonic()
    try:
        if sys.argv[2] == "query":
            client.query("SELECT 1", retry=retry, job_retry=job_retry).result(retry=retry)
        else:
            client.query_and_wait("SELECT 1", retry=retry, job_retry=job_retry)
    except Exception as exc:
        print(type(exc).__name__, round(time.monotonic() - began))
    """
)


def test_only_job_retry_none_bounds_client_query(unused_port: int) -> None:
    """Against a dead endpoint, ``client.query(job_retry=<1 s deadline>)`` keeps retrying
    ``jobs.insert`` for 10 minutes (the client wraps it in its private 10-minute
    ``_DEFAULT_QUERY_JOB_INSERT_RETRY`` whenever job_retry is not None); ``job_retry=None``
    gives up after ``retry``'s deadline. ``query_and_wait`` honours both deadlines."""
    cases = [("query", "none"), ("query", "short"), ("query_and_wait", "short")]
    procs = {
        case: subprocess.Popen(
            [sys.executable, "-c", _DEAD_ENDPOINT_SCRIPT, str(unused_port), *case],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for case in cases
    }
    deadline = time.monotonic() + 6
    outcome: dict[tuple[str, str], str | None] = {}
    for case, proc in procs.items():
        try:
            out, _ = proc.communicate(timeout=max(0.1, deadline - time.monotonic()))
            outcome[case] = out.split()[0] if out else f"no output: {proc.returncode}"
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            outcome[case] = None  # still retrying
    assert outcome == {
        ("query", "none"): "RetryError",
        ("query", "short"): None,
        ("query_and_wait", "short"): "RetryError",
    }


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- 6. result types ----------------------------------------------------------------------------


def test_result_types_and_row_conversion(client: bigquery.Client, events: str) -> None:
    job = client.query(
        f"SELECT idem_key, payload, seq, active, score, first_seen FROM `{events}` WHERE seq = 2",
        retry=RETRY,
        job_retry=None,
    )
    result = job.result(retry=RETRY, timeout=TIMEOUT)
    assert [(f.name, f.field_type) for f in result.schema] == [
        ("idem_key", "STRING"),
        ("payload", "JSON"),
        ("seq", "INTEGER"),  # legacy type names in query results (as on real BigQuery)
        ("active", "BOOLEAN"),
        ("score", "FLOAT"),
        ("first_seen", "TIMESTAMP"),
    ]
    (row,) = list(result)
    assert row["payload"] == {"a": {"b": "new"}}  # JSON -> parsed (dict), not str
    assert isinstance(row["seq"], int) and isinstance(row["active"], bool)
    assert isinstance(row["score"], float)
    assert row["first_seen"] == T1 and row["first_seen"].tzinfo is dt.UTC
    # Row -> dict: dict(row) / dict(row.items()); also by key, attribute and index.
    as_dict = dict(row)
    assert as_dict == dict(row.items())
    assert as_dict == {
        "idem_key": "k1",
        "payload": {"a": {"b": "new"}},
        "seq": 2,
        "active": True,
        "score": 3.0,
        "first_seen": T1,
    }
    assert list(row.keys())[0] == "idem_key" and row.idem_key == row[0] == "k1"
    assert row.get("missing", "default") == "default"

    # list_rows and query_and_wait give the same Python types.
    listed = {r["seq"]: dict(r) for r in client.list_rows(events, retry=RETRY)}
    extra = {"source_system": "gmail", "payload_hash": None, "last_seen": T1}
    assert listed[2] == dict(row) | extra
    waited = client.query_and_wait(
        f"SELECT payload, first_seen FROM `{events}` WHERE seq = 2",
        retry=RETRY,
        job_retry=None,  # type: ignore[arg-type]  # documented: None disables job retry
    )
    assert [dict(r) for r in waited] == [{"payload": {"a": {"b": "new"}}, "first_seen": T1}]

    # Arrow: JSON arrives as text, TIMESTAMP as tz-aware UTC.
    arrow = job.result(retry=RETRY).to_arrow(create_bqstorage_client=False).to_pylist()
    assert json.loads(arrow[0]["payload"]) == {"a": {"b": "new"}}
    assert arrow[0]["first_seen"] == T1


def test_json_query_parameter_is_not_parsed(client: bigquery.Client) -> None:
    """Emulator gap: a JSON-typed parameter comes back as a JSON *string* (real BigQuery: the
    object). Workaround: pass JSON as a STRING parameter and PARSE_JSON(@p) in SQL."""
    rows = run(client, "SELECT @j AS j", [bigquery.ScalarQueryParameter("j", "JSON", '{"a":1}')])
    assert rows == [{"j": '"{\\"a\\":1}"'}]
    rows = run(
        client,
        "SELECT PARSE_JSON(@j) AS j",
        [bigquery.ScalarQueryParameter("j", "STRING", '{"a":1}')],
    )
    assert rows == [{"j": {"a": 1}}]
