"""Google Forms responses follow the contract the scoring package relies on, and scores trend."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, datetime
from typing import Any

import pytest

import sample_data

FORMS = {
    "forms-intake": ("form_intake_v1", {"phq9": 9, "gad7": 7}),
    "forms-followup": ("form_followup_v1", {"phq9": 9, "gad7": 7}),
    "forms-wellbeing": ("form_wellbeing_v1",
                        {"pss10": 10, "fscrs": 22, "ipip_neo_60": 60, "phlms": 20}),
    "forms-discharge": ("form_discharge_v1", {"phq9": 9, "gad7": 7}),
}
DIFFICULTY_INSTRUMENTS = {"phq9", "gad7"}
OPTIONS = {
    "phq9": ["Not at all", "Several days", "More than half the days", "Nearly every day"],
    "gad7": ["Not at all", "Several days", "More than half the days", "Nearly every day"],
    "difficulty": ["Not difficult at all", "Somewhat difficult", "Very difficult",
                   "Extremely difficult"],
    "pss10": ["Never", "Almost never", "Sometimes", "Fairly often", "Very often"],
    "fscrs": ["Not at all like me", "A little bit like me", "Moderately like me",
              "Quite a bit like me", "Extremely like me"],
    "ipip_neo_60": ["Very inaccurate", "Moderately inaccurate",
                    "Neither accurate nor inaccurate", "Moderately accurate", "Very accurate"],
    "phlms": ["Never", "Rarely", "Sometimes", "Often", "Very often"],
}
KW: dict[str, Any] = {"seed": 9, "size": 4000, "anchor": date(2026, 11, 20)}


def qid(form_id: str, instrument: str, position: str) -> str:
    return hashlib.sha1(f"{form_id}/{instrument}/{position}".encode()).hexdigest()[:8]


def expected(form_id: str, instruments: dict[str, int]) -> dict[str, list[str]]:
    """Question id → allowed option texts, in form order."""
    out: dict[str, list[str]] = {}
    for inst, n in instruments.items():
        for pos in range(1, n + 1):
            out[qid(form_id, inst, str(pos))] = OPTIONS[inst]
        if inst in DIFFICULTY_INSTRUMENTS:
            out[qid(form_id, inst, "difficulty")] = OPTIONS["difficulty"]
    return out


@pytest.fixture(scope="module")
def responses() -> dict[str, list[dict[str, Any]]]:
    return {conn: list(sample_data.iter_records("google_forms", conn, "form_response", **KW))
            for conn in FORMS}


@pytest.mark.parametrize("connection", list(FORMS))
def test_question_ids_and_option_texts(connection: str,
                                       responses: dict[str, list[dict[str, Any]]]) -> None:
    form_id, instruments = FORMS[connection]
    allowed = expected(form_id, instruments)
    rows = responses[connection]
    assert rows
    first_form = rows[0]["_form"]
    assert [i["questionItem"]["question"]["questionId"] for i in first_form["items"]] == list(
        allowed)
    for item in first_form["items"]:
        question = item["questionItem"]["question"]
        options = [o["value"] for o in question["choiceQuestion"]["options"]]
        assert options == allowed[question["questionId"]]
    assert sample_data.question_id(form_id, "phq9", "1") == qid(form_id, "phq9", "1")
    missing = 0
    for r in rows:
        assert r["formId"] == form_id
        assert r["_form"] == first_form
        assert set(r["answers"]) <= set(allowed)
        missing += len(allowed) - len(r["answers"])
        assert len(allowed) - len(r["answers"]) <= 1
        for q, answer in r["answers"].items():
            assert answer["textAnswers"]["answers"][0]["value"] in allowed[q]
    assert missing <= max(3, len(rows) // 10)  # rare


def test_some_items_are_left_unanswered(responses: dict[str, list[dict[str, Any]]]) -> None:
    total = sum(len(rows) for rows in responses.values())
    short = sum(len(r["answers"]) < len(expected(*FORMS[c])) for c, rows in responses.items()
                for r in rows)
    assert 0 < short < total * 0.08


def phq9_total(r: dict[str, Any], form_id: str) -> int | None:
    values = []
    for n in range(1, 10):
        answer = r["answers"].get(qid(form_id, "phq9", str(n)))
        if answer is None:
            return None
        values.append(OPTIONS["phq9"].index(answer["textAnswers"]["answers"][0]["value"]))
    return sum(values)


def test_intake_once_followups_weekly_and_trending(
        responses: dict[str, list[dict[str, Any]]]) -> None:
    intakes = [r["respondentEmail"] for r in responses["forms-intake"]]
    assert len(intakes) == len(set(intakes))
    series: dict[str, list[tuple[datetime, int | None]]] = defaultdict(list)
    for r in responses["forms-intake"]:
        series[r["respondentEmail"]].append((datetime.fromisoformat(r["createTime"]),
                                             phq9_total(r, "form_intake_v1")))
    for r in responses["forms-followup"]:
        assert r["respondentEmail"] in series  # every follow-up comes after an intake
        series[r["respondentEmail"]].append((datetime.fromisoformat(r["createTime"]),
                                             phq9_total(r, "form_followup_v1")))
    improved = worse = 0
    for points in series.values():
        points.sort()
        gaps = [(b[0] - a[0]).days for a, b in zip(points[1:], points[2:], strict=False)]
        assert all(5 <= g <= 9 for g in gaps)  # weekly follow-ups
        scores = [s for _, s in points if s is not None]
        if len(scores) >= 4:
            improved += scores[-1] < scores[0] - 2
            worse += scores[-1] > scores[0] + 2
    assert improved > 2 * worse and improved >= len(series) // 3
