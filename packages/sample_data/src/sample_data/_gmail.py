"""Gmail `users.messages.get` payloads (format=full, or format=raw) for one mailbox.

Ids follow Gmail's visible scheme (the receive time in milliseconds shifted left 20 bits, in
hex; a thread's id is its first message's id), `historyId` grows with time, `internalDate` is the
receive time in milliseconds as a string, `snippet` is the HTML-escaped start of the text, and
`labelIds` reflect direction and state (INBOX/SENT, UNREAD, IMPORTANT, STARRED,
CATEGORY_PERSONAL; archived mail has no INBOX). `body.data` and `raw` are base64url with `=`
padding, as `messages.get` returns them.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from sample_data._ids import epoch_ms, gmail_id
from sample_data._mime import build_tree, size_estimate, to_full_payload, to_rfc5322
from sample_data._practice import Practice
from sample_data._threads import Mail, iter_threads

_HISTORY_BASE = 1_700_000_000


def snippet(mail: Mail) -> str:
    text = " ".join(" ".join(line.split()) for line in mail.lines if line)
    if len(text) > 160:
        text = text[:160].rsplit(" ", 1)[0]
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def labels(mail: Mail) -> list[str]:
    if mail.mine:
        return [*(["IMPORTANT"] if mail.important else []), "SENT"]
    out = ["UNREAD"] if mail.unread else []
    if mail.starred:
        out.append("STARRED")
    if mail.important:
        out.append("IMPORTANT")
    out.append("CATEGORY_PERSONAL")
    if not mail.archived:
        out.append("INBOX")
    return out


def iter_gmail(practice: Practice, connection: str, count: int, fmt: str = "full",
               ) -> Iterator[dict[str, Any]]:
    """`count` messages of one Gmail account, thread by thread."""
    if fmt not in ("full", "raw"):
        raise ValueError(f"Gmail format must be 'full' or 'raw', got {fmt!r}.")
    for thread in iter_threads(practice, connection, count):
        thread_id = gmail_id(thread[0].received, thread[0].index)
        for mail in thread:
            ms = epoch_ms(mail.received)
            tree = build_tree(mail)
            head = {
                "id": gmail_id(mail.received, mail.index),
                "threadId": thread_id,
                "labelIds": labels(mail),
                "snippet": snippet(mail),
            }
            tail = {
                "historyId": str(2_000_000 + (ms // 1000 - _HISTORY_BASE) // 3 + mail.index % 3),
                "internalDate": str(ms),
            }
            if fmt == "full":
                yield {**head, "payload": to_full_payload(tree),
                       "sizeEstimate": size_estimate(tree), **tail}
            else:
                raw = base64.urlsafe_b64encode(to_rfc5322(tree, mail.token)).decode()
                yield {**head, "sizeEstimate": size_estimate(tree), "raw": raw, **tail}
