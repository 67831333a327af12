"""Gmail ``users.messages.get`` (format=full or format=raw) to canonical JMAP Lite email.

Both formats reduce to raw header values and MIME leaves (``canonizer.mail``), so one message
gives the same object either way, apart from ``blobId`` (Gmail's attachmentId exists only in
format=full). Decisions: no ``id`` rejects; neither ``payload`` nor ``raw`` rejects (a
format=minimal/metadata fetch is a fetch bug, not an empty mail); ``raw`` that is not base64url
rejects. A missing or unreadable Date gives ``sentAt: null``; ``receivedAt`` comes from
``internalDate`` and falls back to the Date header, and only when both fail is the message
rejected. Undecodable bodies are dropped, bad charsets decode with replacement characters.
``keywords`` follow labelIds (no UNREAD -> $seen, STARRED -> $flagged, DRAFT -> $draft); without
labelIds the read state is unknown and ``keywords`` is empty.
"""

from __future__ import annotations

import email
from collections.abc import Mapping
from email import policy
from typing import Any

from canonizer.errors import TransformRejected
from canonizer.mail import (
    Headers,
    MailContent,
    classify,
    decode_base64url,
    decode_unstructured,
    gmail_leaves,
    html_to_text,
    importance,
    make_preview,
    message_ids,
    message_leaves,
    parse_addresses,
)
from canonizer.times import format_utc, from_epoch_millis, parse_rfc5322


def _parse(payload: Mapping[str, Any]) -> tuple[Headers, MailContent]:
    raw = payload.get("raw")
    if raw is not None:
        data = decode_base64url(raw)
        if data is None:
            raise TransformRejected("raw: not valid base64url")
        try:
            message = email.message_from_bytes(data, policy=policy.default)
            return Headers.from_message(message), classify(message_leaves(message))
        except TransformRejected:
            raise
        except Exception as exc:
            raise TransformRejected(
                f"raw: message could not be parsed ({type(exc).__name__})"
            ) from exc
    part = payload.get("payload")
    if not isinstance(part, Mapping):
        raise TransformRejected(
            "payload: missing; expected format=full (payload) or format=raw (raw)"
        )
    return Headers.from_gmail(part.get("headers")), classify(gmail_leaves(part))


def header_fields(headers: Headers) -> dict[str, Any]:
    """The JMAP properties that come from message headers alone."""
    sent = parse_rfc5322(headers.get("date"))
    return {
        "sentAt": format_utc(sent) if sent else None,
        "messageId": message_ids(headers.get("message-id")),
        "inReplyTo": message_ids(headers.get("in-reply-to")),
        "references": message_ids(headers.get("references")),
        "from": parse_addresses(headers.get("from")),
        "to": parse_addresses(headers.get("to")),
        "cc": parse_addresses(headers.get("cc")),
        "bcc": parse_addresses(headers.get("bcc")),
        "replyTo": parse_addresses(headers.get("reply-to")),
        "subject": decode_unstructured(headers.get("subject")),
        "importance": importance(headers),
    }


def _keywords(label_ids: object) -> dict[str, bool]:
    if not isinstance(label_ids, list):
        return {}
    keywords: dict[str, bool] = {}
    if "UNREAD" not in label_ids:
        keywords["$seen"] = True
    if "STARRED" in label_ids:
        keywords["$flagged"] = True
    if "DRAFT" in label_ids:
        keywords["$draft"] = True
    return keywords


def transform(payload: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Map one Gmail message to JMAP Lite (``params`` unused)."""
    message_id = payload["id"]
    headers, content = _parse(payload)
    fields = header_fields(headers)
    received = from_epoch_millis(payload.get("internalDate")) or fields["sentAt"]
    if received is None:
        raise TransformRejected("receivedAt: neither internalDate nor a Date header is usable")
    thread_id = payload.get("threadId")
    label_ids = payload.get("labelIds")
    size = payload.get("sizeEstimate")
    if content.text is not None and content.text.strip():
        preview = make_preview(content.text)
    else:
        preview = make_preview(html_to_text(content.html)) if content.html else ""
    return {
        "id": message_id,
        "threadId": thread_id if isinstance(thread_id, str) and thread_id else message_id,
        "receivedAt": received,
        **{k: v for k, v in fields.items() if k != "importance"},
        "preview": preview,
        "body": {"text": content.text, "html": content.html},
        "attachments": content.attachments,
        "hasAttachment": any(not a["isInline"] for a in content.attachments),
        "keywords": _keywords(label_ids),
        "labels": list(
            dict.fromkeys(x for x in label_ids if isinstance(x, str))
            if isinstance(label_ids, list)
            else []
        ),
        "size": size
        if isinstance(size, int) and not isinstance(size, bool) and size >= 0
        else None,
        "importance": fields["importance"],
    }
