"""tap-lines checks each object against the catalog's declared shape: a record that breaks it
becomes a `schema: <field> <rule>` marker (never naming a value); the open catalog checks nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tap_lines import MARKER, read_line
from tap_lines._schema import is_open, violation

FORMS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "responseId": {"type": "string"},
        "totalScore": {"type": "integer"},
        "answers": {"type": "object", "additionalProperties": {"type": "object"}},
        "tags": {"type": "array", "items": {"type": "object", "required": ["k"]}},
        "state": {"enum": ["open", "closed"]},
        "flag": {"type": ["boolean", "null"]},
    },
}


@pytest.mark.parametrize(("record", "expected"), [
    ({"responseId": "r1", "answers": {"q1": {"v": 1}}, "totalScore": 3}, None),
    ({"responseId": {"nested": "object"}}, "responseId type"),
    ({"totalScore": "12"}, "totalScore type"),
    ({"totalScore": True}, "totalScore type"),
    ({"answers": {"q1": "SECRET-VALUE"}}, "answers.q1 type"),
    ({"tags": [{"k": 1}, {"j": 2}]}, "tags[].k required"),
    ({"state": "SECRET-VALUE"}, "state enum"),
    ({"flag": None}, None),
    ({"flag": 0}, "flag type"),
])
def test_violation_names_field_and_rule(record: dict[str, Any], expected: str | None) -> None:
    assert violation(record, FORMS) == expected


def test_open_schemas_check_nothing_and_declared_ones_do() -> None:
    assert is_open({"type": "object", "additionalProperties": True, "properties": {}})
    assert not is_open(FORMS)
    assert not is_open({"type": "object", "required": ["id"]})


def test_a_breaking_line_becomes_a_marker_without_its_value_in_the_reason() -> None:
    line = b'{"responseId": "r2", "answers": {"q1": "SECRET-VALUE"}}\n'
    marker = read_line(7, line, FORMS)[MARKER]
    assert (marker["line"], marker["reason"]) == (7, "schema: answers.q1 type")
    assert "SECRET" not in marker["reason"]
    assert read_line(8, b'{"responseId": "r3"}', FORMS) == {"responseId": "r3"}


def test_the_schema_message_admits_markers_beside_declared_records(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"streams": [{"tap_stream_id": "records", "schema": FORMS}]}))
    source = tmp_path / "in.jsonl"
    source.write_text('{"responseId": "ok"}\n{"responseId": 5}\n')
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"path": str(source)}))
    out = subprocess.run(
        [sys.executable, "-c", "import sys, tap_lines; sys.exit(tap_lines.main())",
         "--config", str(config), "--catalog", str(catalog)],
        capture_output=True, text=True, check=True).stdout
    schema, *records = (json.loads(line) for line in out.splitlines())
    assert schema["schema"]["anyOf"][0] == FORMS
    assert [r["record"] for r in records][0] == {"responseId": "ok"}
    assert records[1]["record"][MARKER]["reason"] == "schema: responseId type"
