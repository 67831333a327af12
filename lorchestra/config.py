"""Settings: where they come from and what they hold.

Precedence, highest first: values given on the command line, environment variables, the
configuration file, then built-in defaults. The configuration file is the path given with
``--config`` or ``LORCHESTRA_CONFIG``; otherwise ``lorchestra.toml`` in the platform's user
configuration directory, when it exists. ``docs/configuration.md`` lists every setting.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from lorchestra.errors import ConfigError

APP_NAME = "lorchestra"

# Environment variable -> dotted setting path. BQ_EVENTS_DATASET is the seed's older name.
ENVIRONMENT: dict[str, str] = {
    "LORCHESTRA_HOME": "home",
    "LORCHESTRA_WAREHOUSE": "warehouse.backend",
    "LORCHESTRA_BATCH_SIZE": "warehouse.batch_size",
    "LORCHESTRA_DUCKDB_PATH": "duckdb.path",
    "LORCHESTRA_LOCK_TIMEOUT": "duckdb.lock_timeout",
    "LORCHESTRA_DUCKDB_MEMORY_LIMIT": "duckdb.memory_limit",
    "GOOGLE_CLOUD_PROJECT": "bigquery.project",
    "BQ_EVENTS_DATASET": "bigquery.dataset",
    "LORCHESTRA_BQ_DATASET": "bigquery.dataset",
    "LORCHESTRA_BQ_LOCATION": "bigquery.location",
    "LORCHESTRA_BQ_ENDPOINT": "bigquery.api_endpoint",
    "LORCHESTRA_LOG_LEVEL": "logging.level",
    "LORCHESTRA_MELTANO_PROJECT": "meltano.project",
    "LORCHESTRA_MELTANO_JOBS": "meltano.jobs",
    "LORCHESTRA_SAMPLE_DATA": "sample_data",
    "LORCHESTRA_ENCRYPT": "encrypt",
    "LORCHESTRA_KEY_FILE": "key_file",
    "LORCHESTRA_NAMESPACE": "namespace",
}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WarehouseSettings(_Section):
    backend: Literal["duckdb", "bigquery"] = "duckdb"
    batch_size: int = Field(default=20_000, ge=1)


class DuckDBSettings(_Section):
    path: Path | None = None
    lock_timeout: float = Field(default=30.0, ge=0)
    memory_limit: str | None = None


class BigQuerySettings(_Section):
    project: str | None = None
    dataset: str = "lorchestra"
    location: str | None = None
    api_endpoint: str | None = None


class LoggingSettings(_Section):
    level: Literal["debug", "info", "warning", "error"] = "info"


class MeltanoSettings(_Section):
    project: Path | None = None
    # Extractions run at once by a pipeline's ingest stage (`run --jobs`); None: the cores.
    jobs: int | None = Field(default=None, ge=1)
    # A user's own Meltano extractors ([meltano.extractors.<name>] tables: pip_url, executable,
    # settings, ...), merged into the runtime Meltano project (lorchestra.meltano_project).
    extractors: dict[str, dict[str, Any]] = Field(default_factory=dict)


class ConnectionSettings(BaseModel):
    """One configured source connection (see the ingestion docs)."""

    model_config = ConfigDict(extra="allow")

    source_system: str
    tap: str
    object_type: str
    connection_name: str | None = None  # defaults to the table key
    external_id: str = "id"
    settings: dict[str, Any] = Field(default_factory=dict)
    # Tap setting -> name of the environment variable holding its value (tokens, API keys), so
    # secrets stay out of the configuration file; read when the connection runs.
    secrets: dict[str, str] = Field(default_factory=dict)
    # A run resuming from the last window starts this long before its end: records the source
    # indexes late are still read, and the ones read twice are unchanged upserts. The one
    # overlap: taps read exactly the window they are given and have no such setting.
    overlap_seconds: int = Field(default=3600, ge=0)
    # `lorchestra check` fails the connection's freshness check when nothing arrived from it for
    # longer than this; 0 turns the check off (a source that is quiet for weeks).
    freshness_hours: float = Field(default=48, ge=0)

    @field_validator("settings")
    @classmethod
    def _no_tap_overlap(cls, value: dict[str, Any]) -> dict[str, Any]:
        if "overlap_seconds" in value:
            raise ValueError(
                "overlap_seconds belongs to the connection itself (next to `tap`), not to its "
                "tap `settings`: taps read exactly the window lorchestra gives them"
            )
        return value


class Settings(_Section):
    """Every setting lorchestra reads, validated."""

    home: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir(APP_NAME)))
    warehouse: WarehouseSettings = Field(default_factory=WarehouseSettings)
    duckdb: DuckDBSettings = Field(default_factory=DuckDBSettings)
    bigquery: BigQuerySettings = Field(default_factory=BigQuerySettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    meltano: MeltanoSettings = Field(default_factory=MeltanoSettings)
    connections: dict[str, ConnectionSettings] = Field(default_factory=dict)
    # Settings that installed packages own and check themselves: [packages.<name>] tables,
    # read by a package's jobs through current_run().settings.packages.
    packages: dict[str, dict[str, Any]] = Field(default_factory=dict)
    sample_data: Path | None = None
    # Backups, extracts and quarantine files encrypted at rest (also on when the home was made
    # with `lorchestra init --encrypt`); the key is in the OS keyring or in key_file.
    encrypt: bool = False
    key_file: Path | None = None
    source_file: Path | None = None
    # A separate set of tables and local outputs for test runs (`--namespace NAME`): the DuckDB
    # schema NAME in the same file, the BigQuery dataset <dataset>_NAME, and
    # <home>/namespaces/NAME/ for everything written to the home.
    namespace: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,29}$")
    base_home: Path | None = None  # the home without the namespace (set when one is given)

    @model_validator(mode="after")
    def _absolute_paths(self) -> Settings:
        # A relative path (LORCHESTRA_HOME=.demo/home) means relative to where lorchestra was
        # started; fixing it now keeps every later use (URIs, subprocesses) pointing there.
        self.home = self.home.expanduser().absolute()
        if self.duckdb.path is not None and str(self.duckdb.path) != ":memory:":
            self.duckdb.path = self.duckdb.path.expanduser().absolute()
        if self.sample_data is not None:
            self.sample_data = self.sample_data.expanduser().absolute()
        if self.key_file is not None:
            self.key_file = self.key_file.expanduser().absolute()
        if self.meltano.project is not None:
            self.meltano.project = self.meltano.project.expanduser().absolute()
        if self.namespace and self.base_home is None:
            self.base_home = self.home
            if self.duckdb.path is None:
                self.duckdb.path = self.home / "lorchestra.duckdb"
            self.home = self.home / "namespaces" / self.namespace
            self.bigquery.dataset = f"{self.bigquery.dataset}_{self.namespace}"
        return self

    @property
    def duckdb_path(self) -> Path:
        return self.duckdb.path or self.home / "lorchestra.duckdb"


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "lorchestra.toml"


def load_settings(
    config_path: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build settings from defaults, the config file, the environment and ``overrides``."""
    env = os.environ if environ is None else environ
    explicit = config_path or env.get("LORCHESTRA_CONFIG")
    path = Path(explicit).expanduser() if explicit else default_config_path()
    data: dict[str, Any] = {}
    if path.is_file():
        data = _read_toml(path)
        data["source_file"] = str(path)
    elif explicit:
        raise ConfigError(f"Configuration file {path} does not exist.")
    for name, dotted in ENVIRONMENT.items():
        if env.get(name):
            _set_dotted(data, dotted, env[name])
    for dotted, value in (overrides or {}).items():
        if value is not None:
            _set_dotted(data, dotted, value)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"Invalid setting {where}: {first['msg']}.") from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Cannot read configuration file {path}: {exc}") from None


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value
