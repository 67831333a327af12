"""The two transform engines: JSONata expressions (jsonata-python) and Python functions.

Each engine turns verified spec text into a callable ``fn(payload, params) -> object``. The text
compiled is the very text whose checksum was verified, never a second read of the file, so a
spec changed on disk after loading cannot run unverified. Engine failures during evaluation
become ``TransformRejected`` with a reason built from error codes and type names only: JSONata
and Python error messages often quote the offending value.
"""

from __future__ import annotations

import re
import sys
import threading
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jsonata

from canonizer.errors import TransformLoadError, TransformRejected

__all__ = ["TransformFn", "compile_jsonata", "compile_python"]

TransformFn = Callable[[Any, Mapping[str, Any]], Any]


def compile_jsonata(text: str, ref: str) -> TransformFn:
    """Parse a JSONata expression once; parameters are bound as ``$name`` variables."""
    try:
        expression = jsonata.Jsonata(text)
    except Exception as exc:  # the parser raises JException and, on odd input, plain errors
        code = getattr(exc, "error", type(exc).__name__)
        raise TransformLoadError(
            f"Transform {ref}: the JSONata expression does not parse ({code})."
        ) from exc
    # jsonata-python keeps per-evaluation state on the expression object (the root binding, the
    # current instance for $now), so concurrent evaluations of one expression must not overlap.
    lock = threading.Lock()

    def run(payload: Any, params: Mapping[str, Any]) -> Any:
        try:
            with lock:
                return expression.evaluate(payload, dict(params))
        except Exception as exc:  # every evaluation failure is a rejection of this payload
            code = getattr(exc, "error", None)
            detail = code if isinstance(code, str) else type(exc).__name__
            raise TransformRejected(f"JSONata evaluation failed ({detail})") from exc

    return run


def compile_python(text: str, path: Path, entrypoint: str, ref: str) -> TransformFn:
    """Execute a transform module from its verified source and return its entry function."""
    module_name = "canonizer._loaded." + re.sub(r"[^A-Za-z0-9_]", "_", ref)
    module = types.ModuleType(module_name)
    module.__file__ = str(path)
    try:
        code = compile(text, str(path), "exec")
        # Registered before exec because dataclasses and typing look their module up by name.
        sys.modules[module_name] = module
        exec(code, module.__dict__)
    except Exception as exc:
        sys.modules.pop(module_name, None)
        raise TransformLoadError(
            f"Transform {ref}: its Python module {path} failed to import ({type(exc).__name__})."
        ) from exc
    fn = getattr(module, entrypoint, None)
    if not callable(fn):
        raise TransformLoadError(
            f"Transform {ref}: {path} has no callable {entrypoint!r} (see 'entrypoint' in its "
            "metadata)."
        )

    def run(payload: Any, params: Mapping[str, Any]) -> Any:
        return fn(payload, params)

    return run
