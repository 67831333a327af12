"""A practice's own forms: drafting a binding from wording, home bindings, checks against a form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from final_form.drafting import binding_id_for, draft_binding, normalize
from final_form.errors import UnknownInstrumentError
from final_form.form_check import check_against_form
from final_form.form_questions import FormDefinition, parse_form
from final_form.home_bindings import load_bindings
from final_form.registry import default_registry
from tests.support import own_form


def own() -> FormDefinition:
    title, questions = parse_form(own_form.form_resource())
    return FormDefinition(own_form.FORM_ID, title, questions, True)


def test_normalize_drops_numbering_labels_punctuation_and_case() -> None:
    assert normalize("Q3) Trouble RELAXING!") == "trouble relaxing"
    assert normalize("PHQ-9 3. Feeling tired, or having little energy") == (
        "feeling tired or having little energy")
    assert normalize("12. Worrying too much") == "worrying too much"


def test_the_phq9_gad7_form_gets_a_complete_draft() -> None:
    draft = draft_binding(own(), default_registry())
    assert draft.complete and draft.unmatched_questions == []
    assert draft.binding_id == binding_id_for(own_form.FORM_ID) == "form_1faipqlse_own_checkin"
    assert draft.document is not None
    parts = {p["instrument"]: p for p in draft.document["instruments"]}
    assert [i["question_id"] for i in parts["phq9"]["items"]] == [
        qid for qid, _, _ in own_form.questions()[:9]]
    assert [i["question_id"] for i in parts["gad7"]["items"]] == [
        qid for qid, _, _ in own_form.questions()[10:17]]
    assert parts["phq9"]["difficulty"]["question_id"] == "7ad1f"
    assert parts["gad7"]["difficulty"]["question_id"] == "3bd2f"
    assert [o["value"] for o in parts["gad7"]["difficulty"]["options"]] == [0, 1, 2, 3]


def test_a_question_reworded_beyond_recognition_is_listed_not_guessed() -> None:
    resource = own_form.form_resource()
    resource["items"][3]["title"] = "How is your garden growing?"  # PHQ-9 item 3's place
    title, questions = parse_form(resource)
    draft = draft_binding(FormDefinition("f", title, questions, True), default_registry())
    assert not draft.complete
    assert draft.unmatched_items["phq9"] == ["phq9_3"]
    assert [q.text for q in draft.unmatched_questions] == ["How is your garden growing?"]


def test_an_option_no_instrument_label_resembles_is_unmatched() -> None:
    resource = own_form.form_resource()
    options = resource["items"][1]["questionItem"]["question"]["choiceQuestion"]["options"]
    options.append({"value": "Prefer not to say"})
    title, questions = parse_form(resource)
    draft = draft_binding(FormDefinition("f", title, questions, True), default_registry(),
                          only=("phq9",))
    assert ("Prefer not to say", None) in draft.option_maps["phq9"]
    assert not draft.complete


def test_an_unknown_instrument_is_refused() -> None:
    with pytest.raises(UnknownInstrumentError):
        draft_binding(own(), default_registry(), only=("nope",))


def _write(home: Path, name: str, document: dict[str, object]) -> Path:
    path = home / "bindings" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_home_bindings_join_the_packaged_ones_and_broken_files_are_skipped(tmp_path: Path) -> None:
    draft = draft_binding(own(), default_registry())
    assert draft.document is not None
    _write(tmp_path, f"{draft.binding_id}.json", draft.document)
    _write(tmp_path, "form_bad.json", {**draft.document, "id": "form_bad", "form_id": "other",
                                       "version": "one"})
    loaded = load_bindings(tmp_path)
    assert loaded.registry.for_form(own_form.FORM_ID) is not None
    assert loaded.registry.for_form("form_intake_v1") is not None  # packaged
    assert loaded.registry.for_form("other") is None
    assert len(loaded.errors) == 1 and "form_bad.json: version:" in loaded.errors[0]


def test_two_home_files_binding_one_form_are_both_left_out(tmp_path: Path) -> None:
    draft = draft_binding(own(), default_registry())
    assert draft.document is not None
    _write(tmp_path, "form_a.json", {**draft.document, "id": "form_a"})
    _write(tmp_path, "form_b.json", {**draft.document, "id": "form_b"})
    loaded = load_bindings(tmp_path)
    assert loaded.registry.for_form(own_form.FORM_ID) is None
    assert "also bound by form_a.json" in loaded.errors[0]


def test_check_against_form_names_missing_questions_and_unmapped_options() -> None:
    draft = draft_binding(own(), default_registry())
    assert draft.document is not None
    from final_form.binding import FormBinding

    binding = FormBinding.model_validate(draft.document)
    assert check_against_form(binding, own()) == []
    resource = own_form.form_resource()
    del resource["items"][1]  # PHQ-9 item 1
    resource["items"][2]["questionItem"]["question"]["choiceQuestion"]["options"].append(
        {"value": "Every single day"})
    title, questions = parse_form(resource)
    problems = check_against_form(binding, FormDefinition(own_form.FORM_ID, title, questions, True))
    assert problems == [
        f"instruments[0] (phq9).items[0]: question '7a00c' is not on form {own_form.FORM_ID}",
        "instruments[0] (phq9).items[2]: question '7a02c' offers options no value is mapped "
        "to: ['Every single day']",
    ]
