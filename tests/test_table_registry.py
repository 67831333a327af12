"""Packages declare their tables: what a TableSpec adds; broken declarations are kept out."""

from __future__ import annotations

from importlib import metadata

import pytest

from lorchestra.api import Column, TableSpec
from lorchestra.warehouse.registry import collect, installed_tables

WIDGETS = [
    TableSpec(
        name="acme_widgets",
        columns=[Column("widget_id", "STRING", required=True), Column("size", "INT64")],
        key="widget_id",
    )
]
CLASH = [TableSpec(name="raw_objects", columns=[Column("x", "STRING")])]
NOT_SPECS = ["acme_widgets"]


def test_a_keyed_table_gets_its_hash_and_seen_columns() -> None:
    (spec,) = WIDGETS
    assert spec.column_names == (
        "widget_id", "size", "payload_hash", "first_seen", "last_seen",
    )  # fmt: skip
    assert spec.hash_column == "payload_hash"
    assert (spec.insert_only, spec.touch, spec.cluster_by) == (
        ("first_seen",), ("last_seen",), ("widget_id",),
    )  # fmt: skip
    assert spec.backup_kind == "acme_widgets"
    assert isinstance(spec.columns, tuple)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "t", "columns": [Column("a", "STRING")], "key": "b"}, "key 'b' is not one of"),
        ({"name": "t", "columns": [Column("a", "STRING")] * 2}, "column\\(s\\) a repeated"),
        ({"name": "my-table", "columns": [Column("a", "STRING")]}, "not a plain identifier"),
    ],
)
def test_a_bad_table_spec_says_what_is_wrong(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TableSpec(**kwargs)  # type: ignore[arg-type]


def test_a_column_type_must_be_googlesql() -> None:
    with pytest.raises(ValueError, match="type 'VARCHAR'; use one of BOOL, FLOAT64"):
        Column("a", "VARCHAR")


def test_broken_declarations_are_reported_and_skipped() -> None:
    group = "lorchestra.tables"
    registry = collect(
        [
            metadata.EntryPoint("acme", f"{__name__}:WIDGETS", group),
            metadata.EntryPoint("clash", f"{__name__}:CLASH", group),
            metadata.EntryPoint("strings", f"{__name__}:NOT_SPECS", group),
            metadata.EntryPoint("gone", "no_such_module:TABLES", group),
            metadata.EntryPoint("elsewhere", f"{__name__}:WIDGETS", "some.other.group"),
        ]
    )
    assert list(registry.tables) == ["event_log", "raw_objects", "acme_widgets"]
    assert registry.errors == (
        "Package 'clash' declares table 'raw_objects', already declared by 'lorchestra'; "
        "its declaration is ignored.",
        "Package 'gone' cannot load its tables (no_such_module:TABLES): "
        "ModuleNotFoundError: No module named 'no_such_module'",
        "Package 'strings' declares a table that is not a TableSpec.",
    )


def test_the_installed_packages_declare_their_own_tables() -> None:
    tables = installed_tables()
    assert {"event_log", "raw_objects", "canonical_objects", "measurement_events"} <= set(tables)
