"""final_form.outcome against an independent statement of the NHS Talking Therapies rules.

The oracle below is written from the rules as the manual states them (caseness PHQ-9 >= 10 or
GAD-7 >= 8; reliable change 6 on the PHQ-9, 4 on the GAD-7), with its own numbers, not read
from the instrument definitions, and checked on any pair of scores (prorated ones included).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import final_form as ff

PROPERTY = settings(database=None, max_examples=400)
FIELDS = (
    "case_at_start", "case_at_end", "recovered", "reliable_improvement",
    "reliable_deterioration", "reliable_recovery",
)  # fmt: skip


def oracle(p1: float, g1: float, p2: float, g2: float) -> dict[str, bool]:
    """The manual's rules, spelled out one by one."""
    case_start = p1 >= 10 or g1 >= 8
    case_end = p2 >= 10 or g2 >= 8
    phq_down, phq_up = p1 - p2 >= 6, p2 - p1 >= 6
    gad_down, gad_up = g1 - g2 >= 4, g2 - g1 >= 4
    improvement = (phq_down or gad_down) and not (phq_up or gad_up)
    deterioration = (phq_up or gad_up) and not (phq_down or gad_down)
    recovered = case_start and not case_end
    return {
        "case_at_start": case_start,
        "case_at_end": case_end,
        "recovered": recovered,
        "reliable_improvement": improvement,
        "reliable_deterioration": deterioration,
        "reliable_recovery": recovered and improvement,
    }


# Whole scores, and prorated ones (a total from 8 of 9 answered items is sum * 9 / 8).
phq = st.one_of(st.integers(0, 27), st.integers(0, 24).map(lambda s: s * 9 / 8))
gad = st.one_of(st.integers(0, 21), st.integers(0, 18).map(lambda s: s * 7 / 6))


@PROPERTY
@given(phq, gad, phq, gad)
def test_outcome_agrees_with_the_rules_on_any_pair(p1: float, g1: float, p2: float,
                                                    g2: float) -> None:
    result = ff.outcome({"phq9": p1, "gad7": g1}, {"phq9": p2, "gad7": g2})
    assert result.as_dict() == oracle(p1, g1, p2, g2)
    assert all(isinstance(getattr(result, name), bool) for name in FIELDS)
    assert not (result.reliable_improvement and result.reliable_deterioration)


@PROPERTY
@given(
    st.fixed_dictionaries({"phq9": st.one_of(st.none(), phq), "gad7": st.one_of(st.none(), gad)}),
    st.fixed_dictionaries({"phq9": st.one_of(st.none(), phq), "gad7": st.one_of(st.none(), gad)}),
)
def test_any_missing_score_makes_every_field_none(first: dict[str, float | None],
                                                  last: dict[str, float | None]) -> None:
    result = ff.outcome(first, last)
    if None in first.values() or None in last.values():
        assert result.as_dict() == dict.fromkeys(FIELDS)
        assert result.in_words() == "not computable"
    else:
        assert result.as_dict() == oracle(first["phq9"], first["gad7"],  # type: ignore[arg-type]
                                          last["phq9"], last["gad7"])  # type: ignore[arg-type]


def test_absent_keys_are_missing_scores() -> None:
    assert ff.outcome({"phq9": 20}, {"phq9": 3, "gad7": 2}).as_dict() == dict.fromkeys(FIELDS)


@pytest.mark.parametrize(
    ("first", "last", "words"),
    [
        ((16, 12), (6, 5), "reliable improvement; recovered"),
        ((16, 12), (9, 7), "reliable improvement; recovered"),  # just under both cut-offs
        ((16, 12), (10, 7), "reliable improvement; still a case"),  # PHQ-9 10 is a case
        ((12, 6), (6, 6), "reliable improvement; recovered"),
        ((12, 6), (6, 10), "no reliable change; still a case"),  # one fell, one rose: neither
        ((5, 3), (11, 3), "reliable deterioration; now a case (not a case at the start)"),
        ((5, 3), (6, 4), "no reliable change; not a case at the start"),
    ],
)
def test_worked_examples_in_words(first: tuple[int, int], last: tuple[int, int],
                                  words: str) -> None:
    result = ff.outcome(dict(zip(("phq9", "gad7"), first, strict=True)),
                        dict(zip(("phq9", "gad7"), last, strict=True)))
    assert result.in_words() == words


def test_reliable_change_amounts_are_data_with_their_source() -> None:
    for instrument_id, amount, cut in (("phq9", 6, 10), ("gad7", 4, 8)):
        total = ff.load_instrument(instrument_id).scale("total")
        assert total.reliable_change is not None and total.caseness is not None
        assert (total.reliable_change.amount, total.caseness.min) == (amount, cut)
        assert "NHS Talking Therapies" in total.reliable_change.source
    assert ff.load_instrument("pss10").scale("total").reliable_change is None
    assert ff.reliable_change("phq9", "total", -6) == "reliable improvement"
    assert ff.reliable_change("phq9", "total", -5) == "no reliable change"
    assert ff.reliable_change("gad7", "total", 4) == "reliable deterioration"
    assert ff.reliable_change("pss10", "total", -20) is None
    assert ff.reliable_change("phq9", "total", None) is None
