"""A record that breaks its stream's declared schema becomes a quarantine marker, not a failure.

target-jsonl validates every record against the stream's `SCHEMA` message and stops the whole
run at the first that does not fit, so one odd record from an API (an embedded object where the
schema says string, a string where it says integer) would cost the connection everything.
`SchemaCheck` validates each record before it is sent (jsonschema, the validator singer-sdk
itself uses; the stream's draft, Draft 7 by default; formats are not checked) and names the
first violation as `<field> <rule>`: the field path (`answers.q1`, `lines[].amount`; a missing
required field by its own name) and the JSON Schema keyword, never a value. `ApiStream` then
sends, in the record's place, the marker lorchestra quarantines,
`{"_lorchestra_quarantine": {"line": N, "reason": "schema: <field> <rule>", "raw": JSON,
"in": "stream"}}` (N: the record's position in the stream, from 1), and a `SCHEMA` message that
admits markers beside records (`marker_schema`), so the target still validates every record it
writes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft7Validator, ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for

__all__ = ["MARKER", "SchemaCheck", "marker", "with_markers"]

#: The one key of a quarantine marker record (lorchestra.jobs.ingester reads it).
MARKER = "_lorchestra_quarantine"
_MARKER_SCHEMA: dict[str, Any] = {
    "type": "object", "required": [MARKER], "additionalProperties": False,
    "properties": {MARKER: {"type": "object"}},
}


class SchemaCheck:
    """A stream's declared schema, compiled once, naming the first violation of a record."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        cls = validator_for(schema, default=Draft7Validator)
        self._validator = cls(dict(schema))

    def violation(self, record: Mapping[str, Any]) -> str | None:
        """`"<field> <rule>"` for the first part of `record` the schema rejects, else None."""
        error = best_match(self._validator.iter_errors(record))
        return None if error is None else describe(error)


def describe(error: ValidationError) -> str:
    """`<field> <rule>` of a validation error: a path and a keyword, never the value."""
    path = ""
    for part in error.absolute_path:
        path = f"{path}[]" if isinstance(part, int) else (f"{path}.{part}" if path else str(part))
    if error.validator == "required" and isinstance(error.instance, Mapping):
        missing = [name for name in error.validator_value or [] if name not in error.instance]
        if missing:
            name = str(missing[0])
            return f"{f'{path}.{name}' if path else name} required"
    return f"{path or '(record)'} {error.validator}"


def marker(position: int, reason: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """The record lorchestra quarantines in place of `record` (its JSON kept as `raw`)."""
    raw = json.dumps(record, ensure_ascii=False, default=str, separators=(",", ":"))
    return {MARKER: {"line": position, "reason": reason, "raw": raw, "in": "stream"}}


def with_markers(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The `SCHEMA` message's schema: the stream's own, or a quarantine marker."""
    return {"anyOf": [dict(schema), _MARKER_SCHEMA]}
