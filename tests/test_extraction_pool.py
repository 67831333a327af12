"""The ingest stage's extraction pool: bounded, one run per tap at a time, claimed by window.

The extraction itself is replaced by a function that records what runs at once (the real
Meltano runs through the pool are tests/test_e2e_ingest.py's); everything else is the pool.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lorchestra.config import load_settings
from lorchestra.connections import Connection
from lorchestra.jobs import prefetch
from lorchestra.jobs.prefetch import Extraction, ExtractionPool


def connection(key: str, tap: str) -> Connection:
    return Connection(key=key, source_system="gmail", connection_name=key.split("/")[0],
                      object_type="email", tap=tap, external_id="id", settings={})


class Recorder:
    """Stands in for the Meltano run: notes overlaps, writes a file, fails on request."""

    def __init__(self, root: Path, fail: frozenset[str] = frozenset()) -> None:
        self.root = root
        self.fail = fail
        self.lock = threading.Lock()
        self.running: list[str] = []
        self.peak = 0
        self.overlapping_taps: list[str] = []
        self.order: list[str] = []

    def __call__(self, extraction: Extraction, host: object) -> Path:
        key, tap = extraction.connection.key, extraction.connection.tap
        with self.lock:
            if tap in self.running:
                self.overlapping_taps.append(tap)
            self.running.append(tap)
            self.peak = max(self.peak, len(self.running))
            self.order.append(key)
        time.sleep(0.05)
        with self.lock:
            self.running.remove(tap)
        if key in self.fail:
            raise RuntimeError(f"{key} failed")
        path = self.root / key.replace("/", "__") / "out.jsonl"
        path.parent.mkdir(parents=True)
        path.write_text("{}\n")
        return path


@pytest.fixture
def pool(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ExtractionPool]:
    monkeypatch.setattr(ExtractionPool, "_new_host", lambda self: None)
    settings = load_settings(environ={"LORCHESTRA_HOME": str(home)})
    yield prefetch.start(settings, jobs=2)
    prefetch.stop()


def test_two_at_once_never_one_tap_twice_and_claimed_by_window(
        pool: ExtractionPool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder(tmp_path / "out", fail=frozenset({"c2/email"}))
    monkeypatch.setattr(ExtractionPool, "_extract", recorder)
    conns = [connection("a1/email", "tap-a"), connection("a2/email", "tap-a"),
             connection("a3/email", "tap-a"), connection("b1/email", "tap-b"),
             connection("c1/email", "tap-c"), connection("c2/email", "tap-c")]
    for conn in conns:
        pool.submit(conn, "2026-01-01T00:00:00Z", None)
    assert pool.claim(conns[0], "2026-01-02T00:00:00Z", None) is None  # another window
    claimed = [pool.claim(conn, "2026-01-01T00:00:00Z", None) for conn in conns]
    assert all(c is not None for c in claimed)
    paths = []
    for extraction in claimed[:-1]:
        assert extraction is not None
        paths.append(extraction.result())
    with pytest.raises(RuntimeError, match="c2/email failed"):
        assert claimed[-1] is not None
        claimed[-1].result()
    prefetch.stop()
    assert recorder.peak == 2 and recorder.overlapping_taps == []
    assert sorted(recorder.order) == sorted(c.key for c in conns)
    assert all(p.exists() for p in paths)  # claimed: the jobs own (and delete) them
    assert prefetch.active() is None


def test_close_cancels_and_deletes_what_no_job_claimed(
        pool: ExtractionPool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder(tmp_path / "out")
    monkeypatch.setattr(ExtractionPool, "_extract", recorder)
    conns = [connection(f"x{i}/email", f"tap-{i}") for i in range(6)]
    for conn in conns:
        pool.submit(conn, None, None)
    first = pool.claim(conns[0], None, None)
    assert first is not None
    kept = first.result()
    time.sleep(0.1)  # some of the others have run meanwhile
    prefetch.stop()
    assert kept.exists()
    left = [p for p in (tmp_path / "out").rglob("*.jsonl") if p != kept]
    assert left == []  # unclaimed outputs removed

