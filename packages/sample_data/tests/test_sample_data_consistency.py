"""The same invented clients appear consistently across the five sources; threads hang together."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from email.header import decode_header, make_header
from email.utils import getaddresses
from typing import Any

import pytest

import sample_data


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    out = tmp_path_factory.mktemp("consistency")
    manifest = sample_data.generate(out, seed=5, size=1500, anchor=date(2026, 11, 20))
    loaded: dict[str, list[dict[str, Any]]] = {}
    for f in manifest.files:
        with open(out / f.path, encoding="utf-8") as fh:
            loaded[f.path] = [json.loads(line) for line in fh]
    return loaded


def of(data: dict[str, list[dict[str, Any]]], source: str, kind: str) -> list[dict[str, Any]]:
    return [r for path, rows in data.items() if path.startswith(source + "/")
            and path.endswith(f"/{kind}.jsonl") for r in rows]


def header(msg: dict[str, Any], name: str) -> str | None:
    return next((h["value"] for h in msg["payload"]["headers"] if h["name"] == name), None)


def decoded(value: str | None) -> str:
    """A header value with RFC 2047 encoded words decoded."""
    return str(make_header(decode_header(value or "")))


def test_people_match_across_sources(data: dict[str, list[dict[str, Any]]]) -> None:
    contacts = of(data, "dataverse", "contact")
    by_email = {c["emailaddress1"]: c for c in contacts}
    by_id = {c["contactid"]: c for c in contacts}
    assert len(by_email) == len(contacts) == len(by_id)

    responses = of(data, "google_forms", "form_response")
    assert responses and all(r["respondentEmail"] in by_email for r in responses)

    customers = of(data, "stripe", "customer")
    assert customers
    for cus in customers:
        contact = by_email[cus["email"]]
        assert cus["metadata"]["dataverse_contact_id"] == contact["contactid"]
        assert cus["name"] == contact["fullname"]

    sessions = of(data, "dataverse", "clinical_session")
    assert sessions and all(s["_cr8f3_contactid_value"] in by_id for s in sessions)
    numbers: dict[str, list[int]] = defaultdict(list)
    for s in sessions:
        numbers[s["_cr8f3_contactid_value"]].append(s["cr8f3_sessionnumber"])
    assert all(sorted(n) == list(range(1, len(n) + 1)) for n in numbers.values())

    # Reports follow session 2, 6, 10, ... of their client, and link to that session.
    reports = of(data, "dataverse", "report")
    by_session = {s["cr8f3_clientsessionid"]: s for s in sessions}
    assert reports and all(r["_cr8f3_contactid_value"] in by_id for r in reports)
    for report in reports:
        session = by_session[report["_cr8f3_sessionid_value"]]
        assert session["_cr8f3_contactid_value"] == report["_cr8f3_contactid_value"]
        assert session["cr8f3_sessionnumber"] % 4 == 2
        assert report["cr8f3_reportdate"] > session["cr8f3_sessiondate"]
    expected = sum(1 + (len(n) - 2) // 4 for n in numbers.values() if len(n) >= 2)
    assert len(reports) == expected

    # Clients also write email from the same address.
    senders = {getaddresses([header(m, "From") or ""])[0][1] for m in of(data, "gmail", "email")}
    senders |= {m["from"]["emailAddress"]["address"] for m in of(data, "exchange", "email")}
    assert len(senders & set(by_email)) >= len(by_email) // 2


def test_billing_links(data: dict[str, list[dict[str, Any]]]) -> None:
    sessions = {s["cr8f3_clientsessionid"]: s for s in of(data, "dataverse", "clinical_session")}
    customers = {c["id"]: c for c in of(data, "stripe", "customer")}
    invoices = {i["id"]: i for i in of(data, "stripe", "invoice")}
    intents = {p["id"]: p for p in of(data, "stripe", "payment_intent")}
    for inv in invoices.values():
        cus = customers[inv["customer"]]
        session = sessions[inv["metadata"]["dataverse_session_id"]]
        assert session["_cr8f3_contactid_value"] == cus["metadata"]["dataverse_contact_id"]
        assert inv["customer_email"] == cus["email"]
        paid_by = [p["payment"]["payment_intent"] for p in inv["payments"]["data"]]
        assert len(paid_by) == (inv["status"] == "paid") and set(paid_by) <= set(intents)
    assert len(intents) == sum(i["status"] == "paid" for i in invoices.values())
    # Since Stripe's 2025-03-31.basil a payment intent names no invoice: the invoice's
    # payments name the intent.
    invoice_of = {p["payment"]["payment_intent"]: inv for inv in invoices.values()
                  for p in inv["payments"]["data"]}
    for pi in intents.values():
        inv = invoice_of[pi["id"]]
        assert pi["customer"] == inv["customer"] and pi["amount"] == inv["amount_paid"]
    for refund in of(data, "stripe", "refund"):
        pi = intents[refund["payment_intent"]]
        assert refund["charge"] == pi["latest_charge"] and refund["amount"] <= pi["amount"]
        assert refund["created"] > invoice_of[pi["id"]]["status_transitions"]["paid_at"]


def test_gmail_threads_chain(data: dict[str, list[dict[str, Any]]]) -> None:
    waiting = 0
    for path, msgs in data.items():
        if not path.startswith("gmail/"):
            continue
        threads: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for m in msgs:
            threads[m["threadId"]].append(m)
        assert len({m["id"] for m in msgs}) == len(msgs)
        for thread_id, thread in threads.items():
            assert thread[0]["id"] == thread_id
            first_subject = decoded(header(thread[0], "Subject"))
            previous: list[str] = []
            for m in thread:
                assert int(m["internalDate"]) >= int(thread[0]["internalDate"])
                if previous:
                    assert header(m, "In-Reply-To") == previous[-1]
                    assert (header(m, "References") or "").split() == previous
                    assert decoded(header(m, "Subject")) == f"Re: {first_subject}"
                else:
                    assert header(m, "In-Reply-To") is None and header(m, "References") is None
                previous.append(header(m, "Message-ID") or "")
            waiting += "SENT" not in thread[-1]["labelIds"]
    assert waiting > 0  # some threads await the clinician's reply


def test_exchange_conversations(data: dict[str, list[dict[str, Any]]]) -> None:
    for path, msgs in data.items():
        if not path.startswith("exchange/"):
            continue
        assert len({m["id"] for m in msgs}) == len(msgs)
        conversations: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for m in msgs:
            conversations[m["conversationId"]].append(m)
        for thread in conversations.values():
            heads = {m["conversationIndex"][:28] for m in thread}
            assert len(heads) == 1
            assert all(m["subject"] == f"Re: {thread[0]['subject']}" for m in thread[1:])
            times = [m["sentDateTime"] for m in thread]
            assert times == sorted(times)
