"""The runtime Meltano project: the packaged project copied somewhere writable, plus extras.

An installed lorchestra-ingestor wheel carries the Meltano project (meltano.yml and its
catalogs) as package data under `ingestor/project/`. Meltano needs a writable directory (it
builds each plugin's virtualenv under `.meltano/`), so `runtime_project` materialises the
project into a per-user directory: `LORCHESTRA_MELTANO_RUNTIME`, else
`<platformdirs user data dir>/lorchestra-meltano`. The files are rewritten only when their content
changes (a new wheel, other extra plugins), so installed plugin virtualenvs survive.

In a source checkout the base is the repository's `meltano/meltano.yml` instead, with
`${MELTANO_PROJECT_ROOT}` made absolute so its editable `pip_url`s still point at the checkout.
Extra extractors (a user's own Singer taps) are appended to the base's extractors; a name the
base already declares is refused.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import platformdirs

from ingestor.errors import ProjectError

__all__ = ["RUNTIME_ENV", "packaged_project_files", "runtime_project", "runtime_project_dir"]

RUNTIME_ENV = "LORCHESTRA_MELTANO_RUNTIME"
MARKER = ".lorchestra-runtime-project"


def runtime_project_dir() -> Path:
    """Where the runtime project lives: `LORCHESTRA_MELTANO_RUNTIME` or the user data dir."""
    configured = os.environ.get(RUNTIME_ENV)
    if configured:
        return Path(configured).expanduser().absolute()
    return Path(platformdirs.user_data_dir("lorchestra-meltano"))


def packaged_project_files() -> dict[str, bytes]:
    """The Meltano project shipped in the wheel: relative path -> content."""
    root = resources.files("ingestor").joinpath("project")
    files: dict[str, bytes] = {"meltano.yml": root.joinpath("meltano.yml").read_bytes()}
    for entry in root.joinpath("catalogs").iterdir():
        if entry.name.endswith(".json"):
            files[f"catalogs/{entry.name}"] = entry.read_bytes()
    return files


def _source_files(source: Path) -> dict[str, bytes]:
    text = (source / "meltano.yml").read_text(encoding="utf-8")
    text = text.replace("${MELTANO_PROJECT_ROOT}", str(source))
    files = {"meltano.yml": text.encode()}
    for entry in sorted((source / "catalogs").glob("*.json")):
        files[f"catalogs/{entry.name}"] = entry.read_bytes()
    return files


def runtime_project(extra_extractors: Sequence[Mapping[str, Any]] = (), *,
                    source: Path | None = None, directory: Path | None = None) -> Path:
    """Materialise the runtime project and return its directory.

    `source` is a source checkout's Meltano project to copy instead of the packaged one;
    `extra_extractors` are Meltano extractor definitions (each with at least `name`) to add.
    """
    target = directory or runtime_project_dir()
    files = _source_files(source) if source is not None else packaged_project_files()
    if extra_extractors:
        files["meltano.yml"] = _merged(files["meltano.yml"], extra_extractors)
    target.mkdir(parents=True, exist_ok=True)
    if (target / "meltano.yml").exists() and not (target / MARKER).exists():
        raise ProjectError(f"{target} holds a Meltano project lorchestra did not write; point "
                           f"{RUNTIME_ENV} at an empty or lorchestra-made directory.")
    (target / MARKER).write_text("Written by lorchestra-ingestor; rewritten on every run.\n")
    for relative, content in files.items():
        path = target / relative
        if path.exists() and path.read_bytes() == content:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_bytes(content)
        temporary.replace(path)
    return target.resolve()


def _merged(meltano_yml: bytes, extra_extractors: Sequence[Mapping[str, Any]]) -> bytes:
    yaml = importlib.import_module("yaml")
    data = yaml.safe_load(meltano_yml)
    extractors = data.setdefault("plugins", {}).setdefault("extractors", [])
    known = {str(plugin.get("name")) for plugin in extractors}
    for extra in extra_extractors:
        name = extra.get("name")
        if not isinstance(name, str) or not name:
            raise ProjectError(f"An extra Meltano extractor has no name: {dict(extra)!r}.")
        if name in known:
            raise ProjectError(f"Extra Meltano extractor {name!r} clashes with one lorchestra "
                               "ships; give it another name.")
        known.add(name)
        extractors.append(dict(extra))
    return str(yaml.safe_dump(data, sort_keys=False)).encode()
