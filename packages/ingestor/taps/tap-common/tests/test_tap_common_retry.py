"""Retry-After parsing and the wait generator (pure logic, no network)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from singer_sdk.exceptions import RetriableAPIError

from tap_common import parse_instant, retry_after_seconds, wait_generator

NOW = datetime(2026, 11, 2, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(("header", "expected"), [
    ("7", 7.0),
    (" 0 ", 0.0),
    ("Mon, 02 Nov 2026 12:00:05 GMT", 5.0),
    ("Mon, 02 Nov 2026 11:59:00 GMT", 0.0),  # a date in the past: retry now
    ("soon", None),
    ("-3", None),
    ("", None),
    (None, None),
])
def test_retry_after_accepts_seconds_and_http_dates(header: str | None,
                                                   expected: float | None) -> None:
    assert retry_after_seconds(header, now=lambda: NOW) == expected


def _failure(status: int, retry_after: str | None = None) -> RetriableAPIError:
    response = requests.Response()
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = retry_after
    return RetriableAPIError("failed", response)


def test_waits_honour_retry_after_up_to_the_cap() -> None:
    waits = wait_generator(max_seconds=10)
    next(waits)
    assert waits.send(_failure(429, "3")) == 3.0
    assert waits.send(_failure(429, "3600")) == 10.0  # capped: a long ask is retried early


def test_waits_grow_exponentially_with_jitter_and_stay_capped() -> None:
    waits = wait_generator(max_seconds=6, base_seconds=1)
    next(waits)
    for step in (1, 2, 4, 6, 6, 6):
        wait = waits.send(_failure(503))
        assert step / 2 <= wait <= step
    assert waits.send(ConnectionResetError()) <= 6


def test_zero_cap_retries_at_once() -> None:
    waits = wait_generator(max_seconds=0)
    next(waits)
    assert [waits.send(_failure(500, "5")) for _ in range(3)] == [0, 0, 0]


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-01-02", datetime(2026, 1, 2, tzinfo=UTC)),
    ("2026-01-02T03:04:05Z", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("2026-01-02T03:04:05.250+02:00",
     datetime(2026, 1, 2, 1, 4, 5, 250000, tzinfo=UTC)),
    ("2026-01-02T03:04:05", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),  # no zone: UTC
])
def test_dates_parse_to_aware_utc(value: str, expected: datetime) -> None:
    parsed = parse_instant(value, "start_date")
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


def test_a_bad_date_names_the_setting_not_the_value() -> None:
    with pytest.raises(ValueError, match="start_date") as caught:
        parse_instant("last tuesday", "start_date")
    assert "tuesday" not in str(caught.value)
