"""``email_messages``: the fields of every canonical email that views group and join on, as
columns, so that reading mail never parses the JSON payloads.

DuckDB keeps every document a JSON function parsed until its query ends, about 3.6 KB per email
per function: a view calling ten of them over 7,800 emails (50 times the demo practice) held
~280 MB. One row here per ``email_jmap_lite`` canonical object, keyed by its ``idem_key``:

- ``thread_id``, ``subject``, ``from_name``: ``threadId``, ``subject``, ``from[0].name``;
- ``message_key``: ``messageId[0]``, or ``id`` when the message has no Message-ID;
- ``from_address``: ``from[0].email``, trimmed and lower-cased;
- ``message_at``: ``receivedAt``, or ``sentAt`` (NULL when neither is a valid time);
- ``sent``: the message carries the ``SENT`` label;
- ``correspondents``: the addresses of ``from``, ``to`` and ``cc`` (trimmed, lower-cased, in
  order), a JSON array; ``bcc``: those of ``bcc``;
- ``canonical_payload_hash``: the canonical object's ``payload_hash`` the row was made from.

The canonizer writes a row with every canonical email it writes, computed (and hashed) where
the email is transformed, and written just before the canonical rows: a run interrupted between
the two leaves the raw object pending, so the next run writes both again. After each run of a
route producing emails, when the table and the canonical emails differ in number (a warehouse
from before this table, emails deleted by hand), :func:`catch_up` gives a row to every canonical
email without an up-to-date one and deletes the rows of emails that are gone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from lorchestra.api import TableSpec, Warehouse, columns, upsert

EMAIL_KIND = "email_jmap_lite"

EMAIL_MESSAGES = TableSpec(
    name="email_messages",
    columns=columns(
        "idem_key STRING!, source_idem_key STRING!, thread_id STRING, message_key STRING, "
        "subject STRING, from_address STRING, from_name STRING, message_at TIMESTAMP, "
        "sent BOOL, correspondents JSON, bcc JSON, canonical_payload_hash STRING!"
    ),
    key="idem_key",
    backup_kind="canonical",
    references={"idem_key": "canonical_objects.idem_key"},
    description="The header fields of every canonical email, as columns (see canonizer docs).",
    derived=True,
)

READ_BATCH = 2_000

_STALE_SQL = f"""
SELECT c.idem_key, c.source_idem_key, TO_JSON_STRING(c.payload) AS payload, c.payload_hash
FROM canonical_objects c
LEFT JOIN email_messages e ON e.idem_key = c.idem_key
WHERE c.canonical_kind = '{EMAIL_KIND}'
  AND (e.idem_key IS NULL OR e.canonical_payload_hash != c.payload_hash)
"""  # no ORDER BY: the rows are keyed, and sorting every stale payload would hold them all

_COUNTS_SQL = f"""
SELECT
  (SELECT COUNT(*) FROM canonical_objects WHERE canonical_kind = '{EMAIL_KIND}') AS emails,
  (SELECT COUNT(*) FROM email_messages) AS rows
"""

_GONE_SQL = """
DELETE FROM email_messages E
WHERE NOT EXISTS (SELECT 1 FROM canonical_objects C WHERE C.idem_key = E.idem_key)
"""


def message_row(
    idem_key: str, source_idem_key: str, email: Mapping[str, Any], payload_hash: str
) -> dict[str, Any]:
    """The ``email_messages`` row of one canonical email (a valid ``email_jmap_lite`` object),
    with its ``payload_hash``."""
    sender = _first(email.get("from"))
    message_id = _text(_first(email.get("messageId")))
    labels = email.get("labels")
    row: dict[str, Any] = {
        "idem_key": idem_key,
        "source_idem_key": source_idem_key,
        "thread_id": _text(email.get("threadId")),
        "message_key": message_id if message_id is not None else _text(email.get("id")),
        "subject": _text(email.get("subject")),
        "from_address": _address(sender),
        "from_name": _text(sender.get("name")) if isinstance(sender, Mapping) else None,
        "message_at": _instant(email.get("receivedAt")) or _instant(email.get("sentAt")),
        "sent": isinstance(labels, list) and "SENT" in labels,
        "correspondents": _addresses(email, ("from", "to", "cc")),
        "bcc": _addresses(email, ("bcc",)),
        "canonical_payload_hash": payload_hash,
    }
    text = orjson.dumps(row, option=orjson.OPT_SORT_KEYS)
    row["payload_hash"] = hashlib.sha256(text).hexdigest()
    return row


def in_step(bq_client: Warehouse) -> bool:
    """Whether there are as many rows as canonical emails (what the canonizer's writes keep)."""
    bq_client.ensure_tables([EMAIL_MESSAGES])
    counts = bq_client.query(_COUNTS_SQL)[0]
    return bool(counts["emails"] == counts["rows"])


def catch_up(bq_client: Warehouse) -> int:
    """Give every canonical email without an up-to-date row its row, delete the rows of emails
    that are gone; returns how many rows were written."""
    bq_client.ensure_tables([EMAIL_MESSAGES])
    written = 0
    for batch in bq_client.iter_query(_STALE_SQL, batch_size=READ_BATCH):
        rows = [
            message_row(row["idem_key"], row["source_idem_key"], _parsed(row["payload"]),
                        row["payload_hash"])
            for row in batch
        ]  # fmt: skip
        upsert(bq_client, EMAIL_MESSAGES, rows, emit_event=False)
        written += len(rows)
    bq_client.execute(_GONE_SQL)
    return written


def _parsed(payload: Any) -> Any:
    """A payload read as JSON text (or already decoded, as a backend may return it)."""
    return orjson.loads(payload) if isinstance(payload, (str, bytes)) else payload


def _first(values: Any) -> Any:
    return values[0] if isinstance(values, list) and values else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _address(entry: Any) -> str | None:
    email = entry.get("email") if isinstance(entry, Mapping) else None
    return email.strip().lower() if isinstance(email, str) else None


def _addresses(email: Mapping[str, Any], fields: tuple[str, ...]) -> str:
    found = [
        address
        for field in fields
        for entry in (email.get(field) or ())
        if (address := _address(entry)) is not None
    ]
    return orjson.dumps(found).decode()


def _instant(value: Any) -> datetime | None:
    """A canonical time (``YYYY-MM-DDTHH:MM:SSZ``) as an aware datetime (UTC when it names no
    offset, as SQL's cast reads it); None when it is not a time."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
