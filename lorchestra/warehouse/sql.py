"""GoogleSQL helpers shared by the backends: the MERGE the upsert runs, transpiling, checks.

All SQL in lorchestra is written once in GoogleSQL. DuckDB runs it transpiled by sqlglot (the
result cached per statement); BigQuery runs it with table names qualified by dataset.
"""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from lorchestra.errors import TerminalWarehouseError
from lorchestra.warehouse.schema import TableSpec


def merge_sql(spec: TableSpec, stage: str) -> str:
    """One MERGE applying a staged batch: new keys insert, changed hashes update, rest touch."""
    if spec.key is None or spec.hash_column is None:
        raise ValueError(f"Table {spec.name} has no key; it cannot be merged into.")

    def value(name: str) -> str:
        return f"PARSE_JSON(S.{name})" if name in spec.json_columns else f"S.{name}"

    # GREATEST: replaying an old backup must never move last_seen backwards.
    touched = [f"{name} = GREATEST(T.{name}, S.{name})" for name in spec.touch]
    touch = ", ".join(touched) or f"{spec.key} = T.{spec.key}"
    changed = ", ".join([*(f"{name} = {value(name)}" for name in spec.data_columns), *touched])
    columns = spec.column_names
    return (
        f"MERGE {spec.name} T USING {stage} S ON T.{spec.key} = S.{spec.key} "
        f"WHEN MATCHED AND T.{spec.hash_column} = S.{spec.hash_column} THEN UPDATE SET {touch} "
        f"WHEN MATCHED THEN UPDATE SET {changed} "
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(columns)}) "
        f"VALUES ({', '.join(value(name) for name in columns)})"
    )


def existing_hashes_sql(spec: TableSpec, stage: str) -> str:
    """The hashes that staged keys already have in the target table."""
    return (
        f"SELECT S.{spec.key} AS k, T.{spec.hash_column} AS h FROM {stage} S "
        f"JOIN {spec.name} T ON T.{spec.key} = S.{spec.key}"
    )


def differing_hashes_sql(spec: TableSpec, stage: str) -> str:
    """The staged keys that are new (hash NULL) or whose stored hash differs, with that hash."""
    return (
        f"SELECT S.{spec.key} AS k, T.{spec.hash_column} AS h FROM {stage} S "
        f"LEFT JOIN {spec.name} T ON T.{spec.key} = S.{spec.key} "
        f"WHERE T.{spec.key} IS NULL OR T.{spec.hash_column} != S.{spec.hash_column}"
    )


def touch_unchanged_sql(spec: TableSpec, stage: str) -> str:
    """Move the touched columns (``last_seen``) of staged rows whose hash is unchanged."""
    touched = ", ".join(f"{name} = GREATEST(T.{name}, S.{name})" for name in spec.touch)
    return (
        f"UPDATE {spec.name} T SET {touched} FROM {stage} S "
        f"WHERE T.{spec.key} = S.{spec.key} AND T.{spec.hash_column} = S.{spec.hash_column}"
    )


def insert_from_stage_sql(spec: TableSpec, stage: str) -> str:
    """Append a staged batch, parsing JSON text columns."""
    values = ", ".join(
        f"PARSE_JSON({name})" if name in spec.json_columns else name for name in spec.column_names
    )
    return f"INSERT INTO {spec.name} ({', '.join(spec.column_names)}) SELECT {values} FROM {stage}"


def insert_values_sql(spec: TableSpec, count: int) -> str:
    """Append ``count`` rows given as parameters ``@r<row>_<column>``, parsing JSON columns."""

    def value(row: int, column: int, name: str) -> str:
        parameter = f"@r{row}_{column}"
        return f"PARSE_JSON({parameter})" if name in spec.json_columns else parameter

    rows = ", ".join(
        "(" + ", ".join(value(r, c, name) for c, name in enumerate(spec.column_names)) + ")"
        for r in range(count)
    )
    return f"INSERT INTO {spec.name} ({', '.join(spec.column_names)}) VALUES {rows}"


@lru_cache(maxsize=512)
def to_duckdb(sql: str) -> str:
    """Transpile one or more GoogleSQL statements to DuckDB's dialect (cached)."""
    try:
        statements = sqlglot.transpile(sql, read="bigquery", write="duckdb")
    except ParseError as exc:
        raise TerminalWarehouseError(f"SQL does not parse: {_first_error(exc)}") from None
    return ";\n".join(statements)


@lru_cache(maxsize=512)
def qualify_for_bigquery(sql: str, project: str, dataset: str) -> str:
    """Prefix bare table names with ``project.dataset`` so BigQuery can resolve them."""
    try:
        trees = sqlglot.parse(sql, read="bigquery")
    except ParseError as exc:
        raise TerminalWarehouseError(f"SQL does not parse: {_first_error(exc)}") from None
    out = []
    for tree in trees:
        if tree is None:
            continue
        ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
        for table in tree.find_all(exp.Table):
            if not table.args.get("db") and table.name and table.name not in ctes:
                table.set("db", exp.to_identifier(dataset))
                table.set("catalog", exp.to_identifier(project))
        out.append(tree.sql(dialect="bigquery"))
    return ";\n".join(out)


def _first_error(exc: ParseError) -> str:
    errors = exc.errors
    if errors:
        first = errors[0]
        return f"{first.get('description', 'syntax error')} at line {first.get('line')}"
    return str(exc).splitlines()[0]
