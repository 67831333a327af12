"""Stream the records of a JSONL file written by an extraction, reporting bad lines by number.

`iter_jsonl_records` reads the file line by line with orjson, so memory stays flat however big
the file is. A line that is not a JSON object is reported with its 1-based line number and a
reason that never quotes the line (it may hold clinical data): in "yield" mode as a `BadLine`
value in the stream, which goes on; in "raise" mode as `MalformedLineError`. Blank lines are
skipped. `strip_sdc=True` drops the top-level `_sdc_*` metadata fields some Singer taps add (the
bundled sample extractors already remove them with stream maps).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Literal, overload

import orjson

from ingestor.errors import MalformedLineError

__all__ = ["BadLine", "iter_jsonl_records", "read_jsonl_line"]

Record = dict[str, Any]
OnError = Literal["yield", "raise"]


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that is not a JSON object: its 1-based number and why, without its content."""

    line_number: int
    reason: str


@overload
def iter_jsonl_records(path: str | os.PathLike[str], *, on_error: Literal["raise"],
                       strip_sdc: bool = ...,
                       lines: Iterable[bytes] | None = ...) -> Iterator[Record]: ...


@overload
def iter_jsonl_records(path: str | os.PathLike[str], *, on_error: Literal["yield"] = ...,
                       strip_sdc: bool = ...,
                       lines: Iterable[bytes] | None = ...) -> Iterator[Record | BadLine]: ...


def iter_jsonl_records(path: str | os.PathLike[str], *, on_error: OnError = "yield",
                       strip_sdc: bool = False,
                       lines: Iterable[bytes] | None = None) -> Iterator[Record | BadLine]:
    """Yield each JSON object in `path`; report malformed lines as `BadLine` or raise.

    on_error="yield" (default) yields a `BadLine(line_number, reason)` in place of each bad line
    and carries on; on_error="raise" raises `MalformedLineError` at the first one. `lines`, when
    given, are read instead of opening `path` (which then only names them in errors): the host
    passes the lines of an extract it keeps encrypted.
    """
    if on_error not in ("yield", "raise"):
        raise ValueError(f"on_error must be 'yield' or 'raise', not {on_error!r}.")
    with _lines(path, lines) as source:
        for line_number, raw in enumerate(source, start=1):
            line = raw.strip()
            if not line:
                continue
            value = read_jsonl_line(line, strip_sdc=strip_sdc)
            if not isinstance(value, str):
                yield value
                continue
            if on_error == "raise":
                raise MalformedLineError(os.fspath(path), line_number, value)
            yield BadLine(line_number, value)


def read_jsonl_line(line: bytes, *, strip_sdc: bool = False) -> Record | str:
    """One non-blank line as a JSON object, or why it is not one (never quoting it)."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return f"not valid JSON (error at character {exc.pos})"
    if type(value) is not dict:
        return f"a JSON {_json_type(value)}, not an object"
    if strip_sdc and b'"_sdc_' in line:  # a cheap look first: most lines have none
        return {k: v for k, v in value.items() if not k.startswith("_sdc_")}
    return value


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array"


def _lines(path: str | os.PathLike[str], lines: Iterable[bytes] | None) -> Any:
    """A context manager over the lines to parse: `lines` as given, or `path` opened."""
    if lines is not None:
        return nullcontext(lines)
    return open(path, "rb")
