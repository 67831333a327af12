"""``lorchestra.api.worker_pool``: workers exit when lorchestra does, ``kill -9`` included.

A real parent process starts a pool of two workers (spawn, then forkserver) that each write
their pid and then work for a minute; the test SIGKILLs the parent and every worker must be
gone within a few seconds. A plain ``ProcessPoolExecutor``'s workers outlive their parent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

PARENT = """
import sys, time
from pathlib import Path
from lorchestra.api import worker_pool

def work(folder: str) -> None:
    import os, time
    Path(folder, str(os.getpid())).write_text("")
    time.sleep(60)

if __name__ == "__main__":
    with worker_pool(2, method=sys.argv[2]) as pool:
        list(pool.map(work, [sys.argv[1]] * 2))
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_workers_exit_when_lorchestra_is_killed(tmp_path: Path, method: str) -> None:
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    pids = tmp_path / "pids"
    pids.mkdir()
    parent = subprocess.Popen([sys.executable, str(script), str(pids), method],
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(list(pids.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = [int(p.name) for p in pids.iterdir()]
    assert len(workers) == 2 and all(alive(pid) for pid in workers)

    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in workers), "a worker outlived lorchestra"


INITIALIZED = """
import os, sys
from lorchestra.api import worker_pool

STATE = {"ready": False}

def init() -> None:
    STATE["ready"] = True

def work(_: int) -> tuple[int, bool]:
    return os.getpid(), STATE["ready"]

if __name__ == "__main__":
    with worker_pool(2, method=sys.argv[1], initializer=init) as pool:
        results = list(pool.map(work, range(40)))
    print(all(ready for _, ready in results), len({pid for pid, _ in results}))
"""


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_initializer_runs_in_every_worker(tmp_path: Path, method: str) -> None:
    script = tmp_path / "initialized.py"
    script.write_text(INITIALIZED)
    done = subprocess.run([sys.executable, str(script), method], capture_output=True,
                          text=True, timeout=120, check=True)  # fmt: skip
    ready, workers = done.stdout.split()
    assert ready == "True" and 1 <= int(workers) <= 2


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux only")
def test_usable_cores_follow_the_process_affinity() -> None:
    """Under ``taskset`` (or a container's CPU set) the default worker count is that share."""
    code = (
        "import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
        "from lorchestra.api import usable_cores; print(usable_cores())"
    )
    pinned = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)  # fmt: skip
    assert pinned.stdout.strip() == "1"
    from lorchestra.api import usable_cores

    assert usable_cores() == len(os.sched_getaffinity(0))
