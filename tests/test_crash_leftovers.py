"""Crashes leave nothing behind: ``kill -9`` of lorchestra during ingest, five times.

Drives the real executable. The Google Forms tap talks to a local server that accepts
connections and never answers, so every Meltano run would hang until its request timeout;
lorchestra is killed with SIGKILL at different points while one is under way. Within a few
seconds no process of that home is left (Meltano, the tap, the target: the guard stops their
group). The next run removes the dead runs' extract folders and marks their runs ``abandoned``,
so none stays ``running`` in ``runs list``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import ingestor

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow
KILLS = 5
GRACE_S = 12.0  # the guard sends TERM at once and KILL after 5 s; slack for a loaded machine


@pytest.fixture
def silent_api() -> Iterator[str]:
    """A URL whose server completes the TCP handshake and then never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.close()


def processes_of(home: Path, exclude: int) -> dict[int, str]:
    """Live processes whose environment names this home (lorchestra's children inherit it)."""
    marker = f"LORCHESTRA_HOME={home}".encode()
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == exclude:
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    cmd = (entry / "cmdline").read_bytes()[:200]
                    found[int(entry.name)] = cmd.decode(errors="replace")
        except OSError:
            continue
    return found


def wait_for_meltano(home: Path, lorchestra: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and lorchestra.poll() is None:
        if any("meltano" in cmd for cmd in processes_of(home, lorchestra.pid).values()):
            return True
        time.sleep(0.05)
    return False


def test_kills_during_ingest_leave_nothing_behind(tmp_path: Path, silent_api: str) -> None:
    ingestor.install_project()
    home = tmp_path / "home"
    config = tmp_path / "lorchestra.toml"
    config.write_text(
        "[connections.forms-intake]\n"
        'source_system = "google_forms"\ntap = "tap-google-forms"\n'
        'object_type = "form_response"\nexternal_id = "responseId"\n'
        f'settings = {{ api_url = "{silent_api}", token_url = "{silent_api}/token", '
        'client_id = "synthetic", form_ids = ["form_intake_v1"], request_timeout = 600 }\n'
        'secrets = { client_secret = "FORMS_SECRET", refresh_token = "FORMS_REFRESH" }\n'
    )
    config.chmod(0o600)
    env = {**{k: v for k, v in os.environ.items() if k != "LORCHESTRA_SAMPLE_DATA"},
           "LORCHESTRA_HOME": str(home), "LORCHESTRA_CONFIG": str(config),
           "FORMS_SECRET": "s", "FORMS_REFRESH": "r"}
    for delay in (0.0, 0.5, 1.0, 2.0, 4.0)[:KILLS]:  # at different points of the Meltano run
        lorchestra = subprocess.Popen([str(BIN / "lorchestra"), "run-job", "ingester",
                                       "extract_forms"], env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
        assert wait_for_meltano(home, lorchestra), "no Meltano run started"
        time.sleep(delay)
        lorchestra.send_signal(signal.SIGKILL)
        lorchestra.wait()
        deadline = time.monotonic() + GRACE_S
        while processes_of(home, lorchestra.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert processes_of(home, lorchestra.pid) == {}, "a child outlived lorchestra"
    left = [p for p in (home / "extract").rglob("*") if p.is_dir()]
    assert left, "the kills left no extract folder to clean up"
    (left[-1] / "partial.jsonl").write_text('{"responseId": "r1"}\n')  # as a target had begun

    ran = subprocess.run([str(BIN / "lorchestra"), "run-job", "final_form", "score_measurements"],
                         env=env, capture_output=True, text=True, timeout=600)
    assert ran.returncode == 0, ran.stderr
    # Each killed run's successor marked it; this run marks the last one.
    assert "1 run(s) marked abandoned, 1 extract file(s) removed" in ran.stderr
    assert list((home / "extract").iterdir()) == []
    listed = subprocess.run([str(BIN / "lorchestra"), "runs", "list", "--json"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    statuses = [row["status"] for row in json.loads(listed.stdout)]
    assert "running" not in statuses
    assert statuses.count("abandoned") == KILLS and statuses.count("completed") == 1
    status = subprocess.run([str(BIN / "lorchestra"), "status"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert "running" not in status.stdout
