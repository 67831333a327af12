"""canonizer: transforms from raw source payloads (Gmail, Microsoft Graph, Google Forms,
Dataverse, Stripe) to canonical objects, each validated against a shipped JSON Schema.

Transforms are addressed ``<domain>/<name>@<version>`` and are JSONata expressions or Python
functions with checksummed metadata; see ``list_transforms()``. Typical use::

    import canonizer
    email = canonizer.transform("email/gmail_to_jmap_lite@1.0.0", gmail_message)
    for outcome in canonizer.canonize("stripe/invoice_to_invoice@1.0.0", invoices):
        ...

This package is a lorchestra plugin but never imports lorchestra.
"""

from canonizer._api import (
    Outcome,
    canonize,
    default_registry,
    get_transform,
    list_transforms,
    transform,
)
from canonizer._registry import Registry, TransformInfo, load_registry, spec_checksum
from canonizer.errors import (
    CanonizerError,
    ChecksumMismatch,
    InvalidTransformParams,
    InvalidTransformRef,
    SchemaNotFound,
    TransformLoadError,
    TransformNotFound,
    TransformRejected,
)
from canonizer.kinds import CANONICAL_KINDS, CANONICAL_SCHEMAS, canonical_idem_key

__all__ = [
    "CANONICAL_KINDS",
    "CANONICAL_SCHEMAS",
    "CanonizerError",
    "ChecksumMismatch",
    "InvalidTransformParams",
    "InvalidTransformRef",
    "Outcome",
    "Registry",
    "SchemaNotFound",
    "TransformInfo",
    "TransformLoadError",
    "TransformNotFound",
    "TransformRejected",
    "canonical_idem_key",
    "canonize",
    "default_registry",
    "get_transform",
    "list_transforms",
    "load_registry",
    "spec_checksum",
    "transform",
]

__version__ = "0.1.0"
