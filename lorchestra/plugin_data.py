"""Folders of data files that installed packages contribute through entry points.

Named queries (``lorchestra.queries``) and job definitions and pipelines
(``lorchestra.definitions``) are files beside a module the package names::

    [project.entry-points."lorchestra.queries"]
    acme = "acme_jobs.queries"        # acme_jobs/queries/*.sql

Only that module is imported (it should be an empty ``__init__.py``); a package whose module
cannot be imported is reported and skipped, never fatal.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from lorchestra.errors import error_summary


@dataclass(frozen=True)
class PackageFolder:
    """One package's folder for a group: where the files are and which distribution sent them."""

    distribution: str
    path: Path


@dataclass(frozen=True)
class PackageProblem:
    """A package whose entry point for a group could not be used: who, which entry, and why."""

    distribution: str
    entry: str
    message: str


def group_entry_points(group: str) -> list[metadata.EntryPoint]:
    """Every installed entry point of ``group``, once each, sorted by name.

    Read from each distribution's own metadata (as discovery does), so a package installed
    twice on the path is counted once and nothing is imported.
    """
    found: dict[tuple[str, str], metadata.EntryPoint] = {}
    for dist in metadata.distributions():
        for ep in dist.entry_points:
            if ep.group == group:
                found.setdefault((ep.name, ep.value), ep)
    return [found[key] for key in sorted(found)]


def package_folders(group: str) -> tuple[list[PackageFolder], list[PackageProblem]]:
    """The folders installed packages register under ``group``, and one problem per failure."""
    folders: list[PackageFolder] = []
    errors: list[PackageProblem] = []
    seen: set[str] = set()
    for dist in metadata.distributions():
        for ep in dist.entry_points:
            if ep.group != group or ep.value in seen:
                continue
            seen.add(ep.value)
            name = dist.metadata["Name"]
            try:
                module = ep.load()
            except Exception as exc:  # noqa: BLE001 - a broken package is reported, never fatal
                message = f"Package {name!r} cannot load {group} ({ep.value}): "
                errors.append(PackageProblem(name, ep.name, message + error_summary(exc)))
                continue
            location = getattr(module, "__file__", None)
            if location is None:
                message = f"Package {name!r}: {ep.value} ({group}) is not a module with files."
                errors.append(PackageProblem(name, ep.name, message))
                continue
            folders.append(PackageFolder(name, Path(location).parent))
    folders.sort(key=lambda folder: (folder.distribution, str(folder.path)))
    return folders, errors
