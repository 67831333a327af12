"""Microsoft Graph ``message`` to canonical JMAP Lite email.

Graph has already parsed the MIME message, so this is mostly a mapping: ``conversationId`` is
the thread (falling back to ``id``), ``receivedDateTime`` (then ``createdDateTime``, then
``sentDateTime``) gives ``receivedAt`` and a message with none of them is rejected, ``from``
falls back to ``sender``, ``isRead`` / ``flag.flagStatus == "flagged"`` / ``isDraft`` become
``$seen`` / ``$flagged`` / ``$draft``, ``categories`` are the labels. In-Reply-To and References
come from ``internetMessageHeaders`` when the fetch asked for them; attachments only when it
expanded them (``$expand=attachments``). Graph reports no size, so ``size`` is null.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from canonizer.errors import TransformRejected
from canonizer.mail import Headers, html_to_text, make_preview, message_ids, normalize_newlines
from canonizer.times import format_utc, parse_iso


def _time(value: object) -> str | None:
    parsed = parse_iso(value)
    return format_utc(parsed) if parsed else None


def _address(recipient: object) -> dict[str, str | None] | None:
    if not isinstance(recipient, Mapping):
        return None
    inner = recipient.get("emailAddress")
    if not isinstance(inner, Mapping):
        return None
    address, name = inner.get("address"), inner.get("name")
    if not isinstance(address, str) or not address.strip():
        return None  # Exchange-internal senders can lack an SMTP address
    clean_name = " ".join(name.split()) if isinstance(name, str) else ""
    return {"name": clean_name or None, "email": address.strip()}


def _addresses(recipients: object) -> list[dict[str, str | None]]:
    if not isinstance(recipients, list):
        return []
    return [a for a in (_address(r) for r in recipients) if a is not None]


def _attachments(items: object) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        return []
    result: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        name, ctype, size = item.get("name"), item.get("contentType"), item.get("size")
        blob_id, cid = item.get("id"), item.get("contentId")
        ids = message_ids(cid) if isinstance(cid, str) else []
        result.append(
            {
                "filename": name.strip() if isinstance(name, str) and name.strip() else "unnamed",
                "mimeType": ctype.strip().lower()
                if isinstance(ctype, str) and "/" in ctype
                else "application/octet-stream",
                "size": size if isinstance(size, int) and not isinstance(size, bool) else 0,
                "blobId": blob_id if isinstance(blob_id, str) and blob_id else None,
                "cid": ids[0] if ids else None,
                "isInline": item.get("isInline") is True,
            }
        )
    return result


def transform(payload: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Map one Graph message to JMAP Lite (``params`` unused)."""
    message_id = payload["id"]
    received = (
        _time(payload.get("receivedDateTime"))
        or _time(payload.get("createdDateTime"))
        or _time(payload.get("sentDateTime"))
    )
    if received is None:
        raise TransformRejected(
            "receivedAt: none of receivedDateTime, createdDateTime, sentDateTime is usable"
        )
    body = payload.get("body")
    text = html = None
    if isinstance(body, Mapping) and isinstance(body.get("content"), str):
        content = normalize_newlines(body["content"])
        if str(body.get("contentType", "")).lower() == "html":
            html = content
        else:
            text = content
    if text is not None and text.strip():
        preview = make_preview(text)
    elif html:
        preview = make_preview(html_to_text(html))
    else:
        preview_source = payload.get("bodyPreview")
        preview = make_preview(preview_source if isinstance(preview_source, str) else None)
    headers = Headers.from_gmail(payload.get("internetMessageHeaders"))
    sender = _addresses([payload.get("from")]) or _addresses([payload.get("sender")])
    attachments = _attachments(payload.get("attachments"))
    has_attachments = payload.get("hasAttachments")
    flag = payload.get("flag")
    keywords: dict[str, bool] = {}
    if payload.get("isRead") is True:
        keywords["$seen"] = True
    if isinstance(flag, Mapping) and flag.get("flagStatus") == "flagged":
        keywords["$flagged"] = True
    if payload.get("isDraft") is True:
        keywords["$draft"] = True
    categories = payload.get("categories")
    level = str(payload.get("importance", "normal")).lower()
    conversation = payload.get("conversationId")
    subject = payload.get("subject")
    return {
        "id": message_id,
        "threadId": conversation if isinstance(conversation, str) and conversation else message_id,
        "receivedAt": received,
        "sentAt": _time(payload.get("sentDateTime")),
        "messageId": message_ids(payload.get("internetMessageId"))
        if isinstance(payload.get("internetMessageId"), str)
        else [],
        "inReplyTo": message_ids(headers.get("in-reply-to")),
        "references": message_ids(headers.get("references")),
        "from": sender,
        "to": _addresses(payload.get("toRecipients")),
        "cc": _addresses(payload.get("ccRecipients")),
        "bcc": _addresses(payload.get("bccRecipients")),
        "replyTo": _addresses(payload.get("replyTo")),
        "subject": subject if isinstance(subject, str) else None,
        "preview": preview,
        "body": {"text": text, "html": html},
        "attachments": attachments,
        "hasAttachment": has_attachments
        if isinstance(has_attachments, bool)
        else any(not a["isInline"] for a in attachments),
        "keywords": keywords,
        "labels": list(dict.fromkeys(c for c in categories if isinstance(c, str)))
        if isinstance(categories, list)
        else [],
        "size": None,
        "importance": level if level in ("low", "normal", "high") else "normal",
    }
