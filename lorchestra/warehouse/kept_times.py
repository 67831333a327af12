"""Write times a rebuild carries over: the rows it makes again keep the times they had.

A derived table's rows carry times that say when they were written, not what they hold
(``first_seen``, ``last_seen``, a table's declared ``write_times``). Emptying and re-deriving the
table would move them all to the time of the rebuild, so ``lorchestra rebuild`` first copies
key, payload hash and those times into a side table, and after the rebuild writes them back onto
every row whose key and payload hash came back unchanged; a row whose content changed keeps its
new times. The side table survives an interrupted rebuild (the next rebuild adds to it rather
than replacing it, so the first copy's times win) and is dropped once the times are back.
"""

from __future__ import annotations

from collections.abc import Iterable

from lorchestra.warehouse.base import Warehouse
from lorchestra.warehouse.schema import TableSpec

PREFIX = "_lorchestra_rebuild_"


def kept_table(spec: TableSpec) -> str:
    return f"{PREFIX}{spec.name}"


def _carries_times(spec: TableSpec) -> bool:
    return spec.key is not None and spec.hash_column is not None and bool(spec.kept_times)


def _ensure_side_table(warehouse: Warehouse, spec: TableSpec) -> tuple[str, str]:
    names = ", ".join((str(spec.key), str(spec.hash_column), *spec.kept_times))
    side = kept_table(spec)
    warehouse.execute(
        f"CREATE TABLE IF NOT EXISTS {side} AS SELECT {names} FROM {spec.name} WHERE FALSE"
    )
    return side, names


def keep_write_times(warehouse: Warehouse, specs: Iterable[TableSpec]) -> None:
    """Copy key, hash and write times of every row into the side tables (before emptying)."""
    for spec in filter(_carries_times, specs):
        side, names = _ensure_side_table(warehouse, spec)
        warehouse.execute(
            f"INSERT INTO {side} ({names}) SELECT {names} FROM {spec.name} AS t "
            f"WHERE NOT EXISTS (SELECT 1 FROM {side} AS k WHERE k.{spec.key} = t.{spec.key})"
        )


def restore_write_times(warehouse: Warehouse, specs: Iterable[TableSpec]) -> None:
    """Put the kept times back on rows that came back unchanged, then drop the side tables."""
    for spec in filter(_carries_times, specs):
        side, _ = _ensure_side_table(warehouse, spec)
        assignments = ", ".join(f"{name} = k.{name}" for name in spec.kept_times)
        warehouse.execute(
            f"UPDATE {spec.name} AS t SET {assignments} FROM {side} AS k "
            f"WHERE t.{spec.key} = k.{spec.key} AND t.{spec.hash_column} = k.{spec.hash_column}"
        )
        warehouse.execute(f"DROP TABLE IF EXISTS {side}")
