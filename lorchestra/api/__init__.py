"""The one module job packages import: lorchestra's published, typed plugin surface.

A job is a function ``job(bq_client: Warehouse, **options)`` registered under the entry-point
group ``lorchestra.jobs.<package>``. Everything it needs from the host is here::

    from lorchestra.api import Column, TableSpec, Warehouse, emit, upsert

    TABLES = [TableSpec(name="acme_widgets",
                        columns=[Column("widget_id", "STRING", required=True),
                                 Column("size", "INT64")],
                        key="widget_id")]

    def load_widgets(bq_client: Warehouse, since: datetime | None = None) -> dict[str, int]:
        result = upsert(bq_client, "acme_widgets", fetch_widgets(since))
        emit(bq_client, "widgets.loaded", "acme", result.counts())
        return result.counts()

- **Warehouse** — what jobs receive as ``bq_client`` (DuckDB or BigQuery; GoogleSQL in both).
- **TableSpec / Column / columns** — declare a package's tables; list them under the
  ``lorchestra.tables`` entry-point group and ``lorchestra init`` (and first use) creates them.
  A keyed table gets ``payload_hash``, ``first_seen`` and ``last_seen`` added.
- **upsert / upsert_objects / UpsertResult / Rejection** — idempotent, batched, backed-up
  writes with exact counts; **emit** — append an audit event (ids and counts, never contents).
- **current_run() / Run** — the running job's run id, settings, data home and private-file
  helpers (``write_private``, ``private_dir``).
- **parse_instant / parse_timestamp / isoformat_utc** — the one time parser.
- **error_summary / first_line** — one-line summaries of exceptions whose messages are safe.
- **smtp_settings / SmtpSettings / Mailer** — email through the practice's SMTP server
  (``LORCHESTRA_SMTP_*``), the one way every package and the core send mail.
- **worker_pool** — a process pool for CPU-bound work (rendering, transforms) whose workers exit
  when lorchestra does, ``kill -9`` included; **usable_cores** — how many workers by default
  (the cores this process may run on).
- **NotPHI** — tag a job parameter that can never identify anyone
  (``account: Annotated[str | None, NotPHI] = None``); every other value is recorded masked.
- The error types, drawn as a tree in ``lorchestra.errors``; raise **JobSkipped** when a job
  has nothing it can do here (its source is not configured).
- **cli_command / command_settings / command_home / command_warehouse / print_rows /
  print_json** — for a package's command group (``lorchestra.commands``: a ``typer.Typer`` app
  added under the entry-point name); **Finding** — what a ``lorchestra.doctor`` function
  returns to ``doctor``, and a ``lorchestra.status`` function to ``status``.

Packages also contribute named queries (``lorchestra.queries``: a module whose directory holds
``.sql`` files) and job definitions and pipeline steps (``lorchestra.definitions``); see
docs/architecture.md. Nothing outside this module is part of the plugin surface.
"""

from __future__ import annotations

from lorchestra.api._commands import (
    Finding,
    cli_command,
    command_home,
    command_settings,
    command_warehouse,
    print_json,
    print_rows,
)
from lorchestra.api._run import Run, current_run
from lorchestra.errors import (
    ConfigError,
    InvalidJobArguments,
    JobSkipped,
    LorchestraError,
    TerminalWarehouseError,
    TransientWarehouseError,
    UsageError,
    WarehouseError,
    error_summary,
    first_line,
)
from lorchestra.home import PRIVATE_DIR, PRIVATE_FILE, fsync_dir, private_dir, write_private
from lorchestra.phi import NotPHI
from lorchestra.smtp import Mailer, SmtpSettings, smtp_settings
from lorchestra.stack_clients.event_client import (
    Rejection,
    UpsertResult,
    emit,
    upsert,
    upsert_objects,
)
from lorchestra.timespec import isoformat_utc, parse_instant, parse_timestamp
from lorchestra.warehouse.base import Row, Warehouse
from lorchestra.warehouse.schema import Column, TableSpec, columns
from lorchestra.workers import usable_cores, worker_pool

__all__ = [
    "PRIVATE_DIR",
    "PRIVATE_FILE",
    "Column",
    "ConfigError",
    "Finding",
    "InvalidJobArguments",
    "JobSkipped",
    "LorchestraError",
    "Mailer",
    "NotPHI",
    "Rejection",
    "Row",
    "Run",
    "SmtpSettings",
    "TableSpec",
    "TerminalWarehouseError",
    "TransientWarehouseError",
    "UpsertResult",
    "UsageError",
    "Warehouse",
    "WarehouseError",
    "cli_command",
    "columns",
    "command_home",
    "command_settings",
    "command_warehouse",
    "current_run",
    "emit",
    "error_summary",
    "first_line",
    "fsync_dir",
    "isoformat_utc",
    "parse_instant",
    "parse_timestamp",
    "print_json",
    "print_rows",
    "private_dir",
    "smtp_settings",
    "upsert",
    "upsert_objects",
    "usable_cores",
    "worker_pool",
    "write_private",
]
