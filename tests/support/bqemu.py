"""Start and stop the local BigQuery emulator (``bqemulator``) for tests.

The emulator lives in its own virtualenv, ``<repo>/.venv-bqemu`` (its DuckDB pin differs from
the project's), created by ``tools/bqemulator/install.sh`` (``make test`` runs it). This module
only needs the standard library; ``BigQueryEmulator.client()`` imports ``google-cloud-bigquery``
from the environment running the tests.

Usage::

    from tests.support.bqemu import BigQueryEmulator, emulator_available

    with BigQueryEmulator() as emu:
        client = emu.client()
        client.create_dataset("ds")

The server listens on two free loopback ports (REST and gRPC), runs ephemeral (in-memory
DuckDB), in its own process group, with its output in a log file in a temporary directory.
It is started offline: ``BQEMU_ENABLE_FORMAT_EXTENSIONS=false`` skips the avro extension
download, and the spatial extension it loads at start is pre-installed by the install script.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from google.cloud import bigquery

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_DIR = REPO_ROOT / ".venv-bqemu"
EMULATOR_BIN = VENV_DIR / "bin" / "bqemulator"
INSTALL_SCRIPT = REPO_ROOT / "tools" / "bqemulator" / "install.sh"
STAMP_FILE = VENV_DIR / ".bqemu-installed"

DEFAULT_PROJECT = "local"
DEFAULT_START_TIMEOUT = 60.0
DEFAULT_STOP_TIMEOUT = 5.0

MISSING_MESSAGE = (
    f"The local BigQuery emulator is not installed (expected {EMULATOR_BIN}). "
    f"Run `make test` (which runs {INSTALL_SCRIPT.relative_to(REPO_ROOT)}), "
    f"or run `{INSTALL_SCRIPT.relative_to(REPO_ROOT)}` once yourself."
)

SPATIAL_HINT = (
    "Hint: the emulator could not load DuckDB's spatial extension, which the install script "
    "puts in ~/.duckdb/extensions/ (per $HOME). Re-run "
    f"{INSTALL_SCRIPT.relative_to(REPO_ROOT)} as this user / with this HOME."
)

# Settings that keep the emulator off the network and its files out of shared places.
_OFFLINE_ENV = {
    "BQEMU_ENABLE_FORMAT_EXTENSIONS": "false",  # no `INSTALL avro` download at start
    "BQEMU_TRACING_ENABLED": "false",
    "BQEMU_OTLP_ENDPOINT": "",
    "BQEMU_ADMIN_ENABLED": "false",
}


class EmulatorNotInstalledError(RuntimeError):
    """The emulator's virtualenv is missing; the message says how to create it."""


class EmulatorStartError(RuntimeError):
    """The emulator did not come up; the message carries the tail of its log."""


def emulator_available() -> bool:
    """True when ``tools/bqemulator/install.sh`` has completed for this checkout."""
    return STAMP_FILE.is_file() and os.access(EMULATOR_BIN, os.X_OK)


def _free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (held open together so they cannot coincide)."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _tail(path: Path, max_bytes: int = 4000) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"<could not read {path}: {exc}>"
    return data[-max_bytes:].decode("utf-8", errors="replace")


