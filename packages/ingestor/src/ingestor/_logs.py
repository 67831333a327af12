"""Sanitise Meltano's log into a short tail that is safe to show, store and send as telemetry.

Meltano runs with `--log-format json`, so each stderr line is one JSON object with `level`,
`event` and (for plugin output) `name`. A failed run's message must help an operator without
leaking clinical data, so only level, plugin and event survive, and an event is dropped outright
when it carries a Singer RECORD message or JSON (record dumps, schema dumps, metrics). Quoted
literals (where Python and jsonschema print values) and email addresses are replaced by `…`,
and lines left without words are dropped. The tail keeps the last `MAX_LINES` survivors.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable

import orjson

__all__ = ["MAX_LINES", "sanitize_line", "tail_of"]

MAX_LINES = 20
_MAX_CHARS = 240

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_EMAIL = re.compile(r"[^\s'\"<>(),;:]+@[^\s'\"<>(),;:]+")
_TRACEBACK_FRAME = re.compile(r'^\s*File "[^"]*", line \d+(, in \S+)?\s*$')
_WORD = re.compile(r"[A-Za-z]{2,}")


def sanitize_line(raw: str) -> str | None:
    """Return a safe one-line summary of one Meltano log line, or None to drop it."""
    raw = raw.strip()
    if not raw:
        return None
    level, plugin, event, err = "log", "meltano", raw, ""
    if raw.startswith("{"):
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None  # a JSON-looking line that is not a log record: never show it
        if not isinstance(parsed, dict):
            return None
        level = str(parsed.get("level") or "log")
        plugin = str(parsed.get("name") or "meltano")
        event = str(parsed.get("event") or "")
        if isinstance(parsed.get("err"), str):
            err = parsed["err"]
    cleaned = _clean(event)
    if cleaned is None:
        return None
    line = f"{level} {plugin}: {cleaned}"
    if err:
        cleaned_err = _clean(err)
        if cleaned_err:
            line += f" ({cleaned_err})"
    return line[:_MAX_CHARS]


def tail_of(lines: Iterable[str], limit: int = MAX_LINES) -> list[str]:
    """Sanitise `lines` and keep the last `limit` that survive."""
    kept: deque[str] = deque(maxlen=limit)
    for raw in lines:
        clean = sanitize_line(raw)
        if clean is not None:
            kept.append(clean)
    return list(kept)


def _clean(text: str) -> str | None:
    text = " ".join(text.split())
    if not text or "RECORD" in text or _looks_like_json(text):
        return None
    if _TRACEBACK_FRAME.match(text):
        return text  # code locations (file, line, function) are safe and useful
    text = _EMAIL.sub("…@…", _QUOTED.sub("'…'", text))
    if not _WORD.search(_QUOTED.sub("", text.replace("'…'", ""))):
        return None
    return text


def _looks_like_json(text: str) -> bool:
    # Dict reprs ({'k': 'v'}) are not dropped: their quoted literals are redacted instead.
    return text[0] in "{[" or '{"' in text or '["' in text
