"""Schedules that work under cron and systemd: the lines ``lorchestra schedule`` prints.

cron and systemd start commands with almost no environment (cron's PATH is ``/usr/bin:/bin``,
no virtualenv, none of the shell's variables), so every entry names the installed executable by
absolute path and sets the data home (and the configuration file, and any non-secret
``LORCHESTRA_*`` setting of the current environment) explicitly. A cron entry runs under
``flock -n`` so a run still going makes the next one a no-op; lorchestra itself also holds
``<home>/run.lock`` while it runs, so a manual run cannot overlap either. By default there is one
entry, for ``run daily``, so the pipeline's stages keep their order; per-stage entries only on
request.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from lorchestra.config import ENVIRONMENT, Settings
from lorchestra.definitions import Catalog, PipelineDefinition
from lorchestra.errors import UsageError

SCHEDULE_LOCK = "schedule.lock"


@dataclass(frozen=True)
class Entry:
    """One scheduled command: ``name`` (unit name part), when, and the arguments to lorchestra."""

    name: str
    hour: int | None  # None: every hour
    minute: int
    args: tuple[str, ...]


def executable() -> Path:
    """The installed ``lorchestra`` script: beside this interpreter, else the one on PATH."""
    beside = Path(sys.executable).parent / "lorchestra"
    if beside.is_file():
        return beside.absolute()
    found = shutil.which("lorchestra")
    if found is None:
        raise UsageError("Cannot find the installed lorchestra executable to schedule.")
    return Path(found).absolute()


def environment(settings: Settings, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The variables every scheduled command sets: the data home, the config file, and the
    non-secret LORCHESTRA_* settings the current environment has."""
    env = dict(os.environ if environ is None else environ)
    out = {"LORCHESTRA_HOME": str(settings.home)}
    if settings.source_file is not None:
        out["LORCHESTRA_CONFIG"] = str(Path(settings.source_file).absolute())
    for name in ENVIRONMENT:
        if name.startswith("LORCHESTRA_") and env.get(name) and name not in out:
            value = env[name]
            path = Path(value).expanduser()
            out[name] = (
                str(path.absolute()) if name.endswith(("_DATA", "_PATH", "_PROJECT")) else value
            )
    return out


def entries(
    catalog: Catalog, target: str, at: str, *, per_stage: bool = False, watchdog: bool = False
) -> list[Entry]:
    """What to schedule: ``run TARGET`` daily at ``at``, or one entry per stage of it."""
    hour, minute = _time(at)
    found = catalog.resolve(target)
    out: list[Entry] = []
    if not per_stage:
        out.append(Entry(f"run-{target}", hour, minute, ("run", target)))
    elif not isinstance(found, PipelineDefinition):
        raise UsageError(f"--per-stage needs a pipeline; {target!r} is a job definition.")
    else:
        for stage in found.stages:
            for item in stage.run:
                item_hour, item_minute = _time(_earliest(catalog, item) or at)
                out.append(Entry(f"run-{item}", item_hour, item_minute, ("run", item)))
    if watchdog:
        out.append(Entry("alerts-check", None, 50, ("alerts", "check")))
    return out


def _earliest(catalog: Catalog, item: str) -> str | None:
    if item in catalog.jobs:
        return catalog.jobs[item].at if catalog.jobs[item].schedule else None
    times = [catalog.jobs[job_id].at for _, job_id in catalog.expand(item)]
    return min(times) if times else None


def _time(at: str) -> tuple[int, int]:
    hour, _, minute = at.partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        raise UsageError(f"--at must be HH:MM, got {at!r}.")
    return int(hour), int(minute)


def command(entry: Entry, exe: Path, env: dict[str, str], home: Path, *, lock: bool) -> str:
    """The shell command line of an entry (for cron's ``/bin/sh -c``)."""
    parts = [f"{name}={shlex.quote(value)}" for name, value in env.items()]
    flock = shutil.which("flock", path="/usr/bin:/bin")
    if lock and flock:
        parts += [flock, "-n", shlex.quote(str(home / SCHEDULE_LOCK))]
    parts += [shlex.quote(str(exe)), *(shlex.quote(a) for a in entry.args)]
    return " ".join(parts)


def crontab(entries_: list[Entry], exe: Path, env: dict[str, str], home: Path) -> list[str]:
    lines = [
        "# lorchestra: add with `crontab -e`. Secrets (API tokens, SMTP password) are not here:",
        f"# keep them in a private file and source it, or use --systemd with {home}/env.",
    ]
    for entry in entries_:
        when = f"{entry.minute} {'*' if entry.hour is None else entry.hour} * * *"
        line = command(entry, exe, env, home, lock=entry.args[0] == "run")
        lines.append(f"{when} {line.replace('%', chr(92) + '%')}")  # % ends a cron command
    return lines


def systemd_units(
    entries_: list[Entry], exe: Path, env: dict[str, str], home: Path
) -> list[tuple[str, str]]:
    """(file name, contents) of a service and a timer per entry."""
    units = []
    for entry in entries_:
        calendar = (
            f"*-*-* *:{entry.minute:02d}:00"
            if entry.hour is None
            else f"*-*-* {entry.hour:02d}:{entry.minute:02d}:00"
        )
        environment_lines = "".join(
            f'Environment="{name}={_unit_escape(value)}"\n' for name, value in env.items()
        )
        exec_start = _unit_escape(" ".join([str(exe), *entry.args]))
        units.append(
            (
                f"lorchestra-{entry.name}.service",
                f"[Unit]\nDescription=lorchestra {' '.join(entry.args)}\n\n"
                f"[Service]\nType=oneshot\n{environment_lines}"
                f"EnvironmentFile=-{home}/env\nUMask=0077\nExecStart={exec_start}\n",
            )
        )
        units.append(
            (
                f"lorchestra-{entry.name}.timer",
                f"[Unit]\nDescription=lorchestra {' '.join(entry.args)} on schedule\n\n"
                f"[Timer]\nOnCalendar={calendar}\nPersistent=true\n\n"
                "[Install]\nWantedBy=timers.target\n",
            )
        )
    return units


def _unit_escape(text: str) -> str:
    return text.replace("%", "%%")  # systemd expands %-specifiers in unit files
