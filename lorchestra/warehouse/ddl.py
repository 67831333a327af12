"""GoogleSQL DDL for the installed tables: what `lorchestra init` creates on BigQuery, as text.

`lorchestra init --print-ddl` prints it for an administrator who provisions datasets by review
or with infrastructure as code: one `CREATE SCHEMA IF NOT EXISTS`, then one
`CREATE TABLE IF NOT EXISTS` per table with its columns (NOT NULL where required), day
partitioning, clustering and descriptions, exactly as the BigQuery backend creates them.
"""

from __future__ import annotations

from collections.abc import Iterable

from lorchestra.warehouse.schema import TableSpec

__all__ = ["bigquery_ddl", "create_table_ddl"]


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def create_table_ddl(spec: TableSpec, dataset: str) -> str:
    """One `CREATE TABLE IF NOT EXISTS` statement for `spec` in `dataset` (`project.dataset`)."""
    columns = []
    for column in spec.columns:
        line = f"  {column.name} {column.type}{' NOT NULL' if column.required else ''}"
        if column.description:
            line += f" OPTIONS (description = {_string(column.description)})"
        columns.append(line)
    lines = [f"CREATE TABLE IF NOT EXISTS `{dataset}.{spec.name}` (", ",\n".join(columns), ")"]
    if spec.partition_by:
        lines.append(f"PARTITION BY DATE({spec.partition_by})")
    if spec.cluster_by:
        lines.append(f"CLUSTER BY {', '.join(spec.cluster_by)}")
    if spec.description:
        lines.append(f"OPTIONS (description = {_string(spec.description)})")
    return "\n".join(lines) + ";"


def bigquery_ddl(specs: Iterable[TableSpec], dataset: str) -> str:
    """The whole script: the dataset, then every table, in the order given."""
    statements = [f"CREATE SCHEMA IF NOT EXISTS `{dataset}`;"]
    statements.extend(create_table_ddl(spec, dataset) for spec in specs)
    return "\n\n".join(statements) + "\n"
