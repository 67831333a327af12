"""The transform registry: finds transforms and their metadata, verifies checksums, runs them.

A transform is a spec file (``*.jsonata`` or ``*.py``) with a metadata file beside it
(``*.meta.json``) that records its id (``<domain>/<name>``), version, engine, input and output
schema URIs, the sha256 of the spec, status and description. Transforms ship inside the package;
user directories passed to ``load_registry(extra_dirs=...)`` add more, along with any
``*.schema.json`` they need. A problem in a shipped transform is a packaging bug and raises at
once; a problem in a user directory is recorded and raised only when that transform is asked
for, so one broken file does not take the others down (``strict=True`` raises at once instead).
"""

from __future__ import annotations

import builtins
import hashlib
import json
import math
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from canonizer._engines import TransformFn, compile_jsonata, compile_python
from canonizer._schemas import SchemaStore, iglu_name
from canonizer.errors import (
    CanonizerError,
    ChecksumMismatch,
    InvalidTransformParams,
    InvalidTransformRef,
    SchemaNotFound,
    TransformLoadError,
    TransformNotFound,
    TransformRejected,
)

__all__ = ["Registry", "Transform", "TransformInfo", "load_registry", "parse_ref", "spec_checksum"]

PACKAGE_DIR = Path(__file__).resolve().parent
META_SUFFIX = ".meta.json"
Engine = Literal["jsonata", "python"]
Status = Literal["draft", "stable", "deprecated"]

_REF_RE = re.compile(r"^(?P<id>[a-z][a-z0-9_]*/[a-z][a-z0-9_]*)(?:@(?P<version>\d+\.\d+\.\d+))?$")
_META_KEYS = {
    "id",
    "version",
    "engine",
    "spec",
    "entrypoint",
    "input_schema",
    "output_schema",
    "checksum",
    "status",
    "description",
    "parameters",
}


def parse_ref(ref: str) -> tuple[str, str | None]:
    """Split ``<domain>/<name>[@<version>]`` into ``(id, version or None)``."""
    m = _REF_RE.match(ref) if isinstance(ref, str) else None
    if m is None:
        raise InvalidTransformRef(
            f"{ref!r} is not a transform ref; expected '<domain>/<name>@<major>.<minor>.<patch>', "
            "for example 'email/gmail_to_jmap_lite@1.0.0'."
        )
    return m.group("id"), m.group("version")


def spec_checksum(text: str) -> str:
    """``sha256:<hex>`` of a spec's text; line endings normalised so CRLF checkouts match."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    return "sha256:" + hashlib.sha256(normalised.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TransformInfo:
    """A transform's metadata, as listed by ``list_transforms()``."""

    id: str
    version: str
    engine: Engine
    input_schema: str | None
    output_schema: str
    checksum: str
    status: Status
    description: str
    parameters: Mapping[str, Any] = field(default_factory=dict, hash=False)
    spec_path: Path = field(default=Path(), compare=False)
    origin: str = "builtin"

    @property
    def ref(self) -> str:
        """The pinned ref, ``<domain>/<name>@<version>``."""
        return f"{self.id}@{self.version}"

    @property
    def canonical_kind(self) -> str:
        """The kind used in canonical idem keys: the name part of the output schema URI."""
        return iglu_name(self.output_schema) or self.output_schema


class _NotPlain(Exception):
    """Raised by ``_plain_json`` for anything but dict, list, str, int, bool, None, float."""


def _plain_json(value: Any) -> Any:
    """``_to_json`` for the common case, with exact type checks and no paths: what a transform
    usually returns. Anything else (or any problem) raises ``_NotPlain`` and the caller runs
    ``_to_json``, whose result and error messages are the reference."""
    kind = type(value)
    if kind is str:
        return value if value.isascii() else value.encode("utf-8", "replace").decode("utf-8")
    if kind is dict:
        out: dict[str, Any] = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain
            if not key.isascii():
                key = key.encode("utf-8", "replace").decode("utf-8")
            # Leaves inline: most values are strings, and a call per leaf is the cost here.
            leaf = type(item)
            if leaf is str:
                out[key] = item if item.isascii() else _plain_json(item)
            elif item is None or leaf is bool or leaf is int:
                out[key] = item
            else:
                out[key] = _plain_json(item)
        return out
    if kind is list:
        return [
            item if type(item) is str and item.isascii() else _plain_json(item) for item in value
        ]
    if value is None or kind is bool or kind is int:
        return value
    if kind is float and math.isfinite(value):
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    raise _NotPlain


def _json_result(value: Any) -> Any:
    """An engine's result as plain JSON (see ``_to_json``)."""
    try:
        return _plain_json(value)
    except _NotPlain:
        return _to_json(value, "")


