"""The canonizer's fast paths give exactly what the slow, reference paths give.

Each fast path (plain address lists and ASCII subjects read without the stdlib header parser,
engine results copied with exact type checks, validity decided by the compiled validator) is
compared here against the reference path on the same inputs, tricky forms included, so a
fast path can only ever skip work, never change an output.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

import canonizer
import sample_data
from canonizer import _registry
from canonizer._api import default_registry
from canonizer.errors import TransformRejected
from canonizer.mail import _headers

NAMES = [
    "",
    "Jordan Holloway",
    "Renée Doe",
    "O'Brien",
    "Mary-Jane  Watts",
    "J. Smith",
    "a\tb",
    "José Ibáñez",
    "Søren Ødegård",
    "李 小龙",
    "Zoe\u0301 Combining",
    "under_score",
    "Ωmega 2nd",
]
ADDRESSES = [
    "holloway.jordan59@example.net",
    "x+tag@mail.example.com",
    "a_b%c@ex-ample.org",
    "no-at-sign",
    "dots..double@example.org",
    "trailing.@example.org",
    "user@[192.0.2.1]",
    "user@localhost",
]
ODD_LISTS = [
    '"Smith, John" <john@example.org>',
    "john@example.org (John Smith)",
    "Team: a@example.org, b@example.org;",
    "=?utf-8?q?Ren=C3=A9e?= <renee@example.org>",
    "<>",
    "Name <>",
    "a@example.org,",
    ",a@example.org",
    " , ",
    "Name<a@example.org>",
    "Name < a@example.org >",
    "a@example.org b@example.org",
    "<@route:a@example.org>",
    "Name <a@example.org> trailing",
]


def _slow_addresses(value: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as patched:
        patched.setattr(_headers, "_plain_addresses", lambda _value: None)
        return _headers.parse_addresses(value)


def _address_values() -> list[str]:
    singles = []
    for name, address in itertools.product(NAMES, ADDRESSES):
        singles.append(f"{name} <{address}>" if name else address)
        singles.append(f"<{address}>")
    pairs = [f"{a}, {b}" for a, b in itertools.product(singles[:12], singles[-6:])]
    return singles + pairs + ODD_LISTS + [f" {s}\t" for s in singles[:8]]


def test_plain_address_lists_parse_as_the_stdlib_parser_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = _address_values()
    fast_hits = 0
    for value in values:
        fast_hits += _headers._plain_addresses(value) is not None
        assert _headers.parse_addresses(value) == _slow_addresses(value, monkeypatch), value
    assert fast_hits > 50  # the fast path is taken, not only compared


SUBJECTS = [
    "Fees and insurance",
    "  padded   subject  ",
    "tab\there",
    "=?utf-8?q?Your_weekly_check-in_-_Ren=C3=A9e?=",
    "Re: =?iso-8859-1?q?caf=E9?= again",
    "Not =? an encoded word",
    "Bell\x07 inside",
    "Renée unencoded",
    "",
    "   ",
]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_ascii_subjects_decode_as_the_stdlib_parser_does(subject: str) -> None:
    reference = _headers._CONTROL_RE.sub("", str(_headers._factory("Subject", subject))).strip()
    assert _headers.decode_unstructured(subject) == reference


RESULTS: list[Any] = [
    {"a": 1, "b": [1.0, 2.5, True, None, "x"], "c": {"d": "é", "e": "\udc80"}},
    {"n": 2.0**60, "m": -3.0, "k": ["\ud800 lone", {"é": 1}]},
    {"t": (1, 2)},
    {"nan": float("nan")},
    {1: "non-string key"},
    {"obj": object()},
]


@pytest.mark.parametrize("value", RESULTS, ids=range(len(RESULTS)))
def test_engine_results_copy_as_the_reference_copy_does(value: Any) -> None:
    try:
        expected: Any = _registry._to_json(value, "")
    except TransformRejected as exc:
        expected = exc.reason
    try:
        got: Any = _registry._json_result(value)
    except TransformRejected as exc:
        got = exc.reason
    assert json.dumps(got) == json.dumps(expected)


def _instances() -> list[tuple[str, Any]]:
    """Every golden input and expected output, and sample messages, with their schemas."""
    registry = default_registry()
    found: list[tuple[str, Any]] = []
    golden = Path(__file__).parent / "golden"
    for path in sorted(golden.glob("*/*@*/*.input.json")):
        info = registry.get(f"{path.parent.parent.name}/{path.parent.name}").info
        expected = path.parent / path.name.replace(".input.json", ".expected.json")
        if info.input_schema:
            found.append((info.input_schema, json.loads(path.read_text("utf-8"))))
        found.append((info.output_schema, json.loads(expected.read_text("utf-8"))))
    gmail = registry.get("email/gmail_to_jmap_lite").info
    for record in sample_data.iter_records("gmail", "gmail-acct1", "email", count=50):
        if gmail.input_schema:
            found.append((gmail.input_schema, record))
        found.append((gmail.output_schema, canonizer.transform(gmail.ref, record)))
    return found


def _broken(instance: Any) -> list[Any]:
    """Invalid variants: a required property gone, a property of the wrong type."""
    if not isinstance(instance, dict) or not instance:
        return []
    first = sorted(instance)[0]
    missing = {k: v for k, v in instance.items() if k != first}
    wrong = {**instance, first: {"unexpected": [1.5]}}
    return [missing, wrong, [], "text", None]


def test_compiled_validator_agrees_with_the_python_validator() -> None:
    store = default_registry().schemas
    checked = 0
    for uri, instance in _instances():
        for candidate in [instance, *_broken(instance)]:
            compiled = store.compiled(uri)
            assert compiled is not None, uri
            python_valid = not list(store.validator(uri).iter_errors(candidate))
            assert compiled.is_valid(candidate) == python_valid, uri
            checked += 1
    assert checked > 100
