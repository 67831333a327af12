"""Test hook: ``kill -9`` of lorchestra inside its atomic file writer, at a chosen write.

Loaded only when a test puts this directory on ``PYTHONPATH`` (Python imports
``sitecustomize`` at start-up), so no lorchestra code carries a fault switch. With
``LORCHESTRA_TEST_KILL_IN_WRITE="<glob>:<n>"`` the n-th call of ``lorchestra.home.write_private``
whose path, relative to ``LORCHESTRA_HOME``, matches ``<glob>`` (fnmatch, e.g.
``reports/*/*.pdf``) runs the real writer on half of the bytes and then SIGKILLs its own
process: the temp file exists, partly written, and the target is not yet replaced, exactly
where a power cut or ``kill -9`` would leave it. Other programs started with this
``PYTHONPATH`` (Meltano, taps) have no ``lorchestra`` and are left alone.
"""

from __future__ import annotations

import fnmatch
import os
import signal
from collections.abc import Iterable, Iterator
from pathlib import Path


def _install(spec: str) -> None:
    try:
        import lorchestra.home as home_module
    except ImportError:
        return
    pattern, _, nth = spec.rpartition(":")
    wanted, seen = int(nth), 0
    original = home_module.write_private

    def write_private(path: Path, data: bytes | Iterable[bytes]) -> None:
        nonlocal seen
        home = Path(os.environ.get("LORCHESTRA_HOME", "/nonexistent")).resolve()
        try:
            relative = str(Path(path).resolve().relative_to(home))
        except ValueError:
            relative = ""
        if relative and fnmatch.fnmatch(relative, pattern):
            seen += 1
            if seen == wanted:
                original(path, _half_then_die(data))
        original(path, data)

    home_module.write_private = write_private  # type: ignore[assignment]


def _half_then_die(data: bytes | Iterable[bytes]) -> Iterator[bytes]:
    whole = data if isinstance(data, bytes) else b"".join(data)
    yield whole[: len(whole) // 2]
    os.kill(os.getpid(), signal.SIGKILL)


if os.environ.get("LORCHESTRA_TEST_KILL_IN_WRITE"):
    _install(os.environ["LORCHESTRA_TEST_KILL_IN_WRITE"])
