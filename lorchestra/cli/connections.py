"""``lorchestra connections`` and ``lorchestra taps``: what a practice ingests, and with what.

``connections list`` joins the configured connections (and the sample data's) with what the
warehouse knows of them: objects loaded and their last ingest. ``taps list`` shows the Meltano
project's extractors with their settings and whether each is installed.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lorchestra.cli._common import handle_errors, print_json, print_rows, settings
from lorchestra.meltano_project import meltano_project

connections_app = typer.Typer(no_args_is_help=True, help="The source connections.")
taps_app = typer.Typer(no_args_is_help=True, help="The Singer taps (Meltano extractors).")
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@connections_app.command("list")
@handle_errors
def list_connections(as_json: JsonFlag = False) -> None:
    """Every connection: source system, tap, object type, objects loaded, last ingest."""
    from lorchestra.connections import all_connections
    from lorchestra.named_queries import find_query
    from lorchestra.warehouse import open_warehouse

    current = settings()
    warehouse = open_warehouse(current, read_only=True)
    try:
        objects = {
            (r["connection_name"], r["object_type"]): r["objects"]
            for r in warehouse.query(find_query("raw_counts", current.home).sql)
        }
        last = {
            (r["connection_name"], r["object_type"]): r
            for r in warehouse.query(find_query("connection_runs", current.home).sql)
        }
    finally:
        warehouse.close()
    rows = []
    for connection in all_connections(current):
        key = (connection.connection_name, connection.object_type)
        run = last.get(key)
        rows.append(
            {
                "connection": connection.key,
                "source_system": connection.source_system,
                "tap": connection.tap,
                "object_type": connection.object_type,
                "objects": objects.get(key, 0),
                "last_ingest": run["created_at"] if run else None,
                "state": _state(run),
            }
        )
    if as_json:
        print_json(rows)
    elif not rows:
        typer.echo("No connections configured: add [connections.<name>] to lorchestra.toml "
                   "(docs/sources.md).")  # fmt: skip
    else:
        print_rows(rows, title="connections")


@taps_app.command("list")
@handle_errors
def list_taps(as_json: JsonFlag = False) -> None:
    """Every extractor of the Meltano project: settings, parent, installed or not."""
    import ingestor
    from lorchestra.connections import all_connections

    current = settings()
    used: dict[str, list[str]] = {}
    for connection in all_connections(current):
        used.setdefault(connection.tap, []).append(connection.key)
    extractors = ingestor.list_extractors(meltano_project(current))
    if as_json:
        print_json(
            [
                {
                    "tap": e.name,
                    "inherits": e.inherit_from,
                    "installed": e.installed,
                    "settings": list(e.settings),
                    "connections": used.get(e.name, []),
                }
                for e in extractors
            ]
        )
        return
    rows = [
        {
            "tap": e.name,
            "inherits": e.inherit_from,
            "installed": "yes" if e.installed else "no (meltano install)",
            "connections": len(used.get(e.name, [])),
            "settings": ", ".join(e.settings),
        }
        for e in extractors
    ]
    print_rows(rows, title="taps")


def _state(run: dict[str, Any] | None) -> str:
    if run is None:
        return "never ingested"
    if run["event_type"] == "ingest.failed":
        return "failed"
    payload = run.get("payload") or {}
    return f"ok ({payload.get('read', 0)} read)"


@taps_app.command("install")
@handle_errors
def install_taps(
    plugins: Annotated[
        list[str] | None,
        typer.Argument(help="Plugins to install, e.g. tap-mine target-jsonl (default: all)."),
    ] = None,
) -> None:
    """Install the Meltano project's plugins (each tap in its own virtualenv; safe to re-run).

    Taps that are not on a package index are installed from the wheels in PIP_FIND_LINKS.
    """
    import ingestor
    from lorchestra.errors import LorchestraError

    try:
        project = ingestor.install_project(meltano_project(settings()), plugins=plugins or ())
    except ingestor.IngestorError as exc:
        raise LorchestraError(str(exc)) from None
    typer.echo(f"Meltano plugins installed in {project}.")
