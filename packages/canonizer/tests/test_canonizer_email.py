"""Email to JMAP Lite: Gmail full vs raw equivalence, header and date parsing, bodies and
charsets, keywords, and the recover-or-reject decisions for damaged messages."""

from __future__ import annotations

import base64
import copy
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest

import canonizer
from canonizer.mail import parse_addresses

GMAIL = "email/gmail_to_jmap_lite@1.0.0"
GRAPH = "email/graph_to_jmap_lite@1.0.0"
# The ``gmail`` fixture (conftest.py) builds Gmail API resources; typed loosely on purpose so
# this module never imports conftest by name.
GmailBuilder = Any


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def _without_blob_ids(obj: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(obj)
    for attachment in result["attachments"]:
        attachment["blobId"] = None
    return result


def _msg_alternative_cp1252() -> bytes:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = '"Doe, Jane" <jane@example.org>'
    msg["To"] = "Jürgen Müller <jm@example.de>, bob@example.com"
    msg["Cc"] = 'Team: ann@example.org, "O\'Neil, Pat" <pat@example.org>;'
    msg["Subject"] = "Grüße – check-in"
    msg["Date"] = "Mon, 3 Jun 2024 10:00 EST"
    msg["Message-ID"] = "<m1@example.org>"
    msg.set_content(
        "Hallo — ça va?\n\nSecond   line.", charset="windows-1252", cte="quoted-printable"
    )
    msg.add_alternative("<p>Hallo <b>Welt</b> &amp; more</p>", subtype="html")
    msg.add_attachment(
        b"%PDF-1.4 synthetic", maintype="application", subtype="pdf", filename="report é.pdf"
    )
    return msg.as_bytes()


def _msg_related_inline_image() -> bytes:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = "=?utf-8?q?Zo=C3=AB?= <zoe@example.net>"
    msg["To"] = "sam@example.net"
    msg["Subject"] = "Logo"
    msg["Date"] = "Tue, 4 Jun 2024 09:15:30 +0100 (BST)"
    msg["In-Reply-To"] = "<a@example.net>"
    msg["References"] = "<root@example.net> <a@example.net>"
    msg.set_content("See the logo below.")
    msg.add_alternative('<p>See <img src="cid:logo1@example.net"></p>', subtype="html")
    html_part = msg.get_payload()[1]
    html_part.add_related(
        b"\x89PNG\r\n\x1a\nsynthetic", maintype="image", subtype="png", cid="<logo1@example.net>"
    )
    msg.add_attachment("plain notes\n", filename="notes.txt")
    return msg.as_bytes()


def _msg_koi8r_base64_obsolete_date() -> bytes:
    text = "Привет!\r\nКак дела?\r\n".encode("koi8-r")
    return (
        b"From: =?koi8-r?B?8NLJ18XU?= <ivan@example.ru>\r\n"
        b"To: =?iso-8859-1?q?Andr=E9?= <andre@example.fr>\r\n"
        b"Subject: =?koi8-r?Q?=F0=D2=C9=D7=C5=D4?=\r\n =?windows-1252?q?=96_caf=E9?=\r\n"
        b"Date: 03 Jun 96 10:00 GMT\r\n"
        b"References: <x1@example.ru>\r\n <x2@example.ru>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=koi8-r\r\n"
        b"Content-Transfer-Encoding: base64\r\n"
        b"\r\n" + b64url(text).replace("-", "+").replace("_", "/").encode() + b"\r\n"
    )


def _msg_latin1_html_only_no_date() -> bytes:
    html = "<html><body><h1>Menú</h1><p>Café &amp; té</p><script>x()</script></body></html>"
    return (
        b"From: Jos\xc3\xa9 <jose@example.com>\r\n"  # raw 8-bit UTF-8 header (RFC 6532)
        b"To: undisclosed-recipients:;\r\n"
        b"Subject: menu\r\n"
        b"X-Priority: 5\r\n"
        b"Content-Type: text/html; charset=ISO-8859-1\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n"
        b"\r\n" + html.encode("iso-8859-1").replace(b"\xfa", b"=FA").replace(b"\xe9", b"=E9")
    )


def _msg_unknown_charset_and_rfc822() -> bytes:
    inner = EmailMessage()
    inner["From"] = "inner@example.org"
    inner["Subject"] = "forwarded"
    inner.set_content("inner body")
    outer = EmailMessage(policy=policy.SMTP)
    outer["From"] = "fwd@example.org"
    outer["To"] = "sam@example.net"
    outer["Subject"] = "Fwd"
    outer["Date"] = "Wed, 5 Jun 2024 08:00:00 -0000"
    outer.set_content("see attached")
    outer.add_attachment(inner)
    raw = outer.as_bytes().replace(b'charset="utf-8"', b'charset="x-unknown-42"', 1)
    return raw


def _msg_attachment_encoded_word_filename() -> bytes:
    return (
        b"From: a@example.org\r\n"
        b"To: b@example.org\r\n"
        b"Subject: file\r\n"
        b"Date: Thu, 6 Jun 2024 12:00:00 +0000\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n'
        b"\r\n--b1\r\n"
        b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        b"body\r\n"
        b"--b1\r\n"
        b'Content-Type: application/octet-stream; name="=?UTF-8?B?w6nDqS5iaW4=?="\r\n'
        b'Content-Disposition: attachment; filename="=?UTF-8?B?w6nDqS5iaW4=?="\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        b"AAEC\r\n"
        b"--b1--\r\n"
    )


MESSAGES = {
    "alternative_cp1252_qp": _msg_alternative_cp1252,
    "related_inline_image": _msg_related_inline_image,
    "koi8r_base64_obsolete_date": _msg_koi8r_base64_obsolete_date,
    "latin1_html_only_no_date": _msg_latin1_html_only_no_date,
    "unknown_charset_and_rfc822": _msg_unknown_charset_and_rfc822,
    "encoded_word_filename": _msg_attachment_encoded_word_filename,
}


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_gmail_full_and_raw_give_the_same_object(gmail: GmailBuilder, name: str) -> None:
    data = MESSAGES[name]()
    full = canonizer.transform(GMAIL, gmail.full(data))
    raw = canonizer.transform(GMAIL, gmail.raw(data))
    assert _without_blob_ids(full) == _without_blob_ids(raw)
    assert full["body"]["text"] or full["body"]["html"]


def test_equivalent_objects_carry_the_expected_content(gmail: GmailBuilder) -> None:
    out = canonizer.transform(GMAIL, gmail.raw(_msg_alternative_cp1252()))
    assert out["from"] == [{"name": "Doe, Jane", "email": "jane@example.org"}]
    assert out["to"] == [
        {"name": "Jürgen Müller", "email": "jm@example.de"},
        {"name": None, "email": "bob@example.com"},
    ]
    assert out["cc"] == [
        {"name": None, "email": "ann@example.org"},
        {"name": "O'Neil, Pat", "email": "pat@example.org"},
    ]
    assert out["subject"] == "Grüße – check-in"
    assert out["sentAt"] == "2024-06-03T15:00:00Z"
    assert out["body"]["text"] == "Hallo — ça va?\n\nSecond   line.\n"
    assert out["preview"] == "Hallo — ça va? Second line."
    assert out["attachments"][0]["filename"] == "report é.pdf"
    assert out["hasAttachment"] is True


def test_related_inline_image_and_text_attachment(gmail: GmailBuilder) -> None:
    out = canonizer.transform(GMAIL, gmail.full(_msg_related_inline_image()))
    by_type = {a["mimeType"]: a for a in out["attachments"]}
    assert by_type["image/png"]["cid"] == "logo1@example.net"
    assert by_type["image/png"]["isInline"] is True
    # A text/plain part with a filename is an attachment, not a second body.
    assert by_type["text/plain"]["filename"] == "notes.txt"
    assert by_type["text/plain"]["blobId"] == "ANGjdJ-1"
    assert out["body"]["text"] == "See the logo below.\n"
    assert out["references"] == ["root@example.net", "a@example.net"]
    assert out["sentAt"] == "2024-06-04T08:15:30Z"


def test_koi8r_subject_spanning_charsets_and_two_digit_year(gmail: GmailBuilder) -> None:
    out = canonizer.transform(GMAIL, gmail.raw(_msg_koi8r_base64_obsolete_date()))
    assert out["subject"] == "Привет– café"
    assert out["from"] == [{"name": "Привет", "email": "ivan@example.ru"}]
    assert out["to"] == [{"name": "André", "email": "andre@example.fr"}]
    assert out["sentAt"] == "1996-06-03T10:00:00Z"
    assert out["body"]["text"] == "Привет!\nКак дела?\n"


def test_html_only_preview_and_missing_date(gmail: GmailBuilder) -> None:
    out = canonizer.transform(GMAIL, gmail.raw(_msg_latin1_html_only_no_date()))
    assert out["sentAt"] is None
    assert out["receivedAt"] == "2024-06-03T16:00:00Z"  # from internalDate
    assert out["body"]["text"] is None
    assert out["preview"] == "Menú Café & té"
    assert out["from"] == [{"name": "José", "email": "jose@example.com"}]
    assert out["to"] == []
    assert out["importance"] == "low"


def test_unknown_charset_decodes_and_rfc822_is_an_attachment(gmail: GmailBuilder) -> None:
    out = canonizer.transform(GMAIL, gmail.full(_msg_unknown_charset_and_rfc822()))
    assert out["body"]["text"] == "see attached\n"
    assert [a["mimeType"] for a in out["attachments"]] == ["message/rfc822"]
    assert out["sentAt"] == "2024-06-05T08:00:00Z"


def test_encoded_word_filename_is_decoded(gmail: GmailBuilder) -> None:
    out = canonizer.transform(GMAIL, gmail.raw(_msg_attachment_encoded_word_filename()))
    assert out["attachments"] == [
        {
            "filename": "éé.bin",
            "mimeType": "application/octet-stream",
            "size": 3,
            "blobId": None,
            "cid": None,
            "isInline": False,
        }
    ]


@pytest.mark.parametrize(
    ("labels", "keywords"),
    [
        (["INBOX"], {"$seen": True}),
        (["INBOX", "UNREAD"], {}),
        (["STARRED", "UNREAD"], {"$flagged": True}),
        (["DRAFT"], {"$seen": True, "$draft": True}),
        (None, {}),  # read state unknown without labelIds
    ],
)
def test_keywords_from_label_ids(
    gmail: GmailBuilder, labels: list[str] | None, keywords: dict[str, bool]
) -> None:
    payload = gmail.raw(_msg_alternative_cp1252(), labelIds=labels)
    out = canonizer.transform(GMAIL, payload)
    assert out["keywords"] == keywords
    assert out["labels"] == (labels or [])


def test_received_at_falls_back_to_date_then_rejects(gmail: GmailBuilder) -> None:
    payload = gmail.raw(_msg_alternative_cp1252(), internalDate="not-a-number")
    assert canonizer.transform(GMAIL, payload)["receivedAt"] == "2024-06-03T15:00:00Z"
    payload = gmail.raw(_msg_latin1_html_only_no_date(), internalDate=None)
    with pytest.raises(canonizer.TransformRejected, match="receivedAt"):
        canonizer.transform(GMAIL, payload)


def test_preview_is_capped_and_collapsed(gmail: GmailBuilder) -> None:
    msg = EmailMessage()
    msg["From"] = "a@example.org"
    msg.set_content(("word \t\n  " * 200).strip())
    out = canonizer.transform(GMAIL, gmail.raw(msg.as_bytes()))
    assert len(out["preview"]) <= 256
    assert "  " not in out["preview"] and "\n" not in out["preview"]


def _hostile_full(gmail: GmailBuilder) -> list[Any]:
    good = gmail.full(_msg_alternative_cp1252())
    cases: list[Any] = []
    no_payload = gmail.meta()
    cases.append(no_payload)
    for bad_parts in (["x", 1, None, [], {"mimeType": 5}], "parts", {"a": 1}):
        c = copy.deepcopy(good)
        c["payload"]["parts"] = bad_parts
        cases.append(c)
    c = copy.deepcopy(good)
    c["payload"]["parts"][0]["parts"][0]["body"]["data"] = "***not base64***"
    cases.append(c)
    c = copy.deepcopy(good)
    c["payload"]["parts"][0]["parts"][0]["body"]["data"] = "A"  # impossible length
    cases.append(c)
    c = copy.deepcopy(good)
    c["payload"]["parts"][0]["parts"][0]["headers"] = [
        {"name": "Content-Type", "value": "text/plain; charset=no-such-charset-x"}
    ]
    c["payload"]["parts"][0]["parts"][0]["body"]["data"] = b64url(b"\xff\xfe caf\xe9")
    cases.append(c)
    c = copy.deepcopy(good)
    c["payload"]["headers"] = [
        {"name": "From", "value": '<<<@@@>>> "unterminated'},
        {"name": "To", "value": "=?utf-8?b?####?= <x@y>"},
        {"name": "Date", "value": "Feb 30 99999 25:61"},
        {"name": "Subject", "value": "=?bogus-charset?q?=FF=FE?="},
        {"name": 7, "value": None},
        "not-a-header",
    ]
    cases.append(c)
    c = copy.deepcopy(good)
    deep: dict[str, Any] = {"mimeType": "text/plain", "body": {"data": b64url(b"deep")}}
    for _ in range(200):
        deep = {"mimeType": "multipart/mixed", "parts": [deep]}
    c["payload"] = deep
    cases.append(c)
    cases.append({**gmail.meta(), "raw": b64url(b"\x00\xff garbage without headers")})
    cases.append(
        {**gmail.meta(), "raw": b64url(b"Content-Type: multipart/mixed\r\n\r\nno boundary")}
    )
    cases.append({**gmail.meta(), "raw": b64url(b"Content-Transfer-Encoding: base64\r\n\r\n@@@@")})
    cases.extend([None, [], "string", 42, {"id": None}, {"id": ""}, {"id": "x", "payload": None}])
    return cases


def test_hostile_gmail_inputs_never_raise_out_of_canonize(gmail: GmailBuilder) -> None:
    cases = _hostile_full(gmail)
    outcomes = list(canonizer.canonize(GMAIL, cases))
    assert len(outcomes) == len(cases)
    for outcome in outcomes:
        assert (outcome.ok is None) != (outcome.rejected_reason is None)


def test_damaged_parts_are_dropped_not_fatal(gmail: GmailBuilder) -> None:
    cases = _hostile_full(gmail)
    non_dict_parts = canonizer.transform(GMAIL, cases[1])
    assert non_dict_parts["body"] == {"text": None, "html": None}
    bad_base64 = canonizer.transform(GMAIL, cases[4])
    assert bad_base64["body"]["text"] is None
    assert bad_base64["body"]["html"] is not None
    unknown_charset = canonizer.transform(GMAIL, cases[6])
    assert "caf" in unknown_charset["body"]["text"]
    bad_headers = canonizer.transform(GMAIL, cases[7])
    assert bad_headers["sentAt"] is None
    assert bad_headers["receivedAt"] == "2024-06-03T16:00:00Z"
    deep = canonizer.transform(GMAIL, cases[8])
    assert deep["body"]["text"] is None  # cut at the nesting limit rather than recursing on
    with pytest.raises(canonizer.TransformRejected, match="payload: missing"):
        canonizer.transform(GMAIL, cases[0])


def test_graph_missing_times_rejects_and_bad_shapes_are_tolerated() -> None:
    with pytest.raises(canonizer.TransformRejected, match="receivedAt"):
        canonizer.transform(GRAPH, {"id": "g1", "receivedDateTime": "yesterday"})
    out = canonizer.transform(
        GRAPH,
        {
            "id": "g2",
            "createdDateTime": "2024-06-01T00:00:00Z",
            "from": {"emailAddress": "nope"},
            "toRecipients": [None, 3, {"emailAddress": {"address": " x@example.org "}}],
            "flag": "flagged",
            "importance": "urgent",
            "attachments": [None, {"size": True, "contentType": "bad"}],
        },
    )
    assert out["receivedAt"] == "2024-06-01T00:00:00Z"
    assert out["from"] == []
    assert out["to"] == [{"name": None, "email": "x@example.org"}]
    assert out["importance"] == "normal"
    assert out["attachments"][0]["mimeType"] == "application/octet-stream"
    assert out["hasAttachment"] is True


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('"Doe, Jane" <jane@example.org>', [("Doe, Jane", "jane@example.org")]),
        ("=?utf-8?q?J=C3=BCrgen?= <j@example.de>", [("Jürgen", "j@example.de")]),
        ("=?iso-8859-1?b?Sm9z6Q==?= <j@example.es>", [("José", "j@example.es")]),
        ("Team: a@example.org, b@example.org;", [(None, "a@example.org"), (None, "b@example.org")]),
        ("undisclosed-recipients:;", []),
        ("a@example.org (Old Style)", [("Old Style", "a@example.org")]),
        (
            "Bare Name <bare@example.org>, x@example.org",
            [("Bare Name", "bare@example.org"), (None, "x@example.org")],
        ),
        ("=?x-unknown?b?AAAA?= <n@example.org>", [(None, "n@example.org")]),  # junk name dropped
        ("<<<", []),
        ("", []),
    ],
)
def test_address_headers(header: str, expected: list[tuple[str | None, str]]) -> None:
    assert [(a["name"], a["email"]) for a in parse_addresses(header)] == expected
