"""Which Meltano project the ingester runs, with the user's own extra extractors merged in.

Without extras this is `meltano.project` (LORCHESTRA_MELTANO_PROJECT) when set, else None: the
ingestor then finds the source checkout's `meltano/` or materialises the project shipped in its
wheel. A user's extra extractors come from `[meltano.extractors.<name>]` tables in
lorchestra.toml and from `<home>/meltano-plugins.yml` (`extractors:` list, Meltano's own
format); with any, the ingestor's runtime project is materialised with them appended (a
project the user points at with `meltano.project` is theirs to edit, so extras are refused
there).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lorchestra.errors import ConfigError

if TYPE_CHECKING:
    from lorchestra.config import Settings

__all__ = ["PLUGINS_FILE", "extra_extractors", "meltano_project"]

PLUGINS_FILE = "meltano-plugins.yml"


def extra_extractors(settings: Settings) -> list[dict[str, Any]]:
    """The user's extra Meltano extractors: lorchestra.toml first, then meltano-plugins.yml."""
    found = [{"name": name, **body} for name, body in settings.meltano.extractors.items()]
    path = settings.home / PLUGINS_FILE
    if path.is_file():
        yaml = importlib.import_module("yaml")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path} is not valid YAML: {type(exc).__name__}.") from None
        extractors = data.get("extractors") if isinstance(data, dict) else None
        if not isinstance(extractors, list) or not all(isinstance(e, dict) for e in extractors):
            raise ConfigError(f"{path} must hold `extractors:`, a list of Meltano extractor "
                              "definitions (each a mapping with `name`).")
        found.extend(extractors)
    return found


def meltano_project(settings: Settings) -> Path | None:
    """The project directory to hand the ingestor (None: its own default search)."""
    import ingestor

    extras = extra_extractors(settings)
    if not extras:
        return settings.meltano.project
    if settings.meltano.project is not None:
        raise ConfigError(
            f"Extra Meltano extractors ({', '.join(str(e.get('name')) for e in extras)}) need "
            "lorchestra's runtime project; add them to the meltano.yml of meltano.project "
            f"({settings.meltano.project}) instead.")
    try:
        return ingestor.runtime_project(extras, source=ingestor.source_tree_project())
    except ingestor.ProjectError as exc:
        raise ConfigError(str(exc)) from None
