"""Golden tests: every ``tests/golden/<domain>/<name>@<version>/<case>.input.json`` must map to
the hand-written ``<case>.expected.json`` beside it (with ``<case>.params.json`` if present),
and every shipped transform must have at least one case.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import canonizer

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(GOLDEN.glob("*/*@*/*.input.json"))


def _ref(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.parent.name}"


@pytest.mark.parametrize("input_path", CASES, ids=lambda p: f"{_ref(p)}:{p.name[:-11]}")
def test_golden(input_path: Path) -> None:
    case = input_path.name[: -len(".input.json")]
    expected = json.loads((input_path.parent / f"{case}.expected.json").read_text("utf-8"))
    params_path = input_path.parent / f"{case}.params.json"
    params = json.loads(params_path.read_text("utf-8")) if params_path.exists() else None
    payload = json.loads(input_path.read_text("utf-8"))
    assert canonizer.transform(_ref(input_path), payload, params=params) == expected


def test_every_shipped_transform_has_a_golden_case() -> None:
    covered = {_ref(p) for p in CASES}
    shipped = {info.ref for info in canonizer.list_transforms()}
    assert shipped - covered == set()


def test_every_golden_input_has_an_expected_file() -> None:
    for path in CASES:
        case = path.name[: -len(".input.json")]
        assert (path.parent / f"{case}.expected.json").exists(), path
