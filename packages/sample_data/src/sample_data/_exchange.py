"""Microsoft Graph `message` resources for one Exchange mailbox.

The same conversations as the Gmail accounts, rendered as Graph returns them from
`/users/{id}/messages`: base64 ids, `conversationId` shared by a thread, Outlook-style HTML bodies
with the quoted message under a "From/Sent/To/Subject" block, `bodyPreview` (first 255 characters
of text), recipients as `{emailAddress: {name, address}}`, and the folder (Inbox, Sent Items or
Archive) as `parentFolderId`. Timestamps are UTC with a `Z` and no fractions, as Graph writes
them.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterator
from datetime import timedelta
from random import Random
from typing import Any
from urllib.parse import quote

from sample_data._ids import graph_id, iso_z, outlook_when
from sample_data._people import MAILBOXES
from sample_data._practice import Practice
from sample_data._threads import Addr, Mail, iter_threads

_HEAD = '<html><head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n'


def _recipient(addr: Addr) -> dict[str, Any]:
    return {"emailAddress": {"name": addr.name, "address": addr.email}}


def outlook_html(mail: Mail) -> str:
    lines = "".join(f"<div>{html.escape(line, quote=False) or '<br>'}</div>\r\n"
                    for line in mail.lines)
    out = f'{_HEAD}</head>\r\n<body>\r\n<div dir="ltr">\r\n{lines}</div>\r\n'
    if mail.quote is not None:
        q = mail.quote
        quoted = "<br>\r\n".join(html.escape(line, quote=False) for line in q.lines)
        when = outlook_when(q.sent)
        out += ('<hr style="display:inline-block;width:98%" tabindex="-1">\r\n'
                f'<div id="divRplyFwdMsg" dir="ltr"><b>From:</b> {html.escape(q.sender.name)} '
                f"&lt;{q.sender.email}&gt;<br>\r\n<b>Sent:</b> {when}<br>\r\n"
                f"<b>Subject:</b> {html.escape(mail.subject)}</div>\r\n<div>{quoted}</div>\r\n")
    return out + "</body>\r\n</html>\r\n"


def body_preview(mail: Mail) -> str:
    text = " ".join(line.strip() for line in mail.lines if line.strip())
    if mail.quote is not None:
        q = mail.quote
        text += (f" ________________________________ From: {q.sender.name} <{q.sender.email}> "
                 f"Sent: {outlook_when(q.sent)} "
                 f"Subject: {mail.subject}")
    return text[:255]


def _conversation_index(head: bytes, rng: Random, position: int) -> str:
    """Outlook's thread index: a 22-byte header, plus 5 bytes per reply."""
    return base64.b64encode(head + rng.randbytes(5 * position)).decode()


def iter_exchange(practice: Practice, connection: str, count: int) -> Iterator[dict[str, Any]]:
    """`count` Graph messages of one Exchange mailbox, thread by thread."""
    box = MAILBOXES[connection]
    folder_rng = Random(f"{practice.seed}:folders:{connection}")
    folders = {name: graph_id(folder_rng, box.key, "AQMkA", 20)
               for name in ("inbox", "sentitems", "archive")}
    for thread in iter_threads(practice, connection, count):
        thread_rng = Random(thread[0].token)
        conversation_id = graph_id(thread_rng, box.key, "AAQkA", 16)
        index_head = b"\x01" + thread_rng.randbytes(21)
        for mail in thread:
            rng = Random(mail.token)
            item_id = graph_id(rng, box.key)
            change_key = "CQAAABYAAAA" + base64.b64encode(rng.randbytes(24)).decode()[:32]
            if mail.mine:
                created = mail.received - timedelta(minutes=rng.randint(1, 20))
                folder = folders["sentitems"]
            else:
                created = mail.received
                folder = folders["archive" if mail.archived else "inbox"]
            modified = mail.received + timedelta(minutes=rng.randint(0, 90))
            if modified >= practice.end:
                modified = mail.received
            categories: list[str] = []
            if connection == "exchange-mbx2":
                categories = ["Billing"]
            elif mail.important and rng.random() < 0.3:
                categories = ["Clients"]
            yield {
                "@odata.etag": f'W/"{change_key}"',
                "id": item_id,
                "createdDateTime": iso_z(created),
                "lastModifiedDateTime": iso_z(modified),
                "changeKey": change_key,
                "categories": categories,
                "receivedDateTime": iso_z(mail.received),
                "sentDateTime": iso_z(mail.sent),
                "hasAttachments": mail.attachment is not None,
                "internetMessageId": mail.message_id,
                "subject": mail.subject,
                "bodyPreview": body_preview(mail),
                "importance": "high" if mail.starred else "normal",
                "parentFolderId": folder,
                "conversationId": conversation_id,
                "conversationIndex": _conversation_index(index_head, rng, mail.position),
                "isDeliveryReceiptRequested": False,
                "isReadReceiptRequested": False,
                "isRead": mail.mine or not mail.unread,
                "isDraft": False,
                "webLink": ("https://outlook.office365.com/owa/?ItemID="
                            f"{quote(item_id, safe='')}&exvsurl=1&viewmodel=ReadMessageItem"),
                "inferenceClassification": "focused",
                "body": {"contentType": "html", "content": outlook_html(mail)},
                "sender": _recipient(mail.sender),
                "from": _recipient(mail.sender),
                "toRecipients": [_recipient(a) for a in mail.to],
                "ccRecipients": [_recipient(a) for a in mail.cc],
                "bccRecipients": [_recipient(a) for a in mail.bcc],
                "replyTo": [_recipient(a) for a in mail.reply_to],
                "flag": {"flagStatus": "flagged" if mail.starred else "notFlagged"},
            }
