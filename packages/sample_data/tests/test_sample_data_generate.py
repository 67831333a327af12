"""`generate`, `iter_records` and the CLI: determinism, exact sizes, layout, permissions, errors."""

from __future__ import annotations

import hashlib
import json
import stat
from datetime import date
from pathlib import Path

import pytest

import sample_data
from sample_data.cli import main

ANCHOR = date(2026, 11, 20)


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_same_arguments_give_identical_bytes(tmp_path: Path) -> None:
    a = sample_data.generate(tmp_path / "a", seed=7, size=300, anchor=ANCHOR)
    b = sample_data.generate(tmp_path / "b", seed=7, size=300, anchor=ANCHOR)
    assert a == b
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")
    c = sample_data.generate(tmp_path / "c", seed=8, size=300, anchor=ANCHOR)
    differing = [x.path for x, y in zip(a.files, c.files, strict=True) if x.sha256 != y.sha256]
    assert len(differing) == len(a.files)


def test_anchor_moves_every_date(tmp_path: Path) -> None:
    later = date(2027, 3, 1)
    sample_data.generate(tmp_path, size=300, anchor=later)
    text = "\n".join((tmp_path / s.relpath).read_text(encoding="utf-8")
                     for s in sample_data.FILES)
    assert "2027-02-" in text and "2026-11-19" not in text
    assert all(r["createTime"] < "2027-03-01" for r in sample_data.iter_records(
        "google_forms", "forms-followup", "form_response", anchor=later))


def test_layout_manifest_and_permissions(tmp_path: Path) -> None:
    out = tmp_path / "data"
    manifest = sample_data.generate(out, size=300)
    assert manifest.total_records == 300 == sum(f.records for f in manifest.files)
    assert sample_data.Manifest.load(out / "manifest.json") == manifest
    assert [f.path for f in manifest.files] == [s.relpath for s in sample_data.FILES]
    ids = {(f.source_system, f.object_type): f.external_id_field for f in manifest.files}
    assert ids[("gmail", "email")] == ids[("exchange", "email")] == "id"
    assert ids[("google_forms", "form_response")] == "responseId"
    assert ids[("dataverse", "contact")] == "contactid"
    assert ids[("dataverse", "clinical_session")] == "cr8f3_clientsessionid"
    assert ids[("stripe", "refund")] == "id"
    for f in manifest.files:
        path = out / f.path
        body = path.read_bytes()
        assert body.count(b"\n") == f.records and len(body) == f.bytes
        assert hashlib.sha256(body).hexdigest() == f.sha256
        lines = body.splitlines()
        assert len({json.loads(line)[f.external_id_field] for line in lines}) == f.records
    for path in out.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert not list(out.rglob("*.tmp"))


@pytest.mark.parametrize("size", [10, 11, 37, 20_000])
def test_size_is_the_exact_total(size: int) -> None:
    counts = sample_data.expected_counts(size=size)
    assert sum(counts.values()) == size
    if size == 10:
        assert counts["dataverse/dataverse-clinic/contact.jsonl"] == 6  # at least 6 clients
    if size == 20_000:  # email is the bulk
        email = sum(n for p, n in counts.items() if p.endswith("/email.jsonl"))
        assert email > 0.4 * size


def test_generated_count_matches_request(tmp_path: Path) -> None:
    # 20,000 is generated (and checked the same way) by the streaming test.
    for size in (10, 1_000):
        manifest = sample_data.generate(tmp_path / str(size), size=size, seed=1)
        assert abs(manifest.total_records - size) <= size * 0.01
        assert {f.path: f.records for f in manifest.files} == sample_data.expected_counts(
            size=size, seed=1)


def test_subset_is_the_same_bytes_as_the_full_set(tmp_path: Path) -> None:
    sample_data.generate(tmp_path / "all", size=500)
    part = sample_data.generate(tmp_path / "some", size=500,
                                sources=["gmail", "stripe/stripe-practice/refund"])
    assert [f.path for f in part.files] == [
        "stripe/stripe-practice/refund.jsonl", "gmail/gmail-acct1/email.jsonl",
        "gmail/gmail-acct2/email.jsonl", "gmail/gmail-acct3/email.jsonl"]
    for f in part.files:
        assert (tmp_path / "some" / f.path).read_bytes() == (tmp_path / "all" / f.path).read_bytes()


def test_iter_records_equals_file(tmp_path: Path) -> None:
    sample_data.generate(tmp_path, size=400, seed=4)
    for spec in sample_data.FILES:
        streamed = list(sample_data.iter_records(spec.source_system, spec.connection_name,
                                                 spec.object_type, size=400, seed=4))
        lines = (tmp_path / spec.relpath).read_text(encoding="utf-8").splitlines()
        assert streamed == [json.loads(line) for line in lines]


def test_count_mode(tmp_path: Path) -> None:
    msgs = list(sample_data.iter_records("gmail", "gmail-acct2", "email", count=700))
    assert len(msgs) == 700 and len({m["id"] for m in msgs}) == 700
    streams = ["stripe/stripe-practice/refund", "google_forms/forms-wellbeing"]
    manifest = sample_data.generate(tmp_path, count=25, sources=streams)
    assert [f.records for f in manifest.files] == [25, 25]
    assert manifest.count == 25


def test_errors_are_clear() -> None:
    with pytest.raises(ValueError, match="size must be between"):
        sample_data.generate("/nonexistent-never-created", size=5)
    with pytest.raises(ValueError, match="Unknown source selector"):
        sample_data.generate("/nonexistent-never-created", sources=["hubspot"])
    with pytest.raises(ValueError, match="No stream"):
        sample_data.iter_records("gmail", "gmail-acct9", "email")
    with pytest.raises(ValueError, match="gmail_format"):
        sample_data.iter_records("gmail", "gmail-acct1", "email", gmail_format="metadata")


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "x"), "--size", "50", "--seed", "3", "--anchor", "2026-06-01",
                 "--only", "dataverse,gmail/gmail-acct1"]) == 0
    out = capsys.readouterr().out
    assert "dataverse/dataverse-clinic/contact.jsonl" in out and "manifest.json" in out
    manifest = sample_data.Manifest.load(tmp_path / "x" / "manifest.json")
    assert (manifest.seed, manifest.size, manifest.anchor) == (3, 50, "2026-06-01")
    assert len(manifest.files) == 4  # contacts, sessions, reports, one Gmail account

    assert main([str(tmp_path / "y"), "--only", "gmail/gmail-acct3", "--count", "5",
                 "--gmail-format", "raw", "-q"]) == 0
    assert capsys.readouterr().out == ""
    line = (tmp_path / "y/gmail/gmail-acct3/email.jsonl").read_text().splitlines()[0]
    assert "raw" in json.loads(line)

    assert main([str(tmp_path / "z"), "--only", "nope"]) == 2
    assert "Unknown source selector" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main([str(tmp_path / "z"), "--anchor", "20-11-2026"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    help_text = capsys.readouterr().out
    assert "SYNTHETIC" in help_text and "gmail/gmail-acct1/email" in help_text
