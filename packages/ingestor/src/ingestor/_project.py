"""Find, check and install the Meltano project, and run `meltano` in it without calling home.

The project directory is, in order: the `project_dir` argument; the `LORCHESTRA_MELTANO_PROJECT`
environment variable; the repository's `meltano/` directory, found relative to this file only
when the ingestor runs from a source checkout (editable install); else the runtime project
(`ingestor._runtime`): the Meltano project shipped in the wheel, copied to a writable per-user
directory. The `meltano` executable is `LORCHESTRA_MELTANO_BIN`
when set, else the one next to `sys.executable` (same virtualenv), else the first on PATH.
Every Meltano command gets an environment with usage statistics, the version check and the
Meltano Hub turned off. Commands in one project are serialised with an fcntl lock file.
"""

from __future__ import annotations

import fcntl
import functools
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ingestor._host import MeltanoHost
from ingestor._logs import tail_of
from ingestor._runtime import runtime_project
from ingestor.errors import ExtractCancelled, InstallError, LockTimeoutError, ProjectError

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "Extractor",
    "check_project",
    "declared_settings",
    "find_meltano",
    "install_project",
    "list_extractors",
    "meltano_installed",
    "plugin_lock",
    "project_lock",
    "resolve_project_dir",
    "source_tree_project",
]

PROJECT_ENV = "LORCHESTRA_MELTANO_PROJECT"
MELTANO_BIN_ENV = "LORCHESTRA_MELTANO_BIN"
LOCK_TIMEOUT_ENV = "LORCHESTRA_MELTANO_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 1800.0
LOCK_FILE = ".meltano/lorchestra-ingestor.lock"

# Calls home off: no anonymous usage stats, no PyPI version check, and a Hub URL that refuses
# connections at once (every plugin is declared inline, so the Hub is never needed).
QUIET_ENV: Mapping[str, str] = {
    "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
    "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
    "MELTANO_HUB_URL": "http://127.0.0.1:9",
    "MELTANO_HUB_API_ROOT": "http://127.0.0.1:9",
    "NO_COLOR": "1",
}

_PLUGIN_DIRS = {"extractors": "extractors", "loaders": "loaders", "utilities": "utilities",
                "mappers": "mappers", "orchestrators": "orchestrators",
                "transformers": "transformers", "files": "files"}


