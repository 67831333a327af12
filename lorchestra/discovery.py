"""Find jobs that installed packages register, without importing them.

A job is an entry point in any group named ``lorchestra.jobs.<package>``; ``<package>`` is the
name users type. Listing reads only package metadata, so it stays fast and a broken package
cannot break it. A job's module is imported only when the job is shown or run; an import
failure becomes a ``JobLoadError`` naming the package and the reason in one line.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from lorchestra.errors import JobLoadError, JobNotFound, error_summary

GROUP_PREFIX = "lorchestra.jobs."

JobFunction = Callable[..., Any]


@dataclass(frozen=True)
class JobRef:
    """One registered job, known from metadata only."""

    package: str
    name: str
    target: str
    distribution: str | None
    version: str | None
    entry_point: metadata.EntryPoint

    @property
    def qualified_name(self) -> str:
        return f"{self.package}/{self.name}"

    def load(self) -> JobFunction:
        """Import the job's module and return the callable, or raise ``JobLoadError``."""
        try:
            loaded = self.entry_point.load()
        except Exception as exc:  # noqa: BLE001 - any import failure is reported, never fatal
            raise JobLoadError(
                f"Package {self.package!r} ({self.distribution or 'unknown distribution'}) "
                f"cannot load job {self.name!r}: {error_summary(exc)}"
            ) from exc
        if not callable(loaded):
            raise JobLoadError(f"Job {self.qualified_name} ({self.target}) is not callable.")
        return loaded  # type: ignore[no-any-return]


def discover(entry_points: Iterable[metadata.EntryPoint] | None = None) -> list[JobRef]:
    """Return every registered job, sorted by package and name."""
    found = _all_entry_points() if entry_points is None else entry_points
    refs: dict[tuple[str, str], JobRef] = {}
    for ep in found:
        if not ep.group.startswith(GROUP_PREFIX):
            continue
        package = ep.group[len(GROUP_PREFIX) :]
        dist = getattr(ep, "dist", None)
        refs[(package, ep.name)] = JobRef(
            package=package,
            name=ep.name,
            target=ep.value,
            distribution=dist.metadata["Name"] if dist is not None else None,
            version=dist.version if dist is not None else None,
            entry_point=ep,
        )
    return [refs[key] for key in sorted(refs)]


def find_job(
    package: str, name: str, entry_points: Iterable[metadata.EntryPoint] | None = None
) -> JobRef:
    """Return the job ``package/name`` or raise ``JobNotFound`` listing what exists."""
    refs = discover(entry_points)
    for ref in refs:
        if ref.package == package and ref.name == name:
            return ref
    in_package = sorted(ref.name for ref in refs if ref.package == package)
    if in_package:
        hint = f"Jobs in {package!r}: {', '.join(in_package)}."
    else:
        packages = sorted({ref.package for ref in refs})
        hint = f"Installed packages: {', '.join(packages) or 'none'}."
    raise JobNotFound(f"No job {name!r} in package {package!r}. {hint}")


def describe(ref: JobRef, job: JobFunction) -> dict[str, Any]:
    """Location, signature and docstring of a loaded job, for ``jobs show``."""
    try:
        source = inspect.getsourcefile(job)
        _, line = inspect.getsourcelines(job)
        location = f"{source}:{line}"
    except (OSError, TypeError):
        location = ref.target
    return {
        "package": ref.package,
        "job": ref.name,
        "target": ref.target,
        "location": location,
        "signature": f"{ref.name}{inspect.signature(job)}",
        "doc": inspect.getdoc(job) or "",
        "distribution": ref.distribution,
        "version": ref.version,
    }


def _all_entry_points() -> Iterable[metadata.EntryPoint]:
    for dist in metadata.distributions():
        yield from dist.entry_points
