"""``upsert_ndjson`` writes what ``upsert_objects`` writes for the same file, in worker processes
or not, from a clear or a sealed file, and leaves no shared memory behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from lorchestra import sealed
from lorchestra.backup import read_backup
from lorchestra.config import Settings
from lorchestra.run_context import RunContext, new_run_id, running
from lorchestra.sealed import KeyRing, SealedFileError
from lorchestra.stack_clients import ndjson_upsert
from lorchestra.stack_clients.event_client import apply_rows, upsert_objects
from lorchestra.stack_clients.ndjson_upsert import NdjsonLoad, upsert_ndjson
from lorchestra.warehouse import Warehouse, installed_tables
from lorchestra.warehouse.duckdb_backend import DuckDBWarehouse
from lorchestra.warehouse.schema import RAW_OBJECTS

SOURCE = {"source_system": "gmail", "connection_name": "c", "object_type": "email"}
ROWS_SQL = (
    "SELECT idem_key, external_id, TO_JSON_STRING(payload) AS payload, payload_hash "
    "FROM raw_objects ORDER BY idem_key"
)


def messy_lines(count: int = 1_200) -> list[bytes]:
    """Records with repeated ids (within and across chunks), unicode, floats and nesting, with
    blank, padded, CRLF and broken lines, arrays, records without an id and a tap's marker."""
    lines: list[bytes] = []
    for number in range(count):
        record = {
            "id": str(number % 1_000),
            "version": number,
            "subject": "Ré: naïve café ☕" if number % 3 else "plain",
            "score": 2.5e3 if number % 2 else 7,
            "nested": {"z": [1, {"b": None, "a": True}], "a": "x"},
        }
        line = orjson.dumps(record)
        if number % 97 == 1:
            line = b"  " + line + b"\t"
        if number % 89 == 2:
            line += b"\r"
        lines.append(line)
        if number % 211 == 3:
            lines.append(b"not json at all")
        if number % 307 == 4:
            lines.append(b"")
            lines.append(b'["an", "array"]')
        if number % 401 == 5:
            lines.append(b'{"no_id_here": "CANARY"}')
        if number % 503 == 6:
            lines.append(b'{"_lorchestra_quarantine": {"line": 9, "reason": "invalid UTF-8"}}')
        if number % 251 == 7:
            lines.append(b'{"id": 12, "_sdc_extracted_at": "2026-12-01T00:00:00Z"}')
    return lines


def parsed(lines: list[bytes]) -> Iterator[Any]:
    """The lines as the ingester used to hand them to ``upsert_objects``."""
    for line in lines:
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict) and "_lorchestra_quarantine" not in value:
            yield {k: v for k, v in value.items() if not k.startswith("_sdc_")}


@pytest.fixture
def messy(tmp_path: Path) -> tuple[Path, list[bytes]]:
    lines = messy_lines()
    path = tmp_path / "extract.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path, lines


def load(warehouse: Warehouse, path: Path, **options: Any) -> NdjsonLoad:
    return upsert_ndjson(warehouse, path, external_id="id", strip_sdc=True, **SOURCE, **options)


def reference(settings: Settings, lines: list[bytes]) -> tuple[list[dict[str, Any]], Any]:
    """What ``upsert_objects`` writes and counts for the same records."""
    other = DuckDBWarehouse(settings.home / "reference.duckdb")
    try:
        other.ensure_tables(installed_tables().values())
        result = upsert_objects(
            other, parsed(lines), external_id="id", emit_event=False, **SOURCE
        )
        return other.query(ROWS_SQL), result
    finally:
        other.close()


@pytest.mark.parametrize(("jobs", "batch_size"), [(1, None), (2, None), (2, 250)])
def test_same_rows_and_counts_as_upsert_objects(
    warehouse: Warehouse,
    settings: Settings,
    messy: tuple[Path, list[bytes]],
    jobs: int,
    batch_size: int | None,
) -> None:
    path, lines = messy
    expected_rows, expected = reference(settings, lines)

    first = load(warehouse, path, jobs=jobs, chunk_bytes=8_000, batch_size=batch_size)
    assert warehouse.query(ROWS_SQL) == expected_rows
    assert first.result.counts() == expected.counts()
    assert [r.reason for r in first.result.rejections] == [r.reason for r in expected.rejections]
    assert (first.result.batches == 1) is (batch_size is None)

    again = load(warehouse, path, jobs=jobs, chunk_bytes=8_000, batch_size=batch_size)
    assert again.result.inserted == 0
    assert again.result.written == expected.written  # every record counted once more
    assert warehouse.query(ROWS_SQL) == expected_rows


