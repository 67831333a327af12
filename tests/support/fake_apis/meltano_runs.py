"""Run a tap through the repository's Meltano project, as the ingestor does, and read the output.

`installed_project()` is the repository's `meltano/` project, after `meltano install` when a
declared plugin is missing (once per test process); `declared_settings` reads a plugin's
settings from its meltano.yml. `MeltanoRunner(project, workdir, tap)` runs
`meltano run --full-refresh --no-state-update <tap> target-jsonl` (the ingestor's options: no
state read or saved, the window given by `start_date`/`end_date` every time) with the tap's
settings as `TAP_*` environment variables (none inherited from the caller's environment) and a
system database of its own (a SQLite file in `workdir`), so no run leaves anything in the project.
Runs hold the project lock (concurrent runs of one tap race on Meltano's catalog files) and use
the ingestor's quiet environment (no calls home). Each run writes to a fresh directory; its
`RunResult` holds the exit code, the records and Meltano's whole log (JSON lines), so tests can
check both what happened and what was never logged.
"""

from __future__ import annotations

import functools
import importlib
import json
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ingestor
from ingestor._extract import RUN_OPTIONS
from ingestor._project import meltano_env, project_lock

__all__ = ["MeltanoRunner", "RunResult", "declared_settings", "installed_project"]

LOADER = "target-jsonl"


@functools.cache
def installed_project() -> Path:
    """The repository's Meltano project, with every declared plugin installed."""
    project = ingestor.resolve_project_dir()
    if not ingestor.meltano_installed(project):
        ingestor.install_project(project)
    return project


def declared_settings(project: Path, plugin: str) -> dict[str, dict[str, Any]]:
    """The settings meltano.yml declares for an extractor, by name."""
    yaml = importlib.import_module("yaml")  # comes with Meltano; by name, so no stubs needed
    data = yaml.safe_load((project / "meltano.yml").read_text(encoding="utf-8"))
    for extractor in data["plugins"]["extractors"]:
        if extractor["name"] == plugin:
            return {setting["name"]: setting for setting in extractor.get("settings", [])}
    raise LookupError(f"meltano.yml declares no extractor {plugin}.")


@dataclass(frozen=True)
class RunResult:
    """What one `meltano run` did."""

    exit_code: int
    records: list[dict[str, Any]]
    log: str

    def leaked(self, values: list[str]) -> list[str]:
        """Which of `values` (secrets, tokens, record contents) appear in the log."""
        return [value for value in values if value in self.log]


class MeltanoRunner:
    """Stateless runs of one tap into target-jsonl with a private system database."""

    def __init__(self, project: Path, workdir: Path, tap: str) -> None:
        self.project = project
        self.workdir = workdir
        self.tap = tap
        self._runs = 0
        workdir.mkdir(parents=True, exist_ok=True)

    def run(self, settings: Mapping[str, Any], *, timeout: float = 180) -> RunResult:
        """`meltano run <options> <tap> target-jsonl`; `settings` are the tap's (non-strings as
        JSON), the window included."""
        self._runs += 1
        out_dir = self.workdir / f"run-{self._runs}"
        env = {ingestor.setting_env_name(self.tap, key): _env_value(value)
               for key, value in settings.items()}
        env.update({
            ingestor.setting_env_name(LOADER, "destination_path"): str(out_dir),
            ingestor.setting_env_name(LOADER, "custom_name"): "records",
            ingestor.setting_env_name(LOADER, "do_timestamp_file"): "false",
        })
        args = ["run", *RUN_OPTIONS, self.tap, LOADER]
        code, log = self._meltano(args, env, timeout, out_dir.name)
        output = out_dir / "records.jsonl"
        records = ([json.loads(line) for line in output.read_text("utf-8").splitlines()]
                   if output.exists() else [])
        return RunResult(code, records, log)

    def _meltano(self, args: list[str], env: dict[str, str], timeout: float,
                 name: str) -> tuple[int, str]:
        env["MELTANO_DATABASE_URI"] = f"sqlite:///{self.workdir / 'meltano.db'}"
        full_env = meltano_env(env)
        inherited = ingestor.setting_env_name(self.tap, "")  # e.g. a developer's TAP_GMAIL_*
        for key in [key for key in full_env if key.startswith(inherited) and key not in env]:
            del full_env[key]
        log_path = self.workdir / f"{name}.log"  # stderr: Meltano's log; stdout: {name}.out
        command = [str(ingestor.find_meltano()), "--log-format", "json", *args]
        with project_lock(self.project), open(log_path, "wb") as log, \
                open(self.workdir / f"{name}.out", "wb") as out:
            completed = subprocess.run(command, cwd=self.project, env=full_env,
                                       stdin=subprocess.DEVNULL, stdout=out, stderr=log,
                                       timeout=timeout, check=False)
        return completed.returncode, log_path.read_text("utf-8", errors="replace")


def _env_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
