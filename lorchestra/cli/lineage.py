"""``lorchestra lineage KEY``: where a row came from and what was made of it."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lorchestra.cli._common import handle_errors, prepare_home, print_json, settings, to_jsonable


@handle_errors
def lineage_command(
    key: Annotated[str, typer.Argument(help="A key of any keyed table (raw, canonical, scored).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """The chain from the reports that show KEY down to its raw object and ingest run."""
    from lorchestra.lineage import trace
    from lorchestra.warehouse import installed_tables, open_warehouse

    current = settings()
    home = prepare_home(current)
    warehouse = open_warehouse(current, read_only=True)
    try:
        lineage = trace(warehouse, installed_tables().values(), key.strip(), home)
    finally:
        warehouse.close()
    if as_json:
        print_json(lineage.as_dict())
        return
    data = lineage.as_dict()
    depth = 0
    for consumer in data["consumers"]:
        extra = "  ".join(
            f"{k}={_text(v)}" for k, v in consumer.items() if k not in ("kind", "name")
        )
        typer.echo(f"{consumer['kind']} {consumer['name']}  {extra}".rstrip())
    if data["consumers"]:
        depth = 1
    for node in data["chain"]:
        facts = "  ".join(f"{k}={_text(v)}" for k, v in node.items() if k not in ("table", "key"))
        typer.echo(f"{_indent(depth)}{node['table']} {node['key']}  {facts}".rstrip())
        depth += 1
    run = data["ingest_run"]
    if run is not None:
        run_id = run["run_id"]
        typer.echo(
            f"{_indent(depth)}ingest run {run_id}  completed_at={_text(run['completed_at'])}"
            f"  pipeline_run={run['pipeline_run_id'] or '-'}  (lorchestra runs show {run_id})"
        )
    elif lineage.raw is not None:
        typer.echo(f"{_indent(depth)}ingest run: none recorded for this connection")
    for table, derived in data["derived"].items():
        shown = ", ".join(derived["keys"][:3])
        more = f", … ({derived['count']} in all)" if derived["count"] > 3 else ""
        typer.echo(f"derived {table}: {shown}{more}")
    for error in data["hook_errors"]:
        typer.echo(f"warning: lineage hook {error}", err=True)


def _indent(depth: int) -> str:
    return "" if depth == 0 else "  " * (depth - 1) + "└ "


def _text(value: Any) -> str:
    value = to_jsonable(value)
    return "-" if value is None else str(value)
