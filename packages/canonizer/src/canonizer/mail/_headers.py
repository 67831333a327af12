"""Mail header access and parsing on raw header text, shared by every mail source.

Gmail ``format=full`` hands over header values as strings and ``format=raw`` hands over a whole
message; both are reduced here to the same list of raw (unfolded) values and parsed by the same
functions, built on the stdlib ``email.headerregistry`` parsers of ``email.policy.default``.
They decode RFC 2047 encoded words, RFC 2231 parameters, quoted commas in display names and
groups; whatever they cannot read yields fewer addresses or ``None``, never an exception.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from email import policy
from email.message import Message
from email.utils import getaddresses
from typing import Any

from canonizer.mail._text import decode_text

__all__ = [
    "Headers",
    "decode_unstructured",
    "importance",
    "message_ids",
    "parse_addresses",
    "parse_content_disposition",
    "parse_content_type",
]

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FOLD_RE = re.compile(r"\r?\n(?=[ \t])")
_MSGID_RE = re.compile(r"<([^<>\s]+)>")
# Obsolete "addr@example.org (Display Name)": RFC 8621 4.1.2.3 uses the comment as the name.
_COMMENT_NAME_RE = re.compile(r"(?:^|,)\s*([^\s<>(),\"]+@[^\s<>(),\"]+)\s*\(([^()]*)\)\s*(?=,|$)")


def _clean_raw(value: str) -> str:
    """Unfold a header value; re-decode 8-bit header bytes the parser kept as surrogates."""
    if "\n" in value or "\r" in value:
        value = _FOLD_RE.sub("", value).replace("\r", "").replace("\n", "")
    if not value.isascii() and any("\udc80" <= ch <= "\udcff" for ch in value):
        # message_from_bytes keeps non-ASCII header bytes as surrogate escapes; senders mean
        # UTF-8 (RFC 6532) far more often than anything else.
        value = decode_text(value.encode("utf-8", "surrogateescape"), "utf-8")
    return value


def _clean_phrase(value: str) -> str:
    """Display text: control characters (from broken encoded words) dropped, spaces collapsed."""
    return " ".join(_CONTROL_RE.sub("", value).split())


class Headers:
    """Raw header values by case-insensitive name (the first of each name), cleaned on read."""

    __slots__ = ("_first",)

    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        first: dict[str, str] = {}
        for name, value in items:
            first.setdefault(name.strip().lower(), value)
        self._first = first

    @classmethod
    def from_gmail(cls, headers: object) -> Headers:
        """From a Gmail part's ``headers[{name, value}]``; malformed entries are skipped."""
        items: list[tuple[str, str]] = []
        if isinstance(headers, list):
            for entry in headers:
                if type(entry) is dict or isinstance(entry, Mapping):
                    name, value = entry.get("name"), entry.get("value")
                    if type(name) is str and type(value) is str:
                        items.append((name, value))
                    elif isinstance(name, str) and isinstance(value, str):
                        items.append((name, value))
        return cls(items)

    @classmethod
    def from_message(cls, message: Message) -> Headers:
        """From a stdlib message part, using the raw (undecoded) header text."""
        return cls((str(name), str(value)) for name, value in message.raw_items())

    def get(self, name: str) -> str | None:
        """The first value of ``name`` (mail headers that may appear once use the first)."""
        value = self._first.get(name.lower())
        return None if value is None else _clean_raw(value)


def _factory(name: str, value: str) -> Any:
    return policy.default.header_factory(name, value)


# The plain forms most mail uses: "Name Words <local@domain>" or "local@domain", comma
# separated; names of letters, digits, apostrophes and hyphens, addresses of ASCII atoms (no
# quotes, comments, encoded words, dots in the name, groups or routes). For these the stdlib
# parser's answer is the text itself, so it is read here directly; everything else goes through
# the stdlib parser (packages/canonizer/tests/test_fast_paths.py compares the two).
_ATOM_NAME = r"(?:[^\W_]|['\-])+(?:[ \t]+(?:[^\W_]|['\-])+)*"
_DOT_ATOM = r"[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*"
_ADDR_SPEC = rf"{_DOT_ATOM}@{_DOT_ATOM}"
_PLAIN_ADDRESS_RE = re.compile(
    rf"[ \t]*(?:({_ATOM_NAME})[ \t]*<({_ADDR_SPEC})>|<({_ADDR_SPEC})>|({_ADDR_SPEC}))[ \t]*"
)


def _plain_addresses(value: str) -> list[tuple[str, str]] | None:
    """``(display name, addr-spec)`` pairs when every item is a plain form, else ``None``."""
    pairs: list[tuple[str, str]] = []
    for item in value.split(","):
        match = _PLAIN_ADDRESS_RE.fullmatch(item)
        if match is None:
            return None
        name, bracketed, angle_only, bare = match.groups()
        if name is not None:
            pairs.append((" ".join(name.split()), bracketed))
        else:
            pairs.append(("", angle_only or bare))
    return pairs


