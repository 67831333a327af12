"""A rebuild's kept write times, on both backends: unchanged rows get their old times back.

``keep_write_times`` copies key, hash and write times aside; the table is emptied and written
again (one row unchanged, one changed, one new); ``restore_write_times`` gives the unchanged row
its original ``first_seen``/``last_seen``/declared write time and leaves the others as written.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lorchestra.api import Column, TableSpec, Warehouse
from lorchestra.warehouse.kept_times import keep_write_times, kept_table, restore_write_times

SPEC = TableSpec(
    name="kept_widgets",
    columns=[
        Column("widget_id", "STRING", required=True),
        Column("size", "INT64"),
        Column("made_at", "TIMESTAMP"),
    ],
    key="widget_id",
    write_times=("made_at",),
)
OLD = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
NEW = datetime(2026, 6, 7, 8, 9, 10, tzinfo=UTC)


def write(warehouse: Warehouse, sizes: dict[str, int], at: datetime) -> None:
    rows = [
        {"widget_id": key, "size": size, "made_at": at, "payload_hash": f"h{size}",
         "first_seen": at, "last_seen": at}
        for key, size in sizes.items()
    ]  # fmt: skip
    warehouse.append(SPEC, rows)


def times(warehouse: Warehouse) -> dict[str, tuple[datetime, datetime, datetime]]:
    rows = warehouse.query(
        "SELECT widget_id, made_at, first_seen, last_seen FROM kept_widgets ORDER BY widget_id"
    )
    return {r["widget_id"]: (r["made_at"], r["first_seen"], r["last_seen"]) for r in rows}


def test_unchanged_rows_get_their_write_times_back(warehouse: Warehouse) -> None:
    warehouse.ensure_tables([SPEC])
    write(warehouse, {"a": 1, "b": 2}, OLD)
    keep_write_times(warehouse, [SPEC])
    warehouse.execute("DELETE FROM kept_widgets WHERE TRUE")
    keep_write_times(warehouse, [SPEC])  # again on the empty table: the first copy wins
    write(warehouse, {"a": 1, "b": 3, "c": 4}, NEW)  # a unchanged, b changed, c new

    restore_write_times(warehouse, [SPEC])

    assert times(warehouse) == {"a": (OLD, OLD, OLD), "b": (NEW, NEW, NEW), "c": (NEW, NEW, NEW)}
    left = warehouse.query(
        "SELECT COUNT(*) AS n FROM kept_widgets WHERE widget_id = 'a'"
    )  # the table is intact; the side table is gone (creating it again finds it empty)
    assert left == [{"n": 1}]
    warehouse.execute(
        f"CREATE TABLE IF NOT EXISTS {kept_table(SPEC)} AS "
        "SELECT widget_id FROM kept_widgets WHERE FALSE"
    )
    assert warehouse.query(f"SELECT COUNT(*) AS n FROM {kept_table(SPEC)}") == [{"n": 0}]


def test_a_write_time_must_be_a_column() -> None:
    with pytest.raises(ValueError, match="write time 'made' is not a column"):
        TableSpec(name="t", columns=[Column("a", "STRING")], key="a", write_times=("made",))


def test_kept_times_are_the_insert_only_touched_and_declared_columns() -> None:
    assert SPEC.kept_times == ("first_seen", "last_seen", "made_at")
