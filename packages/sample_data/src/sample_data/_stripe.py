"""Stripe objects: customers, one invoice per session, payment intents and refunds.

Each paying client is a `customer` whose email is the Dataverse contact's and whose metadata holds
the contact GUID. Every session of theirs is billed by an invoice (`send_invoice`, due in 14 days;
metadata links the Dataverse session); its status comes from the practice's `Bill` (mostly paid,
recent ones often open, a few void or uncollectible). Paid invoices have a succeeded payment
intent; about one in twenty is later refunded, in full or in part. Amounts are integer cents,
currency `usd`, times unix seconds. Objects reference each other by id as Stripe's do.

The shapes are those of Stripe API version `2026-08-26.dahlia` (tap-stripe's default), where
since `2025-03-31.basil` an invoice no longer has `payment_intent`, `charge`, `paid` or
`paid_out_of_band`, and a payment intent no longer has `invoice`: an invoice's payments are its
`payments` list (`invoice_payment` objects naming the payment intent; Stripe includes it when the
list is asked with `expand[]=data.payments`, as tap-stripe asks), it has a `parent` (null for a
one-off invoice), `amount_overpaid`, `total_taxes` and the other fields Stripe always returns,
and its embedded `lines` carry no `total_count`. `confirmation_secret` (the payment intent's
client secret) is only returned when expanded, which tap-stripe never asks for.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sample_data._dataverse import contact_created, session_guid
from sample_data._ids import base62, rng_for, stripe_id, unix
from sample_data._people import PRACTICE_NAME
from sample_data._practice import Practice


@dataclass(frozen=True)
class _Customer:
    id: str
    prefix: str
    created: datetime
    payment_method: str


def _customer(practice: Practice, c: int) -> _Customer:
    rng = rng_for(practice.seed, "customer", c)
    created = contact_created(practice, c) + timedelta(hours=rng.randint(1, 72),
                                                       seconds=rng.randint(0, 3599))
    return _Customer(stripe_id(rng, "cus", 14), rng.randbytes(4).hex().upper(), created,
                     stripe_id(rng, "pm"))


def iter_customers(practice: Practice) -> Iterator[dict[str, Any]]:
    for c in range(practice.customers):
        p = practice.client(c)
        cust = _customer(practice, c)
        bills = practice.bills(c)
        delinquent = any(b.status == "uncollectible" for b in bills)
        yield {
            "id": cust.id,
            "object": "customer",
            "address": None,
            "balance": 0,
            "created": unix(cust.created),
            "currency": "usd",
            "default_source": None,
            "delinquent": delinquent,
            "description": None,
            "discount": None,
            "email": p.email,
            "invoice_prefix": cust.prefix,
            "invoice_settings": {"custom_fields": None, "default_payment_method":
                                 cust.payment_method, "footer": None, "rendering_options": None},
            "livemode": False,
            "metadata": {"dataverse_contact_id": p.contact_id},
            "name": p.name,
            "next_invoice_sequence": len(bills) + 1,
            "phone": p.phone,
            "preferred_locales": ["en-US"],
            "shipping": None,
            "tax_exempt": "none",
            "test_clock": None,
        }


def _billing(practice: Practice) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None,
                                                   dict[str, Any] | None]]:
    """(invoice, payment intent or None, refund or None) for every billed session."""
    for c in range(practice.customers):
        p = practice.client(c)
        sched = practice.schedule(c)
        cust = _customer(practice, c)
        rng = rng_for(practice.seed, "invoices", c)
        for bill in practice.bills(c):
            k = bill.session
            in_id, pi_id, ch_id = stripe_id(rng, "in"), stripe_id(rng, "pi"), stripe_id(rng, "ch")
            re_id, il_id, txn_id = stripe_id(rng, "re"), stripe_id(rng, "il"), stripe_id(rng, "txn")
            hosted = base62(rng, 40)
            reason = rng.choice(("requested_by_customer", "duplicate"))
            session = sched.at(k)
            issued = session + timedelta(hours=2, seconds=rng.randint(0, 900))
            fee = sched.fee_cents
            paid = bill.status == "paid"
            paid_at = issued + bill.paid_after
            number = f"{cust.prefix}-{k + 1:04d}"
            transitions = {
                "finalized_at": unix(issued),
                "marked_uncollectible_at": (unix(issued + timedelta(days=30))
                                            if bill.status == "uncollectible" else None),
                "paid_at": unix(paid_at) if paid else None,
                "voided_at": unix(issued + timedelta(days=3)) if bill.status == "void" else None,
            }
            invoice = {
                "id": in_id,
                "object": "invoice",
                "account_country": "US",
                "account_name": PRACTICE_NAME,
                "amount_due": fee,
                "amount_overpaid": 0,
                "amount_paid": fee if paid else 0,
                "amount_remaining": 0 if paid else fee,
                "amount_shipping": 0,
                "attempt_count": 1 if paid else 0,
                "attempted": paid,
                "auto_advance": bill.status == "open",
                "billing_reason": "manual",
                "collection_method": "send_invoice",
                "created": unix(issued),
                "currency": "usd",
                "customer": cust.id,
                "customer_email": p.email,
                "customer_name": p.name,
                "description": f"Counseling session {k + 1}",
                "discounts": [],
                "due_date": unix(issued + timedelta(days=14)),
                "effective_at": unix(issued),
                "hosted_invoice_url": f"https://invoice.stripe.com/i/acct_1Bw7Rk/test_{hosted}",
                "issuer": {"type": "self"},
                "lines": {
                    "object": "list",
                    "data": [{
                        "id": il_id,
                        "object": "line_item",
                        "amount": fee,
                        "currency": "usd",
                        "description": "Individual therapy session (53 minutes)",
                        "discount_amounts": [],
                        "discountable": True,
                        "discounts": [],
                        "invoice": in_id,
                        "livemode": False,
                        "metadata": {},
                        "parent": {
                            "type": "invoice_item_details",
                            "invoice_item_details": {
                                "invoice_item": "ii_" + il_id.removeprefix("il_"),
                                "proration": False,
                                "proration_details": {"credited_items": None},
                                "subscription": None,
                            },
                            "subscription_item_details": None,
                        },
                        "period": {"start": unix(session),
                                   "end": unix(session + timedelta(minutes=53))},
                        "pretax_credit_amounts": [],
                        "quantity": 1,
                        "taxes": [],
                    }],
                    "has_more": False,
                    "url": f"/v1/invoices/{in_id}/lines",
                },
                "livemode": False,
                "metadata": {"dataverse_session_id": session_guid(practice.seed, c, k + 1),
                             "dataverse_contact_id": p.contact_id},
                "number": number,
                "parent": None,
                "payments": _payments(in_id, pi_id, fee, unix(issued),
                                      unix(paid_at) if paid else None),
                "period_end": unix(issued),
                "period_start": unix(issued),
                "status": bill.status,
                "status_transitions": transitions,
                "subtotal": fee,
                "subtotal_excluding_tax": fee,
                "total": fee,
                "total_discount_amounts": [],
                "total_excluding_tax": fee,
                "total_pretax_credit_amounts": [],
                "total_taxes": [],
            }
            intent = refund = None
            if paid:
                intent = {
                    "id": pi_id,
                    "object": "payment_intent",
                    "amount": fee,
                    "amount_capturable": 0,
                    "amount_details": {"tip": {}},
                    "amount_received": fee,
                    "canceled_at": None,
                    "cancellation_reason": None,
                    "capture_method": "automatic",
                    "confirmation_method": "automatic",
                    "created": unix(issued),
                    "currency": "usd",
                    "customer": cust.id,
                    "description": f"Payment for Invoice {number}",
                    "excluded_payment_method_types": None,
                    "last_payment_error": None,
                    "latest_charge": ch_id,
                    "livemode": False,
                    "metadata": {},
                    "next_action": None,
                    "payment_method": cust.payment_method,
                    "payment_method_types": ["card"],
                    "receipt_email": p.email,
                    "status": "succeeded",
                }
            if bill.refunded:
                refund = {
                    "id": re_id,
                    "object": "refund",
                    "amount": fee // 2 if bill.partial_refund else fee,
                    "balance_transaction": txn_id,
                    "charge": ch_id,
                    "created": unix(paid_at + bill.refund_after),
                    "currency": "usd",
                    "metadata": {},
                    "payment_intent": pi_id,
                    "reason": reason,
                    "receipt_number": None,
                    "status": "succeeded",
                }
            yield invoice, intent, refund


def _payments(in_id: str, pi_id: str, fee: int, created: int,
              paid_at: int | None) -> dict[str, Any]:
    """An invoice's `payments` list: one paid invoice payment naming its payment intent."""
    data = [] if paid_at is None else [{
        "id": "inpay_" + in_id.removeprefix("in_"),
        "object": "invoice_payment",
        "amount_paid": fee,
        "amount_requested": fee,
        "created": created,
        "currency": "usd",
        "invoice": in_id,
        "is_default": True,
        "livemode": False,
        "payment": {"type": "payment_intent", "payment_intent": pi_id},
        "status": "paid",
        "status_transitions": {"canceled_at": None, "paid_at": paid_at},
    }]
    return {"object": "list", "data": data, "has_more": False,
            "url": f"/v1/invoice_payments?invoice={in_id}"}


def iter_invoices(practice: Practice) -> Iterator[dict[str, Any]]:
    for invoice, _, _ in _billing(practice):
        yield invoice


def iter_payment_intents(practice: Practice) -> Iterator[dict[str, Any]]:
    for _, intent, _ in _billing(practice):
        if intent is not None:
            yield intent


def iter_refunds(practice: Practice) -> Iterator[dict[str, Any]]:
    for _, _, refund in _billing(practice):
        if refund is not None:
            yield refund
