"""The markdown projection: paths from ids, private files, no rewrite of unchanged files,
removal of files whose source is gone, and atomic writes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lorchestra.api import LorchestraError
from reporter import jobs

RunJob = Callable[..., dict[str, Any]]
OLD = 1_000_000_000  # ns: an mtime no write by the job could produce


def tree(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def age(root: Path) -> None:
    for path in root.rglob("*.md"):
        os.utime(path, ns=(OLD, OLD))


def test_first_run_writes_one_file_per_client_and_session(
    seeder: Any, run_job: RunJob, home: Path
) -> None:
    result = run_job(jobs.project_files)
    root = home / "local_views"
    assert result == {"written": 5, "unchanged": 0, "removed": 0, "skipped": 0}
    assert sorted(tree(root)) == [
        "clients/c-0001.md",
        "clients/c-0002.md",
        "sessions/s-0001.md",
        "sessions/s-0002.md",
        "sessions/s-0003.md",
    ]
    for directory in (root, root / "clients", root / "sessions"):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for path in root.rglob("*.md"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    client = (root / "clients" / "c-0001.md").read_text()
    assert client.startswith("# Alex Client\n")
    assert "| 2026-03-02 | phq9 | PHQ-9 total | 1 | 12 | moderate |  |  | no |" in client
    assert "| 2026-03-09 | phq9 | PHQ-9 total | 2 | 8 | mild | -4 | -4 | yes |" in client
    assert "[s-0002](../sessions/s-0002.md)" in client
    assert client.index("s-0002") < client.index("s-0001")  # most recent first
    session = (root / "sessions" / "s-0001.md").read_text()
    assert "[Alex Client](../clients/c-0001.md)" in session
    for heading, text in (
        ("## Transcript", "Client: Steady."),
        ("## Notes", "Note."),
        ("## Summary", "Stable; continue plan."),
    ):
        assert session.index(heading) < session.index(text)


def test_second_run_rewrites_nothing(seeder: Any, run_job: RunJob, home: Path) -> None:
    run_job(jobs.project_files)
    root = home / "local_views"
    age(root)
    before = tree(root)
    result = run_job(jobs.project_files)
    assert result == {"written": 0, "unchanged": 5, "removed": 0, "skipped": 0}
    assert tree(root) == before
    assert set(before.values()) == {OLD}


def test_only_changed_files_are_rewritten(seeder: Any, run_job: RunJob, home: Path) -> None:
    run_job(jobs.project_files)
    root = home / "local_views"
    age(root)
    seeder.session("s-0003", "c-0002", "2026-03-04T15:00:00Z", note="Revised note.")
    result = run_job(jobs.project_files)
    assert result == {"written": 1, "unchanged": 4, "removed": 0, "skipped": 0}
    changed = {name for name, mtime in tree(root).items() if mtime != OLD}
    assert changed == {"sessions/s-0003.md"}
    assert "Revised note." in (root / "sessions" / "s-0003.md").read_text()
    assert stat.S_IMODE((root / "sessions" / "s-0003.md").stat().st_mode) == 0o600


def test_files_whose_source_is_gone_are_removed(seeder: Any, run_job: RunJob, home: Path) -> None:
    run_job(jobs.project_files)
    root = home / "local_views"
    (root / "clients" / "old-id.md").write_text("stale")
    (root / "clients" / ".c-0001.md.abc.tmp").write_text("interrupted write")
    (root / "clients" / "keep.txt").write_text("not ours")
    seeder.delete("clinical_session", "s-0002")
    result = run_job(jobs.project_files)
    assert result["removed"] == 2  # s-0002.md and the stray old-id.md
    assert sorted(tree(root)) == [
        "clients/c-0001.md",
        "clients/c-0002.md",
        "clients/keep.txt",
        "sessions/s-0001.md",
        "sessions/s-0003.md",
    ]
    assert "s-0002" not in (root / "clients" / "c-0001.md").read_text()


def test_ids_that_are_not_safe_file_names_are_skipped(
    seeder: Any, run_job: RunJob, home: Path
) -> None:
    seeder.contact("../escape", "Synthetic Person", "escape@example.test")
    result = run_job(jobs.project_files)
    assert result["skipped"] == 1
    assert not (home / "escape.md").exists()
    assert not (home / "local_views" / "escape.md").exists()
    assert sorted(p.name for p in (home / "local_views" / "clients").iterdir()) == [
        "c-0001.md",
        "c-0002.md",
    ]


def test_a_failed_write_leaves_the_old_file_and_no_temp(
    seeder: Any, run_job: RunJob, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_job(jobs.project_files)
    target = home / "local_views" / "sessions" / "s-0003.md"
    before = target.read_bytes()
    seeder.session("s-0003", "c-0002", "2026-03-04T15:00:00Z", note="Revised note.")

    def failing_replace(src: Any, dst: Any) -> None:
        raise OSError("synthetic failure during rename")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="synthetic failure"):
        run_job(jobs.project_files)
    assert target.read_bytes() == before
    assert sorted(p.name for p in target.parent.iterdir()) == [
        "s-0001.md",
        "s-0002.md",
        "s-0003.md",
    ]


def test_outside_a_run_the_job_refuses_to_guess_a_home(
    seeder: Any, warehouse: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settings reach a job only through its run: no silent fallback to the configured home."""
    configured = tmp_path / "configured-home"
    monkeypatch.setenv("LORCHESTRA_HOME", str(configured))
    with pytest.raises(LorchestraError, match="outside a lorchestra run"):
        jobs.project_files(warehouse)
    assert not configured.exists()


def test_a_report_gets_its_file_next_to_the_clients_sessions(
    seeder: Any, run_job: RunJob, home: Path
) -> None:
    seeder.report("r-0001", "c-0001", "s-0002", "2026-03-10T18:00:00Z")
    result = run_job(jobs.project_files)
    root = home / "local_views"
    assert result["written"] == 6
    report = (root / "reports" / "r-0001.md").read_text()
    assert report.startswith("# Alex Client - Progress report\n")
    assert "- Client: [Alex Client](../clients/c-0001.md)" in report
    assert "- Follows session: [s-0002](../sessions/s-0002.md)" in report
    assert report.endswith("Report on sessions 1-2.\n\nSleep is better.\n")
    assert stat.S_IMODE((root / "reports" / "r-0001.md").stat().st_mode) == 0o600
    client = (root / "clients" / "c-0001.md").read_text()
    assert "| 2026-03-10 | [Alex Client - Progress report](../reports/r-0001.md) | " \
           "[s-0002](../sessions/s-0002.md) |" in client
    assert "No reports yet." in (root / "clients" / "c-0002.md").read_text()

    seeder.delete("clinical_report", "r-0001")
    assert run_job(jobs.project_files)["removed"] == 1
    assert not (root / "reports" / "r-0001.md").exists()
