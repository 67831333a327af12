"""Retry transient warehouse failures with exponential backoff and jitter, bounded.

Only ``TransientWarehouseError`` is retried; terminal errors surface at once. The bounds (5
attempts, 60 seconds) keep a stuck warehouse from hanging a daily run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from lorchestra.errors import TransientWarehouseError

T = TypeVar("T")

MAX_ATTEMPTS = 5
MAX_SECONDS = 60.0


def with_retries(
    operation: Callable[[], T], *, attempts: int = MAX_ATTEMPTS, seconds: float = MAX_SECONDS
) -> T:
    """Call ``operation``, retrying transient warehouse errors within the bounds."""
    retrying = Retrying(
        retry=retry_if_exception_type(TransientWarehouseError),
        stop=stop_after_attempt(attempts) | stop_after_delay(seconds),
        wait=wait_random_exponential(multiplier=0.2, max=10),
        reraise=True,
    )
    return retrying(operation)
