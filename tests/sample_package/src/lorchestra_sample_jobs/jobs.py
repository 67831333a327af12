"""Jobs of the sample package: one that writes, one that fails, one that holds the lock."""

from __future__ import annotations

import time

from lorchestra.api import Warehouse, upsert_objects


def greet(bq_client: Warehouse, account: str | None = None, times: int = 1) -> dict[str, int]:
    """Write ``times`` greeting objects for ``account``."""
    objects = [{"id": f"g{i}", "greeting": "hello"} for i in range(times)]
    result = upsert_objects(
        bq_client,
        objects,
        source_system="sample",
        connection_name=account or "default",
        object_type="greeting",
        external_id="id",
    )
    return result.counts()


def fail(bq_client: Warehouse) -> None:
    """Always fails."""
    raise RuntimeError("sample failure")


def hold(bq_client: Warehouse, seconds: float = 3.0) -> dict[str, float]:
    """Keep the warehouse open for a while (to test concurrent runs)."""
    time.sleep(seconds)
    return {"held_s": seconds}
