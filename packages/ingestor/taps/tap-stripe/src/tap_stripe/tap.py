"""`TapStripe`: the Singer tap (Meltano Singer SDK) and its settings; run as `tap-stripe`."""

from __future__ import annotations

from singer_sdk import Stream, Tap
from singer_sdk import typing as th

from tap_common import common_settings
from tap_stripe import schemas
from tap_stripe.streams import STREAMS

__all__ = ["API_URL", "SETTINGS", "TapStripe"]

API_URL = "https://api.stripe.com"


#: The tap's own settings (the SDK adds its built-in ones, e.g. stream_maps, to the schema).
SETTINGS = th.PropertiesList(
    th.Property("api_key", th.StringType, required=True, secret=True,
                description="Restricted key (rk_…) with read access to the streams' "
                            "resources, or a secret key (sk_…)."),
    # lorchestra runs one object type per connection: one Meltano run writes every
    # selected stream into one file.
    th.Property("streams", th.ArrayType(th.StringType(allowed_values=list(STREAMS))),
                default=list(STREAMS),
                description="Streams to extract (default: all)."),
    th.Property("stripe_version", th.StringType, default=schemas.STRIPE_VERSION,
                description="Stripe-Version header: the API version whose shapes the "
                            f"records have (default {schemas.STRIPE_VERSION}, the version the "
                            "tap's schemas describe)."),
    th.Property("page_size", th.IntegerType(minimum=1, maximum=100), default=100,
                description="Objects per list page (Stripe allows 1-100)."),
    th.Property("window_days", th.IntegerType(minimum=1), default=30,
                description="Days of `created` listed (and held in memory), then emitted "
                            "oldest first, at a time."),
    *common_settings(api_url=API_URL),
)


class TapStripe(Tap):
    """Stripe customers, invoices, payment intents and refunds of one account."""

    name = "tap-stripe"
    package_name = "tap-stripe-lorchestra"  # the distribution whose version --about reports
    config_jsonschema = SETTINGS.to_dict()

    def discover_streams(self) -> list[Stream]:
        return [stream(self) for name, stream in STREAMS.items()
                if name in self.config["streams"]]
