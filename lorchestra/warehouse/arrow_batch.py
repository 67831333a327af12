"""A batch of rows as an Arrow table, how the DuckDB backend stages a write.

Kept apart so that pyarrow (about 45 MB of resident memory with numpy) is imported by the first
write, not by every process that only reads the warehouse.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from lorchestra.errors import TerminalWarehouseError
from lorchestra.warehouse.base import Row
from lorchestra.warehouse.schema import TableSpec

_ARROW_TYPES = {
    "STRING": pa.string(),
    "INT64": pa.int64(),
    "FLOAT64": pa.float64(),
    "BOOL": pa.bool_(),
    "TIMESTAMP": pa.timestamp("us", tz="UTC"),
    "JSON": pa.string(),
}


def arrow_table(spec: TableSpec, rows: Sequence[Row], only: Sequence[str] | None = None) -> Any:
    """The rows' columns (all of the table's, or those named) as a ``pyarrow.Table``."""
    chosen = [c for c in spec.columns if only is None or c.name in only]
    schema = pa.schema([pa.field(c.name, _ARROW_TYPES[c.type]) for c in chosen])
    try:
        arrays = [_arrow_column([row.get(c.name) for row in rows], _ARROW_TYPES[c.type])
                  for c in chosen]  # fmt: skip
        return pa.Table.from_arrays(arrays, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise TerminalWarehouseError(
            f"Rows for table {spec.name} do not match its schema: {type(exc).__name__}."
        ) from None


def _arrow_column(values: list[Any], arrow_type: pa.DataType) -> pa.Array:
    """One staged column. A value shared by the whole batch (the batch's timestamp, the source
    names) is converted once, not once per row."""
    first = values[0] if values else None
    if first is not None and all(value is first for value in values):
        return pa.repeat(pa.scalar(first, type=arrow_type), len(values))
    return pa.array(values, type=arrow_type)
