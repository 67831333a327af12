"""JSON Schema (draft 2020-12) storage and validation keyed by Iglu URIs.

Schemas ship as ``*.schema.json`` files whose ``$id`` is their Iglu URI
(``iglu:org.canonical/email_jmap_lite/jsonschema/1-0-0``); user directories may add more and may
``$ref`` shipped ones by URI. Validation failures become one-line reasons that name the field
path and the rule broken, and never quote the instance: object keys that the schema does not
declare are shown as ``*`` because a payload's keys can be data too.

Validity is decided first by a compiled validator (``jsonschema-rs``, Rust): an instance it
accepts costs microseconds. Only an instance it rejects goes through the Python ``jsonschema``
validator, which builds the reason and stays the authority: if it finds no error, the instance
is valid. Formats are annotations in both (draft 2020-12's default), so the two agree on every
shipped schema, and reasons are the Python validator's, unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from canonizer.errors import SchemaNotFound, TransformLoadError

__all__ = ["SchemaStore", "iglu_name"]

SCHEMA_SUFFIX = ".schema.json"


def iglu_name(uri: str) -> str | None:
    """The schema name of an Iglu URI (``iglu:vendor/NAME/jsonschema/1-0-0``), else ``None``."""
    if not uri.startswith("iglu:"):
        return None
    parts = uri[len("iglu:") :].split("/")
    return parts[1] if len(parts) == 4 and parts[2] == "jsonschema" else None


def _declared_names(node: Any, into: set[str]) -> None:
    """Collect every property name a schema declares, so reasons can show those and mask others."""
    if isinstance(node, Mapping):
        props = node.get("properties")
        if isinstance(props, Mapping):
            into.update(str(k) for k in props)
        required = node.get("required")
        if isinstance(required, list):
            into.update(str(k) for k in required)
        for value in node.values():
            _declared_names(value, into)
    elif isinstance(node, list):
        for item in node:
            _declared_names(item, into)


class SchemaStore:
    """All loaded schemas, a ``referencing`` registry over them, and cached validators."""

    def __init__(self, schemas: Mapping[str, Mapping[str, Any]]) -> None:
        self._schemas = dict(schemas)
        resources = [
            (uri, Resource.from_contents(dict(schema), default_specification=DRAFT202012))
            for uri, schema in self._schemas.items()
        ]
        self._registry: Registry[Any] = Registry().with_resources(resources)
        self._validators: dict[str, Draft202012Validator] = {}
        self._compiled: dict[str, jsonschema_rs.Validator | None] = {}
        self._compiled_registry: jsonschema_rs.Registry | None = None
        self._names: set[str] = set()
        for schema in self._schemas.values():
            _declared_names(schema, self._names)

    @classmethod
    def from_dirs(cls, dirs: Iterable[Path]) -> SchemaStore:
        """Load every ``*.schema.json`` under ``dirs``; a broken or duplicate schema is fatal."""
        found: dict[str, Mapping[str, Any]] = {}
        origin: dict[str, Path] = {}
        for root in dirs:
            for path in sorted(root.rglob(f"*{SCHEMA_SUFFIX}")):
                try:
                    schema = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                    raise TransformLoadError(f"Schema file {path} is not readable JSON.") from exc
                uri = schema.get("$id") if isinstance(schema, dict) else None
                if not isinstance(uri, str) or not uri:
                    raise TransformLoadError(f"Schema file {path} has no string $id.")
                if uri in found:
                    raise TransformLoadError(
                        f"Schema {uri} is defined twice: in {origin[uri]} and in {path}."
                    )
                try:
                    Draft202012Validator.check_schema(schema)
                except SchemaError as exc:
                    raise TransformLoadError(
                        f"Schema file {path} is not a valid draft 2020-12 schema."
                    ) from exc
                found[uri] = schema
                origin[uri] = path
        return cls(found)

    def __contains__(self, uri: object) -> bool:
        return uri in self._schemas

    def uris(self) -> list[str]:
        """Every loaded schema URI, sorted."""
        return sorted(self._schemas)

    def get(self, uri: str) -> Mapping[str, Any]:
        """The schema document for ``uri``."""
        try:
            return self._schemas[uri]
        except KeyError:
            raise SchemaNotFound(f"No schema with $id {uri} is loaded.") from None

    def validator(self, uri: str) -> Draft202012Validator:
        """A validator for ``uri``, built once."""
        if uri not in self._validators:
            self._validators[uri] = Draft202012Validator(self.get(uri), registry=self._registry)
        return self._validators[uri]

    def compiled(self, uri: str) -> jsonschema_rs.Validator | None:
        """The compiled validator for ``uri``, built once; ``None`` if it cannot compile one."""
        if uri not in self._compiled:
            try:
                if self._compiled_registry is None:
                    self._compiled_registry = jsonschema_rs.Registry(
                        [(key, dict(schema)) for key, schema in self._schemas.items()]
                    )
                self._compiled[uri] = jsonschema_rs.Draft202012Validator(
                    dict(self.get(uri)),
                    registry=self._compiled_registry,
                    validate_formats=False,
                    base_uri=uri,
                )
            except (ValueError, jsonschema_rs.ReferencingError):
                # A construct the Rust validator rejects (say, a regex dialect difference):
                # the Python validator alone then decides, as before.
                self._compiled[uri] = None
        return self._compiled[uri]

    def problem(self, uri: str, instance: object, what: str) -> str | None:
        """``None`` if ``instance`` is valid, else a value-free reason (``what`` = input/output)."""
        fast = self.compiled(uri)
        if fast is not None:
            try:
                if fast.is_valid(instance):
                    return None
            except (ValueError, TypeError, OverflowError):
                pass  # a value it cannot represent (a huge integer): the Python path decides
        errors = list(self.validator(uri).iter_errors(instance))
        if not errors:
            return None
        chosen = best_match(errors)
        assert chosen is not None  # errors is non-empty
        reason = f"{what} invalid at {self._path(chosen)}: {self._rule(chosen)}"
        # "required" yields one error per missing property; the rule text names them all.
        distinct = {(tuple(e.absolute_path), str(e.validator)) for e in errors}
        if len(distinct) > 1:
            reason += f" (and {len(distinct) - 1} more)"
        return reason

    def _path(self, error: ValidationError) -> str:
        parts: list[str] = []
        for item in error.absolute_path:
            if isinstance(item, int):
                parts.append(str(item))
            else:
                parts.append(item if item in self._names else "*")
        return "/" + "/".join(parts)

    @staticmethod
    def _rule(error: ValidationError) -> str:
        rule = str(error.validator)
        expected = error.validator_value
        if rule == "required" and isinstance(error.instance, Mapping):
            missing = [str(k) for k in expected if k not in error.instance]
            return f"required (missing {', '.join(missing)})"
        if rule == "type":
            names = expected if isinstance(expected, list) else [expected]
            return f"type (expected {' or '.join(str(n) for n in names)})"
        if rule in ("enum", "const"):
            return f"{rule} (not an allowed value)"
        if rule in ("additionalProperties", "unevaluatedProperties"):
            return f"{rule} (unexpected property)"
        if rule in (
            "pattern",
            "minLength",
            "maxLength",
            "minimum",
            "maximum",
            "minItems",
            "maxItems",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "format",
        ):
            # The expected bound comes from the schema, never from the instance.
            return f"{rule} (expected {expected})"
        return rule
