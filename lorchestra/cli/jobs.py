"""``lorchestra jobs``: list and show the jobs installed packages provide."""

from __future__ import annotations

from typing import Annotated

import typer

from lorchestra.cli._common import handle_errors, print_json, print_rows
from lorchestra.discovery import describe, discover, find_job

app = typer.Typer(no_args_is_help=True, help="List and inspect installed jobs.")


@app.command("list")
@handle_errors
def list_jobs(
    package: Annotated[str | None, typer.Argument(help="Only this package's jobs.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """List every job of every installed package (no job module is imported)."""
    refs = [ref for ref in discover() if package is None or ref.package == package]
    rows = [
        {
            "package": ref.package,
            "job": ref.name,
            "target": ref.target,
            "distribution": ref.distribution,
            "version": ref.version,
        }
        for ref in refs
    ]
    if as_json:
        print_json(rows)
    elif not rows:
        typer.echo(f"No jobs found{f' in package {package!r}' if package else ''}.")
    else:
        print_rows(rows, columns=["package", "job", "distribution", "version"])


@app.command("show")
@handle_errors
def show_job(
    package: Annotated[str, typer.Argument(help="Package name, e.g. ingester.")],
    job: Annotated[str, typer.Argument(help="Job name, e.g. extract_gmail.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Show where a job lives, its signature, its docstring and who provides it."""
    ref = find_job(package, job)
    info = describe(ref, ref.load())
    if as_json:
        print_json(info)
        return
    typer.echo(f"{info['package']}/{info['job']}")
    typer.echo(f"  provided by: {info['distribution']} {info['version']}")
    typer.echo(f"  target:      {info['target']}")
    typer.echo(f"  location:    {info['location']}")
    typer.echo(f"  signature:   {info['signature']}")
    if info["doc"]:
        typer.echo("")
        for line in info["doc"].splitlines():
            typer.echo(f"  {line}")
