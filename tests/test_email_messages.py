"""email_messages, the canonizer's columns of every canonical email, on DuckDB and the emulator.

The views read these columns instead of parsing the payloads, so each column must be what the
JSON expressions the views used to run give, on each backend: the canonizer's job writes the
rows of real (synthetic) Gmail messages, damaged ones are added straight to canonical_objects,
and both are compared with those expressions. The catch-up fills a warehouse from before the
table, follows changed payloads and deletes the rows of emails that are gone.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

import sample_data
from canonizer import jobs as canonize_jobs
from canonizer.email_messages import EMAIL_KIND, catch_up
from canonizer.jobs import canonicalize_email
from lorchestra.errors import WarehouseError
from lorchestra.stack_clients.event_client import upsert, upsert_objects
from lorchestra.warehouse import Warehouse

# What the views computed from the payloads before email_messages existed.
FROM_PAYLOADS = f"""
SELECT
  c.idem_key,
  JSON_VALUE(c.payload, '$.threadId') AS thread_id,
  COALESCE(JSON_VALUE(c.payload, '$.messageId[0]'), JSON_VALUE(c.payload, '$.id')) AS message_key,
  JSON_VALUE(c.payload, '$.subject') AS subject,
  LOWER(TRIM(JSON_VALUE(c.payload, '$.from[0].email'))) AS from_address,
  JSON_VALUE(c.payload, '$.from[0].name') AS from_name,
  COALESCE(
    SAFE_CAST(JSON_VALUE(c.payload, '$.receivedAt') AS TIMESTAMP),
    SAFE_CAST(JSON_VALUE(c.payload, '$.sentAt') AS TIMESTAMP)
  ) AS message_at,
  EXISTS(
    SELECT 1 FROM UNNEST(JSON_VALUE_ARRAY(c.payload, '$.labels')) AS label WHERE label = 'SENT'
  ) AS sent
FROM canonical_objects c
WHERE c.canonical_kind = '{EMAIL_KIND}'
ORDER BY c.idem_key
"""

ADDRESSES_FROM_PAYLOADS = f"""
SELECT c.idem_key, '{{role}}' AS role, LOWER(TRIM(JSON_VALUE(a, '$.email'))) AS address
FROM canonical_objects c
CROSS JOIN UNNEST({{arrays}}) AS a
WHERE c.canonical_kind = '{EMAIL_KIND}'
"""

COLUMNS = (
    "SELECT idem_key, thread_id, message_key, subject, from_address, from_name, message_at, "
    "sent, TO_JSON_STRING(correspondents) AS correspondents, TO_JSON_STRING(bcc) AS bcc "
    "FROM email_messages ORDER BY idem_key"
)


def damaged(name: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A canonical email written straight to canonical_objects (no transform, no validation)."""
    source = f"synthetic:edge:email:{name}"
    return {
        "idem_key": f"{source}#{EMAIL_KIND}",
        "source_idem_key": source,
        "canonical_schema": "iglu:org.canonical/email_jmap_lite/jsonschema/1-0-0",
        "canonical_kind": EMAIL_KIND,
        "transform_ref": "synthetic/email@1.0.0",
        "payload": payload,
        "canonicalized_at": datetime(2026, 3, 20, tzinfo=UTC),
    }


EDGES = [
    damaged("padded", {
        "id": "e1", "threadId": "t1", "messageId": [], "subject": None, "labels": ["SENT", "X"],
        "receivedAt": "2026-02-30T10:00:00Z", "sentAt": "2026-03-01T10:00:00Z",
        "from": [{"name": None, "email": "  Mixed.Case@Example.TEST "}],
        "to": [{"name": "A", "email": "a@example.test"}, {"name": "B", "email": " B@example.test"}],
        "cc": [], "bcc": [{"name": None, "email": "Hidden@Example.test"}],
    }),
    damaged("bare", {"id": "e2", "threadId": "t2", "receivedAt": "not a time", "from": []}),
    damaged("sent-at-only", {
        "id": "e3", "threadId": "t2", "messageId": ["<m3@example.test>", "<other@example.test>"],
        "receivedAt": None, "sentAt": "2026-03-02T08:30:00Z", "labels": ["sent"],
        "from": [{"name": "Ann", "email": "ann@example.test"}], "cc": [{"name": None,
        "email": "cc@example.test"}],
    }),
]  # fmt: skip


def load_gmail(warehouse: Warehouse, count: int) -> None:
    upsert_objects(
        warehouse,
        sample_data.iter_records("gmail", "gmail-acct1", "email", count=count),
        source_system="gmail",
        connection_name="gmail-acct1",
        object_type="email",
        external_id="id",
        emit_event=False,
    )


def addresses(warehouse: Warehouse, role: str, fields: tuple[str, ...]) -> Counter[tuple[str, str]]:
    arrays = ", ".join(f"JSON_QUERY_ARRAY(c.payload, '$.{field}')" for field in fields)
    sql = ADDRESSES_FROM_PAYLOADS.format(role=role, arrays=f"ARRAY_CONCAT({arrays})")
    return Counter(
        (row["idem_key"], row["address"])
        for row in warehouse.query(sql)
        if row["address"] is not None
    )


