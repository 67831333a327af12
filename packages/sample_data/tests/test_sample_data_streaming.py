"""Generation streams: 200,000 records are written in the memory that 2,000 take.

tracemalloc slows this generator about fivefold, so the large run measures the peak resident set
of child processes instead (VmHWM from /proc, which starts afresh at exec; `ru_maxrss` would
carry over the parent pytest's peak through fork): each writes a small data set, then its share
of the 200,000-record one (email in one child, everything else in the other, in parallel to keep
the suite fast), and its peak must barely move. A short traced run checks the streaming path
itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

import sample_data

_CHILD = """
import json, sys
import sample_data
def peak_kb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM")
out, small, big, only = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].split(",")
sample_data.generate(out + "/small", size=small, sources=only)
rss_small = peak_kb()
manifest = sample_data.generate(out + "/big", size=big, sources=only)
rss_big = peak_kb()
print(json.dumps({"small_kb": rss_small, "big_kb": rss_big,
                  "files": {f.path: f.records for f in manifest.files}}))
"""
SIZE = 200_000


@pytest.mark.slow
def test_200k_records_stream_in_flat_memory(tmp_path: Path) -> None:
    halves = ["gmail,exchange", "google_forms,dataverse,stripe"]
    children = [
        subprocess.Popen([sys.executable, "-c", _CHILD, str(tmp_path / str(i)), "2000",
                          str(SIZE), only], stdout=subprocess.PIPE, text=True)
        for i, only in enumerate(halves)
    ]
    files: dict[str, int] = {}
    outputs = [child.communicate(timeout=600)[0] for child in children]
    for child, out in zip(children, outputs, strict=True):
        assert child.returncode == 0
        result = json.loads(out)
        files.update(result["files"])
        growth_mb = (result["big_kb"] - result["small_kb"]) / 1024
        assert growth_mb < 10, result
        assert result["big_kb"] / 1024 < 100, result
    assert files == sample_data.expected_counts(size=SIZE)
    assert sum(files.values()) == SIZE


def test_iter_records_traced_peak_is_small() -> None:
    tracemalloc.start()
    try:
        n = sum(1 for _ in sample_data.iter_records("gmail", "gmail-acct1", "email", count=500))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 500
    assert peak < 8 * 1024 * 1024
