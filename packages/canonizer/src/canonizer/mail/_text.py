"""Text helpers for mail bodies: base64url, charset decoding that never raises, HTML to plain
text, and the ``preview`` string. Gmail full and Gmail raw bodies both pass through
``decode_text`` so the two formats of one message decode to the same characters whatever
charset (or mislabelled charset) the sender used.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from html.parser import HTMLParser

__all__ = ["decode_base64url", "decode_text", "html_to_text", "make_preview", "normalize_newlines"]

PREVIEW_LENGTH = 256
_B64_RE = re.compile(r"^[A-Za-z0-9_\-+/]*={0,2}$")


def decode_base64url(data: object) -> bytes | None:
    """Decode base64url (padding optional; standard alphabet tolerated); ``None`` if invalid."""
    if not isinstance(data, str):
        return None
    compact = re.sub(r"\s+", "", data)
    if not _B64_RE.match(compact):
        return None
    compact = compact.rstrip("=")
    if len(compact) % 4 == 1:
        return None
    try:
        return base64.urlsafe_b64decode(compact + "=" * (-len(compact) % 4))
    except (binascii.Error, ValueError):
        return None


def _codec(charset: str | None) -> str | None:
    """Python codec name for a MIME charset label, or ``None`` if unknown or not a text codec."""
    if not charset:
        return None
    label = charset.strip().strip("\"'").lower()
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):
        return None
    # codecs.lookup also finds bytes-to-bytes codecs (base64, zlib); never "decode" with those.
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def decode_text(content: bytes, charset: str | None) -> str:
    """Decode body bytes: declared charset, else UTF-8, else the declared or windows-1252 codec
    with replacement characters. Never raises.

    Declared labels are often wrong (``us-ascii`` on 8-bit text, or an unknown label), which is
    why a strict UTF-8 attempt sits between the declared codec and the lossy last resort.
    """
    name = _codec(charset)
    if name is not None:
        try:
            return content.decode(name)
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode(name or "windows-1252", errors="replace")
    except LookupError:
        return content.decode("windows-1252", errors="replace")


def normalize_newlines(text: str) -> str:
    """CRLF and CR to LF: providers differ in whether they keep the wire line endings."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt footer form h1 h2 h3 h4 h5 h6 header hr "
    "li main nav ol p pre section table td th tr ul".split()
)
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML body: tags dropped, entities decoded, script/style skipped."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
        text = "".join(parser.chunks)
    except Exception:  # html.parser is lenient, but a last-resort tag strip beats a crash
        text = re.sub(r"<[^>]*>", " ", html)
    return re.sub(r"\n\s*\n+", "\n\n", text).strip()


def make_preview(text: str | None) -> str:
    """At most 256 characters of ``text`` with all whitespace runs collapsed to one space."""
    if not text:
        return ""
    return " ".join(text.split())[:PREVIEW_LENGTH].rstrip()
