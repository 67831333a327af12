"""One MIME tree per message, rendered two ways: Gmail's `format=full` JSON and RFC 5322 bytes.

`build_tree(mail)` lays out the message as Gmail would store it: `multipart/alternative` (text/plain
and text/html) inside `multipart/mixed` when there is a PDF attachment, a lone `text/plain` part
for some plain-text senders. Header values are what travels on the wire: RFC 2047 encoded words
for non-ASCII names and subjects, RFC 5322 dates. Leaf bodies are bytes in the part's charset
(UTF-8 or ISO-8859-1). `to_full_payload` gives the JSON tree with base64url `body.data`;
`to_rfc5322` builds the same message with the standard library's `email` package (compat32 policy,
so header strings go out exactly as given) for `format=raw`.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from email.header import Header
from email.message import Message
from email.policy import compat32
from email.utils import formataddr
from functools import lru_cache
from random import Random
from typing import Any

from sample_data._ids import gmail_when, rfc5322_date
from sample_data._threads import Addr, Mail

RAW_POLICY = compat32.clone(linesep="\r\n")
_QUOTE_STYLE = "margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex"


@dataclass
class Part:
    """A MIME part: headers and either a body (`data`), an attachment stub or children."""

    mime_type: str
    headers: list[tuple[str, str]]
    data: bytes | None = None
    cte: str = "7bit"
    filename: str = ""
    attachment_id: str | None = None
    attachment_size: int = 0
    boundary: str = ""
    children: list[Part] = field(default_factory=list)


@lru_cache(maxsize=8192)
def encode_addr(addr: Addr, charset: str) -> str:
    """`Name <email>`, with the name as an RFC 2047 encoded word when it is not ASCII."""
    if addr.name.isascii():
        return formataddr((addr.name, addr.email))
    return f"{Header(addr.name, charset).encode()} <{addr.email}>"


@lru_cache(maxsize=8192)
def encode_text(value: str, charset: str) -> str:
    if value.isascii():
        return value
    return Header(value, charset).encode(linesep=" ")


def gmail_html(mail: Mail) -> str:
    body = "<br>".join(html.escape(line, quote=False) for line in mail.lines)
    out = f'<div dir="ltr">{body}</div>'
    if mail.quote is not None:
        q = mail.quote
        when = gmail_when(q.sent)
        quoted = "<br>".join(html.escape(line, quote=False) for line in q.lines)
        out += (f'<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On {when} '
                f'{html.escape(q.sender.name)} &lt;<a href="mailto:{q.sender.email}">'
                f'{q.sender.email}</a>&gt; wrote:<br></div><blockquote class="gmail_quote" '
                f'style="{_QUOTE_STYLE}">{quoted}</blockquote></div>')
    return out + "\r\n"


def _text_part(subtype: str, content: str, charset: str) -> Part:
    data = content.encode(charset)
    long_lines = any(len(line) > 76 for line in data.split(b"\r\n"))
    cte = "7bit" if data.isascii() and not long_lines else "quoted-printable"
    headers = [("Content-Type", f'text/{subtype}; charset="{charset.upper()}"')]
    if cte != "7bit":
        headers.append(("Content-Transfer-Encoding", cte))
    return Part(f"text/{subtype}", headers, data=data, cte=cte)


def _boundary(rng: Random) -> str:
    return "000000000000" + rng.randbytes(8).hex()


def message_headers(mail: Mail, rng: Random) -> list[tuple[str, str]]:
    """The message-level headers, in the order Gmail keeps them for received or sent mail."""
    cs = mail.charset
    ident: list[tuple[str, str]] = [("Date", rfc5322_date(mail.sent))]
    thread: list[tuple[str, str]] = []
    if mail.references:
        thread.append(("References", " ".join(mail.references)))
    if mail.in_reply_to:
        thread.append(("In-Reply-To", mail.in_reply_to))
    people = [("From", encode_addr(mail.sender, cs)),
              ("To", ", ".join(encode_addr(a, cs) for a in mail.to))]
    if mail.cc:
        people.append(("Cc", ", ".join(encode_addr(a, cs) for a in mail.cc)))
    if mail.bcc:
        people.append(("Bcc", ", ".join(encode_addr(a, cs) for a in mail.bcc)))
    if mail.reply_to:
        people.append(("Reply-To", ", ".join(encode_addr(a, cs) for a in mail.reply_to)))
    subject = [("Subject", encode_text(mail.subject, cs))]
    msgid = [("Message-ID", mail.message_id)]
    if mail.mine:
        return [("MIME-Version", "1.0"), *ident, *thread, *msgid, *subject, *people]
    domain = mail.sender.email.split("@")[1]
    received_at = rfc5322_date(mail.received.astimezone(mail.sent.tzinfo))
    received = (f"from mta.{domain} ([192.0.2.{rng.randint(1, 254)}]) by mx.google.com with "
                f"ESMTPS id {rng.randbytes(6).hex()}; {received_at}")
    delivered = [("Delivered-To", mail.to[0].email), ("Received", received)]
    return [*delivered, ("MIME-Version", "1.0"), *ident, *thread, *msgid, *subject, *people]


def build_tree(mail: Mail) -> Part:
    rng = Random(mail.token)
    text = _text_part("plain", mail.text, mail.charset)
    headers = message_headers(mail, rng)
    if mail.plain_only:
        text.headers = headers + text.headers
        return text
    alt_boundary = _boundary(rng)
    alt_type = f'multipart/alternative; boundary="{alt_boundary}"'
    alternative = Part("multipart/alternative", [("Content-Type", alt_type)],
                       boundary=alt_boundary,
                       children=[text, _text_part("html", gmail_html(mail), mail.charset)])
    if mail.attachment is None:
        alternative.headers = headers + alternative.headers
        return alternative
    filename, size = mail.attachment
    att_ref = f"f_{rng.randbytes(5).hex()[:9]}0"
    pdf = Part(
        "application/pdf",
        [("Content-Type", f'application/pdf; name="{filename}"'),
         ("Content-Disposition", f'attachment; filename="{filename}"'),
         ("Content-Transfer-Encoding", "base64"),
         ("Content-ID", f"<{att_ref}>"),
         ("X-Attachment-Id", att_ref)],
        cte="base64",
        filename=filename,
        attachment_id="ANGjdJ" + base64.urlsafe_b64encode(rng.randbytes(96)).decode()[:122],
        attachment_size=size,
    )
    mixed_boundary = _boundary(rng)
    return Part("multipart/mixed",
                [*headers, ("Content-Type", f'multipart/mixed; boundary="{mixed_boundary}"')],
                boundary=mixed_boundary, children=[alternative, pdf])


def size_estimate(part: Part) -> int:
    """Roughly the RFC 5322 size of the message, as Gmail's `sizeEstimate` is."""
    total = sum(len(n) + len(v) + 4 for n, v in part.headers) + 2
    if part.children:
        total += sum(size_estimate(c) + len(part.boundary) + 6 for c in part.children)
        return total + len(part.boundary) + 8
    if part.attachment_id is not None:
        return total + (part.attachment_size * 4 // 3) * 78 // 76 + 4
    assert part.data is not None
    factor = 1.08 if part.cte == "quoted-printable" else 1.0
    return total + int(len(part.data) * factor)


def to_full_payload(part: Part, part_id: str = "") -> dict[str, Any]:
    """Gmail's `payload` object for a part and its children."""
    body: dict[str, Any]
    if part.attachment_id is not None:
        body = {"attachmentId": part.attachment_id, "size": part.attachment_size}
    elif part.data is not None:
        body = {"size": len(part.data), "data": base64.urlsafe_b64encode(part.data).decode()}
    else:
        body = {"size": 0}
    out: dict[str, Any] = {
        "partId": part_id,
        "mimeType": part.mime_type,
        "filename": part.filename,
        "headers": [{"name": n, "value": v} for n, v in part.headers],
        "body": body,
    }
    if part.children:
        prefix = f"{part_id}." if part_id else ""
        out["parts"] = [to_full_payload(c, f"{prefix}{i}") for i, c in enumerate(part.children)]
    return out


def qp_encode(data: bytes) -> str:
    """Quoted-printable of CRLF-separated bytes (soft line breaks at 76), lines joined by LF."""
    out: list[str] = []
    for line in data.split(b"\r\n"):
        last = len(line) - 1
        current = ""
        for i, b in enumerate(line):
            plain = (33 <= b <= 126 and b != 61) or (b in (9, 32) and i != last)
            token = chr(b) if plain else f"={b:02X}"
            if len(current) + len(token) > 75:
                out.append(current + "=")
                current = ""
            current += token
        out.append(current)
    return "\n".join(out)


def fake_pdf(size: int, token: int) -> bytes:
    """`size` bytes that start and end like a PDF file (content is filler)."""
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    tail = b"\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    filler = Random(token).randbytes(max(0, size - len(head) - len(tail)))
    return (head + filler + tail)[:size]


def to_message(part: Part, token: int) -> Message:
    """The same part as an `email.message.Message` (compat32)."""
    msg = Message(policy=RAW_POLICY)
    for name, value in part.headers:
        msg[name] = value
    if part.children:
        msg.set_payload([to_message(c, token) for c in part.children])
    elif part.attachment_id is not None:
        msg.set_payload(base64.encodebytes(fake_pdf(part.attachment_size, token)).decode())
    elif part.cte == "quoted-printable":
        assert part.data is not None
        msg.set_payload(qp_encode(part.data))
    else:
        assert part.data is not None
        msg.set_payload(part.data.decode("ascii").replace("\r\n", "\n"))
    return msg


def to_rfc5322(part: Part, token: int) -> bytes:
    return to_message(part, token).as_bytes(policy=RAW_POLICY)
