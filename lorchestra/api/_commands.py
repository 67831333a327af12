"""What a package's command group (``lorchestra.commands``) needs from the host.

A package's Typer app runs under the ``lorchestra`` root command, so the global options
(``--config``, ``--debug``) are already applied; these helpers give its commands the same
settings, data home, warehouse, error handling and output as the core's::

    from lorchestra.api import cli_command, command_home, command_warehouse, print_rows

    @app.command("list")
    @cli_command
    def list_widgets() -> None:
        with command_warehouse(read_only=True) as warehouse:
            print_rows(warehouse.query("SELECT * FROM acme_widgets"))

``cli_command`` turns a ``LorchestraError`` (or any other exception) into one line on stderr
and a non-zero exit, exactly as core commands do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lorchestra.cli._common import handle_errors, prepare_home, print_json, print_rows, settings
from lorchestra.config import Settings
from lorchestra.warehouse.base import Warehouse

cli_command = handle_errors

__all__ = [
    "Finding",
    "cli_command",
    "command_home",
    "command_settings",
    "command_warehouse",
    "print_json",
    "print_rows",
]


@dataclass(frozen=True)
class Finding:
    """One line a package's ``lorchestra.doctor`` (or ``lorchestra.status``) function reports.

    ``status`` is ``ok``, ``warn`` (shown, does not fail doctor) or ``fail``; ``detail`` is one
    sentence with ids and counts only.
    """

    check: str
    status: Literal["ok", "warn", "fail"]
    detail: str


def command_settings() -> Settings:
    """The settings of this invocation (``--config``, environment, defaults)."""
    return settings()


def command_home() -> Path:
    """The private data home, created and permission-checked, with file logging started."""
    return prepare_home(settings())


@contextmanager
def command_warehouse(*, read_only: bool = False) -> Iterator[Warehouse]:
    """The configured warehouse for the length of a ``with`` block (closed after)."""
    from lorchestra.warehouse import open_warehouse

    current = settings()
    prepare_home(current)
    warehouse = open_warehouse(current, read_only=read_only)
    try:
        yield warehouse
    finally:
        warehouse.close()
