"""JSON schemas of the four Stripe objects the tap emits, as the catalog describes them.

The shapes are those of Stripe API version `STRIPE_VERSION` (the tap's default `Stripe-Version`).
The named properties are the ones lorchestra reads and the links between the objects (see the
Stripe API reference for the rest); `additionalProperties` passes every other field through
unchanged, so records are exactly what Stripe returned. Since `2025-03-31.basil` an invoice has
no `payment_intent` and a payment intent no `invoice`: the link is the invoice's `payments` list
(each `invoice_payment` names its payment intent), which the invoices stream asks Stripe to
include. Nested objects (`metadata`, an invoice's `lines`, `payments`, `parent`, …) are bare
objects, which the SDK passes through untouched. Fields Stripe documents as nullable are nullable
here.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CUSTOMER", "INVOICE", "PAYMENT_INTENT", "REFUND", "STRIPE_VERSION"]

#: The Stripe API version these schemas describe, sent as `Stripe-Version` unless configured.
STRIPE_VERSION = "2026-08-26.dahlia"

_ID = {"type": "string"}
_INT = {"type": "integer"}
_TEXT = {"type": ["string", "null"]}
_OBJECT = {"type": ["object", "null"]}


def _schema(**properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": True,
        "properties": {"id": _ID, "object": _ID, "created": _INT, "livemode": {"type": "boolean"},
                       "metadata": _OBJECT, **properties},
        "required": ["id", "object", "created"],
    }


CUSTOMER = _schema(email=_TEXT, name=_TEXT, phone=_TEXT, description=_TEXT)

INVOICE = _schema(
    customer=_TEXT, status=_TEXT, number=_TEXT, currency=_ID, amount_due=_INT,
    amount_paid=_INT, amount_remaining=_INT, amount_overpaid=_INT, period_start=_INT,
    period_end=_INT, lines=_OBJECT, payments=_OBJECT, parent=_OBJECT, status_transitions=_OBJECT,
)

PAYMENT_INTENT = _schema(
    customer=_TEXT, status=_ID, currency=_ID, amount=_INT, amount_received=_INT,
    latest_charge=_TEXT,
)

REFUND = _schema(
    charge=_TEXT, payment_intent=_TEXT, status=_TEXT, reason=_TEXT, currency=_ID, amount=_INT,
)
