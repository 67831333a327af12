"""The canonical kinds this package produces and how they appear in canonical idem keys.

A canonical row's key is ``{raw idem_key}#{canonical kind}``; the kind is also the name part of
the output schema's Iglu URI (``iglu:org.canonical/<kind>/jsonschema/1-0-0``), so a transform's
``TransformInfo.canonical_kind`` and this table always agree (a test checks it).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

__all__ = ["CANONICAL_KINDS", "CANONICAL_SCHEMAS", "canonical_idem_key"]

CANONICAL_KINDS: Final[tuple[str, ...]] = (
    "email_jmap_lite",
    "questionnaire_response",
    "contact",
    "clinical_session",
    "session_transcript",
    "session_note",
    "session_summary",
    "clinical_report",
    "customer",
    "invoice",
    "payment",
    "refund",
)

#: Canonical kind -> Iglu URI of the JSON Schema every object of that kind is validated against.
CANONICAL_SCHEMAS: Final = MappingProxyType(
    {kind: f"iglu:org.canonical/{kind}/jsonschema/1-0-0" for kind in CANONICAL_KINDS}
)


def canonical_idem_key(raw_idem_key: str, kind: str) -> str:
    """``{raw idem_key}#{kind}``, e.g. ``gmail:acct1:email:18c5a7b2#email_jmap_lite``."""
    if not raw_idem_key or "#" in raw_idem_key:
        raise ValueError("raw_idem_key must be a non-empty raw key without '#'.")
    if not kind or "#" in kind:
        raise ValueError("kind must be a non-empty canonical kind without '#'.")
    return f"{raw_idem_key}#{kind}"
