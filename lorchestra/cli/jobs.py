"""``lorchestra jobs``: list and show the jobs installed packages provide."""

from __future__ import annotations

from typing import Annotated

import typer

from lorchestra.cli._common import handle_errors, print_json, print_rows, settings
from lorchestra.discovery import describe, discover, find_job

app = typer.Typer(no_args_is_help=True, help="List and inspect installed jobs.")


@app.command("list")
@handle_errors
def list_jobs(
    package: Annotated[str | None, typer.Argument(help="Only this package's jobs.")] = None,
    definitions: Annotated[
        bool, typer.Option("--definitions", help="List named job definitions and pipelines.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """List every job of every installed package (no job module is imported)."""
    if definitions:
        _list_definitions(as_json)
        return
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
    package: Annotated[str, typer.Argument(help="Package name, or a job definition id.")],
    job: Annotated[str | None, typer.Argument(help="Job name, e.g. extract_gmail.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Show a job (PACKAGE JOB): location, signature, docstring, provider; or a definition (ID)."""
    if job is None:
        _show_definition(package, as_json)
        return
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


def _list_definitions(as_json: bool) -> None:
    from lorchestra.definitions import load_catalog

    catalog = load_catalog(settings().home)
    rows: list[dict[str, str]] = [
        {
            "id": d.job_id,
            "kind": "job",
            "runs": d.job,
            "schedule": d.schedule or "",
            "source": catalog.origins[d.job_id],
        }
        for d in catalog.jobs.values()
    ] + [
        {
            "id": p.pipeline_id,
            "kind": "pipeline",
            "runs": " → ".join(s.name for s in p.stages),
            "schedule": "",
            "source": catalog.origins[p.pipeline_id],
        }
        for p in catalog.pipelines.values()
    ]
    rows.sort(key=lambda r: (str(r["kind"]), str(r["id"])))
    if as_json:
        print_json(rows)
    else:
        print_rows(rows, columns=["id", "kind", "runs", "schedule", "source"])


def _show_definition(identifier: str, as_json: bool) -> None:
    from lorchestra.definitions import JobDefinition, load_catalog
    from lorchestra.pipelines import check_definition

    catalog = load_catalog(settings().home)
    target = catalog.resolve(identifier)
    info = {**target.model_dump(), "source": catalog.origins[identifier]}
    if isinstance(target, JobDefinition):
        check_definition(target)  # raises with a clear message when it cannot run
        info["valid"] = True
    else:
        info["steps"] = [job_id for _, job_id in catalog.expand(identifier)]
    print_json(info) if as_json else typer.echo(_describe(info))


def _describe(info: dict[str, object]) -> str:
    return "\n".join(f"{key}: {value}" for key, value in info.items())