class BigQueryEmulator:
    """A ``bqemulator`` server on loopback, started by :meth:`start`, stopped by :meth:`stop`.

    Also a context manager. ``endpoint`` is ``http://127.0.0.1:<rest port>``.
    """

    def __init__(
        self,
        project: str = DEFAULT_PROJECT,
        *,
        start_timeout: float = DEFAULT_START_TIMEOUT,
        log_level: str = "info",
        keep_logs: bool = False,
    ) -> None:
        self.project = project
        self.start_timeout = start_timeout
        self.log_level = log_level
        self.keep_logs = keep_logs
        self.rest_port = 0
        self.grpc_port = 0
        self.workdir: Path | None = None
        self.log_path: Path | None = None
        self.startup_seconds: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        if not self.rest_port:
            raise RuntimeError("BigQueryEmulator is not started")
        return f"http://127.0.0.1:{self.rest_port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> BigQueryEmulator:
        """Start the server and wait until ``GET /healthz`` answers; return ``self``."""
        if self._proc is not None:
            raise RuntimeError("BigQueryEmulator is already started")
        if not emulator_available():
            raise EmulatorNotInstalledError(MISSING_MESSAGE)
        self.workdir = Path(tempfile.mkdtemp(prefix="bqemu-"))
        self.log_path = self.workdir / "bqemulator.log"
        began = time.monotonic()
        # Another process may grab a port between our probe and the server's bind: retry.
        for attempt in range(3):
            self.rest_port, self.grpc_port = _free_ports(2)
            self._spawn()
            try:
                self._wait_healthy()
            except EmulatorStartError as exc:
                log = _tail(self.log_path)
                self._kill()
                if attempt < 2 and "address already in use" in log.lower():
                    continue
                if "spatial" in log:
                    raise EmulatorStartError(f"{exc}\n{SPATIAL_HINT}") from None
                raise  # the log stays in self.workdir for inspection
            except BaseException:
                self._kill()
                raise
            break
        self.startup_seconds = time.monotonic() - began
        atexit.register(self.stop)
        return self

    def stop(self) -> None:
        """Stop the server: SIGTERM to its process group, SIGKILL if it lingers."""
        atexit.unregister(self.stop)
        self._kill()
        if self.workdir is not None and not self.keep_logs:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> BigQueryEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- client ------------------------------------------------------------------------------

    def client(self, **kwargs: Any) -> bigquery.Client:
        """An official ``google.cloud.bigquery.Client`` pointed at this emulator.

        Keyword arguments are passed to ``bigquery.Client`` and override the defaults.
        """
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import bigquery

        options: dict[str, Any] = {
            "project": self.project,
            "credentials": AnonymousCredentials(),  # type: ignore[no-untyped-call]
            "client_options": {"api_endpoint": self.endpoint},
        }
        options.update(kwargs)
        return bigquery.Client(**options)

    def log_tail(self, max_bytes: int = 4000) -> str:
        """The end of the server's log (for failure messages)."""
        return "" if self.log_path is None else _tail(self.log_path, max_bytes)

    # -- internals ---------------------------------------------------------------------------

    def _spawn(self) -> None:
        assert self.workdir is not None and self.log_path is not None
        env = dict(os.environ)
        env.update(_OFFLINE_ENV)
        env["BQEMU_UPLOAD_STAGING_DIR"] = str(self.workdir / "uploads")
        env.pop("VIRTUAL_ENV", None)
        command = [
            str(EMULATOR_BIN),
            "start",
            "--rest-host",
            "127.0.0.1",
            "--rest-port",
            str(self.rest_port),
            "--grpc-host",
            "127.0.0.1",
            "--grpc-port",
            str(self.grpc_port),
            "--project",
            self.project,
            "--ephemeral",
            "--log-level",
            self.log_level,
        ]
        with self.log_path.open("ab") as log:
            log.write(f"$ {' '.join(command)}\n".encode())
            log.flush()
            self._proc = subprocess.Popen(
                command,
                cwd=self.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: stop() signals all of it
            )

    def _wait_healthy(self) -> None:
        assert self._proc is not None and self.log_path is not None
        # Loopback only: never go through an HTTP proxy from the environment.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        url = f"http://127.0.0.1:{self.rest_port}/healthz"
        deadline = time.monotonic() + self.start_timeout
        while True:
            code = self._proc.poll()
            if code is not None:
                raise EmulatorStartError(
                    f"bqemulator exited with code {code} during start-up "
                    f"(log: {self.log_path}):\n{_tail(self.log_path)}"
                )
            try:
                with opener.open(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise EmulatorStartError(
                    f"bqemulator did not answer {url} within {self.start_timeout:g} s "
                    f"(log: {self.log_path}):\n{_tail(self.log_path)}"
                )
            time.sleep(0.1)

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=DEFAULT_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=DEFAULT_STOP_TIMEOUT)
        # The leader is gone; make sure no child of it outlives it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


__all__ = [
    "DEFAULT_PROJECT",
    "EMULATOR_BIN",
    "INSTALL_SCRIPT",
    "MISSING_MESSAGE",
    "SPATIAL_HINT",
    "BigQueryEmulator",
    "EmulatorNotInstalledError",
    "EmulatorStartError",
    "emulator_available",
]