def parse_addresses(value: str | None) -> list[dict[str, str | None]]:
    """EmailAddress objects ``{name, email}`` from an address-list header value."""
    if not value:
        return []
    plain = _plain_addresses(value)
    if plain is not None:
        return [{"name": name or None, "email": email} for name, email in plain]
    return [{"name": name, "email": email} for name, email in _parsed_addresses(value)]


@functools.lru_cache(maxsize=4096)
def _parsed_addresses(value: str) -> tuple[tuple[str | None, str], ...]:
    """The stdlib parser's reading (cached: a mailbox's correspondents repeat)."""
    pairs: list[tuple[str, str]]
    try:
        header = _factory("To", value)
        pairs = [(a.display_name, a.addr_spec) for a in header.addresses]
    except Exception:  # the stdlib parser has raised on pathological input before
        pairs = getaddresses([value])
    comment_names = {m.group(1): m.group(2) for m in _COMMENT_NAME_RE.finditer(value)}
    result: list[tuple[str | None, str]] = []
    for display_name, addr_spec in pairs:
        email = _clean_phrase(addr_spec or "")
        if not email or email == "<>":
            continue
        name = _clean_phrase(display_name or "") or _clean_phrase(comment_names.get(email, ""))
        result.append((name or None, email))
    return tuple(result)


def message_ids(value: str | None) -> list[str]:
    """Message ids without angle brackets, from Message-ID / In-Reply-To / References."""
    if not value:
        return []
    found = _MSGID_RE.findall(value)
    if found:
        return list(dict.fromkeys(found))
    # Some senders omit the brackets; take whitespace- or comma-separated tokens as they are.
    tokens = [t.strip("<>") for t in re.split(r"[\s,]+", value)]
    return list(dict.fromkeys(t for t in tokens if t))


def decode_unstructured(value: str | None) -> str | None:
    """An unstructured header (Subject) with encoded words decoded."""
    if value is None:
        return None
    if "=?" not in value and value.isascii() and value.isprintable():
        # No encoded word and nothing to drop: the stdlib parser would return the text as is.
        return value.strip()
    return _decoded_unstructured(value)


@functools.lru_cache(maxsize=4096)
def _decoded_unstructured(value: str) -> str:
    """The stdlib parser's decoding, control characters dropped (cached)."""
    try:
        decoded = str(_factory("Subject", value))
    except Exception:
        decoded = value
    return _CONTROL_RE.sub("", decoded).strip()


def parse_content_type(value: str | None) -> tuple[str | None, dict[str, str]]:
    """``(type/subtype or None, params)`` of a Content-Type value, parameters decoded."""
    if not value:
        return None, {}
    ctype, params = _content_type(value)
    return ctype, dict(params)


@functools.lru_cache(maxsize=4096)
def _content_type(value: str) -> tuple[str | None, dict[str, str]]:
    """Cached: a mailbox repeats a few leaf Content-Types (``text/plain; charset=UTF-8``)."""
    try:
        header = _factory("Content-Type", value)
        params = {str(k).lower(): str(v) for k, v in header.params.items()}
        ctype = str(header.content_type).lower()
    except Exception:
        return None, {}
    return (ctype if "/" in ctype else None), params


def parse_content_disposition(value: str | None) -> tuple[str | None, dict[str, str]]:
    """``(inline|attachment|… or None, params)`` of a Content-Disposition value."""
    if not value:
        return None, {}
    disposition, params = _content_disposition(value)
    return disposition, dict(params)


@functools.lru_cache(maxsize=4096)
def _content_disposition(value: str) -> tuple[str | None, dict[str, str]]:
    """Cached like ``_content_type``: dispositions repeat as much."""
    try:
        header = _factory("Content-Disposition", value)
        params = {str(k).lower(): str(v) for k, v in header.params.items()}
        disposition = header.content_disposition
    except Exception:
        return None, {}
    return (str(disposition).lower() if disposition else None), params


def importance(headers: Headers) -> str:
    """``low`` / ``normal`` / ``high`` from Importance, Priority, X-Priority, X-MSMail-Priority."""
    for name in ("importance", "x-msmail-priority"):
        value = (headers.get(name) or "").strip().lower()
        if value in ("high", "low", "normal"):
            return value
    priority = (headers.get("priority") or "").strip().lower()
    if priority == "urgent":
        return "high"
    if priority == "non-urgent":
        return "low"
    m = re.match(r"\s*(\d)", headers.get("x-priority") or "")
    if m:
        level = int(m.group(1))
        if level in (1, 2):
            return "high"
        if level in (4, 5):
            return "low"
    return "normal"
