"""iter_jsonl_records: streaming, blank lines, bad lines in both modes, `_sdc_*` stripping."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestor import BadLine, MalformedLineError, iter_jsonl_records

SECRET = "CANARY-line-content"


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    path = tmp_path / "messy.jsonl"
    path.write_bytes(b"\n".join([
        b'{"id": 1, "_sdc_filename": "/x"}',
        b"",
        b"   ",
        b'{"id": 2, "note": "' + SECRET.encode() + b'"',  # truncated object
        b'["' + SECRET.encode() + b'"]',
        b'"' + SECRET.encode() + b'"',
        b"\xff\xfe" + SECRET.encode(),
        b'{"id": 3}',
    ]) + b"\n")
    return path


def test_yield_mode_reports_bad_lines_in_stream_and_goes_on(messy: Path) -> None:
    items = list(iter_jsonl_records(messy))
    assert items[0] == {"id": 1, "_sdc_filename": "/x"}
    assert items[-1] == {"id": 3}
    bad = [item for item in items if isinstance(item, BadLine)]
    assert [b.line_number for b in bad] == [4, 5, 6, 7]
    assert "not valid JSON" in bad[0].reason
    assert bad[1].reason == "a JSON array, not an object"
    assert bad[2].reason == "a JSON string, not an object"
    assert all(SECRET not in b.reason for b in bad)


def test_raise_mode_raises_with_line_number_and_no_content(messy: Path) -> None:
    records = iter_jsonl_records(messy, on_error="raise")
    assert next(records) == {"id": 1, "_sdc_filename": "/x"}
    with pytest.raises(MalformedLineError) as caught:
        next(records)
    assert caught.value.line_number == 4
    assert "line 4" in str(caught.value) and SECRET not in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_strip_sdc_and_bad_mode(tmp_path: Path) -> None:
    path = tmp_path / "ok.jsonl"
    path.write_text('{"id": 1, "_sdc_stream": "s", "nested": {"_sdc_x": 1}}\n')
    assert list(iter_jsonl_records(path, strip_sdc=True)) == [{"id": 1, "nested": {"_sdc_x": 1}}]
    with pytest.raises(ValueError, match="on_error"):
        list(iter_jsonl_records(path, on_error="skip"))  # type: ignore[call-overload]