def resolve_project_dir(project_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the Meltano project directory (see the module docstring for the search order)."""
    if project_dir is not None:
        candidate = Path(project_dir)
    elif os.environ.get(PROJECT_ENV):
        candidate = Path(os.environ[PROJECT_ENV])
    else:
        candidate = source_tree_project() or runtime_project()
    if not (candidate / "meltano.yml").is_file():
        raise ProjectError(f"{candidate} is not a Meltano project: it has no meltano.yml.")
    return candidate.resolve()


def source_tree_project() -> Path | None:
    """The repository's `meltano/` when the ingestor runs from a source checkout, else None."""
    # src/ingestor/_project.py -> packages/ingestor -> packages -> repository root.
    here = Path(__file__).resolve()
    package_root = here.parents[2]
    if package_root.parent.name != "packages" or not (package_root / "pyproject.toml").is_file():
        return None
    project = package_root.parent.parent / "meltano"
    return project if (project / "meltano.yml").is_file() else None


def find_meltano() -> Path:
    """Return the `meltano` executable to run, or raise ProjectError naming what to install."""
    configured = os.environ.get(MELTANO_BIN_ENV)
    if configured:
        path = Path(configured)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise ProjectError(f"{MELTANO_BIN_ENV}={configured} is not an executable file.")
        return path
    beside = Path(sys.executable).parent / "meltano"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    on_path = shutil.which("meltano")
    if on_path:
        return Path(on_path)
    raise ProjectError("Meltano is not installed: run `pip install 'meltano>=4,<5'` or set "
                       f"{MELTANO_BIN_ENV} to the meltano executable.")


def meltano_env(extra: Mapping[str, str] | None = None,
                overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a Meltano command: ours, then `extra`, then calls home off."""
    env = dict(os.environ)
    env.update(extra or {})
    env.update(QUIET_ENV)
    env.update(overrides or {})
    # Meltano installs plugins with uv, which reads UV_FIND_LINKS (comma-separated), not pip's
    # PIP_FIND_LINKS (space-separated): taps not on an index come from the wheels listed there.
    if env.get("PIP_FIND_LINKS") and not env.get("UV_FIND_LINKS"):
        env["UV_FIND_LINKS"] = ",".join(env["PIP_FIND_LINKS"].split())
    return env


@contextmanager
def project_lock(project: Path, timeout: float | None = None, *,
                 shared: bool = False) -> Iterator[None]:
    """Hold the project's lock file, waiting at most `timeout` seconds for another holder.

    `timeout` None means `LORCHESTRA_MELTANO_LOCK_TIMEOUT` or DEFAULT_LOCK_TIMEOUT seconds.
    Extractions hold it `shared` (several may run at once, each also holding its plugin's
    `plugin_lock`); `meltano install` holds it exclusively, so it never rebuilds a virtualenv
    under a running extraction.
    """
    with _flock(project / LOCK_FILE, timeout, shared=shared, what=f"Meltano run in {project}"):
        yield


@contextmanager
def plugin_lock(project: Path, plugin_name: str, timeout: float | None = None) -> Iterator[None]:
    """Hold one plugin's lock: its runs are serialised, runs of other plugins are not.

    Meltano writes a plugin's catalog to `.meltano/run/<plugin>/tap.properties.json` on every
    run (in place, not atomically), so two runs of one plugin race on that file; runs of two
    plugins (each inheriting plugin has its own directory) share nothing but the system
    database, which Meltano opens in WAL mode and which stateless runs do not write.
    """
    lock_path = project / ".meltano" / "run" / f"lorchestra-{plugin_name}.lock"
    with _flock(lock_path, timeout, shared=False, what=f"Meltano run of {plugin_name}"):
        yield


@contextmanager
def _flock(lock_path: Path, timeout: float | None, *, shared: bool, what: str) -> Iterator[None]:
    if timeout is None:
        timeout = float(os.environ.get(LOCK_TIMEOUT_ENV) or DEFAULT_LOCK_TIMEOUT)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    with open(lock_path, "a+b") as handle:
        while True:
            try:
                fcntl.flock(handle.fileno(), mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeoutError(
                        f"Another {what} held the lock {lock_path} for more than {timeout:g} s; "
                        f"try again later or raise {LOCK_TIMEOUT_ENV}."
                    ) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def run_meltano(project: Path, args: Sequence[str], env: Mapping[str, str],
                timeout: float | None, cancel: threading.Event | None = None,
                host: MeltanoHost | None = None) -> tuple[int | None, list[str]]:
    """Run `meltano <args>` in `project`; return (exit code or None on timeout, safe log tail).

    The log goes to an anonymous temporary file (never a pipe, so a chatty run cannot block)
    and only its sanitised tail is read back. Setting `cancel` (from another thread) stops the
    run's whole process group and raises ExtractCancelled. With a `host` the command runs in
    that reused Meltano process instead of a new one (ingestor._host).
    """
    if host is not None:
        host_code, host_log = host.run(project, args, env, timeout, cancel)
        with host_log:
            return host_code, _read_tail(host_log)
    command = [str(find_meltano()), "--log-format", "json", *args]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=project, env=dict(env), stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        guard = _guard(process.pid)
        try:
            code: int | None = _wait(process, timeout, cancel)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            code = None
        except BaseException:
            _kill_group(process)  # e.g. Ctrl-C: the new session would not get the signal
            raise
        finally:
            _stand_down(guard)
        return code, _read_tail(log)


# The guard: a tiny process that waits for end-of-file on a pipe only we hold the write end of.
# If we die in any way (kill -9 included) the kernel closes it and the guard stops Meltano's
# whole process group (Meltano, the tap, the target) — TERM, then KILL after 5 s — so nothing
# keeps reading a source or writing an extract for a run that no longer exists.
_GUARD_CODE = """
import os, signal, sys, time
group = int(sys.argv[1])
sys.stdin.buffer.read()
for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 0.0)):
    try:
        os.killpg(group, sig)
    except ProcessLookupError:
        break
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            sys.exit(0)
        time.sleep(0.1)
