"""lorchestra: a lightweight job host for personal and clinical data pipelines.

``connect()`` returns the configured warehouse client, the same object jobs receive as
``bq_client``. Job packages import ``lorchestra.api``, the published plugin surface, and
nothing else of lorchestra (``lorchestra.stack_clients.event_client`` keeps the seeds'
functions, the same ones the API exports).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lorchestra.errors import LorchestraError

if TYPE_CHECKING:
    from lorchestra.config import Settings
    from lorchestra.warehouse import Warehouse

__version__ = "0.1.0"


def connect(config: Settings | str | Path | None = None) -> Warehouse:
    """Open the configured warehouse (DuckDB by default), creating missing tables."""
    from lorchestra.config import Settings, load_settings
    from lorchestra.home import ensure_home
    from lorchestra.warehouse import open_warehouse

    settings = config if isinstance(config, Settings) else load_settings(config)
    if settings.warehouse.backend == "duckdb":
        ensure_home(settings.home)
    return open_warehouse(settings)


__all__ = ["LorchestraError", "__version__", "connect"]
