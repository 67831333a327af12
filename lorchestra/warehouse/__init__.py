"""Warehouse backends behind one small protocol; ``connect`` builds the configured one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lorchestra.warehouse.base import Row, Warehouse
from lorchestra.warehouse.registry import installed_tables, table_spec
from lorchestra.warehouse.schema import TableSpec

if TYPE_CHECKING:
    from lorchestra.config import Settings


def open_warehouse(
    settings: Settings, *, read_only: bool = False, sandboxed: bool = False
) -> Warehouse:
    """Open the backend ``settings`` select; tables are created on first use.

    ``sandboxed`` (with ``read_only``) is for read-only user SQL: on DuckDB no file, network or
    extension access and a locked configuration (:mod:`lorchestra.warehouse.readonly`).
    """
    if settings.warehouse.backend == "bigquery":
        from lorchestra.warehouse.bigquery_backend import BigQueryWarehouse

        bq = settings.bigquery
        return BigQueryWarehouse(
            bq.project, bq.dataset, location=bq.location, api_endpoint=bq.api_endpoint
        )
    from lorchestra.warehouse.duckdb_backend import DuckDBWarehouse

    path = settings.duckdb_path
    if read_only and not path.exists():
        warehouse = DuckDBWarehouse(":memory:", sandboxed=sandboxed)
    else:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        warehouse = DuckDBWarehouse(
            path,
            lock_timeout=settings.duckdb.lock_timeout,
            read_only=read_only,
            memory_limit=settings.duckdb.memory_limit,
            sandboxed=sandboxed and read_only,
            schema=settings.namespace,
        )
    if not read_only or warehouse.path == ":memory:":
        warehouse.ensure_tables(installed_tables().values())
    return warehouse


__all__ = ["Row", "TableSpec", "Warehouse", "installed_tables", "open_warehouse", "table_spec"]
