"""``lorchestra transforms``: the loaded transforms and which ones serve the routes.

Contributed to the ``lorchestra`` command line through the ``lorchestra.commands`` entry point.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lorchestra.api import (
    UsageError,
    cli_command,
    command_home,
    command_settings,
    print_json,
    print_rows,
)

app = typer.Typer(help="Raw-to-canonical transforms and the routes they serve.",
                  no_args_is_help=True)


@app.command("list")
@cli_command
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Every loaded transform: id, version, kind, checksum, schemas, and the routes it serves.

    Transforms load from the package and <home>/transforms; a route is served by the version
    pinned in [packages.canonizer.pins], else by the newest stable one.
    """
    from canonizer.errors import CanonizerError
    from canonizer.routing import load_routes, pins_from, registry_for, resolve

    try:
        pins = pins_from(command_settings().packages)
        registry = registry_for(command_home())
        serving: dict[str, list[str]] = {}
        for lane, routes in load_routes().items():
            for route in routes:
                info = resolve(route, pins, registry)
                how = "pinned" if route.transform in pins else "newest stable"
                serving.setdefault(info.ref, []).append(
                    f"{route.source_system}/{route.object_type} ({lane}, {how})"
                )
    except CanonizerError as exc:
        raise UsageError(str(exc)) from None
    rows: list[dict[str, Any]] = [
        {
            "id": info.id,
            "version": info.version,
            "status": info.status,
            "kind": info.canonical_kind,
            "checksum": info.checksum,
            "input_schema": info.input_schema,
            "output_schema": info.output_schema,
            "serves": serving.get(info.ref, []),
        }
        for info in registry.list()
    ]
    for ref, error in sorted(registry.errors.items()):
        typer.echo(f"warning: transform {ref} is not loaded: {error}", err=True)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        row["checksum"] = str(row["checksum"])[:19]  # "sha256:" + 12 hex digits
        row["serves"] = "; ".join(row["serves"]) or "-"
    print_rows(rows, title="transforms")
