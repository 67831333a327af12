"""Command groups that installed packages contribute (entry-point group ``lorchestra.commands``).

A package adds a noun to the command line by naming a ``typer.Typer`` app::

    [project.entry-points."lorchestra.commands"]
    forms = "final_form.cli:app"          # lorchestra forms ...

The group is added under its entry-point name. A package's app is imported only when its
command is the one invoked, or when help lists every command, so ``lorchestra jobs list`` never
imports package code. An entry point that cannot be imported, is not a Typer app, or takes a
name a core command already has is reported (on stderr and by ``doctor``) and skipped; every
other command still works.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import metadata

import typer

from lorchestra.errors import error_summary
from lorchestra.plugin_data import group_entry_points

ENTRY_POINT_GROUP = "lorchestra.commands"

# Global options of the root command that take a value (the token after them is not a command).
_VALUE_OPTIONS = frozenset({"--config"})

_ERRORS: list[str] = []
_INSTALLED: set[str] = set()


def requested_command(argv: Sequence[str]) -> str | None:
    """The command word of ``argv`` (without the program name), skipping global options."""
    skip = False
    for token in argv:
        if skip:
            skip = False
            continue
        if token.startswith("-"):
            skip = token in _VALUE_OPTIONS
            continue
        return token
    return None


def entry_points() -> list[metadata.EntryPoint]:
    """Every ``lorchestra.commands`` entry point, by name (metadata only, nothing imported)."""
    return group_entry_points(ENTRY_POINT_GROUP)


def load_command(ep: metadata.EntryPoint, taken: set[str]) -> typer.Typer | None:
    """The Typer app ``ep`` names, or None with the reason recorded in :func:`load_errors`."""
    where = f"Command group {ep.name!r} ({ep.value}"
    if ep.dist is not None:
        where += f", package {ep.dist.metadata['Name']!r}"
    where += ")"
    if ep.name in taken:
        _ERRORS.append(f"{where} is skipped: lorchestra already has a command {ep.name!r}.")
        return None
    try:
        value = ep.load()
    except Exception as exc:  # noqa: BLE001 - a broken package is reported, never fatal
        _ERRORS.append(f"{where} cannot be loaded: {error_summary(exc)}")
        return None
    if not isinstance(value, typer.Typer):
        _ERRORS.append(f"{where} is not a typer.Typer app but {type(value).__name__}.")
        return None
    return value


def install(app: typer.Typer, argv: Sequence[str], *, report: bool = True) -> list[str]:
    """Add the package command groups ``argv`` may need to ``app``; returns the names added."""
    taken = _core_names(app)
    wanted = requested_command(argv)
    added: list[str] = []
    for ep in entry_points():
        if wanted is not None and wanted in taken:
            break  # a core command: no package code is imported
        if wanted is not None and ep.name != wanted:
            continue
        before = len(_ERRORS)
        group = load_command(ep, taken)
        if group is None:
            if report:
                for line in _ERRORS[before:]:
                    typer.echo(f"warning: {line}", err=True)
            continue
        app.add_typer(group, name=ep.name)
        taken.add(ep.name)
        _INSTALLED.add(ep.name)
        added.append(ep.name)
    return added


def load_errors() -> list[str]:
    """Every problem met while loading command groups in this process."""
    return list(_ERRORS)


def check_all() -> tuple[list[str], list[str]]:
    """Load every contributed group (for ``doctor``): the names that load, and the problems."""
    from lorchestra.cli import app

    before = len(_ERRORS)
    core = _core_names(app) - _INSTALLED
    names = [ep.name for ep in entry_points() if load_command(ep, core) is not None]
    return names, _ERRORS[before:]


def _core_names(app: typer.Typer) -> set[str]:
    names = {group.name for group in app.registered_groups if group.name}
    for command in app.registered_commands:
        if command.name:
            names.add(command.name)
        elif command.callback is not None:
            names.add(command.callback.__name__.replace("_", "-"))
    return names