def _to_json(value: Any, path: str) -> Any:
    """Copy an engine's result into plain JSON types; strings made valid UTF-8."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        # Lone surrogates (from undecodable bytes) cannot be written as UTF-8 JSON downstream.
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TransformRejected(f"output at {path or '/'} is not a finite number")
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TransformRejected(f"output at {path or '/'} has a non-string key")
            out[_to_json(key, path)] = _to_json(item, f"{path}/{key}")
        return out
    if isinstance(value, list | tuple):
        return [_to_json(item, f"{path}/{i}") for i, item in enumerate(value)]
    raise TransformRejected(f"output at {path or '/'} is not JSON ({type(value).__name__})")


class Transform:
    """One loaded transform: metadata, verified spec text, and a lazily compiled callable."""

    def __init__(self, info: TransformInfo, text: str, entrypoint: str, schemas: SchemaStore):
        self.info = info
        self._text = text
        self._entrypoint = entrypoint
        self._schemas = schemas
        self._fn: TransformFn | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Transform {self.info.ref} ({self.info.engine}, {self.info.status})>"

    def compiled(self) -> TransformFn:
        """Compile on first use so listing transforms never executes transform code."""
        with self._lock:
            if self._fn is None:
                if self.info.engine == "jsonata":
                    self._fn = compile_jsonata(self._text, self.info.ref)
                else:
                    self._fn = compile_python(
                        self._text, self.info.spec_path, self._entrypoint, self.info.ref
                    )
            return self._fn

    def params(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """Declared defaults overlaid with ``params``; undeclared names are an error."""
        given = dict(params or {})
        unknown = sorted(set(given) - set(self.info.parameters))
        if unknown:
            declared = ", ".join(sorted(self.info.parameters)) or "none"
            raise InvalidTransformParams(
                f"Transform {self.info.ref} does not take parameter(s) {', '.join(unknown)}; "
                f"it declares: {declared}."
            )
        return {**self.info.parameters, **given}

    def apply(self, payload: Any, params: Mapping[str, Any]) -> dict[str, Any]:
        """Validate input, run, normalise and validate output; ``params`` already checked."""
        ref = self.info.ref
        if self.info.input_schema is not None:
            problem = self._schemas.problem(self.info.input_schema, payload, "input")
            if problem:
                raise TransformRejected(problem, ref)
        fn = self.compiled()
        try:
            result = _json_result(fn(payload, params))
        except TransformRejected as exc:
            raise TransformRejected(exc.reason, ref) from exc
        except RecursionError as exc:
            raise TransformRejected("input nested too deeply", ref) from exc
        except Exception as exc:
            # A transform bug or an input shape nobody foresaw: the type name is safe to log,
            # the message may quote the payload. The original stays chained for debugging.
            raise TransformRejected(f"transform raised {type(exc).__name__}", ref) from exc
        if not isinstance(result, dict):
            raise TransformRejected("transform did not produce an object", ref)
        problem = self._schemas.problem(self.info.output_schema, result, "output")
        if problem:
            raise TransformRejected(problem, ref)
        return result


def _meta_error(path: Path, what: str) -> TransformLoadError:
    return TransformLoadError(f"Transform metadata {path}: {what}.")


def _read_meta(path: Path, origin: str) -> tuple[TransformInfo, str, str]:
    """Parse one ``*.meta.json``, read its spec and verify the checksum.

    Returns the metadata, the spec text and the Python entry point name.
    """
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _meta_error(path, "not readable JSON") from exc
    if not isinstance(meta, dict):
        raise _meta_error(path, "expected a JSON object")
    unknown = sorted(set(meta) - _META_KEYS)
    if unknown:
        raise _meta_error(path, f"unknown key(s) {', '.join(unknown)}")
    for key in ("id", "version", "engine", "spec", "output_schema", "checksum", "status"):
        if not isinstance(meta.get(key), str) or not meta[key]:
            raise _meta_error(path, f"'{key}' must be a non-empty string")
    transform_id, version = parse_ref(f"{meta['id']}@{meta['version']}")
    assert version is not None
    ref = f"{transform_id}@{version}"
    if meta["engine"] not in ("jsonata", "python"):
        raise _meta_error(path, "'engine' must be 'jsonata' or 'python'")
    if meta["status"] not in ("draft", "stable", "deprecated"):
        raise _meta_error(path, "'status' must be 'draft', 'stable' or 'deprecated'")
    input_schema = meta.get("input_schema")
    if input_schema is not None and not isinstance(input_schema, str):
        raise _meta_error(path, "'input_schema' must be a string or null")
    parameters = meta.get("parameters", {})
    if not isinstance(parameters, dict):
        raise _meta_error(path, "'parameters' must be an object of defaults")
    entrypoint = meta.get("entrypoint", "transform")
    if not isinstance(entrypoint, str) or not entrypoint.isidentifier():
        raise _meta_error(path, "'entrypoint' must be a Python identifier")
    spec_path = (path.parent / meta["spec"]).resolve()
    if spec_path.parent != path.parent.resolve():
        raise _meta_error(path, "'spec' must name a file beside the metadata")
    try:
        text = spec_path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TransformLoadError(
            f"Transform {ref}: spec file {spec_path} is missing or not UTF-8 text."
        ) from exc
    actual = spec_checksum(text)
    if actual != meta["checksum"]:
        raise ChecksumMismatch(
            f"Transform {ref}: checksum mismatch for {spec_path}: metadata says "
            f"{meta['checksum']}, file is {actual}. If the change is intended, update "
            f"'checksum' in {path.name}."
        )
    info = TransformInfo(
        id=transform_id,
        version=version,
        engine=meta["engine"],
        input_schema=input_schema,
        output_schema=meta["output_schema"],
        checksum=meta["checksum"],
        status=meta["status"],
        description=str(meta.get("description", "")),
        parameters=parameters,
        spec_path=spec_path,
        origin=origin,
    )
    return info, text, entrypoint


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


class Registry:
    """Loaded transforms by ref, the schemas they use, and what failed to load."""

    def __init__(
        self,
        transforms: Mapping[str, Transform],
        schemas: SchemaStore,
        errors: Mapping[str, CanonizerError] | None = None,
    ) -> None:
        self._transforms = dict(transforms)
        self.schemas = schemas
        #: Load failures from user directories, keyed by ref (or metadata path if no ref).
        self.errors: dict[str, CanonizerError] = dict(errors or {})

    def list(self) -> builtins.list[TransformInfo]:  # the method shadows `list` here
        """Metadata of every loaded transform, sorted by id then version."""
        infos = [t.info for t in self._transforms.values()]
        return sorted(infos, key=lambda i: (i.id, _version_key(i.version)))

    def get(self, ref: str) -> Transform:
        """The transform for a pinned ref, or the newest *stable* version for an unpinned one."""
        transform_id, version = parse_ref(ref)
        if version is None:
            stable = [
                t
                for t in self._transforms.values()
                if t.info.id == transform_id and t.info.status == "stable"
            ]
            if not stable:
                raise TransformNotFound(f"No stable version of transform {transform_id} is loaded.")
            return max(stable, key=lambda t: _version_key(t.info.version))
        if ref in self._transforms:
            return self._transforms[ref]
        if ref in self.errors:
            raise self.errors[ref]
        known = ", ".join(sorted(self._transforms)) or "none"
        raise TransformNotFound(f"No transform {ref} is loaded. Known transforms: {known}.")

    def transform(
        self, ref: str, payload: Any, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Canonicalise one payload; raises ``TransformRejected`` with a value-free reason."""
        transform = self.get(ref)
        return transform.apply(payload, transform.params(params))


