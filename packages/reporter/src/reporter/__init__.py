"""reporter: lorchestra's projections of the warehouse for reading and reporting.

Three GoogleSQL views (``inbox_view``, ``measurement_timeseries``, ``reporting_snapshots``)
created in the warehouse, a local SQLite copy of them and of the canonical tables a clinician
needs (``<home>/local.db``), and markdown files per client and per session
(``<home>/local_views/``). The jobs live in :mod:`reporter.jobs`; this package's import is
kept light so the host can list jobs without loading them.
"""

from __future__ import annotations

__all__: list[str] = []
