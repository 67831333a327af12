"""Source connections: configured ones, plus those of a bundled sample-data directory.

A connection names a source system, the Meltano extractor that reads it, the object type it
yields and the field holding each object's id. Connections come from ``[connections.<id>]``
tables in the configuration; when ``sample_data`` (``LORCHESTRA_SAMPLE_DATA``) points at a
directory written by ``lorchestra-sample-data``, its manifest adds one connection per file,
read by the ``tap-<source>-sample`` extractors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lorchestra.config import Settings
from lorchestra.errors import ConfigError, InvalidJobArguments

SAMPLE_TAPS = {
    "gmail": "tap-gmail-sample",
    "exchange": "tap-exchange-sample",
    "google_forms": "tap-forms-sample",
    "dataverse": "tap-dataverse-sample",
    "stripe": "tap-stripe-sample",
}


@dataclass(frozen=True)
class Connection:
    key: str
    source_system: str
    connection_name: str
    object_type: str
    tap: str
    external_id: str
    settings: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    overlap_seconds: int = 3600
    freshness_hours: float = 48.0

    def matches_account(self, account: str) -> bool:
        name = self.connection_name
        return account in (name, self.key) or name.endswith(f"-{account}")

    def missing_secrets(self, environ: Mapping[str, str]) -> list[str]:
        """The environment variables this connection's secrets name that are not set."""
        return [var for var in self.secrets.values() if not environ.get(var)]

    def tap_config(self, environ: Mapping[str, str]) -> dict[str, Any]:
        """The settings for the tap: the configured ones plus secrets read from ``environ``."""
        missing = self.missing_secrets(environ)
        if missing:
            raise ConfigError(
                f"Connection {self.key} needs the environment variable(s) {', '.join(missing)} "
                "(its `secrets`); set them, e.g. in the service's environment file."
            )
        return {**self.settings, **{name: environ[var] for name, var in self.secrets.items()}}


def all_connections(settings: Settings) -> list[Connection]:
    found: dict[str, Connection] = {}
    if settings.sample_data is not None:
        for conn in sample_connections(settings.sample_data):
            found[conn.key] = conn
    for key, conf in settings.connections.items():
        found[key] = Connection(
            key=key,
            source_system=conf.source_system,
            connection_name=conf.connection_name or key,
            object_type=conf.object_type,
            tap=conf.tap,
            external_id=conf.external_id,
            settings=dict(conf.settings),
            secrets=dict(conf.secrets),
            overlap_seconds=conf.overlap_seconds,
            freshness_hours=conf.freshness_hours,
        )
    return [found[k] for k in sorted(found)]


def select_all(settings: Settings, *, source_system: str) -> list[Connection]:
    """Every connection of ``source_system`` (none is not an error: the source is not used)."""
    return [c for c in all_connections(settings) if c.source_system == source_system]


def select(
    settings: Settings,
    *,
    source_system: str | None = None,
    account: str | None = None,
    key: str | None = None,
) -> list[Connection]:
    """The connections a job should run, in order; an error names what exists."""
    connections = all_connections(settings)
    chosen = [
        c
        for c in connections
        if (source_system is None or c.source_system == source_system)
        and (account is None or c.matches_account(account))
        and (key is None or key in (c.key, c.connection_name))
    ]
    if not chosen:
        pool = [c for c in connections if source_system is None or c.source_system == source_system]
        names = ", ".join(sorted({c.key for c in pool})) or "none configured"
        what = key or account or source_system or "any source"
        raise InvalidJobArguments(f"No connection matches {what!r}. Connections: {names}.")
    return chosen


def sample_connections(directory: Path) -> list[Connection]:
    manifest = directory / "manifest.json"
    try:
        files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(
            f"sample_data {directory} has no readable manifest.json ({type(exc).__name__}); "
            "create it with `lorchestra-sample-data DIR`."
        ) from None
    connections = []
    for entry in files:
        source = entry["source_system"]
        name = entry["connection_name"]
        connections.append(
            Connection(
                key=f"{name}/{entry['object_type']}",
                source_system=source,
                connection_name=name,
                object_type=entry["object_type"],
                tap=SAMPLE_TAPS[source],
                external_id=entry["external_id_field"],
                settings={"path": str((directory / entry["path"]).resolve())},
            )
        )
    return connections
