"""How long to wait before retrying a request: the server's Retry-After, else backoff.

`retry_after_seconds` reads a Retry-After header in either form HTTP allows (delay seconds or an
HTTP date). `wait_generator` is the generator the `backoff` library drives: it is sent each
failure's exception and yields the next wait, which is Retry-After when the failed response
carried one, else exponential (1, 2, 4, … s) with "equal jitter" (between half and all of the
step, so parallel clients spread out but never retry at once). Every wait is capped by
`max_seconds`, Retry-After included: a server asking for longer than the cap gets retried early,
and if it refuses again that counts as one more of the bounded tries.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from singer_sdk.exceptions import RetriableAPIError

__all__ = ["retry_after_seconds", "wait_generator"]

BASE_SECONDS = 1.0


def retry_after_seconds(value: str | None, now: Callable[[], datetime] | None = None,
                        ) -> float | None:
    """Seconds a Retry-After header value asks to wait, or None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # HTTP dates are GMT by definition
    current = now() if now is not None else datetime.now(UTC)
    return max(0.0, (moment - current).total_seconds())


def wait_generator(max_seconds: float, base_seconds: float = BASE_SECONDS,
                   ) -> Generator[float, BaseException | None, None]:
    """Yield retry waits for `backoff`, honouring Retry-After, each at most `max_seconds`."""
    failure = yield 0.0  # backoff primes the generator with send(None) and ignores this value
    attempt = 0
    while True:
        asked = None
        if isinstance(failure, RetriableAPIError) and failure.response is not None:
            asked = retry_after_seconds(failure.response.headers.get("Retry-After"))
        if asked is None:
            step = min(max_seconds, base_seconds * 2 ** min(attempt, 30))
            wait = step / 2 + random.uniform(0, step / 2)
        else:
            wait = asked
        attempt += 1
        failure = yield min(max_seconds, wait)
