"""The files the generator writes and the selectors that pick some of them.

Every output file is `<source_system>/<connection_name>/<object_type>.jsonl`; `FILES` lists them
all, in the order they are written, with the field that holds each record's external id (the last
part of the warehouse's idempotency key). `select_files` turns CLI/API selectors such as `gmail`,
`gmail/gmail-acct1` or `stripe/stripe-practice/refund` into a subset of `FILES`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class FileSpec:
    """One output file: a connection's stream of one object type."""

    source_system: str
    connection_name: str
    object_type: str
    id_field: str

    @property
    def relpath(self) -> str:
        return f"{self.source_system}/{self.connection_name}/{self.object_type}.jsonl"

    @property
    def selector(self) -> str:
        return f"{self.source_system}/{self.connection_name}/{self.object_type}"


GMAIL_CONNECTIONS = ("gmail-acct1", "gmail-acct2", "gmail-acct3")
EXCHANGE_CONNECTIONS = ("exchange-mbx1", "exchange-mbx2", "exchange-mbx3")
EMAIL_CONNECTIONS = GMAIL_CONNECTIONS + EXCHANGE_CONNECTIONS
FORMS_CONNECTIONS = {
    "forms-intake": "form_intake_v1",
    "forms-followup": "form_followup_v1",
    "forms-wellbeing": "form_wellbeing_v1",
    "forms-discharge": "form_discharge_v1",
}
DATAVERSE_CONNECTION = "dataverse-clinic"
STRIPE_CONNECTION = "stripe-practice"
SOURCE_SYSTEMS = ("gmail", "exchange", "google_forms", "dataverse", "stripe")

FILES: tuple[FileSpec, ...] = (
    *(FileSpec("dataverse", DATAVERSE_CONNECTION, t, f) for t, f in (
        ("contact", "contactid"),
        ("clinical_session", "cr8f3_clientsessionid"),
        ("report", "cr8f3_clientreportid"),
    )),
    *(FileSpec("google_forms", c, "form_response", "responseId") for c in FORMS_CONNECTIONS),
    *(FileSpec("stripe", STRIPE_CONNECTION, t, "id") for t in (
        "customer", "invoice", "payment_intent", "refund",
    )),
    *(FileSpec("gmail", c, "email", "id") for c in GMAIL_CONNECTIONS),
    *(FileSpec("exchange", c, "email", "id") for c in EXCHANGE_CONNECTIONS),
)


def find_file(source_system: str, connection_name: str, object_type: str) -> FileSpec:
    """The `FileSpec` for one stream, or a `ValueError` naming the valid streams."""
    for spec in FILES:
        if (spec.source_system, spec.connection_name, spec.object_type) == (
            source_system, connection_name, object_type,
        ):
            return spec
    valid = ", ".join(s.selector for s in FILES)
    raise ValueError(
        f"No stream {source_system}/{connection_name}/{object_type}; valid streams: {valid}."
    )


def select_files(selectors: Iterable[str] | None) -> tuple[FileSpec, ...]:
    """The files matching any selector (`source`, `source/connection` or a full stream path)."""
    if selectors is None:
        return FILES
    chosen: set[FileSpec] = set()
    for raw in selectors:
        sel = raw.strip().strip("/")
        if not sel:
            continue
        matches = [s for s in FILES if s.selector == sel or s.selector.startswith(sel + "/")]
        if not matches:
            raise ValueError(
                f"Unknown source selector {raw!r}; use one of {', '.join(SOURCE_SYSTEMS)}, "
                "optionally followed by /<connection>[/<object_type>] (e.g. gmail/gmail-acct1)."
            )
        chosen.update(matches)
    return tuple(s for s in FILES if s in chosen)


def round_robin(total: int, slots: int, index: int) -> int:
    """How many of `total` items slot `index` gets when dealt out evenly over `slots`."""
    if slots <= 0 or index >= slots:
        return 0
    return total // slots + (1 if index < total % slots else 0)


def split(total: int, weights: tuple[float, ...]) -> tuple[int, ...]:
    """`total` split in proportion to `weights` (largest remainder, so the parts sum exactly)."""
    scale = sum(weights)
    exact = [total * w / scale for w in weights]
    parts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (parts[i] - exact[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return tuple(parts)
