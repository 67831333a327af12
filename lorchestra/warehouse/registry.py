"""Every table the installed packages declare, found through the ``lorchestra.tables`` group.

A package lists its tables in an entry point whose value is a sequence of ``TableSpec``::

    [project.entry-points."lorchestra.tables"]
    acme = "acme_jobs.tables:TABLES"

The core adds its own ``event_log`` and ``raw_objects``. A package whose entry point cannot be
loaded, or that declares something other than table specs, or a table another package already
declares, is skipped and reported (``table_load_errors``, shown by ``doctor``); the others still
work.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import metadata

from lorchestra.errors import error_summary
from lorchestra.warehouse.schema import CORE_TABLES, TableSpec

ENTRY_POINT_GROUP = "lorchestra.tables"


@dataclass(frozen=True)
class TableRegistry:
    tables: dict[str, TableSpec]
    origins: dict[str, str]
    errors: tuple[str, ...]


def installed_tables() -> dict[str, TableSpec]:
    """Every declared table by name: the core's first, then each package's."""
    return _registry().tables


def table_origin(name: str) -> str:
    """Which distribution declares ``name`` (``lorchestra`` for the core's own)."""
    return _registry().origins.get(name, "unknown")


def table_load_errors() -> tuple[str, ...]:
    """One line per package whose tables could not be loaded."""
    return _registry().errors


def table_spec(name: str) -> TableSpec:
    """Return the spec of an installed table, or raise KeyError naming the known ones."""
    try:
        return installed_tables()[name]
    except KeyError:
        known = ", ".join(sorted(installed_tables()))
        raise KeyError(
            f"Unknown table {name!r}: no installed package declares it (known: {known})."
        ) from None


def collect(entry_points: Iterable[metadata.EntryPoint]) -> TableRegistry:
    """Build the registry from ``entry_points`` (the installed ones, or a test's)."""
    tables = {spec.name: spec for spec in CORE_TABLES}
    origins = dict.fromkeys(tables, "lorchestra")
    errors: list[str] = []
    seen: set[tuple[str, str]] = set()
    for ep in sorted(entry_points, key=lambda e: e.name):
        if ep.group != ENTRY_POINT_GROUP or (ep.name, ep.value) in seen:
            continue
        seen.add((ep.name, ep.value))
        dist = getattr(ep, "dist", None)
        origin = dist.metadata["Name"] if dist is not None else ep.name
        try:
            declared = list(ep.load())
        except Exception as exc:  # noqa: BLE001 - a broken package is reported, never fatal
            errors.append(
                f"Package {origin!r} cannot load its tables ({ep.value}): {error_summary(exc)}"
            )
            continue
        for spec in declared:
            if not isinstance(spec, TableSpec):
                errors.append(f"Package {origin!r} declares a table that is not a TableSpec.")
            elif spec.name in tables:
                errors.append(
                    f"Package {origin!r} declares table {spec.name!r}, "
                    f"already declared by {origins[spec.name]!r}; its declaration is ignored."
                )
            else:
                tables[spec.name] = spec
                origins[spec.name] = origin
    return TableRegistry(tables, origins, tuple(errors))


@cache
def _registry() -> TableRegistry:
    return collect(ep for dist in metadata.distributions() for ep in dist.entry_points)
