"""tap-stripe: a Singer tap for the Stripe API, built on lorchestra's `tap_common`.

Streams `customers`, `invoices`, `payment_intents` and `refunds` (setting `streams` picks some):
the objects exactly as Stripe's list endpoints return them, oldest first, over the window
[start_date, end_date) of `created` (see `streams`).
"""

from tap_stripe.tap import TapStripe

__all__ = ["TapStripe"]
__version__ = "0.1.0"
