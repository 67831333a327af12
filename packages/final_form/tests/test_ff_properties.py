"""Property tests: ranges hold (prorated too), reversal is an involution, order within a
subscale does not matter, bands agree with the published cut points, difficulty never counts.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import final_form as ff
from final_form.definition import ResponseScale
from final_form.engine import band_for, reverse

# No example database: the suite must not write outside the package (or anywhere).
PROPERTY = settings(database=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])

# Published ranges, written out independently of the definitions.
RANGES: dict[str, dict[str, tuple[int, int]]] = {
    "phq9": {"total": (0, 27)},
    "gad7": {"total": (0, 21)},
    "pss10": {"total": (0, 40)},
    "fscrs": {
        "inadequate_self": (0, 36),
        "hated_self": (0, 20),
        "reassured_self": (0, 32),
        "self_criticism": (0, 56),
    },
    "ipip_neo_60": {
        **{d: (12, 60) for d in "NEOAC"},
        **{f"{d}_mean": (1, 5) for d in "NEOAC"},
        **{f"{d}{n}": (2, 10) for d in "NEOAC" for n in range(1, 7)},
    },
    "phlms": {"awareness": (10, 50), "acceptance": (10, 50)},
    "phlms10": {"awareness": (10, 50), "acceptance": (10, 50)},
}


def test_every_shipped_instrument_has_published_ranges() -> None:
    assert sorted(RANGES) == ff.list_instruments()
    for instrument_id, scales in RANGES.items():
        definition = ff.load_instrument(instrument_id)
        assert [s.id for s in definition.scales] == list(scales)
        for scale_id, (low, high) in scales.items():
            assert definition.scale_range(scale_id) == (Fraction(low), Fraction(high))


@st.composite
def administration(draw: st.DrawFn) -> tuple[str, list[int | None], str]:
    instrument_id = draw(st.sampled_from(sorted(RANGES)))
    definition = ff.load_instrument(instrument_id)
    low, high = definition.response.min, definition.response.max
    # Two integer branches to one None branch: mostly answered, often some missing.
    value = st.one_of(st.none(), st.integers(low, high), st.integers(low, high))
    responses = draw(
        st.lists(value, min_size=len(definition.items), max_size=len(definition.items))
    )
    policy = draw(st.sampled_from(sorted(definition.missing_policies.options)))
    return instrument_id, responses, policy


@PROPERTY
@given(administration())
def test_scales_never_leave_their_range(case: tuple[str, list[int | None], str]) -> None:
    instrument_id, responses, policy = case
    result = ff.score(instrument_id, responses, missing_policy=policy)
    for scale_id, value in result.scales.items():
        low, high = RANGES[instrument_id][scale_id]
        assert value is None or low <= value <= high
    assert result.n_missing == sum(1 for r in responses if r is None)
    if result.prorated:
        assert result.n_missing > 0
    if result.n_missing == 0:
        assert result.prorated is False and None not in result.scales.values()


@PROPERTY
@given(st.integers(-3, 3), st.integers(1, 6), st.data())
def test_reversing_twice_is_the_identity(low: int, width: int, data: st.DataObject) -> None:
    options = [{"value": v, "label": f"option {v}"} for v in range(low, low + width + 1)]
    response = ResponseScale.model_validate({"min": low, "max": low + width, "options": options})
    x = data.draw(st.integers(low, low + width))
    assert reverse(reverse(x, response), response) == x
    assert low <= reverse(x, response) <= low + width
    assert reverse(low, response) == low + width


@PROPERTY
@given(st.sampled_from(sorted(RANGES)), st.data())
def test_permuting_answers_within_a_subscale_keeps_its_value(
    instrument_id: str, data: st.DataObject
) -> None:
    definition = ff.load_instrument(instrument_id)
    low, high = definition.response.min, definition.response.max
    responses: list[int | None] = data.draw(
        st.lists(
            st.integers(low, high), min_size=len(definition.items), max_size=len(definition.items)
        )
    )
    scale = data.draw(st.sampled_from([s for s in definition.scales if s.items is not None]))
    index = {item.id: i for i, item in enumerate(definition.items)}
    reversed_ids = set(definition.reverse_keyed)
    permuted = list(responses)
    # Permute among items keyed the same way: swapping a raw answer between a forward and a
    # reverse-keyed item legitimately changes the score.
    for keyed in (True, False):
        slots = [index[i] for i in scale.items or () if (i in reversed_ids) is keyed]
        shuffled = data.draw(st.permutations([responses[s] for s in slots]))
        for slot, value in zip(slots, shuffled, strict=True):
            permuted[slot] = value
    before = ff.score(instrument_id, responses).scales[scale.id]
    after = ff.score(instrument_id, permuted).scales[scale.id]
    assert before == after


def _phq9_reference_band(value: Fraction) -> str:
    # Published cut points 5, 10, 15, 20: a band starts when its cut point is reached.
    if value >= 20:
        return "severe"
    if value >= 15:
        return "moderately severe"
    if value >= 10:
        return "moderate"
    if value >= 5:
        return "mild"
    return "minimal"


@PROPERTY
@given(st.fractions(min_value=0, max_value=27))
def test_phq9_bands_follow_the_cut_points_for_any_exact_value(value: Fraction) -> None:
    bands = ff.load_instrument("phq9").scale("total").bands
    assert bands is not None
    assert band_for(value, bands) == _phq9_reference_band(value)


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (Fraction(19, 4), "minimal"),
        (Fraction(19, 2), "mild"),  # 9.5 is below the cut point 10
        (Fraction(9999, 1000), "mild"),
        (Fraction(10), "moderate"),
        (Fraction(39, 2), "moderately severe"),
        (Fraction(27), "severe"),
    ],
)
def test_phq9_non_integer_band_examples(value: Fraction, band: str) -> None:
    bands = ff.load_instrument("phq9").scale("total").bands
    assert bands is not None
    assert band_for(value, bands) == band


@PROPERTY
@given(
    st.sampled_from(["phq9", "gad7"]),
    st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=9, max_size=9),
    st.integers(0, 3),
)
def test_difficulty_never_changes_any_scale(
    instrument_id: str, responses: list[int | None], difficulty: int
) -> None:
    n = len(ff.load_instrument(instrument_id).items)
    without = ff.score(instrument_id, responses[:n])
    with_difficulty = ff.score(instrument_id, responses[:n], difficulty=difficulty)
    assert with_difficulty.scales == without.scales
    assert with_difficulty.bands == without.bands
    assert with_difficulty.functional_difficulty == difficulty
