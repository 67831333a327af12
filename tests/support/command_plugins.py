"""Entry-point targets for the command-group tests: a good app, a wrong type, a broken import."""

from __future__ import annotations

import typer

good = typer.Typer(help="Widgets for the test.")


@good.command("count")
def count() -> None:
    """Print a count."""
    typer.echo("3 widgets")


not_an_app = {"help": "a dict, not a Typer app"}


def __getattr__(name: str) -> object:
    if name == "exploding":
        raise RuntimeError("the package is broken")
    raise AttributeError(name)
