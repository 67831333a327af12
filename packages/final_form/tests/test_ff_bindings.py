"""Form bindings: the shipped files match the generator's conventions, answers map by text
(ignoring case and surrounding whitespace), unknown answers become diagnostics without the
answer text, and malformed bindings are rejected with file and field named.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

import final_form as ff
from final_form import _sample_bindings
from final_form.binding import load_binding_file, map_answers
from final_form.errors import DefinitionError

Qid = Callable[[str, str, int | str], str]

# The generator's conventions, restated here rather than imported from the builder.
FREQUENCY = ["Not at all", "Several days", "More than half the days", "Nearly every day"]
EXPECTED_FORMS: dict[str, dict[str, tuple[list[str], int]]] = {
    "form_intake_v1": {"phq9": (FREQUENCY, 0), "gad7": (FREQUENCY, 0)},
    "form_followup_v1": {"phq9": (FREQUENCY, 0), "gad7": (FREQUENCY, 0)},
    "form_discharge_v1": {"phq9": (FREQUENCY, 0), "gad7": (FREQUENCY, 0)},
    "form_wellbeing_v1": {
        "pss10": (["Never", "Almost never", "Sometimes", "Fairly often", "Very often"], 0),
        "fscrs": (
            [
                "Not at all like me",
                "A little bit like me",
                "Moderately like me",
                "Quite a bit like me",
                "Extremely like me",
            ],
            0,
        ),
        "ipip_neo_60": (
            [
                "Very inaccurate",
                "Moderately inaccurate",
                "Neither accurate nor inaccurate",
                "Moderately accurate",
                "Very accurate",
            ],
            1,
        ),
        "phlms": (["Never", "Rarely", "Sometimes", "Often", "Very often"], 1),
    },
}
DIFFICULTY = ["Not difficult at all", "Somewhat difficult", "Very difficult", "Extremely difficult"]
ITEM_COUNTS = {"phq9": 9, "gad7": 7, "pss10": 10, "fscrs": 22, "ipip_neo_60": 60, "phlms": 20}


def committed(form_id: str) -> str:
    return (files("final_form") / "bindings" / f"{form_id}.json").read_text("utf-8")


@pytest.mark.parametrize("form_id", sorted(EXPECTED_FORMS))
def test_committed_binding_matches_the_generator_conventions(form_id: str, qid: Qid) -> None:
    data = json.loads(committed(form_id))
    assert data["form_id"] == form_id and data["id"] == form_id
    assert [part["instrument"] for part in data["instruments"]] == list(EXPECTED_FORMS[form_id])
    for part in data["instruments"]:
        instrument_id = part["instrument"]
        texts, start = EXPECTED_FORMS[form_id][instrument_id]
        assert part["options"] == [{"text": t, "value": start + i} for i, t in enumerate(texts)]
        definition = ff.load_instrument(instrument_id)
        expected_items = [
            {"question_id": qid(form_id, instrument_id, position), "item": item.id}
            for position, item in enumerate(definition.items, start=1)
        ]
        assert len(expected_items) == ITEM_COUNTS[instrument_id]
        assert part["items"] == expected_items
        if instrument_id in ("phq9", "gad7"):
            assert part["difficulty"]["question_id"] == qid(form_id, instrument_id, "difficulty")
            assert [o["text"] for o in part["difficulty"]["options"]] == DIFFICULTY
            assert [o["value"] for o in part["difficulty"]["options"]] == [0, 1, 2, 3]
        else:
            assert "difficulty" not in part


@pytest.mark.parametrize("form_id", sorted(EXPECTED_FORMS))
def test_committed_binding_is_the_builder_output(form_id: str) -> None:
    built = _sample_bindings.build_binding(
        form_id, ff.InstrumentRegistry.from_directory(files("final_form") / "instruments")
    )
    assert _sample_bindings.render(built) == committed(form_id)


def test_builder_writes_the_same_files(tmp_path: Path) -> None:
    for path in _sample_bindings.write_all(tmp_path):
        assert path.read_text("utf-8") == committed(path.stem)


def test_shipped_bindings_load() -> None:
    assert ff.default_bindings().form_ids() == sorted(EXPECTED_FORMS)


def _answers(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"question_id": q, "answer_value": v, "answer_type": "text"} for q, v in values.items()]


def test_option_text_matching_ignores_case_and_surrounding_whitespace(qid: Qid) -> None:
    binding = ff.default_bindings().for_form("form_intake_v1")
    assert binding is not None
    texts = ["  not AT ALL ", "SEVERAL DAYS", "\tMore than half the days\n", "nearly every day"]
    values = {qid("form_intake_v1", "phq9", p): texts[(p - 1) % 4] for p in range(1, 10)}
    values[qid("form_intake_v1", "phq9", "difficulty")] = " very DIFFICULT "
    bound, diagnostics = map_answers(
        binding,
        _answers(values),
        ff.InstrumentRegistry(ff.load_instrument(i) for i in ("phq9", "gad7")),
    )
    assert diagnostics == []
    phq9, gad7 = bound
    assert phq9.responses == [0, 1, 2, 3, 0, 1, 2, 3, 0]
    assert phq9.difficulty == 2
    assert gad7.responses == [None] * 7 and gad7.difficulty is None


def test_unknown_answer_is_a_diagnostic_without_the_text(qid: Qid) -> None:
    binding = ff.default_bindings().for_form("form_intake_v1")
    assert binding is not None
    secret = "Only on Tuesdays after my appointment"
    question = qid("form_intake_v1", "gad7", 3)
    values = {qid("form_intake_v1", "gad7", p): "Several days" for p in range(1, 8)}
    values[question] = secret
    bound, diagnostics = map_answers(binding, _answers(values), _registry())
    assert bound[1].responses == [1, 1, None, 1, 1, 1, 1]
    assert [d.code for d in diagnostics] == ["unknown_option"]
    assert diagnostics[0].question_id == question
    assert diagnostics[0].instrument_id == "gad7" and diagnostics[0].item_id == "gad7_3"
    assert diagnostics[0].severity == "warning"
    dumped = json.dumps([d.as_dict() for d in diagnostics])
    assert secret not in dumped and "Tuesdays" not in dumped


def test_other_answer_problems_are_diagnostics(qid: Qid) -> None:
    binding = ff.default_bindings().for_form("form_intake_v1")
    assert binding is not None
    q1, q2 = qid("form_intake_v1", "phq9", 1), qid("form_intake_v1", "phq9", 2)
    # A checkbox-style list is not an option text, even with one element.
    answers = _answers({q1: ["Several days"], "consent": "I agree to everything"})
    answers[0]["answer_type"] = "text_list"
    answers += _answers({q2: "Several days"}) * 2  # the same question twice
    answers += _answers({qid("form_intake_v1", "phq9", 3): "   "})  # blank = unanswered
    bound, diagnostics = map_answers(binding, answers, _registry())
    assert bound[0].responses[:3] == [None, None, None]
    by_code = {d.code: d for d in diagnostics}
    assert sorted(by_code) == ["duplicate_answer", "unbound_question", "unsupported_answer_type"]
    assert by_code["unsupported_answer_type"].question_id == q1
    assert by_code["duplicate_answer"].question_id == q2
    assert by_code["unbound_question"].severity == "info"
    dumped = json.dumps([d.as_dict() for d in diagnostics])
    assert "agree" not in dumped and "Several" not in dumped


def test_one_form_carries_several_instruments(qid: Qid) -> None:
    binding = ff.default_bindings().for_form("form_wellbeing_v1")
    assert binding is not None
    assert [part.instrument for part in binding.instruments] == list(
        EXPECTED_FORMS["form_wellbeing_v1"]
    )
    # "Never" is an option of both PSS-10 (0) and PHLMS (1): each question uses its own map.
    values = {
        qid("form_wellbeing_v1", "pss10", 1): "Never",
        qid("form_wellbeing_v1", "phlms", 1): "Never",
    }
    bound, _ = map_answers(binding, _answers(values), _registry())
    by_instrument = {b.instrument_id: b for b in bound}
    assert by_instrument["pss10"].responses[0] == 0
    assert by_instrument["phlms"].responses[0] == 1


def _registry() -> ff.InstrumentRegistry:
    return ff.InstrumentRegistry.from_directory(files("final_form") / "instruments")


# -- malformed bindings --------------------------------------------------------------------


def _bad(tmp_path: Path, mutate: Callable[[dict[str, Any]], None]) -> str:
    data = copy.deepcopy(json.loads(committed("form_intake_v1")))
    mutate(data)
    path = tmp_path / "form_intake_v1.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_binding_file(path, _registry())
    message = str(caught.value)
    assert message.startswith("form_intake_v1.json: ")
    return message


def test_binding_with_unknown_instrument(tmp_path: Path) -> None:
    message = _bad(tmp_path, lambda d: d["instruments"][1].update(instrument="gad8"))
    assert "instruments[1].instrument: unknown instrument 'gad8'" in message


def test_binding_missing_an_item(tmp_path: Path) -> None:
    message = _bad(tmp_path, lambda d: d["instruments"][0]["items"].pop())
    assert "instruments[0].items: no question for items ['phq9_9']" in message


def test_binding_option_out_of_range(tmp_path: Path) -> None:
    message = _bad(tmp_path, lambda d: d["instruments"][0]["options"][3].update(value=4))
    assert "instruments[0].options[3].value: 4 is outside the response range 0-3" in message


def test_binding_reuses_a_question(tmp_path: Path) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["instruments"][1]["items"][0]["question_id"] = d["instruments"][0]["items"][0][
            "question_id"
        ]

    assert "is bound more than once" in _bad(tmp_path, mutate)


def test_binding_option_texts_clash_after_normalising(tmp_path: Path) -> None:
    message = _bad(tmp_path, lambda d: d["instruments"][0]["options"][1].update(text=" NOT at all"))
    assert "instruments[0].options: option texts must be distinct" in message


def test_binding_difficulty_on_the_wrong_item(tmp_path: Path) -> None:
    message = _bad(tmp_path, lambda d: d["instruments"][0]["difficulty"].update(item="phq9_9"))
    assert (
        "instruments[0].difficulty.item: 'phq9_9' is not the functional-difficulty item" in message
    )


def test_binding_misspelt_key(tmp_path: Path) -> None:
    message = _bad(tmp_path, lambda d: d.update(form="x"))
    assert "form: Extra inputs are not permitted" in message


def test_two_bindings_for_one_form_are_rejected() -> None:
    binding = ff.default_bindings().for_form("form_intake_v1")
    assert binding is not None
    with pytest.raises(DefinitionError, match="already bound"):
        ff.BindingRegistry([binding, binding])
