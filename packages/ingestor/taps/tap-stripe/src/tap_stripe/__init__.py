"""tap-stripe: a Singer tap for the Stripe API, built on lorchestra's `tap_common`.

Streams `customers`, `invoices`, `payment_intents` and `refunds` (setting `streams` picks some):
the objects exactly as Stripe's list endpoints return them at API version `stripe_version`
(default the one the schemas describe, `tap_stripe.schemas.STRIPE_VERSION`), oldest first, over
the window [start_date, end_date) of `created` (see `streams`). Every status is listed (draft and
void invoices, canceled payment intents, failed refunds); deleted customers are not (Stripe's list
leaves them out). Invoices come with their `payments` (`expand[]=data.payments`).
"""

from tap_stripe.tap import TapStripe

__all__ = ["TapStripe"]
__version__ = "0.1.0"
