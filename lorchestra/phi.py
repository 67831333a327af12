"""PHI tags and masking: which values may be recorded, and what is recorded in their place.

Every job parameter may hold protected health information unless its annotation says otherwise
with :data:`NotPHI` (``account: Annotated[str | None, NotPHI] = None``); a ``bool`` parameter
never can (it has two values). Table columns carry the same tag as ``Column(phi=...)``.

Where a PHI value would be recorded (logs, ``event_log``, ``runs list/show``, error messages)
lorchestra records ``phi:<10 hex>`` instead: an HMAC-SHA256 of the value under a secret kept in
the data home (``<home>/phi-mask.key``, 0600, made on first use). The same value masks the same
way within one home, so runs can be correlated, and cannot be recovered or guessed from the mask
without that file. :func:`remember` registers the PHI values of this process so that
:func:`scrub` can replace them in any text (error messages, third-party log lines) on its way
out.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["NotPHI", "is_phi", "mask", "mask_key", "remember", "scrub"]

KEY_FILE = "phi-mask.key"
_PREFIX = "phi:"
_MIN_LENGTH = 3  # shorter values ("1", "no") would scrub unrelated text and say nothing


class _NotPHI:
    """Marker for ``Annotated[...]``: this parameter never holds PHI and is recorded as is."""

    _instance: _NotPHI | None = None

    def __new__(cls) -> _NotPHI:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NotPHI"


NotPHI = _NotPHI()

_LOCK = threading.Lock()
_KNOWN: dict[str, str] = {}


def is_phi(annotation: Any) -> bool:
    """Whether a parameter with this (evaluated) annotation may hold PHI: yes unless tagged."""
    if annotation is bool:
        return False
    if typing.get_origin(annotation) is typing.Annotated:
        if any(meta is NotPHI for meta in annotation.__metadata__):
            return False
        annotation = typing.get_args(annotation)[0]
    return _strip_optional(annotation) is not bool


def mask_key(home: Path) -> bytes:
    """The home's masking secret, created (0600) on first use."""
    path = home / KEY_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_bytes()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def mask(value: Any, key: bytes) -> str:
    """``phi:`` and the first 10 hex digits of HMAC-SHA256(key, value)."""
    digest = hmac.new(key, _text(value).encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{_PREFIX}{digest[:10]}"


def remember(values: Iterable[Any], key: bytes) -> dict[str, str]:
    """Register PHI values for :func:`scrub` and return their masks (``text -> mask``)."""
    masks: dict[str, str] = {}
    for value in values:
        for text in _texts(value):
            if len(text) >= _MIN_LENGTH:
                masks[text] = mask(text, key)
    with _LOCK:
        _KNOWN.update(masks)
    return masks


def scrub(text: str) -> str:
    """Replace every registered PHI value in ``text`` by its mask (longest values first)."""
    if not _KNOWN or not text:
        return text
    with _LOCK:
        known = sorted(_KNOWN.items(), key=lambda item: -len(item[0]))
    for value, masked in known:
        if value in text:
            text = text.replace(value, masked)
    return text


def scrub_value(value: Any) -> Any:
    """:func:`scrub` applied through strings, lists and dicts (for structured log events)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: scrub_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_value(item) for item in value]
    return value


def _strip_optional(annotation: Any) -> Any:
    args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    if typing.get_origin(annotation) is not None and len(args) == 1 and (
        type(None) in typing.get_args(annotation)
    ):
        return args[0]
    return annotation


def _text(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _texts(value: Any) -> list[str]:
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_text(item) for item in value] + ([",".join(map(_text, value))] if value else [])
    if value is None or isinstance(value, bool):
        return []
    return [_text(value)]
