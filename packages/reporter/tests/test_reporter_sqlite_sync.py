"""The local SQLite copy: whole-file swaps, readers never see a half-written database,
re-runs without changes are detected and leave the file alone, and the file is private.
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lorchestra.errors import WarehouseError
from reporter import jobs, local_tables
from reporter.local_tables import LOCAL_TABLES
from reporter.sqlite_sync import read_content_hash

RunJob = Callable[..., dict[str, Any]]


def count(path: Path, table: str) -> int:
    con = sqlite3.connect(path)
    try:
        return int(con.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])
    finally:
        con.close()


def test_first_sync_writes_every_table_privately(seeder: Any, run_job: RunJob, home: Path) -> None:
    result = run_job(jobs.sync_sqlite)
    db = home / "local.db"
    assert result["changed"] is True
    assert result["rows"] == {
        "inbox_view": 0,
        "measurement_timeseries": 3,
        "reporting_snapshots": 3,
        "contacts": 2,
        "sessions": 3,
        "session_documents": 9,
        "clinical_reports": 0,
        "measurement_events": 3,
        "observations": 3,
    }
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert read_content_hash(db) == result["content_hash"]
    with pytest.MonkeyPatch.context() as patch:  # a relative path reads the same file
        patch.chdir(db.parent)
        assert read_content_hash(Path(db.name)) == result["content_hash"]
    assert [p.name for p in home.iterdir() if p.name.startswith("local.db")] == ["local.db"]
    con = sqlite3.connect(db)
    try:
        contact = con.execute(
            "SELECT contact_id, email, active FROM contacts ORDER BY contact_id"
        ).fetchone()
        event = con.execute(
            "SELECT occurred_at, score, flags, prorated FROM measurement_events "
            "WHERE event_key = 'e2'"
        ).fetchone()
        meta = dict(con.execute("SELECT key, value FROM _meta").fetchall())
    finally:
        con.close()
    assert contact == ("c-0001", "Alex.Client@Example.test", 1)
    assert event == ("2026-03-09T10:00:00Z", 8.0, '{"item9_positive":true}', 0)
    assert meta["rows.sessions"] == "3" and meta["schema_version"] == "2"


def test_resync_without_changes_keeps_the_file(seeder: Any, run_job: RunJob, home: Path) -> None:
    first = run_job(jobs.sync_sqlite)
    db = home / "local.db"
    os.utime(db, ns=(1_000_000_000, 1_000_000_000))
    before = db.read_bytes()
    second = run_job(jobs.sync_sqlite)
    assert second["changed"] is False
    assert second["content_hash"] == first["content_hash"]
    assert second["rows"] == first["rows"]
    assert db.stat().st_mtime_ns == 1_000_000_000
    assert db.read_bytes() == before
    assert [p.name for p in home.iterdir() if p.name.startswith("local.db")] == ["local.db"]


def test_a_change_replaces_the_file(seeder: Any, run_job: RunJob, home: Path) -> None:
    first = run_job(jobs.sync_sqlite)
    seeder.contact("c-0003", "Casey Client", "casey@example.test")
    second = run_job(jobs.sync_sqlite)
    assert second["changed"] is True
    assert second["content_hash"] != first["content_hash"]
    assert count(home / "local.db", "contacts") == 3
    assert stat.S_IMODE((home / "local.db").stat().st_mode) == 0o600


def test_an_open_reader_keeps_its_consistent_database(
    seeder: Any, run_job: RunJob, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_job(jobs.sync_sqlite)
    db = home / "local.db"
    reader = sqlite3.connect(db)
    reader.execute("BEGIN")
    assert reader.execute("SELECT COUNT(*) FROM contacts").fetchone() == (2,)

    seen_before_swap: list[tuple[int, str]] = []
    real_replace = os.replace

    def checking_replace(src: Any, dst: Any) -> None:
        # The new file is complete before it becomes visible under the real name.
        con = sqlite3.connect(f"{Path(src).as_uri()}?mode=ro", uri=True)
        try:
            assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            seen_before_swap.append(
                (
                    con.execute("SELECT COUNT(*) FROM contacts").fetchone()[0],
                    con.execute("SELECT value FROM _meta WHERE key = 'content_hash'").fetchone()[0],
                )
            )
        finally:
            con.close()
        assert stat.S_IMODE(Path(src).stat().st_mode) == 0o600
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", checking_replace)
    seeder.contact("c-0003", "Casey Client", "casey@example.test")
    result = run_job(jobs.sync_sqlite)

    assert seen_before_swap == [(3, result["content_hash"])]
    # The reader that had the old file open still reads the old database, whole.
    assert reader.execute("SELECT COUNT(*) FROM contacts").fetchone() == (2,)
    assert reader.execute("SELECT COUNT(*) FROM session_documents").fetchone() == (9,)
    reader.execute("COMMIT")
    assert reader.execute("SELECT value FROM _meta WHERE key = 'rows.contacts'").fetchone() == (
        "2",
    )
    reader.close()
    assert count(db, "contacts") == 3


def test_concurrent_readers_always_see_a_whole_database(
    seeder: Any, run_job: RunJob, home: Path
) -> None:
    run_job(jobs.sync_sqlite)
    db = home / "local.db"
    stop = threading.Event()
    problems: list[str] = []
    reads = 0

    def read_loop() -> None:
        nonlocal reads
        while not stop.is_set():
            try:
                con = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
                try:
                    con.execute("BEGIN")
                    meta = dict(con.execute("SELECT key, value FROM _meta").fetchall())
                    for table in LOCAL_TABLES:
                        n = con.execute(f'SELECT COUNT(*) FROM "{table.name}"').fetchone()[0]
                        if str(n) != meta[f"rows.{table.name}"]:
                            problems.append(f"{table.name}: {n} rows, meta says {meta}")
                finally:
                    con.close()
                reads += 1
            except Exception as exc:  # noqa: BLE001 - any failure to read is the finding
                problems.append(repr(exc))

    thread = threading.Thread(target=read_loop)
    thread.start()
    try:
        for number in range(3, 9):
            seeder.contact(f"c-{number:04d}", "Synthetic Person", f"p{number}@example.test")
            assert run_job(jobs.sync_sqlite)["changed"] is True
    finally:
        stop.set()
        thread.join()
    assert problems == []
    assert reads > 0
    assert count(db, "contacts") == 8


def test_a_failed_build_leaves_the_old_file(
    seeder: Any, run_job: RunJob, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_job(jobs.sync_sqlite)
    db = home / "local.db"
    before = db.read_bytes()
    real_fetch = local_tables.fetch

    def failing_fetch(bq_client: Any, table: Any, **kwargs: Any) -> Any:
        if table.name == "observations":
            raise RuntimeError("synthetic failure while reading")
        return real_fetch(bq_client, table, **kwargs)

    monkeypatch.setattr("reporter.sqlite_sync.fetch", failing_fetch)
    seeder.contact("c-0003", "Casey Client", "casey@example.test")
    with pytest.raises(RuntimeError, match="synthetic failure"):
        run_job(jobs.sync_sqlite)
    assert db.read_bytes() == before
    assert [p.name for p in home.iterdir() if p.name.startswith("local.db")] == ["local.db"]


def test_sync_says_to_create_the_views_first(run_job: RunJob, warehouse: Any) -> None:
    warehouse.execute("DROP VIEW IF EXISTS inbox_view")
    with pytest.raises(local_tables.ProjectionsMissing, match="create_projections"):
        run_job(jobs.sync_sqlite)


def test_readme_documents_the_sqlite_schema() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    for table in LOCAL_TABLES:
        section = re.search(rf"^### `{table.name}`\n(.*?)(?=^### |\Z)", readme, re.M | re.S)
        assert section, f"README has no section for {table.name}"
        for name, kind in table.columns:
            assert f"| `{name}` | {kind} |" in section.group(1), f"{table.name}.{name}"


def test_a_view_that_fails_for_another_reason_says_that_reason(
    run_job: RunJob, warehouse: Any
) -> None:
    run_job(jobs.create_projections)
    warehouse._con.execute("SET memory_limit = '1MB'")  # the views exist; reading them fails
    with pytest.raises(WarehouseError, match="out of memory") as raised:
        run_job(jobs.sync_sqlite)
    assert not isinstance(raised.value, local_tables.ProjectionsMissing)
