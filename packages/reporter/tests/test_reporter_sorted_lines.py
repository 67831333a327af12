"""The external merge sort behind local.db's content hash: the same order as ``sorted()``,
private run files beside the database being built, all removed afterwards."""

from __future__ import annotations

import random
import stat
import tracemalloc
from pathlib import Path

import orjson

from reporter.sorted_lines import SortedLines


def lines(count: int) -> list[bytes]:
    rng = random.Random(7)
    values: list[object] = ["", "a", "ä", "\n", None, True, 0, -1.5, 10**12]
    return [
        orjson.dumps([rng.choice(values), f"k{rng.randrange(count)}", rng.random()])
        for _ in range(count)
    ] + [b"", b"[]", b"[]"]  # empty and duplicate lines too


def test_spilled_runs_merge_in_bytes_order_and_are_removed(tmp_path: Path) -> None:
    data = lines(5_000)
    prefix = tmp_path / "local.db.tmp-run"
    with SortedLines(prefix, run_bytes=20_000) as sorter:
        for line in data:
            sorter.add(line)
        runs = sorted(tmp_path.glob("local.db.tmp-run.sort-*"))
        assert len(runs) > 5
        assert all(stat.S_IMODE(run.stat().st_mode) == 0o600 for run in runs)
        assert list(sorter) == sorted(data)
    assert list(tmp_path.iterdir()) == []


def test_small_input_never_touches_the_disk(tmp_path: Path) -> None:
    data = lines(100)
    with SortedLines(tmp_path / "x") as sorter:
        for line in data:
            sorter.add(line)
        assert list(tmp_path.iterdir()) == []
        assert list(sorter) == sorted(data)


def test_held_lines_cost_their_length_not_the_callers_buffer(tmp_path: Path) -> None:
    # orjson returns bytes that keep a 4 KB allocation however short the output: held as
    # given, 16 MB of short lines pinned ~150 MB while local.db was built.
    rng = random.Random(3)
    values = [[f"k{rng.randrange(10**6)}", rng.random()] for _ in range(20_000)]
    size = sum(len(orjson.dumps(value)) for value in values)
    tracemalloc.start()
    try:
        with SortedLines(tmp_path / "x", run_bytes=1 << 30) as sorter:
            before = tracemalloc.get_traced_memory()[0]
            for value in values:
                sorter.add(orjson.dumps(value))
            held = tracemalloc.get_traced_memory()[0] - before
            assert list(sorter) == sorted(orjson.dumps(value) for value in values)
    finally:
        tracemalloc.stop()
    assert held < size + 100 * len(values), (held, size)