def test_columns_are_what_the_payload_expressions_give(warehouse: Warehouse) -> None:
    load_gmail(warehouse, 40)
    counts = canonicalize_email(warehouse, jobs=1)
    assert counts["processed"] == 40 and "email_messages_caught_up" not in counts
    upsert(warehouse, "canonical_objects", EDGES, emit_event=False)
    assert catch_up(warehouse) == len(EDGES)

    stored = warehouse.query(COLUMNS)
    expected = warehouse.query(FROM_PAYLOADS)
    assert len(stored) == 40 + len(EDGES)
    for row, want in zip(stored, expected, strict=True):
        assert {k: v for k, v in row.items() if k in want} == want, row["idem_key"]
    assert sum(row["sent"] for row in stored) >= 2  # Gmail's own SENT mail and an edge case

    correspondents = Counter(
        (row["idem_key"], address)
        for row in stored
        for address in orjson.loads(row["correspondents"])
    )
    bcc = Counter(
        (row["idem_key"], address) for row in stored for address in orjson.loads(row["bcc"])
    )
    assert correspondents == addresses(warehouse, "correspondents", ("from", "to", "cc"))
    assert bcc == addresses(warehouse, "bcc", ("bcc",))
    padded = f"synthetic:edge:email:padded#{EMAIL_KIND}"
    assert (padded, "mixed.case@example.test") in correspondents


def test_catch_up_fills_follows_changes_and_forgets_what_is_gone(warehouse: Warehouse) -> None:
    load_gmail(warehouse, 12)
    canonicalize_email(warehouse, jobs=1)
    full = warehouse.query(COLUMNS)
    assert len(full) == 12

    # A warehouse from before email_messages: the next run, with nothing to canonicalise,
    # gives every email its row and says so.
    warehouse.execute("DELETE FROM email_messages WHERE TRUE")
    counts = canonicalize_email(warehouse, jobs=1)
    assert counts["processed"] == 0 and counts["email_messages_caught_up"] == 12
    assert warehouse.query(COLUMNS) == full
    assert "email_messages_caught_up" not in canonicalize_email(warehouse, jobs=1)

    # A changed payload moves its row; an email that is gone loses it.
    upsert(warehouse, "canonical_objects", EDGES[:1], emit_event=False)
    assert catch_up(warehouse) == 1
    changed = dict(EDGES[0], payload=dict(EDGES[0]["payload"], subject="Changed"))
    upsert(warehouse, "canonical_objects", [changed], emit_event=False)
    assert catch_up(warehouse) == 1
    subjects = {row["idem_key"]: row["subject"] for row in warehouse.query(COLUMNS)}
    assert subjects[EDGES[0]["idem_key"]] == "Changed"
    warehouse.execute(
        "DELETE FROM canonical_objects WHERE idem_key = @key", {"key": full[0]["idem_key"]}
    )
    assert catch_up(warehouse) == 0
    assert full[0]["idem_key"] not in {row["idem_key"] for row in warehouse.query(COLUMNS)}
    assert len(warehouse.query(COLUMNS)) == 12


def test_a_dry_run_writes_no_rows(warehouse: Warehouse) -> None:
    load_gmail(warehouse, 5)
    canonicalize_email(warehouse, jobs=1, dry_run=True)
    assert warehouse.query("SELECT COUNT(*) AS n FROM email_messages") == [{"n": 0}]


@pytest.mark.parametrize("failing_table", ["canonical_objects", "email_messages"])
def test_a_write_that_fails_midway_is_made_whole_by_the_next_run(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch, failing_table: str
) -> None:
    records = list(sample_data.iter_records("gmail", "gmail-acct1", "email", count=6))
    load_gmail(warehouse, 6)
    canonicalize_email(warehouse, jobs=1)
    for header in records[2]["payload"]["headers"]:
        if header["name"] == "Subject":
            header["value"] = "A changed subject"
    upsert_objects(warehouse, records, source_system="gmail", connection_name="gmail-acct1",
                   object_type="email", external_id="id", emit_event=False)  # fmt: skip
    real_upsert = canonize_jobs.upsert

    def failing(bq_client: Warehouse, table: Any, rows: Any, **kwargs: Any) -> Any:
        if getattr(table, "name", table) == failing_table:
            raise WarehouseError(f"synthetic failure writing {failing_table}")
        return real_upsert(bq_client, table, rows, **kwargs)

    monkeypatch.setattr(canonize_jobs, "upsert", failing)
    with pytest.raises(WarehouseError, match="synthetic failure"):
        canonicalize_email(warehouse, jobs=1)
    monkeypatch.setattr(canonize_jobs, "upsert", real_upsert)
    canonicalize_email(warehouse, jobs=1)
    stored = warehouse.query(COLUMNS)
    assert "A changed subject" in {row["subject"] for row in stored}
    for row, want in zip(stored, warehouse.query(FROM_PAYLOADS), strict=True):
        assert {k: v for k, v in row.items() if k in want} == want
