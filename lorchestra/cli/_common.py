"""What every command shares: global options, settings, error handling and output.

Errors meant for users (``LorchestraError``) become one line on stderr and their exit code;
anything else becomes one line too, with the traceback only under ``--debug``. This is the only
place exceptions turn into exit codes.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer

from lorchestra.errors import LorchestraError

if TYPE_CHECKING:
    from lorchestra.config import Settings

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class AppState:
    config: Path | None = None
    debug: bool = False
    skip_permission_check: bool = False
    verbose: bool = False
    _settings: Settings | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            from lorchestra.config import load_settings

            self._settings = load_settings(self.config)
        return self._settings


_STATE = AppState()


def set_state(new: AppState) -> None:
    """Called by the root command with the global options of this invocation."""
    global _STATE
    _STATE = new


def state() -> AppState:
    return _STATE


def settings() -> Settings:
    return state().settings()


def use_namespace(name: str | None) -> None:
    """`--namespace NAME`: this invocation's settings (and child processes) use that namespace."""
    if name is not None:
        os.environ["LORCHESTRA_NAMESPACE"] = name
        state()._settings = None


def use_jobs(jobs: int | None) -> None:
    """`--jobs N`: this invocation's parallel extractions (``meltano.jobs``)."""
    if jobs is not None:
        os.environ["LORCHESTRA_MELTANO_JOBS"] = str(jobs)
        state()._settings = None


NamespaceOption = Annotated[
    str | None,
    typer.Option(
        "--namespace",
        metavar="NAME",
        help="Write into separate tables (DuckDB schema NAME, BigQuery dataset <dataset>_NAME) "
        "and <home>/namespaces/NAME/; also LORCHESTRA_NAMESPACE.",
        show_default=False,
    ),
]


def prepare_home(current: Settings) -> Path:
    """Create/check the data home and start file logging there."""
    from lorchestra.home import ensure_home
    from lorchestra.logs import configure_logging

    app = state()
    os.umask(0o077)  # whatever this process writes (DuckDB, logs, exports) is owner-only
    home = ensure_home(current.home, check_permissions=not app.skip_permission_check)
    configure_logging(
        home,
        level=current.logging.level,
        console_level="debug" if app.debug else ("info" if app.verbose else "warning"),
    )
    keep_private(home)
    return home


def keep_private(home: Path) -> None:
    """Restore 0700/0600 on anything in the home that became looser, and say so in the log."""
    from lorchestra.logs import get_logger
    from lorchestra.permissions import restore

    fixed = restore(home)
    if fixed:
        get_logger(__name__).warning("home.permissions_restored", entries=len(fixed))


def handle_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn exceptions escaping a command into one line on stderr and an exit code."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException, BrokenPipeError):
            raise  # a closed pipe (`| head`) ends quietly in main()
        except LorchestraError as exc:
            if state().debug:
                raise
            fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            fail("Interrupted.", 130)
        except Exception as exc:
            if state().debug:
                raise
            fail(f"Unexpected {type(exc).__name__}; re-run with --debug for the traceback.", 1)

    return wrapper


def fail(message: str, code: int = 1) -> NoReturn:
    from lorchestra.phi import scrub

    typer.echo(f"error: {scrub(message)}", err=True)
    raise typer.Exit(code)


def warn(message: str) -> None:
    from lorchestra.phi import scrub

    typer.echo(f"warning: {scrub(message)}", err=True)


def warn_rejected(counts: Sequence[object], run_id: str) -> int:
    """Say how many records a run rejected and where to find them; returns that number."""
    rejected = sum(n for n in counts if isinstance(n, int) and not isinstance(n, bool))
    if rejected:
        # The jobs' own events say where their rejections went (a quarantine file, or the
        # table and query to read them), so the warning points there rather than guessing.
        warn(f"{rejected} record(s) were rejected; where they are: lorchestra runs show {run_id}")
    return rejected


def to_jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


def print_json(value: Any) -> None:
    typer.echo(json.dumps(to_jsonable(value), indent=2, sort_keys=False))


def print_rows(
    rows: Sequence[dict[str, Any]],
    *,
    fmt: str = "table",
    columns: Sequence[str] | None = None,
    title: str | None = None,
) -> None:
    """Print rows as a rich table, JSON or CSV."""
    cols = list(columns or (rows[0].keys() if rows else []))
    if fmt == "json":
        print_json([{c: row.get(c) for c in cols} for row in rows])
        return
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(cols)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in cols])
        sys.stdout.write(buffer.getvalue())
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=plain(title) if title else None, show_lines=False)
    for col in cols:
        table.add_column(plain(col))
    for row in rows:
        table.add_row(*(plain(_cell(row.get(c))) for c in cols))
    # Off a terminal rich assumes 80 columns; widen so piped output is not truncated.
    width = None if sys.stdout.isatty() else 240
    Console(soft_wrap=True, width=width).print(table)
    if not rows:
        typer.echo("(no rows)")


def plain(text: str) -> Any:
    """``text`` as a rich ``Text``: shown literally, never read as markup or emoji codes.

    Values come from the warehouse and from records; ``[b]`` or ``:smile:`` in them is data.
    """
    from rich.text import Text

    return Text(text)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(to_jsonable(value), sort_keys=True)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return str(value)
