"""Transform routes as data: which transform serves which source system and object type.

``routes.json`` (beside this module) lists each route with the job lane that runs it
(``canonicalize_<lane>``) and a transform *id* without a version. Which version serves a route
is decided at run time: the version pinned in configuration when there is one::

    [packages.canonizer.pins]
    "email/gmail_to_jmap_lite" = "1.0.0"

else the newest *stable* version loaded. Versions load from the package and from
``<home>/transforms/`` (same layout: ``*.meta.json`` beside the spec, ``*.schema.json``), so a
practice adds a transform version without a code change. Shipping (or pinning) a new version of
one transform recanonicalises only the objects of the routes that use it: the pending query
compares each canonical object's ``transform_ref`` with the route's resolved ref.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from canonizer._api import default_registry
from canonizer._registry import Registry, TransformInfo, load_registry, parse_ref
from canonizer.errors import InvalidTransformRef

_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


@dataclass(frozen=True)
class Route:
    """Raw objects of one source system and object type, through one transform (by id)."""

    source_system: str
    object_type: str
    transform: str


@cache
def load_routes() -> dict[str, tuple[Route, ...]]:
    """Lane -> its routes, from ``routes.json``, in file order."""
    data = json.loads((files("canonizer") / "routes.json").read_text(encoding="utf-8"))
    lanes: dict[str, list[Route]] = {}
    for index, entry in enumerate(data["routes"]):
        transform_id, version = parse_ref(entry["transform"])
        if version is not None:
            raise InvalidTransformRef(
                f"routes.json: routes[{index}].transform: {entry['transform']!r} names a "
                "version; routes name transform ids, pins live in configuration"
            )
        route = Route(entry["source_system"], entry["object_type"], transform_id)
        lanes.setdefault(entry["lane"], []).append(route)
    return {lane: tuple(routes) for lane, routes in lanes.items()}


def pins_from(packages: Mapping[str, Any] | None) -> dict[str, str]:
    """The ``[packages.canonizer.pins]`` table, checked: transform id -> version."""
    section = (packages or {}).get("canonizer") or {}
    pins = section.get("pins") or {} if isinstance(section, Mapping) else None
    if not isinstance(pins, Mapping):
        raise InvalidTransformRef("packages.canonizer.pins: must be a table of id = \"version\"")
    checked: dict[str, str] = {}
    for transform_id, version in pins.items():
        parsed_id, parsed_version = parse_ref(str(transform_id))
        valid = isinstance(version, str) and _VERSION.match(version) is not None
        if parsed_version is not None or not valid:
            raise InvalidTransformRef(
                f"packages.canonizer.pins.{transform_id}: expected a transform id and a version "
                f"such as \"1.0.0\", got {version!r}"
            )
        checked[parsed_id] = version
    return checked


def resolve(
    route: Route, pins: Mapping[str, str], registry: Registry | None = None
) -> TransformInfo:
    """The transform version serving ``route``: the pinned one, else the newest stable."""
    pinned = pins.get(route.transform)
    ref = f"{route.transform}@{pinned}" if pinned else route.transform
    return (registry or default_registry()).get(ref).info


def home_transforms(home: Path) -> Path:
    """Where a practice's own transform versions live."""
    return home / "transforms"


def registry_for(home: Path | None) -> Registry:
    """The shipped transforms, plus ``<home>/transforms`` when that directory exists."""
    if home is None or not home_transforms(home).is_dir():
        return default_registry()
    return _home_registry(str(home_transforms(home).resolve()))


@cache
def _home_registry(directory: str) -> Registry:
    return load_registry([directory])
