"""The package's job: read a widget catalogue (CSV) and upsert it into ``acme_widgets``."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from lorchestra.api import UsageError, Warehouse, current_run, emit, upsert


def load_widgets(bq_client: Warehouse, source: Path | None = None) -> dict[str, int]:
    """Upsert every widget of the CSV file ``source`` (widget_id,name,size).

    Without --source the catalogue is read from <home>/acme/widgets.csv. Re-running with the
    same file reports every widget unchanged.
    """
    path = source or current_run().path("acme", "widgets.csv")
    if not path.is_file():
        raise UsageError(f"No widget catalogue at {path}; pass --source PATH.")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [_widget(number, row) for number, row in enumerate(csv.DictReader(handle), 2)]
    result = upsert(bq_client, "acme_widgets", rows, emit_event=False)
    emit(bq_client, "widgets.loaded", "acme", result.counts())
    return result.counts()


def _widget(line: int, row: dict[str, Any]) -> dict[str, Any]:
    try:
        size = int(row["size"]) if row.get("size") else None
    except ValueError:
        raise UsageError(f"Widget catalogue line {line}: size is not a whole number.") from None
    return {"widget_id": row.get("widget_id"), "name": row.get("name"), "size": size}
