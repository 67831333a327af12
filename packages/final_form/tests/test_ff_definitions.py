"""Definition files: shipped ones are sound, malformed ones fail with file and field named,
and a new instrument is just a new file. Also the public API's input checking.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

import final_form as ff
from final_form.errors import DefinitionError, UnknownInstrumentError

Mutate = Callable[[dict[str, Any]], None]


def shipped(instrument_id: str) -> dict[str, Any]:
    text = (files("final_form") / "instruments" / f"{instrument_id}.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def write(tmp_path: Path, data: dict[str, Any], name: str | None = None) -> Path:
    path = tmp_path / (name or f"{data['id']}.json")
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_shipped_instruments() -> None:
    assert ff.list_instruments() == [
        "fscrs",
        "gad7",
        "ipip_neo_60",
        "phlms",
        "phlms10",
        "phq9",
        "pss10",
    ]


def test_phq9_loinc_codes_match_the_reference() -> None:
    phq9 = ff.load_instrument("phq9")
    assert phq9.loinc == "44249-1"
    assert [item.loinc for item in phq9.items] == [
        "44250-9", "44255-8", "44259-0", "44254-1", "44251-7",
        "44258-2", "44252-5", "44253-3", "44260-8",
    ]  # fmt: skip
    assert phq9.scale("total").loinc == "44261-6"
    assert phq9.difficulty_item is not None and phq9.difficulty_item.loinc == "69722-7"
    # The difficulty answer codes do not run in score order.
    assert [o.loinc for o in phq9.difficulty_item.response.options] == [
        "LA6572-7", "LA6573-5", "LA6575-0", "LA6574-3",
    ]  # fmt: skip


def test_gad7_loinc_codes_match_the_reference() -> None:
    gad7 = ff.load_instrument("gad7")
    assert [item.loinc for item in gad7.items] == [
        "69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7",
    ]  # fmt: skip
    assert gad7.scale("total").loinc == "70274-6"
    assert gad7.difficulty_item is not None and gad7.difficulty_item.loinc is None


def test_default_policy_is_primary_everywhere() -> None:
    for instrument_id in ff.list_instruments():
        assert ff.load_instrument(instrument_id).missing_policies.default == "primary"


def _set(path: str, value: Any) -> Mutate:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        parts = path.split(".")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        last = parts[-1]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def _add_scale(scale: dict[str, Any]) -> Mutate:
    def mutate(data: dict[str, Any]) -> None:
        data["scales"].append(scale)

    return mutate


BAD_DEFINITIONS: list[tuple[str, Mutate, str]] = [
    (
        "band gap",
        _set("scales.0.bands.1.min", 6),
        "scales[0].bands[1].min: bands must be contiguous and ascending; expected 5, got 6",
    ),
    (
        "bands short of the range",
        _set("scales.0.bands.4.max", 26),
        "scales[0].bands: must cover the scale range 0-27 exactly",
    ),
    (
        "upper-case band label",
        _set("scales.0.bands.0.label", "Minimal"),
        "scales[0].bands[0].label",
    ),
    ("misspelt key", _set("reverse_keyd", []), "reverse_keyd: Extra inputs are not permitted"),
    ("unknown reverse item", _set("reverse_keyed", ["phq9_99"]), "reverse_keyed[0]: unknown item"),
    ("unknown scale item", _set("scales.0.items.0", "phq9_x"), "scales[0].items: unknown item"),
    (
        "policy without a rule",
        _set("missing_policies.options.primary.max_missing", {}),
        "missing_policies.options.primary.max_missing: no rule for scales ['total']",
    ),
    (
        "policy tolerating every item missing",
        _set("missing_policies.options.primary.max_missing", {"total": 9}),
        "missing_policies.options.primary.max_missing.total: must be between 0 and 8",
    ),
    (
        "unknown default policy",
        _set("missing_policies.default", "lenient"),
        "missing_policies.default",
    ),
    ("options short of the range", _set("response.max", 4), "response: options: must list each"),
    ("version not semver", _set("version", "1.0"), "version: '1.0' is not a version like 1.0.0"),
    ("flag on unknown item", _set("flags.0.item", "phq9_10"), "flags[0].item: unknown item"),
    ("flag value out of range", _set("flags.0.value", 4), "flags[0].value: 4 is outside"),
    ("positions out of order", _set("items.1.position", 5), "items: positions must run 1..9"),
    ("difficulty clashes", _set("difficulty_item.id", "phq9_1"), "difficulty_item.id"),
    (
        "composite of unknown scale",
        _add_scale({"id": "both", "name": "x", "scales": ["total", "nope"]}),
        "scales[1].scales: 'nope' is not an item-based scale",
    ),
    (
        "composite with a mean",
        _add_scale({"id": "avg", "name": "x", "method": "mean", "scales": ["total"]}),
        "scales[1]: method: a composite scale ('scales') can only be 'sum'",
    ),
    (
        "scale with items and scales",
        _set("scales.0.scales", ["total"]),
        "scales[0]: exactly one of 'items' or 'scales' must be given",
    ),
    ("bad LOINC", _set("items.0.loinc", "44250"), "items[0].loinc: '44250' is not a LOINC code"),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [pytest.param(m, e, id=name) for name, m, e in BAD_DEFINITIONS],
)
def test_malformed_definitions_name_file_and_field(
    tmp_path: Path, mutate: Mutate, expected: str
) -> None:
    data = copy.deepcopy(shipped("phq9"))
    mutate(data)
    with pytest.raises(DefinitionError) as caught:
        ff.load_definition_file(write(tmp_path, data, "phq9.json"))
    message = str(caught.value)
    assert message.startswith("phq9.json: ")
    assert expected in message


def test_id_must_match_file_name(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match=r"^other\.json: id: 'phq9' does not match"):
        ff.load_definition_file(write(tmp_path, shipped("phq9"), "other.json"))


def test_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "id": "broken",\n  oops\n}', encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"^broken\.json: not valid JSON at line 3"):
        ff.load_definition_file(path)


def test_a_bad_file_fails_the_whole_directory(tmp_path: Path) -> None:
    write(tmp_path, shipped("gad7"))
    bad = shipped("phq9")
    bad["scales"][0]["bands"][0]["label"] = "NONE"
    write(tmp_path, bad)
    with pytest.raises(DefinitionError, match=r"phq9\.json: scales\[0\]\.bands\[0\]\.label"):
        ff.InstrumentRegistry.from_directory(tmp_path)


def test_adding_an_instrument_is_adding_a_file(tmp_path: Path) -> None:
    demo = {
        "id": "demo3",
        "version": "0.1.0",
        "name": "Synthetic three-item demo",
        "response": {
            "min": 0,
            "max": 2,
            "options": [
                {"value": 0, "label": "No"},
                {"value": 1, "label": "Sometimes"},
                {"value": 2, "label": "Yes"},
            ],
        },
        "items": [{"id": f"d{i}", "position": i, "text": f"Synthetic item {i}"} for i in (1, 2, 3)],
        "reverse_keyed": ["d3"],
        "scales": [
            {
                "id": "total",
                "name": "Total",
                "items": ["d1", "d2", "d3"],
                "bands": [
                    {"min": 0, "max": 2, "label": "low"},
                    {"min": 3, "max": 6, "label": "high"},
                ],
            }
        ],
        "missing_policies": {
            "default": "primary",
            "options": {"primary": {"description": "strict", "max_missing": {"total": 0}}},
        },
    }
    write(tmp_path, demo)
    write(tmp_path, shipped("phq9"))
    registry = ff.InstrumentRegistry.from_directory(tmp_path)
    assert registry.ids() == ["demo3", "phq9"]
    # d1 2 + d2 1 + d3 reversed (0 + 2 - 0 = 2) = 5 -> high.
    result = ff.score_definition(registry.get("demo3"), [2, 1, 0])
    assert result.scales == {"total": 5.0} and result.bands == {"total": "high"}


# -- the public API's input checking ----------------------------------------------------


def test_out_of_range_response_names_the_item() -> None:
    with pytest.raises(ValueError, match=r"phq9 item phq9_4 \(position 4\): response 4 is outside"):
        ff.score("phq9", [0, 0, 0, 4, 0, 0, 0, 0, 0])
    with pytest.raises(ValueError, match=r"ipip_neo_60 item N1a \(position 1\): response 0"):
        ff.score("ipip_neo_60", [0] + [3] * 59)


def test_non_integer_responses_are_rejected() -> None:
    # Typed as Any: these are exactly the inputs the annotations forbid.
    as_bool: Any = [True] + [0] * 8
    with pytest.raises(ValueError, match="phq9_1 .*got bool"):
        ff.score("phq9", as_bool)
    as_text: Any = [0, "1"] + [0] * 7
    with pytest.raises(ValueError, match="phq9_2 .*got str"):
        ff.score("phq9", as_text)
    as_float: Any = [1.0] * 7
    with pytest.raises(ValueError, match="got float"):
        ff.score("gad7", as_float)


def test_wrong_length_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"gad7: expected 7 responses .* got 6"):
        ff.score("gad7", [0] * 6)
    as_string: Any = "0000000"
    with pytest.raises(ValueError, match="responses must be a list"):
        ff.score("gad7", as_string)


def test_difficulty_is_checked() -> None:
    with pytest.raises(ValueError, match=r"phq9 item phq9_10 \(difficulty\): response 4"):
        ff.score("phq9", [0] * 9, difficulty=4)
    with pytest.raises(ValueError, match="pss10: has no functional-difficulty item"):
        ff.score("pss10", [0] * 10, difficulty=0)


def test_unknown_instrument() -> None:
    with pytest.raises(UnknownInstrumentError, match="unknown instrument 'phq8'"):
        ff.score("phq8", [0] * 8)


def test_score_is_frozen_and_serialisable() -> None:
    result = ff.score("phq9", (1, 1, 1, 1, 1, 1, 1, 1, None), difficulty=0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.n_missing = 0  # type: ignore[misc]
    assert result.as_dict() == {
        "instrument": "phq9",
        "version": "1.0.0",
        "scales": {"total": 9.0},  # 8 x 9 / 8
        "bands": {"total": "mild"},
        "flags": {"item9_positive": None},
        "n_missing": 1,
        "prorated": True,
        "functional_difficulty": 0,
        "missing_policy": "primary",
    }
    json.dumps(result.as_dict())
