"""Lineage of one key: the rows it was derived from, down to the raw object and its ingest run,
the rows derived from it, and whatever installed packages say consumes them (reports).

The walk is generic: it follows ``TableSpec.references`` (``column -> "table.column"``) upward
from the row holding the key until a table that references nothing (``raw_objects``), and the
same references backward for derived rows. The raw object's ingest run is the first
``ingest.completed`` event of its connection at or after its ``last_seen``. Packages add the
consumers they know of through the entry-point group ``lorchestra.lineage``: a callable
``hook(warehouse, home, nodes) -> list[dict]``, each dict with at least ``kind`` and ``name``.

Only descriptive columns are shown (times, refs, versions, schemas, kinds, the connection), never
payloads or values that could identify a person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lorchestra.errors import UsageError
from lorchestra.named_queries import find_query
from lorchestra.plugin_data import group_entry_points
from lorchestra.warehouse import Warehouse
from lorchestra.warehouse.schema import TableSpec

ENTRY_POINT_GROUP = "lorchestra.lineage"
DERIVED_SHOWN = 10
_DESCRIPTIVE = re.compile(
    r"(_ref|_version|_schema|_kind|_at|_seen)$|^(connection_name|source_system|object_type)$"
)


@dataclass
class Node:
    """One row on the path: its table, key, and descriptive columns (``row`` is not shown)."""

    table: str
    key: str
    facts: dict[str, Any]
    row: dict[str, Any] = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"table": self.table, "key": self.key, **self.facts}


@dataclass
class Lineage:
    start: Node
    ancestors: list[Node]  # parent first, down to the raw object
    ingest_run: dict[str, Any] | None
    derived: dict[str, list[Node]]  # table -> derived rows (at most DERIVED_SHOWN each)
    derived_counts: dict[str, int]
    consumers: list[dict[str, Any]]
    hook_errors: list[str] = field(default_factory=list)

    @property
    def raw(self) -> Node | None:
        chain = [self.start, *self.ancestors]
        return next((n for n in reversed(chain) if n.table == "raw_objects"), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.start.key,
            "table": self.start.table,
            "consumers": self.consumers,
            "chain": [node.as_dict() for node in [self.start, *self.ancestors]],
            "ingest_run": self.ingest_run,
            "derived": {
                table: {"count": self.derived_counts[table], "keys": [n.key for n in nodes]}
                for table, nodes in self.derived.items()
            },
            "hook_errors": self.hook_errors,
        }


def trace(
    warehouse: Warehouse, specs: Iterable[TableSpec], key: str, home: Path | None = None
) -> Lineage:
    """The lineage of ``key``; ``UsageError`` when no keyed table holds it."""
    keyed = {spec.name: spec for spec in specs if spec.key}
    start = _find(warehouse, keyed, key)
    if start is None:
        raise UsageError(f"No row of {', '.join(sorted(keyed))} has the key {key!r}.")
    ancestors = _ancestors(warehouse, keyed, start)
    derived, counts = _derived(warehouse, keyed, start)
    lineage = Lineage(start, ancestors, None, derived, counts, [])
    raw = lineage.raw
    if raw is not None:
        runs = warehouse.query(
            find_query("ingest_run_for").sql,
            {k: raw.row[k] for k in ("connection_name", "object_type", "last_seen")},
        )
        lineage.ingest_run = runs[0] if runs else None
    nodes = [start, *ancestors, *(n for group in derived.values() for n in group)]
    lineage.consumers, lineage.hook_errors = _consumers(warehouse, home, nodes)
    return lineage


def _node(spec: TableSpec, row: dict[str, Any]) -> Node:
    facts = {
        column.name: row.get(column.name)
        for column in spec.columns
        if column.name != spec.key
        and column.type != "JSON"
        and column.name not in spec.references  # the next line of the chain shows it
        and _DESCRIPTIVE.search(column.name)
    }
    return Node(spec.name, str(row[spec.key or ""]), facts, row)


def _rows(warehouse: Warehouse, spec: TableSpec, column: str, value: Any, limit: int) -> list[Any]:
    return warehouse.query(
        f"SELECT * FROM {spec.name} WHERE {column} = @value ORDER BY {spec.key} LIMIT {limit}",
        {"value": value},
    )


def _find(warehouse: Warehouse, keyed: dict[str, TableSpec], key: str) -> Node | None:
    for spec in keyed.values():
        rows = _rows(warehouse, spec, spec.key or "", key, 1)
        if rows:
            return _node(spec, rows[0])
    return None


def _ancestors(warehouse: Warehouse, keyed: dict[str, TableSpec], node: Node) -> list[Node]:
    chain: list[Node] = []
    current = node
    while len(chain) < len(keyed):  # references form no cycle; this bounds a bad spec
        spec = keyed[current.table]
        parent = None
        for column, target in sorted(spec.references.items()):
            table, _, target_column = target.partition(".")
            value = current.row.get(column)
            if table in keyed and value is not None:
                rows = _rows(warehouse, keyed[table], target_column, value, 1)
                if rows:
                    parent = _node(keyed[table], rows[0])
                    break
        if parent is None:
            break
        chain.append(parent)
        current = parent
    return chain


def _derived(
    warehouse: Warehouse, keyed: dict[str, TableSpec], start: Node
) -> tuple[dict[str, list[Node]], dict[str, int]]:
    derived: dict[str, list[Node]] = {}
    counts: dict[str, int] = {}
    frontier = [start]
    for _ in range(len(keyed)):
        next_frontier: list[Node] = []
        for node in frontier:
            for spec in keyed.values():
                for column, target in sorted(spec.references.items()):
                    table, _, target_column = target.partition(".")
                    if table != node.table:
                        continue
                    value = node.row.get(target_column)
                    n = warehouse.query(
                        f"SELECT COUNT(*) AS n FROM {spec.name} WHERE {column} = @value",
                        {"value": value},
                    )[0]["n"]
                    if not n:
                        continue
                    counts[spec.name] = counts.get(spec.name, 0) + int(n)
                    rows = _rows(warehouse, spec, column, value, DERIVED_SHOWN)
                    found = [_node(spec, row) for row in rows]
                    shown = derived.setdefault(spec.name, [])
                    shown.extend(found[: DERIVED_SHOWN - len(shown)])
                    next_frontier.extend(found)
        if not next_frontier:
            break
        frontier = next_frontier
    return derived, counts


def _consumers(
    warehouse: Warehouse, home: Path | None, nodes: list[Node]
) -> tuple[list[dict[str, Any]], list[str]]:
    consumers: list[dict[str, Any]] = []
    errors: list[str] = []
    for ep in group_entry_points(ENTRY_POINT_GROUP):
        try:
            hook = ep.load()
            consumers.extend(hook(warehouse, home, nodes))
        except Exception as exc:  # noqa: BLE001 - one broken package does not hide the lineage
            errors.append(f"{ep.name}: {type(exc).__name__}")
    return consumers, errors
