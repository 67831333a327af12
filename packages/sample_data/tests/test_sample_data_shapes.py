"""Every record of the demo data set has the documented provider shape (reference/sources.md)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest

import sample_data

ANCHOR = date(2026, 11, 20)
END = datetime(2026, 11, 20, tzinfo=UTC)
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")
ISO_Z = "%Y-%m-%dT%H:%M:%SZ"
GMAIL_LABELS = {"INBOX", "SENT", "UNREAD", "IMPORTANT", "STARRED", "CATEGORY_PERSONAL"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    sample_data.generate(out, seed=11, size=600, anchor=ANCHOR)
    return out


def read(root: Path, relpath: str) -> list[dict[str, Any]]:
    with open(root / relpath, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def files_of(source: str) -> list[str]:
    return [s.relpath for s in sample_data.FILES if s.source_system == source]


def iso(value: str) -> datetime:
    when = datetime.strptime(value, ISO_Z).replace(tzinfo=UTC)
    assert when < END
    return when


def b64url(data: str) -> bytes:
    assert re.fullmatch(r"[A-Za-z0-9_-]*={0,2}", data)
    return base64.urlsafe_b64decode(data)


def walk(part: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield part
    for child in part.get("parts", []):
        yield from walk(child)


def check_gmail_part(part: dict[str, Any], part_id: str) -> None:
    assert set(part) >= {"partId", "mimeType", "filename", "headers", "body"}
    assert part["partId"] == part_id
    assert all(set(h) == {"name", "value"} for h in part["headers"])
    body = part["body"]
    if part["mimeType"].startswith("multipart/"):
        assert body == {"size": 0} and part["parts"]
        prefix = f"{part_id}." if part_id else ""
        for i, child in enumerate(part["parts"]):
            check_gmail_part(child, f"{prefix}{i}")
    elif part["filename"]:
        assert part["mimeType"] == "application/pdf" and part["filename"].endswith(".pdf")
        assert set(body) == {"attachmentId", "size"} and body["size"] > 0
    else:
        assert part["mimeType"] in ("text/plain", "text/html")
        raw = b64url(body["data"])
        assert len(raw) == body["size"]
        ctype = next(h["value"] for h in part["headers"] if h["name"] == "Content-Type")
        charset = re.search(r'charset="([^"]+)"', ctype)
        assert charset is not None
        raw.decode(charset.group(1))


def test_gmail_full_shape(demo: Path) -> None:
    for relpath in files_of("gmail"):
        for msg in read(demo, relpath):
            assert list(msg) == ["id", "threadId", "labelIds", "snippet", "payload",
                                 "sizeEstimate", "historyId", "internalDate"]
            assert HEX16.match(msg["id"]) and HEX16.match(msg["threadId"])
            assert set(msg["labelIds"]) <= GMAIL_LABELS
            assert ("SENT" in msg["labelIds"]) != ("CATEGORY_PERSONAL" in msg["labelIds"])
            assert msg["historyId"].isdigit() and msg["internalDate"].isdigit()
            assert int(msg["internalDate"]) < END.timestamp() * 1000
            assert isinstance(msg["sizeEstimate"], int) and msg["sizeEstimate"] > 200
            assert len(msg["snippet"]) <= 200 and "<" not in msg["snippet"]
            payload = msg["payload"]
            check_gmail_part(payload, "")
            headers = {h["name"] for h in payload["headers"]}
            assert {"From", "To", "Subject", "Date", "Message-ID", "MIME-Version"} <= headers
            date_value = next(h["value"] for h in payload["headers"] if h["name"] == "Date")
            assert parsedate_to_datetime(date_value) < END
            if payload["mimeType"] == "multipart/mixed":
                assert payload["parts"][0]["mimeType"] == "multipart/alternative"
                assert payload["parts"][1]["body"]["attachmentId"]


def test_gmail_exercises_parsers(demo: Path) -> None:
    """Some messages carry RFC 2047 names, ISO-8859-1 bodies, PDFs and plain-text-only bodies."""
    msgs = [m for p in files_of("gmail") for m in read(demo, p)]
    headers = [h["value"] for m in msgs for h in m["payload"]["headers"]]
    types = [p["mimeType"] for m in msgs for p in walk(m["payload"])]
    charsets = " ".join(headers) + " ".join(
        h["value"] for m in msgs for p in walk(m["payload"]) for h in p["headers"])
    assert any("=?" in v and "?=" in v for v in headers)
    assert 'charset="ISO-8859-1"' in charsets
    assert "application/pdf" in types
    assert any(m["payload"]["mimeType"] == "text/plain" for m in msgs)
    assert any("In-Reply-To" in {h["name"] for h in m["payload"]["headers"]} for m in msgs)


def test_gmail_raw_matches_full() -> None:
    """format=raw is the same message: same ids and headers, bodies that decode the same."""
    import email
    from email.policy import compat32

    kwargs: dict[str, Any] = {"seed": 3, "size": 400, "anchor": ANCHOR}
    full = list(sample_data.iter_records("gmail", "gmail-acct1", "email", **kwargs))
    raw = list(sample_data.iter_records("gmail", "gmail-acct1", "email", gmail_format="raw",
                                        **kwargs))
    assert len(full) == len(raw) > 0
    for f, r in zip(full, raw, strict=True):
        assert list(r) == ["id", "threadId", "labelIds", "snippet", "sizeEstimate", "raw",
                           "historyId", "internalDate"]
        assert {k: v for k, v in f.items() if k != "payload"} == {
            k: v for k, v in r.items() if k != "raw"}
        msg = email.message_from_bytes(b64url(r["raw"]), policy=compat32)
        for h in f["payload"]["headers"]:
            values = [" ".join(v.split()) for v in msg.get_all(h["name"], [])]
            assert " ".join(h["value"].split()) in values
        leaves = [p for p in walk(f["payload"]) if "parts" not in p]
        raw_leaves = [p for p in msg.walk() if not p.is_multipart()]
        assert len(leaves) == len(raw_leaves)
        for part, raw_part in zip(leaves, raw_leaves, strict=True):
            decoded = raw_part.get_payload(decode=True)
            assert isinstance(decoded, bytes)
            if "data" in part["body"]:
                want = b64url(part["body"]["data"])
                assert decoded.replace(b"\r\n", b"\n") == want.replace(b"\r\n", b"\n")
            else:
                assert len(decoded) == part["body"]["size"] and decoded.startswith(b"%PDF-")


def recipient_ok(r: dict[str, Any]) -> bool:
    return set(r) == {"emailAddress"} and set(r["emailAddress"]) == {"name", "address"}


def test_exchange_shape(demo: Path) -> None:
    required = {"id", "createdDateTime", "receivedDateTime", "sentDateTime",
                "lastModifiedDateTime", "internetMessageId", "conversationId", "subject",
                "bodyPreview", "body", "from", "sender", "toRecipients", "ccRecipients",
                "bccRecipients", "replyTo", "hasAttachments", "importance", "isRead", "isDraft",
                "categories", "parentFolderId", "webLink"}
    for relpath in files_of("exchange"):
        for msg in read(demo, relpath):
            assert required <= set(msg)
            assert re.fullmatch(r"AAMkA[A-Za-z0-9_-]+=*", msg["id"])
            assert iso(msg["sentDateTime"]) <= iso(msg["receivedDateTime"])
            assert iso(msg["createdDateTime"]) <= iso(msg["lastModifiedDateTime"])
            assert msg["body"]["contentType"] in ("text", "html") and msg["body"]["content"]
            assert len(msg["bodyPreview"]) <= 255
            assert recipient_ok(msg["from"]) and recipient_ok(msg["sender"])
            for key in ("toRecipients", "ccRecipients", "bccRecipients", "replyTo"):
                assert all(recipient_ok(r) for r in msg[key])
            assert msg["importance"] in ("low", "normal", "high")
            assert msg["internetMessageId"].startswith("<") and msg["webLink"].startswith("https")
            assert isinstance(msg["hasAttachments"], bool) and msg["isDraft"] is False


def test_forms_shape(demo: Path) -> None:
    for relpath in files_of("google_forms"):
        for resp in read(demo, relpath):
            assert list(resp) == ["responseId", "formId", "createTime", "lastSubmittedTime",
                                  "respondentEmail", "answers", "_form"]
            assert re.fullmatch(r"ACYDBNi[A-Za-z0-9_-]{20}", resp["responseId"])
            pattern = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
            assert re.fullmatch(pattern, resp["createTime"])
            assert resp["createTime"] <= resp["lastSubmittedTime"] < "2026-11-20"
            for qid, answer in resp["answers"].items():
                assert answer == {"questionId": qid, "textAnswers": {"answers": [
                    {"value": answer["textAnswers"]["answers"][0]["value"]}]}}
            form = resp["_form"]
            assert form["formId"] == resp["formId"] and form["info"]["title"]
            for item in form["items"]:
                question = item["questionItem"]["question"]
                assert item["itemId"] and item["title"] and question["questionId"]
                assert question["choiceQuestion"]["options"]


def test_dataverse_shape(demo: Path) -> None:
    contacts = read(demo, "dataverse/dataverse-clinic/contact.jsonl")
    for c in contacts:
        assert GUID.match(c["contactid"])
        for key in ("firstname", "lastname", "emailaddress1", "telephone1", "mobilephone",
                    "address1_line1", "address1_city", "address1_stateorprovince",
                    "address1_postalcode"):
            assert isinstance(c[key], str) and c[key]
        assert c["fullname"] == f"{c['firstname']} {c['lastname']}"
        date.fromisoformat(c["birthdate"])
        assert iso(c["createdon"]) <= iso(c["modifiedon"])
        assert c["statecode"] in (0, 1)
    for s in read(demo, "dataverse/dataverse-clinic/clinical_session.jsonl"):
        assert GUID.match(s["cr8f3_clientsessionid"]) and GUID.match(s["_cr8f3_contactid_value"])
        assert iso(s["cr8f3_sessiondate"]) < iso(s["createdon"]) <= iso(s["modifiedon"])
        assert isinstance(s["cr8f3_sessionnumber"], int) and s["cr8f3_sessionnumber"] >= 1
        for key in ("cr8f3_transcript", "cr8f3_notes", "cr8f3_summary"):
            assert isinstance(s[key], str) and len(s[key]) > 20
        assert s["statecode"] == 0


def test_stripe_shape(demo: Path) -> None:
    root = "stripe/stripe-practice"
    for c in read(demo, f"{root}/customer.jsonl"):
        assert re.fullmatch(r"cus_[A-Za-z0-9]{14}", c["id"]) and c["object"] == "customer"
        assert isinstance(c["created"], int) and c["created"] < END.timestamp()
        assert GUID.match(c["metadata"]["dataverse_contact_id"])
    statuses = set()
    for inv in read(demo, f"{root}/invoice.jsonl"):
        assert inv["id"].startswith("in_") and inv["object"] == "invoice"
        statuses.add(inv["status"])
        assert inv["status"] in ("draft", "open", "paid", "uncollectible", "void")
        assert inv["currency"] == "usd"
        for key in ("amount_due", "amount_paid", "amount_remaining", "created", "period_start",
                    "period_end"):
            assert isinstance(inv[key], int)
        assert inv["amount_remaining"] == inv["amount_due"] - inv["amount_paid"]
        assert inv["period_start"] <= inv["period_end"] < END.timestamp()
        lines = inv["lines"]
        assert lines["object"] == "list" and sum(li["amount"] for li in lines["data"]) == inv[
            "amount_due"]
        assert "total_count" not in lines and all(li["invoice"] == inv["id"]
                                                  for li in lines["data"])
        assert inv["number"]
        # The current API version's invoice (2026-08-26.dahlia): fields removed in
        # 2025-03-31.basil are gone, the ones it always returns are there.
        assert not {"payment_intent", "charge", "paid", "paid_out_of_band"} & set(inv)
        assert inv["parent"] is None and inv["amount_overpaid"] == 0
        assert inv["total_taxes"] == [] and inv["payments"]["object"] == "list"
        assert all(p["object"] == "invoice_payment" and p["payment"]["type"] == "payment_intent"
                   for p in inv["payments"]["data"])
    assert {"paid", "open"} <= statuses
    for pi in read(demo, f"{root}/payment_intent.jsonl"):
        assert pi["id"].startswith("pi_") and pi["object"] == "payment_intent"
        assert pi["status"] == "succeeded" and pi["amount"] == pi["amount_received"] > 0
        assert "invoice" not in pi
    refunds = read(demo, f"{root}/refund.jsonl")
    assert refunds
    for re_ in refunds:
        assert re_["id"].startswith("re_") and re_["charge"].startswith("ch_")
        assert re_["payment_intent"].startswith("pi_") and re_["amount"] > 0
        assert re_["created"] < END.timestamp()


def test_gmail_record_size_is_benchmark_sized() -> None:
    records = list(sample_data.iter_records("gmail", "gmail-acct1", "email", count=2000))
    average = sum(len(json.dumps(r, separators=(",", ":"))) for r in records) / len(records)
    assert 1200 < average < 3000
