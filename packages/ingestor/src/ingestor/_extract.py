"""Run one Meltano extraction into one JSONL file whose path depends only on the run id.

`extract_to_jsonl` runs `meltano run --full-refresh --no-state-update <tap> target-jsonl` in the
project, under the project lock (shared) and the tap's own lock (exclusive): extractions with
different taps run at once, two of one tap one after the other. Runs are stateless on purpose:
the caller owns the window and passes it as `since`/`until` every time (lorchestra resumes from
the windows it records in its event_log, the one resume mechanism); Meltano state would be a
second one, and would make a re-run silently extract nothing (tap-jsonl, for one, skips files it
has seen). The tap's lock serialises its runs because concurrent runs of one tap race on the
catalog file Meltano writes into `.meltano/run/<tap>/`; unique `meltano el --state-id` ids would
avoid job-tracking clashes but not that race. `meltano install` takes the project lock
exclusively.

Settings reach the plugins as environment variables: target-jsonl writes
`<output_root>/<tap>/<run_id>/<run_id>.jsonl` (TARGET_JSONL_DESTINATION_PATH, _CUSTOM_NAME,
_DO_TIMESTAMP_FILE=false), `config` becomes `<TAP>_<SETTING>` and `since`/`until` become
`<TAP>_START_DATE`/`<TAP>_END_DATE`. Meltano forwards only settings the plugin declares in
meltano.yml, so a tap without an end date simply never sees one; a `config` key the plugin does
not declare is refused before the run (UnknownSettingError) instead of being dropped. The run
directory is emptied first (target-jsonl appends), an empty file is created when no record
arrives, and on any failure the run directory is removed so no partial output survives.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson

from ingestor._host import MeltanoHost
from ingestor._logs import cause_of
from ingestor._project import (
    declared_settings,
    meltano_env,
    plugin_lock,
    project_lock,
    resolve_project_dir,
    run_meltano,
)
from ingestor.errors import ExtractError, UnknownSettingError

__all__ = ["extract_to_jsonl", "output_path", "setting_env_name"]

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_LOADER = "target-jsonl"
#: `meltano run` options of every extraction: no state read, none saved.
RUN_OPTIONS = ("--full-refresh", "--no-state-update")

DateLike = str | date | datetime


def output_path(output_root: str | os.PathLike[str], tap_name: str, run_id: str) -> Path:
    """The file an extraction with this tap and run id writes: root/tap/run_id/run_id.jsonl."""
    _check_name("tap_name", tap_name)
    _check_name("run_id", run_id)
    return Path(output_root) / tap_name / run_id / f"{run_id}.jsonl"


def setting_env_name(plugin_name: str, setting: str) -> str:
    """Meltano's environment variable for a plugin setting, e.g. TAP_GMAIL_SAMPLE_PATH."""
    return re.sub(r"[^A-Z0-9]", "_", f"{plugin_name}_{setting}".upper())


def extract_to_jsonl(tap_name: str, run_id: str, *, since: DateLike | None = None,
                     until: DateLike | None = None, config: Mapping[str, Any] | None = None,
                     project_dir: str | os.PathLike[str] | None = None,
                     output_root: str | os.PathLike[str] | None = None,
                     env: Mapping[str, str] | None = None, timeout: float | None = None,
                     lock_timeout: float | None = None,
                     cancel: threading.Event | None = None,
                     host: MeltanoHost | None = None) -> Path:
    """Extract with `tap_name` into `<output_root>/<tap_name>/<run_id>/<run_id>.jsonl`.

    `config` holds extra tap settings (non-strings are JSON-encoded); `env` adds environment
    variables for Meltano (ours win on conflict); `timeout` bounds the run and `lock_timeout`
    the wait for each lock, in seconds; setting `cancel` from another thread stops the run
    (ExtractCancelled); a `host` (`MeltanoHost.for_meltano(find_meltano())`) runs the
    command in that reused Meltano process. `output_root` defaults to the project's
    `output/` directory (git-ignored). Returns the file written, empty when nothing was
    extracted; raises ExtractError (LockTimeoutError for the lock) and leaves no file on failure,
    or UnknownSettingError, before running, for a `config` key the tap does not declare.
    """
    project = resolve_project_dir(project_dir)
    _check_settings(tap_name, config or {}, project)
    target = output_path(output_root if output_root is not None else project / "output",
                         tap_name, run_id).absolute()
    run_dir = target.parent
    settings = _plugin_settings(tap_name, run_dir, run_id, since, until, config)
    with project_lock(project, lock_timeout, shared=True), \
            plugin_lock(project, tap_name, lock_timeout):
        if run_dir.exists():
            shutil.rmtree(run_dir)  # target-jsonl appends: a re-run must start from nothing
        _private_dirs(run_dir)
        args = ["run", *RUN_OPTIONS, tap_name, _LOADER]
        try:
            code, tail = run_meltano(project, args, meltano_env(env, settings), timeout,
                                     cancel, host)
        except BaseException:
            shutil.rmtree(run_dir, ignore_errors=True)
            raise
        if code != 0:
            shutil.rmtree(run_dir, ignore_errors=True)
            what = (f"timed out after {timeout:g} s" if code is None
                    else f"exited with code {code}")
            cause = cause_of(tail)
            because = f": {cause}" if cause else " (re-run with --debug for its log)"
            raise ExtractError(f"Meltano run {tap_name} -> {_LOADER} {what}{because}; "
                               f"no output was kept (run {run_id}).", exit_code=code,
                               log_tail=tail)
    target.touch(exist_ok=True)  # zero records: target-jsonl writes no file at all
    target.chmod(0o600)
    return target


def _plugin_settings(tap_name: str, run_dir: Path, run_id: str, since: DateLike | None,
                     until: DateLike | None,
                     config: Mapping[str, Any] | None) -> dict[str, str]:
    settings = {setting_env_name(tap_name, key): _env_value(value)
                for key, value in (config or {}).items()}
    if since is not None:
        settings[setting_env_name(tap_name, "start_date")] = _date_text(since)
    if until is not None:
        settings[setting_env_name(tap_name, "end_date")] = _date_text(until)
    settings.update({
        setting_env_name(_LOADER, "destination_path"): str(run_dir),
        setting_env_name(_LOADER, "custom_name"): run_id,
        setting_env_name(_LOADER, "do_timestamp_file"): "false",
    })
    return settings


def _check_settings(tap_name: str, config: Mapping[str, Any], project: Path) -> None:
    declared = declared_settings(tap_name, project)
    if declared is None:
        return  # not an extractor of this project: Meltano's own error says so
    unknown = sorted(set(config) - declared)
    if unknown:
        raise UnknownSettingError(tap_name, unknown, sorted(declared))


def _env_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        return str(os.fspath(value))
    return orjson.dumps(value).decode()


def _date_text(value: DateLike) -> str:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _check_name(what: str, value: str) -> None:
    if not _SAFE_NAME.match(value) or value in {".", ".."} or ".." in value:
        raise ValueError(f"{what} {value!r} is not a safe name: use letters, digits, '.', '_' "
                         "and '-' (at most 128, no '..').")


def _private_dirs(run_dir: Path) -> None:
    # Extracted records are PHI: directories we create are owner-only.
    for directory in (run_dir.parent.parent, run_dir.parent, run_dir):
        if not directory.exists():
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
