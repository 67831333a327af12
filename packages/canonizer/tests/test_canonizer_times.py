"""Timestamp helpers: every canonical timestamp is UTC RFC 3339 with a Z, or null."""

from __future__ import annotations

import pytest

from canonizer.times import (
    format_utc,
    from_epoch_millis,
    from_unix_seconds,
    parse_iso,
    parse_iso_date,
    parse_rfc5322,
)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Mon, 3 Jun 2024 10:00:00 +0000", "2024-06-03T10:00:00Z"),
        ("Mon, 3 Jun 2024 10:00 +0200", "2024-06-03T08:00:00Z"),  # no seconds
        ("3 Jun 2024 10:00:01 -0000", "2024-06-03T10:00:01Z"),  # no day name, unknown zone
        ("Tue, 1 Jul 2003 10:52:37 +0200 (CEST)", "2003-07-01T08:52:37Z"),  # comment
        ("Mon, 3 Jun 2024 10:00:00 EST", "2024-06-03T15:00:00Z"),  # named zones
        ("Mon, 3 Jun 2024 10:00:00 PDT", "2024-06-03T17:00:00Z"),
        ("Mon, 3 Jun 2024 10:00:00 GMT", "2024-06-03T10:00:00Z"),
        ("Mon, 3 Jun 2024 10:00:00 UT", "2024-06-03T10:00:00Z"),
        ("Mon, 3 Jun 2024 10:00:00 Z", "2024-06-03T10:00:00Z"),  # military zone: as UTC
        ("Mon, 3 Jun 96 10:00 GMT", "1996-06-03T10:00:00Z"),  # obsolete 2-digit years
        ("Mon, 3 Jun 49 10:00 GMT", "2049-06-03T10:00:00Z"),
        ("Mon, 3 Jun 50 10:00 GMT", "1950-06-03T10:00:00Z"),
        ("Mon, 3 Jun 124 10:00:00 +0000", "2024-06-03T10:00:00Z"),  # 3-digit year
        ("Mon,  3   Jun 2024\t10:00:00 +0000", "2024-06-03T10:00:00Z"),  # odd spacing
        ("Sat, 31 Dec 2016 23:59:60 +0000", "2016-12-31T23:59:59Z"),  # leap second
        ("2024-06-03T10:00:00+01:00", "2024-06-03T09:00:00Z"),  # ISO in a Date header
    ],
)
def test_rfc5322_dates(header: str, expected: str) -> None:
    parsed = parse_rfc5322(header)
    assert parsed is not None and format_utc(parsed) == expected


@pytest.mark.parametrize(
    "header",
    [
        "",
        "   ",
        "garbage",
        "Fri, 30 Feb 2024 10:00:00 +0000",
        "Mon, 3 Jun 2024 25:00 +0000",
        None,
        5,
    ],
)
def test_unusable_rfc5322_dates(header: object) -> None:
    assert parse_rfc5322(header) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-06-03T10:00:01.1234567Z", "2024-06-03T10:00:01Z"),
        ("2024-06-03T10:00:00.5+02:00", "2024-06-03T08:00:00Z"),
        ("2024-06-03T10:00:00-0530", "2024-06-03T15:30:00Z"),
        ("2024-06-03 10:00", "2024-06-03T10:00:00Z"),
        ("2024-06-03T10:00:00", "2024-06-03T10:00:00Z"),  # no offset: UTC
    ],
)
def test_iso_datetimes(value: str, expected: str) -> None:
    parsed = parse_iso(value)
    assert parsed is not None and format_utc(parsed) == expected


@pytest.mark.parametrize("value", ["2024-06-03", "2024-02-30T00:00:00Z", "x", None, 1])
def test_unusable_iso_datetimes(value: object) -> None:
    assert parse_iso(value) is None


def test_epochs() -> None:
    assert from_unix_seconds(0) == "1970-01-01T00:00:00Z"
    assert from_unix_seconds(1700000000.9) == "2023-11-14T22:13:20Z"
    assert from_epoch_millis("1717430400123") == "2024-06-03T16:00:00Z"
    assert from_epoch_millis(1717430400999) == "2024-06-03T16:00:00Z"
    for bad in (True, "1e3", "", None, 10**30, float("inf"), "-" + "9" * 20):
        assert from_unix_seconds(bad) is None or from_epoch_millis(bad) is None


def test_dates() -> None:
    assert parse_iso_date("1984-02-29") == "1984-02-29"
    assert parse_iso_date("1990-07-01T00:00:00Z") == "1990-07-01"
    assert parse_iso_date("1985-02-29") is None
    assert format_utc(parse_iso("0999-01-01T00:00:00Z")) == "0999-01-01T00:00:00Z"  # type: ignore[arg-type]
