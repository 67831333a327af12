"""tap-lines: a Singer tap over local JSONL files in which every line is accounted for.

``tap-lines --config CONFIG [--catalog CATALOG]`` prints a ``SCHEMA`` message (one stream,
``stream_name``; its schema from the catalog, open without one) and then one ``RECORD`` per
non-blank line of every file matching ``path`` (sorted): the object itself when the line
holds a JSON object, else a quarantine marker
``{"_lorchestra_quarantine": {"line", "reason", "raw"}}`` naming the line (1-based, in its
file), why (``not JSON``, ``not an object``, ``invalid UTF-8``, ``too deep``, or
``schema: <field> <rule>`` when the catalog declares a shape the object breaks, e.g.
``schema: answers.q1 type``; the reason names the field, never its value) and its text.
With a declared shape, the ``SCHEMA`` message says "the catalog's schema, or a marker", so the
target still validates every record it writes. It never skips a line silently, never stops at
a bad one, and keeps no state.
``--discover`` prints the catalog; ``--about`` describes the tap.
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
from collections.abc import Iterator
from typing import Any

from tap_lines._schema import is_open, violation

MARKER = "_lorchestra_quarantine"
MAX_DEPTH = 100
SCHEMA: dict[str, Any] = {"type": "object", "additionalProperties": True, "properties": {}}
#: What a marker record looks like, so a validating target accepts markers beside records.
MARKER_SCHEMA: dict[str, Any] = {
    "type": "object", "required": [MARKER], "additionalProperties": False,
    "properties": {MARKER: {"type": "object"}},
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tap-lines")
    parser.add_argument("--config", action="append", default=[])
    parser.add_argument("--catalog")
    parser.add_argument("--state")
    parser.add_argument("--discover", action="store_true")
    parser.add_argument("--about", action="store_true")
    parser.add_argument("--format")
    args = parser.parse_args(argv)
    config: dict[str, Any] = {}
    for path in args.config:
        with open(path, encoding="utf-8") as handle:
            config.update(json.load(handle))
    stream = str(config.get("stream_name") or "records")
    out = sys.stdout
    if args.about:
        out.write(json.dumps({"name": "tap-lines", "settings": ["path", "stream_name"]}) + "\n")
        return 0
    if args.discover:
        out.write(json.dumps({"streams": [_catalog_entry(stream)]}) + "\n")
        return 0
    if not config.get("path"):
        sys.stderr.write("tap-lines: the `path` setting is required\n")
        return 2
    schema = _catalog_schema(args.catalog, stream) if args.catalog else SCHEMA
    declared = None if is_open(schema) else schema
    if declared is not None:
        schema = {"anyOf": [declared, MARKER_SCHEMA]}
    out.write(_message({"type": "SCHEMA", "stream": stream, "schema": schema,
                        "key_properties": []}))
    for record in read_records(str(config["path"]), declared):
        out.write(_message({"type": "RECORD", "stream": stream, "record": record}))
    return 0


def read_records(pattern: str, schema: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """Every non-blank line of every file matching ``pattern``: a record or a marker."""
    for path in sorted(glob.glob(pattern)):
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if raw.strip():
                    yield read_line(number, raw, schema)


def read_line(number: int, raw: bytes, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """One line as a record, or as a quarantine marker saying why it is not one."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _marker(number, "invalid UTF-8", raw.decode("utf-8", errors="replace"))
    try:
        value = json.loads(text)
    except RecursionError:
        return _marker(number, "too deep", text)
    except ValueError:
        return _marker(number, "not JSON", text)
    if not isinstance(value, dict):
        return _marker(number, "not an object", text)
    if _depth(value) > MAX_DEPTH:
        return _marker(number, "too deep", text)
    broken = violation(value, schema) if schema is not None else None
    if broken is not None:
        return _marker(number, f"schema: {broken}", text)
    return value


def _depth(value: Any) -> int:
    """Nesting depth, without recursion (a hostile record must not exhaust the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def _catalog_schema(path: str, stream: str) -> dict[str, Any]:
    """The stream's schema from the catalog Meltano gives (the target validates against it)."""
    with open(path, encoding="utf-8") as handle:
        catalog = json.load(handle)
    for entry in catalog.get("streams", []):
        if entry.get("tap_stream_id") == stream or entry.get("stream") == stream:
            schema = entry.get("schema")
            if isinstance(schema, dict):
                return schema
    return SCHEMA


def _marker(number: int, reason: str, text: str) -> dict[str, Any]:
    return {MARKER: {"line": number, "reason": reason, "raw": text.rstrip("\r\n")}}


def _catalog_entry(stream: str) -> dict[str, Any]:
    return {"tap_stream_id": stream, "stream": stream, "schema": SCHEMA,
            "metadata": [{"breadcrumb": [], "metadata": {"selected": True}}]}


def _message(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False) + "\n"
