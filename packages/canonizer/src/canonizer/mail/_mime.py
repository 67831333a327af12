"""The MIME tree, walked the same way whichever provider format it arrived in.

Two walkers flatten a message into leaf parts: one over Gmail's ``payload`` part dicts (bodies
already transfer-decoded, base64url in ``body.data``), one over a stdlib ``email`` message
parsed from ``raw``. ``classify`` then decides, by one rule for both, which leaves are the text
and HTML bodies and which are attachments, so the same mail gives the same canonical content.

The rule: a ``text/plain`` or ``text/html`` leaf with no filename and a disposition other than
``attachment`` is body (several such leaves are joined with a newline, in tree order); every
other leaf, ``message/rfc822`` included (it is not descended into), is an attachment. An
attachment is inline when its disposition is ``inline``, or absent with a Content-ID.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from canonizer.mail._headers import (
    Headers,
    decode_unstructured,
    message_ids,
    parse_content_disposition,
    parse_content_type,
)
from canonizer.mail._text import decode_base64url, decode_text, normalize_newlines

__all__ = ["Leaf", "MailContent", "classify", "gmail_leaves", "message_leaves"]

# Real mail nests a handful of levels; a hostile payload nested thousands deep is cut here.
MAX_DEPTH = 32


@dataclass(frozen=True)
class Leaf:
    """One non-multipart part: type, raw headers, decoded content (``None`` if unavailable)."""

    mime_type: str
    headers: Headers
    content: bytes | None
    size: int
    blob_id: str | None = None
    provider_filename: str | None = None


@dataclass
class MailContent:
    """Decoded bodies and attachment records (JMAP property names) of one message."""

    text: str | None = None
    html: str | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)


def gmail_leaves(part: object, depth: int = 0) -> Iterator[Leaf]:
    """Leaves of a Gmail ``payload`` tree; non-dict parts and undecodable data are skipped."""
    if not isinstance(part, Mapping) or depth > MAX_DEPTH:
        return
    headers = Headers.from_gmail(part.get("headers"))
    mime = part.get("mimeType")
    if not isinstance(mime, str) or "/" not in mime:
        mime = parse_content_type(headers.get("content-type"))[0] or "text/plain"
    mime = mime.strip().lower()
    if mime.startswith("multipart/"):
        children = part.get("parts")
        if isinstance(children, list):
            for child in children:
                yield from gmail_leaves(child, depth + 1)
        return
    body = part.get("body")
    body = body if isinstance(body, Mapping) else {}
    content = decode_base64url(body.get("data")) if body.get("data") is not None else None
    size = body.get("size")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        size = len(content) if content is not None else 0
    blob_id = body.get("attachmentId")
    filename = part.get("filename")
    yield Leaf(
        mime_type=mime,
        headers=headers,
        content=content,
        size=size,
        blob_id=blob_id if isinstance(blob_id, str) and blob_id else None,
        provider_filename=filename if isinstance(filename, str) and filename else None,
    )


def _message_bytes(part: Message) -> bytes | None:
    try:
        payload = part.get_payload()
        if isinstance(payload, list):
            return b"".join(m.as_bytes() for m in payload if isinstance(m, Message))
        decoded = part.get_payload(decode=True)
    except Exception:  # broken transfer encodings surface here in odd ways
        return None
    return decoded if isinstance(decoded, bytes) else None


def message_leaves(part: Message, depth: int = 0) -> Iterator[Leaf]:
    """Leaves of a stdlib message; bodies transfer-decoded (base64, quoted-printable)."""
    if depth > MAX_DEPTH:
        return
    mime = part.get_content_type().lower()
    if mime.startswith("multipart/") and part.is_multipart():
        payload = part.get_payload()
        if isinstance(payload, list):
            for child in payload:
                if isinstance(child, Message):
                    yield from message_leaves(child, depth + 1)
        return
    content = _message_bytes(part)
    yield Leaf(
        mime_type=mime,
        headers=Headers.from_message(part),
        content=content,
        size=len(content) if content is not None else 0,
    )


def _filename(leaf: Leaf, ctype: Mapping[str, str], disp: Mapping[str, str]) -> str | None:
    name = disp.get("filename") or ctype.get("name")
    if name and "=?" in name:
        # Non-standard but common: RFC 2047 encoded words inside a quoted parameter.
        name = decode_unstructured(name)
    name = (name or "").strip() or leaf.provider_filename
    return name or None


def classify(leaves: Iterator[Leaf]) -> MailContent:
    """Split leaves into text body, HTML body and attachments (see the module docstring)."""
    texts: list[str] = []
    htmls: list[str] = []
    result = MailContent()
    for leaf in leaves:
        _, ctype_params = parse_content_type(leaf.headers.get("content-type"))
        disposition, disp_params = parse_content_disposition(
            leaf.headers.get("content-disposition")
        )
        filename = _filename(leaf, ctype_params, disp_params)
        ids = message_ids(leaf.headers.get("content-id"))
        cid = ids[0] if ids else None
        if (
            leaf.mime_type in ("text/plain", "text/html")
            and disposition != "attachment"
            and not filename
        ):
            if leaf.content is None:
                continue  # body stored elsewhere or undecodable: nothing recoverable here
            text = normalize_newlines(decode_text(leaf.content, ctype_params.get("charset")))
            (texts if leaf.mime_type == "text/plain" else htmls).append(text)
            continue
        result.attachments.append(
            {
                "filename": filename or "unnamed",
                "mimeType": leaf.mime_type,
                "size": leaf.size,
                "blobId": leaf.blob_id,
                "cid": cid,
                "isInline": disposition == "inline" or (disposition is None and cid is not None),
            }
        )
    result.text = "\n".join(texts) if texts else None
    result.html = "\n".join(htmls) if htmls else None
    return result
