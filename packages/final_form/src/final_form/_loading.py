"""Reading one JSON data file into a pydantic model, with errors that name file and field.

Instrument definitions and form bindings are both JSON files validated by pydantic models;
this module is the one place that turns a syntax error or a ``ValidationError`` into a
:class:`~final_form.errors.DefinitionError` whose message starts with the file name and then
gives the field path (``phq9.json: scales[0].bands[1].min: ...``), so a clinician editing a
definition sees exactly what to fix.
"""

from __future__ import annotations

import json
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from final_form.errors import DefinitionError

ModelT = TypeVar("ModelT", bound=BaseModel)

# pydantic prefixes messages raised from validators; the field path we put in them is
# clearer without it.
_PREFIXES = ("Value error, ", "Assertion failed, ")


def read_json(source: Path | Traversable) -> Any:
    """Parse ``source`` as JSON, raising DefinitionError naming the file and line on failure."""
    name = source.name
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise DefinitionError(f"{name}: cannot be read ({exc.strerror or exc})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DefinitionError(
            f"{name}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc


def validate(model: type[ModelT], data: Any, name: str) -> ModelT:
    """Validate ``data`` as ``model``; on failure raise DefinitionError naming ``name``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise DefinitionError(format_errors(name, exc)) from None


def format_errors(name: str, exc: ValidationError) -> str:
    """One line per problem, each prefixed by the file name and the field path."""
    lines = []
    for error in exc.errors(include_url=False, include_input=False):
        message = str(error["msg"])
        for prefix in _PREFIXES:
            if message.startswith(prefix):
                message = message[len(prefix) :]
        path = format_loc(error["loc"])
        lines.append(f"{name}: {path}: {message}" if path else f"{name}: {message}")
    return "\n".join(lines)


def format_loc(loc: tuple[int | str, ...]) -> str:
    """``("scales", 0, "bands")`` -> ``"scales[0].bands"``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