"""


def _guard(group: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", _GUARD_CODE, str(group)],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _wait(process: subprocess.Popen[bytes], timeout: float | None,
          cancel: threading.Event | None) -> int:
    if cancel is None:
        return process.wait(timeout=timeout)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        if cancel.is_set():
            raise ExtractCancelled("The extraction was cancelled; its run was stopped.")
        step = 0.1 if deadline is None else min(0.1, max(deadline - time.monotonic(), 0.0))
        try:
            return process.wait(timeout=step)
        except subprocess.TimeoutExpired:
            if deadline is not None and time.monotonic() >= deadline:
                raise


def _stand_down(guard: subprocess.Popen[bytes]) -> None:
    """The run is over and reaped: stop the guard without letting it signal anything."""
    guard.kill()
    guard.wait()
    if guard.stdin is not None:
        guard.stdin.close()


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    # Meltano starts the tap and target as children: stop the whole session, politely first.
    for sig, grace in ((15, 10.0), (9, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _read_tail(log: IO[bytes]) -> list[str]:
    log.seek(0)
    return tail_of(raw.decode("utf-8", "replace") for raw in log)


def _read_project(project: Path) -> dict[str, Any]:
    """meltano.yml, parsed once per version of the file (callers only read it)."""
    path = project / "meltano.yml"
    stat = path.stat()
    return _parse_project(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _parse_project(path: Path, mtime_ns: int, size: int) -> dict[str, Any]:
    # PyYAML comes with Meltano; imported by name so its (optional) stubs do not matter.
    yaml = importlib.import_module("yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def declared_settings(plugin_name: str,
                      project_dir: str | os.PathLike[str] | None = None) -> frozenset[str] | None:
    """The settings meltano.yml declares for an extractor, its `inherit_from` chain included.

    Meltano forwards only declared settings, so any other one would be silently dropped. Returns
    None when the project does not declare the extractor (Meltano itself then refuses the run).
    """
    project = resolve_project_dir(project_dir)
    extractors = {str(plugin.get("name")): plugin
                  for plugin in (_read_project(project).get("plugins") or {}).get("extractors")
                  or []}
    if plugin_name not in extractors:
        return None
    names: set[str] = set()
    seen: set[str] = set()
    current: str | None = plugin_name
    while current in extractors and current not in seen:
        seen.add(current)
        plugin = extractors[current]
        names.update(str(setting["name"]) for setting in plugin.get("settings") or []
                     if isinstance(setting, dict) and "name" in setting)
        parent = plugin.get("inherit_from")
        current = str(parent) if parent else None
    return frozenset(names)


@dataclass(frozen=True)
class Extractor:
    """One extractor the Meltano project declares, for `lorchestra taps list`."""

    name: str
    inherit_from: str | None
    pip_url: str | None
    settings: tuple[str, ...]
    installed: bool


def list_extractors(project_dir: str | os.PathLike[str] | None = None) -> list[Extractor]:
    """Every extractor of the project, with its declared settings and whether it is installed."""
    project = resolve_project_dir(project_dir)
    extractors = (_read_project(project).get("plugins") or {}).get("extractors") or []
    missing = set(_missing_plugins(project))
    found = []
    for plugin in extractors:
        name = str(plugin.get("name"))
        parent = plugin.get("inherit_from")
        root = name
        while parent:  # an inheriting plugin runs in its parent's virtualenv
            root = str(parent)
            parent = next((p.get("inherit_from") for p in extractors if p.get("name") == root),
                          None)
        found.append(Extractor(
            name=name,
            inherit_from=str(plugin["inherit_from"]) if plugin.get("inherit_from") else None,
            pip_url=str(plugin["pip_url"]) if plugin.get("pip_url") else None,
            settings=tuple(sorted(declared_settings(name, project) or ())),
            installed=f"extractor {root}" not in missing,
        ))
    return sorted(found, key=lambda e: e.name)


def _declared_plugins(project: Path) -> list[tuple[str, str, str]]:
    """(plugin type, name, executable) of every plugin that gets its own virtualenv."""
    data = _read_project(project)
    found: list[tuple[str, str, str]] = []
    for plugin_type, plugins in (data.get("plugins") or {}).items():
        for plugin in plugins or []:
            if plugin_type in _PLUGIN_DIRS and plugin.get("pip_url"):
                name = str(plugin["name"])
                found.append((plugin_type, name, str(plugin.get("executable") or name)))
    return found


def _missing_plugins(project: Path) -> list[str]:
    return [f"{kind[:-1]} {name}" for kind, name, executable in _declared_plugins(project)
            if not (project / ".meltano" / _PLUGIN_DIRS[kind] / name / "venv" / "bin"
                    / executable).exists()]


def meltano_installed(project_dir: str | os.PathLike[str] | None = None) -> bool:
    """True when Meltano is runnable and every plugin of the project is installed."""
    try:
        project = resolve_project_dir(project_dir)
        find_meltano()
        return not _missing_plugins(project)
    except (ProjectError, OSError):
        return False


def check_project(project_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """Human-readable problems with the Meltano project (empty when it is ready), for `doctor`."""
    problems: list[str] = []
    try:
        project = resolve_project_dir(project_dir)
    except ProjectError as exc:
        return [str(exc)]
    try:
        find_meltano()
    except ProjectError as exc:
        problems.append(str(exc))
    try:
        missing = _missing_plugins(project)
    except Exception as exc:  # any failure to read or parse meltano.yml is a problem to report
        problems.append(f"{project / 'meltano.yml'} cannot be read: {type(exc).__name__}.")
    else:
        if missing:
            problems.append(f"Meltano plugins not installed in {project}: "
                            f"{', '.join(missing)}. Run `meltano install` there.")
    return problems


def install_project(project_dir: str | os.PathLike[str] | None = None, *,
                    env: Mapping[str, str] | None = None, timeout: float | None = None,
                    lock_timeout: float | None = None, plugins: Sequence[str] = ()) -> Path:
    """Run `meltano install` in the project (idempotent: re-running reinstalls in seconds).

    `plugins` names the plugins to install (all of the project's when empty).
    """
    project = resolve_project_dir(project_dir)
    with project_lock(project, lock_timeout):
        code, tail = run_meltano(project, ["install", *plugins], meltano_env(env), timeout)
    if code != 0:
        what = "timed out" if code is None else f"exited with code {code}"
        raise InstallError(f"`meltano install` in {project} {what}.", exit_code=code,
                           log_tail=tail)
    _compile_bytecode(project)
    return project


def _compile_bytecode(project: Path) -> None:
    # Meltano builds plugin virtualenvs with uv, which does not compile bytecode; with
    # PYTHONDONTWRITEBYTECODE set, every run would recompile the plugin's imports (~2 s a run).
    # compileall skips files already compiled, so this is cheap on a re-install.
    for kind, name, _ in _declared_plugins(project):
        venv = project / ".meltano" / _PLUGIN_DIRS[kind] / name / "venv"
        if (venv / "bin" / "python").exists():
            subprocess.run([str(venv / "bin" / "python"), "-m", "compileall", "-q", "-j", "0",
                            str(venv / "lib")], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
