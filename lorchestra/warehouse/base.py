"""The one small interface every warehouse backend implements.

Jobs receive an object of this shape as ``bq_client``. SQL handed to it is GoogleSQL (the
BigQuery dialect) with ``@name`` parameters and bare table names; each backend makes it run on
its engine. Rows going in are dicts whose JSON columns hold JSON text and whose timestamps are
aware datetimes; rows coming out have JSON columns parsed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from lorchestra.warehouse.schema import TableSpec

Row = dict[str, Any]


@runtime_checkable
class Warehouse(Protocol):
    """What jobs and the event client need from a warehouse."""

    backend: str

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        """Run a GoogleSQL query and return all rows as dicts."""
        ...

    def iter_query(
        self, sql: str, params: Mapping[str, Any] | None = None, *, batch_size: int = 10_000
    ) -> Iterator[list[Row]]:
        """Run a GoogleSQL query and yield its rows in lists of at most ``batch_size``."""
        ...

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        """Run a GoogleSQL statement that changes data or schema."""
        ...

    def ensure_tables(self, specs: Iterable[TableSpec]) -> None:
        """Create the dataset and any of these tables that do not exist yet."""
        ...

    def append(self, spec: TableSpec, rows: Sequence[Row]) -> None:
        """Append rows to a table in one batch."""
        ...

    def merge(
        self,
        spec: TableSpec,
        rows: Sequence[Row],
        complete: Callable[[Sequence[Row]], None] | None = None,
    ) -> dict[str, str]:
        """Stage rows and apply one MERGE; return the hashes keys had before it.

        ``complete``, when given, fills the columns the rows left ``None`` (a payload read
        only when needed); it is called with the rows whose every column will be written, at
        least those with a new key or a changed hash, before they are staged.
        """
        ...

    def close(self) -> None:
        """Release the connection."""
        ...
