"""Argument conversion, time windows, discovery over fake entry points, and settings."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from lorchestra.arguments import JobSignature, parse_job_options
from lorchestra.config import load_settings
from lorchestra.discovery import discover, find_job
from lorchestra.errors import ConfigError, InvalidJobArguments, JobLoadError, JobNotFound
from lorchestra.timespec import parse_instant
from tests.fake_entry_points import fake_entry_points
from tests.jobs_for_tests.jobs import hello

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def parse(*tokens: str, job: Any = hello) -> dict[str, Any]:
    return parse_job_options(JobSignature.of(job), list(tokens), now=NOW)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-7d", datetime(2026, 11, 15, 12, 0, tzinfo=UTC)),
        ("-12h", datetime(2026, 11, 22, 0, 0, tzinfo=UTC)),
        ("-2w", datetime(2026, 11, 8, 12, 0, tzinfo=UTC)),
        ("-30m", datetime(2026, 11, 22, 11, 30, tzinfo=UTC)),
        ("2026-01-31", datetime(2026, 1, 31, tzinfo=UTC)),
        ("2026-01-31T10:00:00+02:00", datetime(2026, 1, 31, 8, tzinfo=UTC)),
        ("2026-01-31T10:00:00Z", datetime(2026, 1, 31, 10, tzinfo=UTC)),
    ],
)
def test_parse_instant(text: str, expected: datetime) -> None:
    assert parse_instant(text, NOW) == expected


def test_conversion_by_annotation() -> None:
    kwargs = parse(
        "--account",
        "acct1",
        "--since",
        "-7d",
        "--count=4",
        "--ratio",
        "0.25",
        "--verbose",
        "--day",
        "2026-01-02",
        "--tags",
        "a,b",
        "--tags",
        "c",
    )
    assert kwargs == {
        "account": "acct1",
        "since": "2026-11-15T12:00:00Z",
        "count": 4,
        "ratio": 0.25,
        "verbose": True,
        "day": date(2026, 1, 2),
        "tags": ["a", "b", "c"],
    }


def test_booleans_take_values_and_negation() -> None:
    assert parse("--verbose", "false")["verbose"] is False
    assert parse("--no-verbose")["verbose"] is False
    assert parse("--verbose", "--count", "1")["verbose"] is True


def test_values_never_echoed_in_errors() -> None:
    with pytest.raises(InvalidJobArguments) as error:
        parse("--count", "jane@example.org")
    assert "jane" not in str(error.value)


def test_until_before_since_is_refused() -> None:
    with pytest.raises(InvalidJobArguments, match="--until is before --since"):
        parse("--since", "-1d", "--until", "-2d")


def test_discovery_reads_only_lorchestra_groups() -> None:
    refs = discover(fake_entry_points())
    assert {r.package for r in refs} == {"testpkg", "brokenpkg"}
    assert find_job("testpkg", "hello", fake_entry_points()).target.endswith(":hello")
    with pytest.raises(JobNotFound):
        find_job("testpkg", "missing", fake_entry_points())
    broken = find_job("brokenpkg", "broken", fake_entry_points())
    with pytest.raises(JobLoadError, match="cannot load job 'broken': ModuleNotFoundError"):
        broken.load()


def test_discovery_does_not_import_job_modules() -> None:
    eps = [metadata.EntryPoint("x", "tests.never_imported_module:job", "lorchestra.jobs.p")]
    assert [r.name for r in discover(eps)] == ["x"]


def test_settings_precedence(tmp_path: Path) -> None:
    config = tmp_path / "lorchestra.toml"
    config.write_text(
        'home = "/from/file"\n[warehouse]\nbatch_size = 10\n[duckdb]\nlock_timeout = 3\n'
    )
    env = {
        "LORCHESTRA_HOME": "/from/env",
        "LORCHESTRA_BQ_DATASET": "ds",
        "BQ_EVENTS_DATASET": "old",
    }
    settings = load_settings(config, {"warehouse.batch_size": 99}, environ=env)
    assert settings.home == Path("/from/env")
    assert settings.warehouse.batch_size == 99
    assert settings.duckdb.lock_timeout == 3
    assert settings.bigquery.dataset == "ds"
    assert load_settings(environ={"BQ_EVENTS_DATASET": "old"}).bigquery.dataset == "old"


def test_relative_paths_are_fixed_where_lorchestra_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {
        "LORCHESTRA_HOME": ".demo/home",
        "LORCHESTRA_SAMPLE_DATA": "data",
        "LORCHESTRA_DUCKDB_PATH": ":memory:",
    }
    settings = load_settings(environ=env)
    assert settings.home == tmp_path / ".demo" / "home"
    assert settings.sample_data == tmp_path / "data"
    assert str(settings.duckdb_path) == ":memory:"


def test_bad_configuration_is_one_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "lorchestra.toml"
    config.write_text("[warehouse]\nbackend = 'oracle'\n")
    with pytest.raises(ConfigError, match="Invalid setting warehouse.backend"):
        load_settings(config, environ={})
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml", environ={})


def test_duckdb_memory_limit_setting() -> None:
    from lorchestra.errors import TerminalWarehouseError
    from lorchestra.warehouse.duckdb_backend import DuckDBWarehouse

    warehouse = DuckDBWarehouse(":memory:", memory_limit="512MB")
    try:
        limit = warehouse.query("SELECT current_setting('memory_limit') AS m")[0]["m"]
        assert limit.replace(" ", "").upper().startswith(("488.2MIB", "512", "488"))
    finally:
        warehouse.close()
    with pytest.raises(TerminalWarehouseError, match="must be a size like 2GB"):
        DuckDBWarehouse(":memory:", memory_limit="lots; DROP TABLE x")


def test_duckdb_buffer_pool_is_capped_while_writing() -> None:
    """A batch write runs under WRITE_MEMORY_LIMIT, so a long load does not keep every block it
    wrote (benchmarks: `upsert 1M`); queries keep DuckDB's limit (or duckdb.memory_limit), and a
    user limit below the write cap is never raised."""
    from lorchestra.warehouse.duckdb_backend import WRITE_MEMORY_LIMIT, DuckDBWarehouse

    def limit(warehouse: DuckDBWarehouse) -> str:
        value = warehouse.query("SELECT current_setting('memory_limit') AS m")[0]["m"]
        return str(value).replace(" ", "").upper()

    assert WRITE_MEMORY_LIMIT == "256MB"
    for configured, outside in ((None, None), ("2GB", "1.8GIB"), ("100MB", "95.3MIB")):
        warehouse = DuckDBWarehouse(":memory:", memory_limit=configured)
        try:
            before = limit(warehouse)
            assert outside is None or before == outside
            assert before != "244.1MIB"  # 256,000,000 bytes: not the query limit
            with warehouse.writing():
                assert limit(warehouse) == ("95.3MIB" if configured == "100MB" else "244.1MIB")
            assert limit(warehouse) == before
        finally:
            warehouse.close()


def test_duckdb_gives_query_memory_back_but_not_while_writing(tmp_path: Path) -> None:
    """Queries run with QUERY_ALLOCATOR_FLUSH (freed memory goes back to the system: the local
    sync's peak at 50x the demo fell from 585 to ~450 MB); batch writes with DuckDB's defaults;
    a sandboxed warehouse, whose configuration is locked, keeps the query setting."""
    from lorchestra.warehouse.duckdb_backend import QUERY_ALLOCATOR_FLUSH, DuckDBWarehouse

    def flush(warehouse: DuckDBWarehouse) -> tuple[int, int]:
        row = warehouse.query(
            "SELECT current_setting('allocator_flush_threshold') AS a, "
            "current_setting('allocator_bulk_deallocation_flush_threshold') AS b"
        )[0]
        return size(row["a"]), size(row["b"])

    def size(shown: object) -> int:  # DuckDB shows '1MB', '976.5 KiB' or '134217728B'
        units = {"B": 1, "MB": 10**6, "KIB": 2**10, "MIB": 2**20}
        text = str(shown).replace(" ", "").upper()
        number = text.rstrip("KMIB")
        return round(float(number) * units[text[len(number) :]], -3)

    query, default = (1_000_000, 1_000_000), (134_218_000, 536_871_000)

    assert QUERY_ALLOCATOR_FLUSH == "1MB"
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
    try:
        assert flush(warehouse) == query
        with warehouse.writing():
            assert flush(warehouse) == default  # DuckDB's: 128 MiB and 512 MiB
        assert flush(warehouse) == query
    finally:
        warehouse.close()
    sandboxed = DuckDBWarehouse(tmp_path / "w.duckdb", read_only=True, sandboxed=True)
    try:
        with sandboxed.writing():
            assert flush(sandboxed) == query
    finally:
        sandboxed.close()


def test_reading_and_logging_do_not_import_pyarrow(tmp_path: Path) -> None:
    """pyarrow (~45 MB resident) is imported by the first batch write, not by a reader or by
    a few rows appended (a run's events)."""
    script = (
        "import sys\n"
        "from lorchestra.warehouse.duckdb_backend import DuckDBWarehouse\n"
        "from lorchestra.warehouse.schema import TableSpec, Column\n"
        "from lorchestra.stack_clients.event_client import emit, upsert_objects\n"
        f"w = DuckDBWarehouse({str(tmp_path / 'r.duckdb')!r})\n"
        "assert w.query('SELECT 42 AS n') == [{'n': 42}]\n"
        "print('pyarrow', 'pyarrow' in sys.modules)\n"
        "spec = TableSpec('t', (Column('k', 'STRING', required=True),))\n"
        "w.append(spec, [{'k': 'a'}])\n"
        "emit(w, 'test.event', 'test', {'n': 1})\n"
        "print('pyarrow', 'pyarrow' in sys.modules)\n"
        "upsert_objects(w, [{'id': 1}], source_system='s', connection_name='c',\n"
        "               object_type='o', external_id='id', emit_event=False)\n"
        "print('pyarrow', 'pyarrow' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)  # fmt: skip
    seen = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("pyarrow ")]
    assert seen == ["False", "False", "True"]
