"""Real `meltano run` extractions through the repo's Meltano project (slow: ~6 s per run)."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

import ingestor
from ingestor import ExtractError

pytestmark = pytest.mark.slow

TAP = "tap-gmail-sample"


def _source(sample_root: Path, relpath: str) -> list[dict[str, Any]]:
    lines = (sample_root / relpath).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_gmail_round_trip_deterministic_path_and_rerun(
        meltano_project: Path, sample_root: Path, tmp_path: Path) -> None:
    src = sample_root / "gmail/gmail-acct1/email.jsonl"
    out = ingestor.extract_to_jsonl(TAP, "run-0001", config={"path": str(src)},
                                    project_dir=meltano_project, output_root=tmp_path)
    assert out == tmp_path / TAP / "run-0001" / "run-0001.jsonl"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    records = list(ingestor.iter_jsonl_records(out, on_error="raise"))
    expected = _source(sample_root, "gmail/gmail-acct1/email.jsonl")
    assert len(expected) > 10
    assert records == expected  # exact payloads: the project's stream maps drop _sdc_* fields
    first = out.read_bytes()

    again = ingestor.extract_to_jsonl(TAP, "run-0001", config={"path": str(src)},
                                      project_dir=meltano_project, output_root=tmp_path)
    assert again == out
    assert again.read_bytes() == first  # replaced, not appended
    assert sorted(p.name for p in (tmp_path / TAP).iterdir()) == ["run-0001"]


def test_fields_absent_from_early_records_survive(
        meltano_project: Path, tmp_path: Path, write_jsonl: Any) -> None:
    # The project's open catalog passes every field; an inferred schema would drop `late`.
    lines: list[dict[str, Any] | bytes] = [{"id": str(i), "n": i} for i in range(5)]
    lines.append({"id": "5", "late": {"nested": [1, "two", None]}, "n": 2.5})
    src = write_jsonl("varied.jsonl", lines)
    out = ingestor.extract_to_jsonl(TAP, "varied", config={"path": str(src)},
                                    project_dir=meltano_project, output_root=tmp_path / "out")
    assert list(ingestor.iter_jsonl_records(out, on_error="raise")) == lines


def test_zero_records_give_an_empty_file(
        meltano_project: Path, tmp_path: Path, write_jsonl: Any) -> None:
    src = write_jsonl("empty.jsonl", [])
    out = ingestor.extract_to_jsonl(TAP, "empty-run", config={"path": str(src)},
                                    project_dir=meltano_project, output_root=tmp_path / "out")
    assert out.is_file()
    assert out.read_bytes() == b""


def test_tap_failure_raises_and_leaves_nothing(
        meltano_project: Path, tmp_path: Path, write_jsonl: Any, canary: str) -> None:
    # A record carrying the canary, then a "file" the tap cannot open (a directory): it crashes.
    good = write_jsonl("a.jsonl", [{"id": "1", "note": canary}])
    (good.parent / "b.jsonl").mkdir()
    with pytest.raises(ExtractError) as caught:
        ingestor.extract_to_jsonl(TAP, "tap-fails", config={"path": str(good.parent / "*.jsonl")},
                                  project_dir=meltano_project, output_root=tmp_path / "out")
    error = caught.value
    assert error.exit_code == 1
    assert error.log_tail and len(error.log_tail) <= 20
    assert any("IsADirectoryError" in line for line in error.log_tail)
    assert canary not in str(error)
    assert not (tmp_path / "out" / TAP / "tap-fails").exists()


def test_every_line_comes_through_as_a_record_or_a_marker(
        meltano_project: Path, tmp_path: Path, write_jsonl: Any) -> None:
    src = write_jsonl("mixed.jsonl", [{"id": "1"}, b"\xff\xfe not utf-8", b"not json", b"[1]",
                                      b'{"deep": ' + b"[" * 900 + b"]" * 900 + b"}"])
    out = ingestor.extract_to_jsonl(TAP, "mixed", config={"path": str(src)},
                                    project_dir=meltano_project, output_root=tmp_path / "out")
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert records[0] == {"id": "1"}
    assert [(r["_lorchestra_quarantine"]["line"], r["_lorchestra_quarantine"]["reason"])
            for r in records[1:]] == [
        (2, "invalid UTF-8"), (3, "not JSON"), (4, "not an object"), (5, "too deep")]


def test_target_failure_mid_file_removes_partial_output(
        meltano_project: Path, tmp_path: Path, write_jsonl: Any, canary: str) -> None:
    # A catalog limiting `n` to 5 characters replaces the project's open one. tap-lines checks
    # types, not lengths, so target-jsonl writes record 1 and then fails validating record 2,
    # printing its value (the canary).
    src = write_jsonl("mixed.jsonl", [{"id": "1", "n": "1"}, {"id": "2", "n": canary}])
    catalog = json.loads((meltano_project / "catalogs" / "jsonl-records.json").read_text())
    catalog["streams"][0]["schema"]["properties"]["n"] = {"type": "string", "maxLength": 5}
    strict = tmp_path / "strict-catalog.json"
    strict.write_text(json.dumps(catalog))
    with pytest.raises(ExtractError) as caught:
        ingestor.extract_to_jsonl(TAP, "target-fails", config={"path": str(src)},
                                  env={ingestor.setting_env_name(TAP, "_catalog"): str(strict)},
                                  project_dir=meltano_project, output_root=tmp_path / "out")
    error = caught.value
    assert error.exit_code == 1
    assert any("Loader failed" in line for line in error.log_tail)
    assert any("ValidationError" in line for line in error.log_tail)
    assert canary not in str(error)
    assert not any(canary in line for line in error.log_tail)
    assert not (tmp_path / "out" / TAP / "target-fails").exists()


def test_concurrent_runs_in_one_project_are_serialised(
        meltano_project: Path, sample_root: Path, tmp_path: Path) -> None:
    jobs = {
        "conc-a": (TAP, "gmail/gmail-acct1/email.jsonl"),
        "conc-b": ("tap-stripe-sample", "stripe/stripe-practice/invoice.jsonl"),
    }
    results: dict[str, Path | BaseException] = {}

    def run(run_id: str, tap: str, relpath: str) -> None:
        try:
            results[run_id] = ingestor.extract_to_jsonl(
                tap, run_id, config={"path": str(sample_root / relpath)},
                project_dir=meltano_project, output_root=tmp_path)
        except BaseException as exc:  # reported by the assertions below
            results[run_id] = exc

    threads = [threading.Thread(target=run, args=(rid, *job)) for rid, job in jobs.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for run_id, (_, relpath) in jobs.items():
        out = results[run_id]
        assert isinstance(out, Path), out
        assert list(ingestor.iter_jsonl_records(out)) == _source(sample_root, relpath)


def test_run_timeout_kills_meltano_and_leaves_nothing(
        meltano_project: Path, sample_root: Path, tmp_path: Path) -> None:
    src = sample_root / "gmail/gmail-acct1/email.jsonl"
    with pytest.raises(ExtractError, match="timed out") as caught:
        ingestor.extract_to_jsonl(TAP, "too-slow", config={"path": str(src)}, timeout=0.5,
                                  project_dir=meltano_project, output_root=tmp_path)
    assert caught.value.exit_code is None
    assert not (tmp_path / TAP / "too-slow").exists()


def test_install_project_is_idempotent(meltano_project: Path) -> None:
    assert ingestor.install_project(meltano_project) == meltano_project
    assert ingestor.meltano_installed(meltano_project)
    assert ingestor.check_project(meltano_project) == []
    # Plugin virtualenvs carry compiled bytecode, so runs do not recompile their imports.
    site = next((meltano_project / ".meltano/extractors/tap-gmail/venv/lib").glob("python*"))
    assert list((site / "site-packages/singer_sdk/__pycache__").glob("*.pyc"))
