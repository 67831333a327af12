"""Shared fixtures for the canonizer tests: synthetic Gmail messages in both API formats.

``gmail`` turns one RFC 5322 message into what ``users.messages.get`` returns with
``format=raw`` and with ``format=full``, the latter built the way Gmail builds it: the MIME tree
as part dicts, raw header values, bodies transfer-decoded and base64url-encoded, attachments
replaced by an ``attachmentId``. All people, addresses and ids are invented.
"""

from __future__ import annotations

import base64
import email
from email import policy
from email.message import Message
from typing import Any

import pytest

CANARY = "CANARY-7f3e-PHI-do-not-log"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def _part(part: Message, part_id: str) -> dict[str, Any]:
    mime = part.get_content_type()
    filename = part.get_filename() or ""
    result: dict[str, Any] = {
        "partId": part_id,
        "mimeType": mime,
        "filename": filename,
        "headers": [{"name": k, "value": str(v)} for k, v in part.raw_items()],
    }
    if mime.startswith("multipart/"):
        children = part.get_payload()
        assert isinstance(children, list)
        result["body"] = {"size": 0}
        result["parts"] = [
            _part(child, f"{part_id}.{i}" if part_id else str(i))
            for i, child in enumerate(children)
        ]
        return result
    if mime == "message/rfc822":
        inner = part.get_payload()
        assert isinstance(inner, list)
        data = b"".join(m.as_bytes() for m in inner)
    else:
        decoded = part.get_payload(decode=True)
        data = decoded if isinstance(decoded, bytes) else b""
    if filename:
        result["body"] = {"size": len(data), "attachmentId": f"ANGjdJ-{part_id or 'root'}"}
    else:
        result["body"] = {"size": len(data), "data": b64url(data)}
    return result


class GmailBuilder:
    """Build Gmail API message resources (format=full and format=raw) from message bytes."""

    def meta(self, message_id: str = "18f0000000000001", **extra: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "id": message_id,
            "threadId": "18f00000000000aa",
            "labelIds": ["INBOX", "UNREAD"],
            "snippet": "synthetic",
            "historyId": "4242",
            "internalDate": "1717430400000",
            "sizeEstimate": 4096,
        }
        base.update(extra)
        return base

    def raw(self, data: bytes, **meta: Any) -> dict[str, Any]:
        return {**self.meta(**meta), "raw": b64url(data)}

    def full(self, data: bytes, **meta: Any) -> dict[str, Any]:
        parsed = email.message_from_bytes(data, policy=policy.default)
        return {**self.meta(**meta), "payload": _part(parsed, "")}


@pytest.fixture
def gmail() -> GmailBuilder:
    return GmailBuilder()


@pytest.fixture
def canary() -> str:
    return CANARY
