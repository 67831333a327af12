"""JSON schemas of the four Stripe objects the tap emits, as the catalog describes them.

The named properties are the ones lorchestra reads (see the Stripe API reference for the rest);
`additionalProperties` passes every other field through unchanged, so records are exactly what
Stripe returned. Nested objects (`metadata`, an invoice's `lines`, …) are bare objects, which the
SDK passes through untouched. Fields Stripe documents as nullable are nullable here.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CUSTOMER", "INVOICE", "PAYMENT_INTENT", "REFUND"]

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
    amount_paid=_INT, amount_remaining=_INT, period_start=_INT, period_end=_INT,
    payment_intent=_TEXT, lines=_OBJECT, status_transitions=_OBJECT,
)

PAYMENT_INTENT = _schema(
    customer=_TEXT, status=_ID, currency=_ID, amount=_INT, amount_received=_INT, invoice=_TEXT,
    latest_charge=_TEXT,
)

REFUND = _schema(
    charge=_TEXT, payment_intent=_TEXT, status=_TEXT, reason=_TEXT, currency=_ID, amount=_INT,
)
