"""A Meltano host: one long-lived Python process that runs several `meltano` commands in turn.

Starting `meltano` costs about a second of CPU before it does anything (importing Meltano, its
SQLAlchemy system database layer, click, structlog); a day's ingest runs one command per
connection. A `MeltanoHost` starts the interpreter of the `meltano` executable once and runs
each command through Meltano's own entry point (`meltano.cli.main`) in that process, with the
command's own arguments, working directory and whole environment (set afresh for each command,
so plugin settings given as environment variables are read exactly as by a fresh `meltano`), its
stdout and stderr going to a log file of its own, and the exit code Meltano's `main` would exit
with. The taps and targets are still new processes of every run, started by Meltano as usual.
So the semantics are Meltano's: what is shared between two commands is only the imported code.

The host runs in its own session, watched by the same guard as a plain run (it stops the whole
process group — host, Meltano's taps and targets — if the caller dies); a timeout or a cancel
stops the group and the next command starts a new host. When the `meltano` executable is not a
Python script (its interpreter cannot be found), callers fall back to one process per command.
"""

from __future__ import annotations

import os
import select
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

import orjson

from ingestor.errors import ExtractCancelled

__all__ = ["MeltanoHost"]

# Requests arrive on the saved stdin, one JSON object a line ({"args", "env", "cwd", "log"});
# replies ({"code"}) leave on the saved stdout. fds 0, 1 and 2 are then pointed at /dev/null
# and the command's log file, so neither Meltano nor its plugins can read or write the channel.
_HOST_CODE = r"""
import json, os, sys
requests = os.fdopen(os.dup(0), "rb")
replies = os.fdopen(os.dup(1), "wb", buffering=0)
null = os.open(os.devnull, os.O_RDONLY)
os.dup2(null, 0)
import logging, warnings
import meltano.cli
replies.write(b'{"ready": true}\n')
for line in requests:
    request = json.loads(line)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    log = os.open(request["log"], os.O_WRONLY | os.O_APPEND)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    sys.argv = ["meltano", *request["args"]]
    code = 0
    try:
        meltano.cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    replies.write(json.dumps({"code": code}).encode() + b"\n")
"""


class MeltanoHost:
    """Runs `meltano` commands one after another in one reused process (not thread-safe)."""

    def __init__(self, python: Path) -> None:
        self.python = python
        self._process: subprocess.Popen[bytes] | None = None
        self._guard: subprocess.Popen[bytes] | None = None
        self._logs: tempfile.TemporaryDirectory[str] | None = None  # 0700, the commands' logs

    @staticmethod
    def for_meltano(meltano: Path) -> MeltanoHost | None:
        """A host for this `meltano` executable, or None when it is not a Python script."""
        try:
            with open(meltano, "rb") as handle:
                first = handle.readline(512)
        except OSError:
            return None
        if not first.startswith(b"#!"):
            return None
        interpreter = Path(first[2:].decode("utf-8", "replace").strip().split(" ")[0])
        if "python" not in interpreter.name or not os.access(interpreter, os.X_OK):
            return None
        return MeltanoHost(interpreter)

    def run(self, project: Path, args: Sequence[str], env: Mapping[str, str],
            timeout: float | None, cancel: threading.Event | None) -> tuple[int | None, IO[bytes]]:
        """Run `meltano <args>`; (exit code or None on timeout, its log rewound) to the caller.

        Raises ExtractCancelled when `cancel` is set meanwhile (the host is then stopped).
        """
        if self._logs is None:
            self._logs = tempfile.TemporaryDirectory(prefix="lorchestra-meltano-host-")
        log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed by the caller
            prefix="run-", suffix=".log", dir=self._logs.name)
        try:
            if self._process is None or self._process.poll() is not None:
                self._start(project, env)
            assert self._process is not None and self._process.stdin is not None
            request = {"args": list(args), "env": dict(env), "cwd": str(project),
                       "log": log.name}
            self._process.stdin.write(orjson.dumps(request) + b"\n")
            self._process.stdin.flush()
            reply = self._reply(timeout, cancel)
        except BaseException:
            log.close()
            raise
        log.seek(0)
        code = reply.get("code") if reply is not None else None
        return (None if reply is None else code if isinstance(code, int) else 1), log

    def close(self) -> None:
        """Stop the host (its stdin closes and it exits; its group is stopped if it lingers)."""
        process, self._process = self._process, None
        if process is not None:
            if process.stdin is not None:
                process.stdin.close()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                _stop_group(process)
            if process.stdout is not None:
                process.stdout.close()
        self._stand_down()
        logs, self._logs = self._logs, None
        if logs is not None:
            logs.cleanup()

    def _start(self, project: Path, env: Mapping[str, str]) -> None:
        from ingestor._project import _guard

        self._abort()  # a previous host that died or was stopped
        self._process = subprocess.Popen(
            [str(self.python), "-c", _HOST_CODE], cwd=project, env=dict(env),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            start_new_session=True)
        self._guard = _guard(self._process.pid)
        reply = self._reply(120.0, None)
        if reply is None or not reply.get("ready"):
            self._abort()
            raise OSError("The Meltano host did not start.")

    def _reply(self, timeout: float | None,
               cancel: threading.Event | None) -> dict[str, object] | None:
        """The next reply line; None on timeout (the host is then stopped)."""
        assert self._process is not None and self._process.stdout is not None
        out = self._process.stdout
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if cancel is not None and cancel.is_set():
                self._abort()
                raise ExtractCancelled("The extraction was cancelled; its run was stopped.")
            if deadline is not None and time.monotonic() >= deadline:
                self._abort()
                return None
            try:
                ready, _, _ = select.select([out], [], [], 0.1)
            except BaseException:
                self._abort()  # e.g. Ctrl-C: the new session would not get the signal
                raise
            if ready:
                line = out.readline()  # the host writes whole lines, unbuffered
                if not line:  # the host died: report it as a failed command
                    code = self._process.wait()
                    self._abort()
                    return {"code": code or 1}
                reply = orjson.loads(line)
                return reply if isinstance(reply, dict) else {"code": 1}

    def _abort(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            _stop_group(process)
        self._stand_down()

    def _stand_down(self) -> None:
        from ingestor._project import _stand_down

        guard, self._guard = self._guard, None
        if guard is not None:
            _stand_down(guard)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    from ingestor._project import _kill_group

    _kill_group(process)
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()
