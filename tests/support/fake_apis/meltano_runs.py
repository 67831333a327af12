"""Run a tap through the repository's Meltano project, with state of its own, and read the output.

`installed_project()` is the repository's `meltano/` project, after `meltano install` when a
declared plugin is missing (once per test process); `declared_settings` reads a plugin's
settings from its meltano.yml. `MeltanoRunner(project, workdir, tap)` runs
`meltano run <tap> target-jsonl` with the tap's settings as `TAP_*` environment variables (none
inherited from the caller's environment) and a system database of its own (a SQLite file in
`workdir`), so each test starts with no state and leaves none in the project. Runs hold the
project lock (concurrent runs of one tap race on
Meltano's catalog files) and use the ingestor's quiet environment (no calls home). Each run
writes to a fresh directory; its `RunResult` holds the exit code, the records and Meltano's whole
log (JSON lines), so tests can check both what happened and what was never logged.
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
    """Runs of one tap into target-jsonl with a private system database (and so state)."""

    def __init__(self, project: Path, workdir: Path, tap: str) -> None:
        self.project = project
        self.workdir = workdir
        self.tap = tap
        self.state_id = f"ingest:{tap}-to-{LOADER}"  # meltano run's id in the `ingest` env
        self._runs = self._states = 0
        workdir.mkdir(parents=True, exist_ok=True)

    def run(self, settings: Mapping[str, Any], *, full_refresh: bool = False,
            timeout: float = 180) -> RunResult:
        """`meltano run <tap> target-jsonl`; `settings` are the tap's (non-strings as JSON)."""
        self._runs += 1
        out_dir = self.workdir / f"run-{self._runs}"
        env = {ingestor.setting_env_name(self.tap, key): _env_value(value)
               for key, value in settings.items()}
        env.update({
            ingestor.setting_env_name(LOADER, "destination_path"): str(out_dir),
            ingestor.setting_env_name(LOADER, "custom_name"): "records",
            ingestor.setting_env_name(LOADER, "do_timestamp_file"): "false",
        })
        args = ["run", *(["--full-refresh"] if full_refresh else []), self.tap, LOADER]
        code, log = self._meltano(args, env, timeout, out_dir.name)
        output = out_dir / "records.jsonl"
        records = ([json.loads(line) for line in output.read_text("utf-8").splitlines()]
                   if output.exists() else [])
        return RunResult(code, records, log)

    def state(self) -> dict[str, Any] | None:
        """The state Meltano saved for this tap, or None when there is none."""
        self._states += 1
        name = f"state-{self._states}"
        code, _ = self._meltano(["state", "get", self.state_id], {}, 60, name)
        text = (self.workdir / f"{name}.out").read_text("utf-8").strip()
        return json.loads(text) if code == 0 and text else None

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