def test_lines_not_written_are_numbered_in_the_file(
    duckdb_warehouse: Warehouse, messy: tuple[Path, list[bytes]]
) -> None:
    path, lines = messy
    done = load(duckdb_warehouse, path, jobs=2, chunk_bytes=5_000)
    by_number = dict(enumerate(lines, start=1))
    assert done.lines == len(lines)
    assert done.bad_lines and all(
        not by_number[n].startswith(b"{") for n, _ in done.bad_lines
    )
    assert {reason for _, reason in done.bad_lines} >= {"a JSON array, not an object"}
    assert all("CANARY" not in reason for _, reason in done.bad_lines + done.rejected_lines)
    assert [by_number[n] for n, _ in done.rejected_lines] == [
        b'{"no_id_here": "CANARY"}'
    ] * len(done.rejected_lines)
    assert [by_number[n] for n, _ in done.marked] == [
        line for line in lines if line.startswith(b'{"_lorchestra_quarantine"')
    ]
    assert done.marked[0][1] == {"line": 9, "reason": "invalid UTF-8"}


def test_a_sealed_file_loads_like_the_clear_one(
    duckdb_warehouse: Warehouse,
    settings: Settings,
    messy: tuple[Path, list[bytes]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, lines = messy
    ring = KeyRing(bytes(range(32)))
    monkeypatch.setattr(sealed, "_CHUNK", 4_000)  # many records, so several chunks
    sealed_file = sealed.seal_file(path, ring)
    assert len(sealed.record_spans(sealed_file)[1]) > 10
    expected_rows, expected = reference(settings, lines)

    done = load(duckdb_warehouse, sealed_file, ring=ring, jobs=2, chunk_bytes=9_000)
    assert duckdb_warehouse.query(ROWS_SQL) == expected_rows
    assert done.result.counts() == expected.counts()
    clear = load(duckdb_warehouse, path, jobs=1)
    assert (done.lines, done.bad_lines, done.rejected_lines) == (
        clear.lines, clear.bad_lines, clear.rejected_lines
    )

    with pytest.raises(SealedFileError, match="no key"):
        load(duckdb_warehouse, sealed_file)
    damaged = bytearray(sealed_file.read_bytes())
    damaged[-5] ^= 1
    sealed_file.write_bytes(bytes(damaged))
    with pytest.raises(SealedFileError, match="does not decrypt"):
        load(duckdb_warehouse, sealed_file, ring=ring, jobs=2, chunk_bytes=9_000)


def test_the_backup_holds_every_row_and_replays_to_the_same_table(
    duckdb_warehouse: Warehouse,
    settings: Settings,
    home: Path,
    messy: tuple[Path, list[bytes]],
) -> None:
    path, _ = messy
    context = RunContext(new_run_id(), home=home, settings=settings)
    with running(context):
        done = load(duckdb_warehouse, path, jobs=2, chunk_bytes=8_000)
    (backup,) = done.result.backup_files
    assert os.stat(backup).st_mode & 0o077 == 0
    rows = [row for spec, batch in read_backup(Path(backup), 10_000) for row in batch]
    assert {spec.name for spec, _ in read_backup(Path(backup), 10_000)} == {RAW_OBJECTS.name}
    assert len({row["idem_key"] for row in rows}) == done.result.inserted
    assert all(row["payload"] and row["first_seen"] for row in rows)

    rebuilt = DuckDBWarehouse(home / "rebuilt.duckdb")
    try:
        rebuilt.ensure_tables(installed_tables().values())
        apply_rows(rebuilt, RAW_OBJECTS, rows, backup=False)
        assert rebuilt.query(ROWS_SQL) == duckdb_warehouse.query(ROWS_SQL)
    finally:
        rebuilt.close()


@pytest.mark.parametrize("short", ["shared memory", "block room"])
def test_chunks_come_back_through_the_pipe_when_shared_memory_is_short(
    duckdb_warehouse: Warehouse,
    settings: Settings,
    messy: tuple[Path, list[bytes]],
    monkeypatch: pytest.MonkeyPatch,
    short: str,
) -> None:
    path, lines = messy
    if short == "shared memory":
        monkeypatch.setattr(ndjson_upsert, "_shared_memory_has", lambda size: False)
    else:  # the block is too small for what the worker made of the chunk
        monkeypatch.setattr(ndjson_upsert, "_ROOM_FACTOR", 0.01)
        monkeypatch.setattr(ndjson_upsert, "_ROOM_SLACK", 0)
    expected_rows, expected = reference(settings, lines)
    done = load(duckdb_warehouse, path, jobs=2, chunk_bytes=8_000)
    assert duckdb_warehouse.query(ROWS_SQL) == expected_rows
    assert done.result.counts() == expected.counts()


def test_no_shared_memory_is_left_behind_even_when_a_write_fails(
    settings: Settings, messy: tuple[Path, list[bytes]]
) -> None:
    if not Path("/dev/shm").is_dir():
        pytest.skip("shared memory is not a file system here (Linux only)")
    path, _ = messy
    before = set(os.listdir("/dev/shm"))

    class Failing(DuckDBWarehouse):
        calls = 0

        def merge(self, *args: Any, **kwargs: Any) -> dict[str, str]:
            self.calls += 1
            if self.calls == 2:
                raise RuntimeError("disk gone")
            return super().merge(*args, **kwargs)

    warehouse = Failing(settings.duckdb_path)
    try:
        warehouse.ensure_tables(installed_tables().values())
        with pytest.raises(RuntimeError, match="disk gone"):
            load(warehouse, path, jobs=2, chunk_bytes=4_000, batch_size=100)
        load(warehouse, path, jobs=2, chunk_bytes=4_000, batch_size=100)
    finally:
        warehouse.close()
    assert set(os.listdir("/dev/shm")) <= before


@pytest.mark.parametrize("content", [b"", b"\n\n", b'{"id": "only"}'])
def test_an_empty_file_or_one_line_without_newline(
    duckdb_warehouse: Warehouse, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "extract.jsonl"
    path.write_bytes(content)
    done = load(duckdb_warehouse, path, jobs=2, chunk_bytes=1)
    assert done.result.inserted == (1 if content.startswith(b"{") else 0)
    assert done.lines == content.count(b"\n") + (not content.endswith(b"\n") and bool(content))
    assert not done.bad_lines


KILLED_LOAD = """
import sys, time
from pathlib import Path
from lorchestra.stack_clients.ndjson_upsert import upsert_ndjson
from lorchestra.warehouse import installed_tables
from lorchestra.warehouse.duckdb_backend import DuckDBWarehouse

class Stuck(DuckDBWarehouse):
    def merge(self, *args, **kwargs):
        print("merging", flush=True)
        time.sleep(600)

if __name__ == "__main__":
    warehouse = Stuck(Path(sys.argv[2]))
    warehouse.ensure_tables(installed_tables().values())
    upsert_ndjson(warehouse, Path(sys.argv[1]), source_system="gmail", connection_name="c",
                  object_type="email", external_id="id", jobs=2, chunk_bytes=4_000)
"""


@pytest.mark.slow
def test_a_killed_load_leaves_no_payloads_in_shared_memory(
    tmp_path: Path, messy: tuple[Path, list[bytes]]
) -> None:
    """``kill -9`` while chunks wait in shared memory: the blocks (clear payloads, in RAM) are
    removed once lorchestra and its workers are gone, by multiprocessing's resource tracker."""
    if not Path("/dev/shm").is_dir():
        pytest.skip("shared memory is not a file system here (Linux only)")
    path, _ = messy
    script = tmp_path / "killed_load.py"
    script.write_text(KILLED_LOAD)
    before = set(os.listdir("/dev/shm"))
    load_process = subprocess.Popen(
        [sys.executable, str(script), str(path), str(tmp_path / "w.duckdb")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert load_process.stdout is not None
    assert load_process.stdout.readline().strip() == "merging"
    made = set(os.listdir("/dev/shm")) - before
    assert made, "the load had no chunk waiting in shared memory"
    assert all((Path("/dev/shm") / name).stat().st_mode & 0o077 == 0 for name in made)
    load_process.send_signal(signal.SIGKILL)
    load_process.wait()
    load_process.stdout.close()
    deadline = time.monotonic() + 15
    while made & set(os.listdir("/dev/shm")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert made & set(os.listdir("/dev/shm")) == set()