def _collect(
    root: Path, origin: str, schemas: SchemaStore, strict: bool
) -> tuple[dict[str, Transform], dict[str, CanonizerError]]:
    found: dict[str, Transform] = {}
    errors: dict[str, CanonizerError] = {}
    for path in sorted(root.rglob(f"*{META_SUFFIX}")):
        ref = str(path)
        try:
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                ref = f"{raw['id']}@{raw['version']}"
            except Exception:  # the real complaint comes from _read_meta below
                pass
            info, text, entrypoint = _read_meta(path, origin)
            for uri in (info.input_schema, info.output_schema):
                if uri is not None and uri not in schemas:
                    raise SchemaNotFound(f"Transform {info.ref}: no schema with $id {uri}.")
            if info.ref in found:
                raise TransformLoadError(
                    f"Transform {info.ref} is defined twice under {root}: "
                    f"{found[info.ref].info.spec_path} and {info.spec_path}."
                )
            found[info.ref] = Transform(info, text, entrypoint, schemas)
        except CanonizerError as exc:
            if strict:
                raise
            errors[ref] = exc
    return found, errors


def load_registry(extra_dirs: Sequence[str | Path] = (), *, strict: bool = False) -> Registry:
    """Load the shipped transforms and schemas plus those under each of ``extra_dirs``.

    Shipped transforms must load cleanly. Problems under ``extra_dirs`` are kept in
    ``Registry.errors`` and raised when that ref is asked for, unless ``strict`` is true.
    """
    extra = [Path(d).resolve() for d in extra_dirs]
    for d in extra:
        if not d.is_dir():
            raise TransformLoadError(f"Transform directory {d} does not exist.")
    schemas = SchemaStore.from_dirs([PACKAGE_DIR / "schemas", *extra])
    transforms, _ = _collect(PACKAGE_DIR / "transforms", "builtin", schemas, strict=True)
    errors: dict[str, CanonizerError] = {}
    for d in extra:
        found, problems = _collect(d, str(d), schemas, strict)
        errors.update(problems)
        for ref, transform in found.items():
            if ref in transforms:
                # Shadowing a shipped transform would silently change clinical output.
                exc = TransformLoadError(
                    f"Transform {ref} in {transform.info.spec_path} has the same ref as one "
                    "already loaded; give it a new name or version."
                )
                if strict:
                    raise exc
                errors.setdefault(ref, exc)
                continue
            transforms[ref] = transform
    return Registry(transforms, schemas, errors)


def builtin_dirs() -> Iterable[Path]:
    """The shipped transform and schema folders (for tooling and tests)."""
    return (PACKAGE_DIR / "transforms", PACKAGE_DIR / "schemas")
