"""Read-only SQL, enforced by the engine: what ``lorchestra sql`` and ``lorchestra query`` run.

A statement is read-only when the engine itself says so: DuckDB's own parser
(``extract_statements``) types each statement of the transpiled SQL, and BigQuery types it in a
dry run. Read-only statements then run on a sandboxed connection — for DuckDB the file opened
read-only with ``enable_external_access = false`` (no file, network or extension access: no
``read_csv('/etc/passwd')``, no ``COPY ... TO``) and the configuration locked, so no statement
can turn that back on. Anything else needs ``--write``. SQL that does not parse is a
:class:`SqlSyntaxError` naming line and column.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot.errors import ParseError

from lorchestra.errors import UsageError
from lorchestra.warehouse import open_warehouse

if TYPE_CHECKING:
    from lorchestra.config import Settings
    from lorchestra.warehouse.base import Warehouse

READ_ONLY_TYPES = frozenset({"SELECT", "EXPLAIN"})


class SqlSyntaxError(UsageError):
    """The SQL does not parse; the message names line, column and what was expected."""


class WriteRefused(UsageError):
    """A statement that changes data, schema or files was given without ``--write``."""


def check_syntax(sql: str) -> None:
    """Raise :class:`SqlSyntaxError` (with line and column) unless ``sql`` parses as GoogleSQL."""
    try:
        sqlglot.parse(sql, read="bigquery")
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        description = str(first.get("description") or "syntax error").split(" but got <")[0]
        raise SqlSyntaxError(
            f"SQL syntax error at line {first.get('line', '?')}, column {first.get('col', '?')}: "
            f"{description}."
        ) from None


def open_sandboxed(settings: Settings) -> Warehouse:
    """The warehouse, opened for read-only statements only (see the module docstring)."""
    return open_warehouse(settings, read_only=True, sandboxed=True)


def statement_types(warehouse: Warehouse, sql: str) -> list[str]:
    """The engine's type for each statement of ``sql`` (``SELECT``, ``COPY``, ``INSERT``, ...)."""
    check_syntax(sql)
    typer_of: Any = getattr(warehouse, "statement_types", None)
    if typer_of is None:
        raise UsageError(f"The {warehouse.backend} backend cannot type statements.")
    types: list[str] = typer_of(sql)
    return types


def require_read_only(warehouse: Warehouse, sql: str, *, write: bool) -> bool:
    """Whether ``sql`` only reads; :class:`WriteRefused` when it does not and not ``write``."""
    types = statement_types(warehouse, sql)
    read_only = bool(types) and all(kind in READ_ONLY_TYPES for kind in types)
    if not read_only and not write:
        kinds = ", ".join(dict.fromkeys(kind for kind in types if kind not in READ_ONLY_TYPES))
        raise WriteRefused(
            f"This SQL changes data, schema or files ({kinds or 'no statement'}); "
            "add --write to run it."
        )
    return read_only
