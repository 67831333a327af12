"""Row building: shape, hand-checked values, deterministic keys and hashes, diagnostics that
carry no respondent data, and envelope errors that name the field.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Any

import pytest

import final_form as ff

Qid = Callable[[str, str, int | str], str]
MakeResponse = Callable[..., dict[str, Any]]

IDEM = "google_forms:sample:questionnaire_response:resp-0001#questionnaire_response"
FREQ = ["Not at all", "Several days", "More than half the days", "Nearly every day"]
EVENT_KEYS = {
    "event_key", "source_idem_key", "subject_id", "instrument_id", "instrument_version",
    "binding_id", "binding_version", "occurred_at", "score", "band", "scales", "bands", "flags",
    "n_missing", "prorated", "functional_difficulty", "payload_hash",
}  # fmt: skip
OBSERVATION_KEYS = {
    "observation_key", "event_key", "subject_id", "instrument_id", "kind", "code", "loinc",
    "value", "label", "missing", "occurred_at",
}  # fmt: skip


def intake_answers(
    qid: Qid, phq9: Sequence[int | None], gad7: Sequence[int | None]
) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for position, value in enumerate(phq9, start=1):
        if value is not None:
            answers[qid("form_intake_v1", "phq9", position)] = FREQ[value]
    for position, value in enumerate(gad7, start=1):
        if value is not None:
            answers[qid("form_intake_v1", "gad7", position)] = FREQ[value]
    answers[qid("form_intake_v1", "phq9", "difficulty")] = "Somewhat difficult"
    answers[qid("form_intake_v1", "gad7", "difficulty")] = "Extremely difficult"
    return answers


def test_intake_rows(qid: Qid, canonical_response: MakeResponse) -> None:
    answers = intake_answers(qid, [1, 2, 0, 1, 3, 0, 1, 2, 1], [3, 3, 2, 2, 1, 1, 0])
    rows = ff.build_rows(canonical_response("form_intake_v1", answers), IDEM)
    assert rows.diagnostics == []
    phq9, gad7 = rows.measurement_events
    assert set(phq9) == EVENT_KEYS
    assert phq9["event_key"] == f"{IDEM}#phq9"
    assert phq9["source_idem_key"] == IDEM
    assert phq9["subject_id"] == "client-0001"
    assert (phq9["instrument_id"], phq9["instrument_version"]) == ("phq9", "1.0.0")
    assert (phq9["binding_id"], phq9["binding_version"]) == ("form_intake_v1", "1.0.0")
    assert phq9["occurred_at"] == "2025-03-04T09:30:00Z"
    # 1+2+0+1+3+0+1+2+1 = 11 -> moderate; item 9 = 1 -> flagged; difficulty 1, not added.
    assert (phq9["score"], phq9["band"]) == (11.0, "moderate")
    assert phq9["scales"] == {"total": 11.0} and phq9["bands"] == {"total": "moderate"}
    assert phq9["flags"] == {"item9_positive": True}
    assert (phq9["n_missing"], phq9["prorated"], phq9["functional_difficulty"]) == (0, False, 1)
    # 3+3+2+2+1+1+0 = 12 -> moderate; difficulty "Extremely difficult" = 3.
    assert (gad7["score"], gad7["band"], gad7["functional_difficulty"]) == (12.0, "moderate", 3)
    assert len(phq9["payload_hash"]) == 64

    # phq9: 9 items + difficulty + total = 11 rows; gad7: 7 + 1 + 1 = 9.
    assert len(rows.observations) == 20
    assert all(set(o) == OBSERVATION_KEYS for o in rows.observations)
    keys = [o["observation_key"] for o in rows.observations]
    assert len(set(keys)) == len(keys)
    by_key = {o["observation_key"]: o for o in rows.observations}
    item = by_key[f"{IDEM}#phq9/item/phq9_5"]
    assert item["value"] == 3.0 and item["label"] == "Nearly every day"
    assert item["loinc"] == "44251-7" and item["missing"] is False and item["kind"] == "item"
    difficulty = by_key[f"{IDEM}#phq9/item/phq9_10"]
    assert (difficulty["value"], difficulty["label"], difficulty["loinc"]) == (
        1.0,
        "Somewhat difficult",
        "69722-7",
    )
    total = by_key[f"{IDEM}#phq9/scale/total"]
    assert (total["value"], total["label"], total["loinc"]) == (11.0, "moderate", "44261-6")
    assert by_key[f"{IDEM}#gad7/scale/total"]["loinc"] == "70274-6"


def test_missing_items_in_rows(qid: Qid, canonical_response: MakeResponse) -> None:
    # Three PHQ-9 items unanswered: no total, but item 9 (= 2) still flags.
    answers = intake_answers(qid, [None, None, None, 1, 1, 1, 1, 1, 2], [1] * 7)
    rows = ff.build_rows(canonical_response("form_intake_v1", answers), IDEM)
    phq9 = rows.measurement_events[0]
    assert (phq9["score"], phq9["band"], phq9["n_missing"]) == (None, None, 3)
    assert phq9["flags"] == {"item9_positive": True}
    missing = [o for o in rows.observations if o["event_key"].endswith("#phq9") and o["missing"]]
    assert [o["code"] for o in missing] == ["phq9_1", "phq9_2", "phq9_3", "total"]
    assert all(o["value"] is None and o["label"] is None for o in missing)


def test_unknown_answer_in_rows(qid: Qid, canonical_response: MakeResponse) -> None:
    answers = intake_answers(qid, [2] * 9, [0] * 7)
    answers[qid("form_intake_v1", "phq9", 4)] = "Pretty much all the time, honestly"
    rows = ff.build_rows(canonical_response("form_intake_v1", answers), IDEM)
    phq9 = rows.measurement_events[0]
    # 8 answered items of 2 = 16 -> 16 x 9 / 8 = 18.0 (moderately severe), prorated.
    assert (phq9["score"], phq9["band"], phq9["prorated"]) == (18.0, "moderately severe", True)
    assert [d["code"] for d in rows.diagnostics] == ["unknown_option"]
    dumped = json.dumps(rows.diagnostics)
    assert "honestly" not in dumped and "Synthetic" not in dumped and "example" not in dumped


def test_wellbeing_form_scores_four_instruments(qid: Qid, canonical_response: MakeResponse) -> None:
    form = "form_wellbeing_v1"
    answers: dict[str, Any] = {}
    for p in range(1, 11):
        answers[qid(form, "pss10", p)] = "Never"  # all 0 -> 16
    for p in range(1, 23):
        answers[qid(form, "fscrs", p)] = "Extremely like me"  # all 4
    for p in range(1, 61):
        answers[qid(form, "ipip_neo_60", p)] = "very inaccurate"  # all 1
    for p in range(1, 21):
        answers[qid(form, "phlms", p)] = "NEVER"  # all 1
    rows = ff.build_rows(canonical_response(form, answers, external_id=None), IDEM)
    assert rows.diagnostics == []
    events = {e["instrument_id"]: e for e in rows.measurement_events}
    assert list(events) == ["pss10", "fscrs", "ipip_neo_60", "phlms"]
    assert (events["pss10"]["score"], events["pss10"]["band"]) == (16.0, "moderate")
    # No `total`: the primary score is the first scale. IS all 4 = 36.
    assert (events["fscrs"]["score"], events["fscrs"]["band"]) == (36.0, None)
    assert events["fscrs"]["scales"]["self_criticism"] == 56.0
    assert events["ipip_neo_60"]["score"] == 28.0  # N: 8 forward x 1 + 4 reversed x 5
    assert events["phlms"]["scales"] == {"awareness": 10.0, "acceptance": 50.0}
    assert events["phlms"]["functional_difficulty"] is None
    # external_id missing: the email, stripped and lower-cased.
    assert {e["subject_id"] for e in rows.measurement_events} == {"synthetic.person@example.test"}
    # 10+1, 22+4, 60+40, 20+2 observations.
    assert len(rows.observations) == 11 + 26 + 100 + 22


def test_rows_are_deterministic_and_independent_of_answer_order(
    qid: Qid, canonical_response: MakeResponse
) -> None:
    answers = intake_answers(qid, [1, 2, None, 1, 3, 0, 1, 2, 1], [3, 3, 2, 2, 1, 1, 0])
    response = canonical_response("form_intake_v1", answers)
    first = ff.build_rows(response, IDEM)
    shuffled = dict(response)
    shuffled["answers"] = list(response["answers"])
    random.Random(7).shuffle(shuffled["answers"])
    second = ff.build_rows(shuffled, IDEM)
    assert first == second
    assert json.dumps(first.measurement_events) == json.dumps(second.measurement_events)


def test_payload_hash_tracks_item_changes(qid: Qid, canonical_response: MakeResponse) -> None:
    # Two responses with equal totals (3) but different items must hash differently.
    a = ff.build_rows(
        canonical_response("form_intake_v1", intake_answers(qid, [3] + [0] * 8, [0] * 7)), IDEM
    )
    b = ff.build_rows(
        canonical_response("form_intake_v1", intake_answers(qid, [0, 3] + [0] * 7, [0] * 7)), IDEM
    )
    assert a.measurement_events[0]["score"] == b.measurement_events[0]["score"] == 3.0
    assert a.measurement_events[0]["payload_hash"] != b.measurement_events[0]["payload_hash"]
    assert a.measurement_events[1]["payload_hash"] == b.measurement_events[1]["payload_hash"]


def test_timestamps_are_normalised_to_utc(qid: Qid, canonical_response: MakeResponse) -> None:
    response = canonical_response(
        "form_intake_v1",
        intake_answers(qid, [0] * 9, [0] * 7),
        submitted_at="2025-03-04T10:30:00+01:00",
    )
    rows = ff.build_rows(response, IDEM)
    assert {e["occurred_at"] for e in rows.measurement_events} == {"2025-03-04T09:30:00Z"}


def test_unknown_form_and_missing_subject_are_diagnostics(canonical_response: MakeResponse) -> None:
    rows = ff.build_rows(canonical_response("form_unknown_v9", {}), IDEM)
    assert rows.measurement_events == [] and rows.observations == []
    assert [d["code"] for d in rows.diagnostics] == ["unknown_form"]
    rows = ff.build_rows(
        canonical_response("form_intake_v1", {}, external_id=" ", email=None), IDEM
    )
    assert rows.measurement_events == []
    assert [d["code"] for d in rows.diagnostics] == ["no_subject"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"form_id": None}, "response.form_id"),
        ({"submitted_at": "yesterday"}, "response.submitted_at: not an RFC 3339"),
        ({"submitted_at": "2025-03-04T09:30:00"}, "response.submitted_at: has no UTC offset"),
        ({"answers": {"a": 1}}, "response.answers: must be a list"),
        ({"answers": [{"answer_value": "x"}]}, r"response.answers\[0\].question_id"),
    ],
)
def test_malformed_envelope_names_the_field(
    canonical_response: MakeResponse, change: dict[str, Any], field: str
) -> None:
    response = canonical_response("form_intake_v1", {})
    response.update(change)
    with pytest.raises(ValueError, match=field):
        ff.build_rows(response, IDEM)


def test_empty_idem_key_is_rejected(canonical_response: MakeResponse) -> None:
    with pytest.raises(ValueError, match="idem_key"):
        ff.build_rows(canonical_response("form_intake_v1", {}), "")


def test_package_does_not_import_lorchestra() -> None:
    code = (
        "import sys, final_form, final_form.rows, final_form.binding, final_form._sample_bindings;"
        "final_form.default_bindings();"
        "assert not any(m == 'lorchestra' or m.startswith('lorchestra.') for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unreadable_answers_are_flagged_never_silently_prorated(
    qid: Qid, canonical_response: MakeResponse
) -> None:
    answers = intake_answers(qid, [1, 2, 0, 1, 3, 0, 1, 2, 1], [3, 3, 2, 2, 1, 1, 0])
    answers[qid("form_intake_v1", "phq9", 3)] = "7"
    answers[qid("form_intake_v1", "phq9", 9)] = "banana"
    rows = ff.build_rows(canonical_response("form_intake_v1", answers), IDEM)
    phq9, gad7 = rows.measurement_events
    assert phq9["flags"]["invalid_items"] == ["phq9_3", "phq9_9"]
    assert phq9["flags"]["item9_positive"] is None  # unreadable, never "negative"
    # Two missing is within PHQ-9's published rule: prorated, and flagged as such.
    assert (phq9["n_missing"], phq9["prorated"]) == (2, True)
    assert phq9["score"] == (1 + 2 + 1 + 3 + 0 + 1 + 2) * 9 / 7
    assert "invalid_items" not in gad7["flags"]

    answers[qid("form_intake_v1", "phq9", 1)] = "Sometimes"
    phq9 = ff.build_rows(canonical_response("form_intake_v1", answers), IDEM).measurement_events[0]
    assert phq9["flags"]["invalid_items"] == ["phq9_1", "phq9_3", "phq9_9"]
    assert phq9["score"] is None  # three missing: the rule allows no total
