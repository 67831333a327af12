"""Several real extractions through one reused Meltano process (`MeltanoHost`), and the locks that
let extractions of different taps run at once (slow: real Meltano runs)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import ingestor
from ingestor import ExtractCancelled, ExtractError, LockTimeoutError, MeltanoHost
from ingestor._project import plugin_lock, project_lock

pytestmark = pytest.mark.slow


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _host() -> MeltanoHost:
    host = MeltanoHost.for_meltano(ingestor.find_meltano())
    assert host is not None, "the venv's meltano is a Python script"
    return host


def test_one_host_runs_extractions_each_with_its_own_settings(
        meltano_project: Path, tmp_path: Path, write_jsonl: Any) -> None:
    sources = {name: write_jsonl(f"{name}.jsonl", [{"id": f"{name}-{i}", "n": i}
                                                   for i in range(count)])
               for name, count in (("a", 3), ("b", 5), ("c", 0))}
    host = _host()
    try:
        outputs = {
            name: ingestor.extract_to_jsonl(tap, f"run-{name}", config={"path": str(src)},
                                            project_dir=meltano_project,
                                            output_root=tmp_path / "out", host=host)
            for (name, src), tap in zip(sources.items(), ("tap-gmail-sample",
                                                          "tap-stripe-sample",
                                                          "tap-gmail-sample"), strict=True)
        }
        pid = host._process.pid if host._process else None
        assert pid is not None  # one process served all three
        # A failing command is reported like a plain run's, and the host serves the next one.
        broken = tmp_path / "broken"
        (broken / "b.jsonl").mkdir(parents=True)  # a "file" the tap cannot open: it crashes
        with pytest.raises(ExtractError, match="exited with code 1") as caught:
            ingestor.extract_to_jsonl("tap-gmail-sample", "run-bad",
                                      config={"path": str(broken / "*.jsonl")},
                                      project_dir=meltano_project,
                                      output_root=tmp_path / "out", host=host)
        assert any("IsADirectoryError" in line for line in caught.value.log_tail)
        assert host._process is not None and host._process.pid == pid
        again = ingestor.extract_to_jsonl("tap-gmail-sample", "run-again",
                                          config={"path": str(sources["b"])},
                                          project_dir=meltano_project,
                                          output_root=tmp_path / "out", host=host)
    finally:
        host.close()
    assert [r["id"] for r in _lines(outputs["a"])] == ["a-0", "a-1", "a-2"]
    assert [r["id"] for r in _lines(outputs["b"])] == [f"b-{i}" for i in range(5)]
    assert outputs["c"].read_bytes() == b""
    assert _lines(again) == _lines(outputs["b"])
    assert not (tmp_path / "out" / "tap-gmail-sample" / "run-bad").exists()


def test_a_cancelled_host_run_stops_and_leaves_nothing(
        meltano_project: Path, tmp_path: Path, write_jsonl: Any) -> None:
    src = write_jsonl("a.jsonl", [{"id": "1"}])
    cancel = threading.Event()
    cancel.set()
    host = _host()
    try:
        with pytest.raises(ExtractCancelled):
            ingestor.extract_to_jsonl("tap-gmail-sample", "run-cancelled",
                                      config={"path": str(src)}, project_dir=meltano_project,
                                      output_root=tmp_path / "out", host=host, cancel=cancel)
        assert host._process is None  # stopped; the next command starts a new one
        out = ingestor.extract_to_jsonl("tap-gmail-sample", "run-after",
                                        config={"path": str(src)},
                                        project_dir=meltano_project,
                                        output_root=tmp_path / "out", host=host)
    finally:
        host.close()
    assert not (tmp_path / "out" / "tap-gmail-sample" / "run-cancelled").exists()
    assert _lines(out) == [{"id": "1"}]


def test_plugin_locks_serialise_one_tap_not_two(tmp_path: Path) -> None:
    (tmp_path / "meltano.yml").write_text("plugins: {}\n")
    with project_lock(tmp_path, shared=True), plugin_lock(tmp_path, "tap-a"):
        with project_lock(tmp_path, timeout=0.2, shared=True), plugin_lock(tmp_path, "tap-b",
                                                                           timeout=0.2):
            pass  # another tap runs at the same time
        started = time.monotonic()
        with pytest.raises(LockTimeoutError, match="Meltano run of tap-a"):
            with plugin_lock(tmp_path, "tap-a", timeout=0.3):
                pass
        assert time.monotonic() - started >= 0.3
        with pytest.raises(LockTimeoutError):  # `meltano install` waits for every run
            with project_lock(tmp_path, timeout=0.2):
                pass
