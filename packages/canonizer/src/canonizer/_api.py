"""The module-level API: one default registry of the shipped transforms, loaded on first use,
and the functions ``transform``, ``canonize``, ``get_transform`` and ``list_transforms`` over it
(or over a registry the caller loaded with user directories). ``canonize`` is the batch path a
job uses: it yields one ``Outcome`` per payload, in order, and never stops on a bad one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from canonizer._registry import Registry, Transform, TransformInfo, load_registry
from canonizer.errors import TransformRejected

__all__ = [
    "Outcome",
    "canonize",
    "default_registry",
    "get_transform",
    "list_transforms",
    "transform",
]

_default: Registry | None = None
_default_lock = threading.Lock()


def default_registry() -> Registry:
    """The shipped transforms, loaded (and checksum-verified) once per process."""
    global _default
    with _default_lock:
        if _default is None:
            _default = load_registry()
        return _default


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result for one payload: exactly one of ``ok`` and ``rejected_reason`` is set."""

    ok: dict[str, Any] | None
    rejected_reason: str | None


def transform(
    ref: str,
    payload: Any,
    *,
    params: Mapping[str, Any] | None = None,
    registry: Registry | None = None,
) -> dict[str, Any]:
    """Canonicalise one payload; the result has been validated against the output schema.

    Raises ``TransformRejected`` (reason names field and rule, never values) for bad data, and
    ``TransformNotFound`` / ``InvalidTransformRef`` / ``InvalidTransformParams`` for bad calls.
    """
    return (registry or default_registry()).transform(ref, payload, params)


def canonize(
    ref: str,
    payloads: Iterable[Any],
    *,
    params: Mapping[str, Any] | None = None,
    registry: Registry | None = None,
) -> Iterator[Outcome]:
    """Yield an ``Outcome`` per payload, in order; no single payload can stop the batch.

    The ref and params are checked before the first payload, so a wrong call fails at once
    rather than as a stream of identical rejections.
    """
    chosen = (registry or default_registry()).get(ref)
    merged = chosen.params(params)
    chosen.compiled()  # a spec that does not compile is a load error, not N rejections
    return _outcomes(chosen, payloads, merged)


def _outcomes(
    chosen: Transform, payloads: Iterable[Any], params: dict[str, Any]
) -> Iterator[Outcome]:
    for payload in payloads:
        try:
            yield Outcome(ok=chosen.apply(payload, params), rejected_reason=None)
        except TransformRejected as exc:
            yield Outcome(ok=None, rejected_reason=exc.reason)
        except Exception as exc:  # schema machinery or a bug: still only this payload's loss
            yield Outcome(ok=None, rejected_reason=f"internal error ({type(exc).__name__})")


def get_transform(ref: str, *, registry: Registry | None = None) -> TransformInfo:
    """Metadata of one transform (a pinned ref, or the newest stable version if unpinned)."""
    return (registry or default_registry()).get(ref).info


def list_transforms(*, registry: Registry | None = None) -> list[TransformInfo]:
    """Metadata of every loaded transform, sorted by id and version."""
    return (registry or default_registry()).list()
