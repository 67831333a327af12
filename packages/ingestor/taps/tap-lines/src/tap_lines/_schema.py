"""The first place a record breaks the stream's declared JSON Schema, as ``<field> <rule>``.

A small, standard-library subset of JSON Schema (the keywords Singer catalogs use to declare a
record's shape): ``type`` (with ``null`` and lists of types), ``enum``, ``required``,
``properties``, ``additionalProperties`` (``false`` or a schema), ``items`` and ``allOf`` /
``anyOf`` / ``oneOf``. Anything else (formats, lengths, bounds) is left to the target, which
validates every record again. The answer names a field path and a rule, never a value:
``answers.q1 type``, ``lines[] required``. The walk uses an explicit stack, so a hostile record
cannot exhaust Python's.
"""

from __future__ import annotations

from typing import Any

__all__ = ["is_open", "violation"]

def is_open(schema: Any) -> bool:
    """True when the schema checks nothing this module checks (any object passes)."""
    if not isinstance(schema, dict):
        return True
    if schema.get("type") not in (None, "object", ["object"]):
        return False
    if schema.get("properties") or schema.get("additionalProperties", True) is not True:
        return False
    return not any(keyword in schema for keyword in ("enum", "required", "items", "allOf",
                                                     "anyOf", "oneOf"))


def violation(value: Any, schema: Any) -> str | None:
    """``"<field> <rule>"`` for the first part of ``value`` ``schema`` rejects, else None."""
    stack: list[tuple[Any, Any, str]] = [(value, schema, "")]
    while stack:
        item, rules, path = stack.pop()
        found = _check(item, rules, path, stack)
        if found is not None:
            return found
    return None


def _check(value: Any, schema: Any, path: str, stack: list[tuple[Any, Any, str]]) -> str | None:
    if not isinstance(schema, dict):
        return None
    where = path or "(record)"
    types = schema.get("type")
    if types is not None:
        allowed = [types] if isinstance(types, str) else list(types)
        if not any(_is_type(value, name) for name in allowed):
            return f"{where} type"
    if "enum" in schema and not any(_same(value, option) for option in schema["enum"]):
        return f"{where} enum"
    for keyword in ("anyOf", "oneOf"):
        options = schema.get(keyword)
        if isinstance(options, list) and options:
            passing = sum(violation(value, option) is None for option in options)
            if passing == 0 or (keyword == "oneOf" and passing > 1):
                return f"{where} {keyword}"
    for part in schema.get("allOf") or []:
        stack.append((value, part, path))
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        for name in schema.get("required") or []:
            if name not in value:
                return f"{_join(path, name)} required"
        extra = schema.get("additionalProperties", True)
        for name, child in value.items():
            if name in properties:
                stack.append((child, properties[name], _join(path, name)))
            elif extra is False:
                return f"{_join(path, name)} additionalProperties"
            elif isinstance(extra, dict):
                stack.append((child, extra, _join(path, name)))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        stack.extend((child, schema["items"], f"{path}[]") for child in value)
    return None


def _is_type(value: Any, name: str) -> bool:
    if name == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer())
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    expected = {"string": str, "object": dict, "array": list, "boolean": bool,
                "null": type(None)}.get(name)
    return expected is None or isinstance(value, expected)


def _same(value: Any, option: Any) -> bool:
    """JSON equality: ``true`` is not ``1``."""
    if isinstance(value, bool) or isinstance(option, bool):
        return value is option
    return bool(value == option)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
