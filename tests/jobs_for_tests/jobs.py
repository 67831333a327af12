"""Small jobs exercising the job contract; used by the CLI and runner tests."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from lorchestra.api import NotPHI
from lorchestra.stack_clients.event_client import upsert_objects

CANARY_NAME = "Zebedee Quxworthy"
CANARY_EMAIL = "zebedee.quxworthy@example.org"
CANARY_PHONE = "555-0199-7731"


def hello(
    bq_client: Any,
    account: Annotated[str | None, NotPHI] = None,
    since: Annotated[str | None, NotPHI] = None,
    until: Annotated[str | None, NotPHI] = None,
    count: int = 2,
    ratio: float = 0.5,
    verbose: bool = False,
    day: date | None = None,
    tags: list[str] | None = None,
) -> dict[str, Any]:
    """Write ``count`` objects to raw_objects and return the counts."""
    objects = [{"id": f"obj-{i}", "n": i, "tags": tags or []} for i in range(count)]
    result = upsert_objects(
        bq_client,
        objects,
        source_system="test",
        connection_name=account or "default",
        object_type="thing",
        external_id="id",
    )
    return {**result.counts(), "since_given": since is not None, "note": "text is dropped"}


def needs_name(bq_client: Any, name: str) -> None:
    """A job with a required argument."""


def takes_anything(bq_client: Any, **kwargs: Any) -> dict[str, int]:
    """Accepts any option as a string."""
    return {"options": len(kwargs)}


def explode(bq_client: Any, patient: str | None = None) -> None:
    """Fails with a message full of PHI-like canaries."""
    raise ValueError(f"could not process {CANARY_NAME} <{CANARY_EMAIL}> {CANARY_PHONE} {patient}")


def careful(bq_client: Any, dry_run: bool = False) -> dict[str, int]:
    """Declares dry_run, so it is called during --dry-run and must write nothing."""
    if not dry_run:
        upsert_objects(
            bq_client,
            [{"id": "x"}],
            source_system="test",
            connection_name="c",
            object_type="thing",
            external_id="id",
        )
    return {"dry_run": int(dry_run)}


def rejecting(bq_client: Any) -> dict[str, int]:
    """Writes one good and one bad record."""
    result = upsert_objects(
        bq_client,
        [{"id": "ok"}, {"no_id": 1}],
        source_system="test",
        connection_name="c",
        object_type="thing",
        external_id="id",
    )
    return result.counts()


def flaky(bq_client: Any) -> dict[str, int]:
    """Fails (with PHI-like canaries in the message) while FLAKY_FAIL is set, else completes."""
    import os

    if os.environ.get("FLAKY_FAIL"):
        raise RuntimeError(f"cannot score {CANARY_NAME} <{CANARY_EMAIL}>")
    return {"inserted": 0, "unchanged": 1}
