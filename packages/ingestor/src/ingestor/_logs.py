"""Sanitise Meltano's log into a short tail that is safe to show, store and send as telemetry.

Meltano runs with `--log-format json`, so each stderr line is one JSON object with `level`,
`event` and (for plugin output) `name`. A failed run's message must help an operator without
leaking clinical data, so only level, plugin and event survive, and an event is dropped outright
when it carries a Singer RECORD message or JSON (record dumps, schema dumps, metrics). Quoted
literals (where Python and jsonschema print values) and email addresses are replaced by `…`,
and lines left without words are dropped. The tail keeps the last `MAX_LINES` survivors.

Two things a failure must still say survive the redaction: where a schema check failed
(`schema['properties']['size']` becomes `schema.size`, `Failed validating 'type'` keeps `type`,
both identifiers, never values) and the HTTP endpoint of an error (a URL keeps its path; its
host and query string, which can carry search terms, are dropped). `cause_of` picks the one line
that says why a run failed: the last exception or validation line of the tail.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable

import orjson

__all__ = ["MAX_LINES", "cause_of", "sanitize_line", "tail_of"]

MAX_LINES = 20
_MAX_CHARS = 240

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_EMAIL = re.compile(r"[^\s'\"<>(),;:]+@[^\s'\"<>(),;:]+")
_TRACEBACK_FRAME = re.compile(r'^\s*File "[^"]*", line \d+(, in \S+)?\s*$')
_WORD = re.compile(r"[A-Za-z]{2,}")
_SCHEMA_PATH = re.compile(r"\[['\"](?:properties|items)['\"]\](?:\[['\"]([A-Za-z_][\w-]*)['\"]\])?")
_VALIDATOR = re.compile(r"Failed validating ['\"]([A-Za-z]+)['\"]")
_TYPE_RULE = re.compile(r"is not of type ['\"]([a-z]+)['\"]")
_URL = re.compile(r"https?://[^\s/'\"]+(/[^\s?#'\"]*)?(?:\?[^\s#'\"]*)?(?:#\S*)?")
_CAUSE = re.compile(
    r"(?:^|[\s(])(?:[a-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Exit)(?::|\s*$)|Failed validating"
)


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


def cause_of(tail: Iterable[str]) -> str | None:
    """The line of a sanitised tail that says why the run failed, without its level prefix."""
    for line in reversed([line for line in tail if line]):
        _, _, message = line.partition(": ")
        if message and not _TRACEBACK_FRAME.match(message) and _CAUSE.search(message):
            return message
    return None


def _clean(text: str) -> str | None:
    text = " ".join(text.split())
    if not text or "RECORD" in text or _looks_like_json(text):
        return None
    if _TRACEBACK_FRAME.match(text):
        return text  # code locations (file, line, function) are safe and useful
    text = _URL.sub(lambda m: m.group(1) or "/", text)
    text = _SCHEMA_PATH.sub(lambda m: f".{m.group(1)}" if m.group(1) else "[]", text)
    text = _VALIDATOR.sub(r"Failed validating \1", text)
    text = _TYPE_RULE.sub(r"is not of type \1", text)
    text = _EMAIL.sub("…@…", _QUOTED.sub("'…'", text))
    if not _WORD.search(_QUOTED.sub("", text.replace("'…'", ""))):
        return None
    return text


def _looks_like_json(text: str) -> bool:
    # Dict reprs ({'k': 'v'}) are not dropped: their quoted literals are redacted instead.
    return text[0] in "{[" or '{"' in text or '["' in text
