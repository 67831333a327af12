"""PSS-10 and FSCRS: reversal, bounds, band edges, subscales, composites, missing items.

Expected values are worked by hand in the comments from the rules in instruments.md.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

import final_form as ff

Spread = Callable[[int, int, int], list[int | None]]

# Items 4, 5, 7 and 8 are the positively stated, reverse-scored PSS-10 items (1-based).
PSS_REVERSED = {4, 5, 7, 8}


def pss_raw(scored: list[int | None]) -> list[int | None]:
    """Raw responses that *score* as ``scored`` (reversal 4 - x written out by hand)."""
    return [
        None if value is None else (4 - value if position in PSS_REVERSED else value)
        for position, value in enumerate(scored, start=1)
    ]


def test_pss10_all_zero_responses_score_16() -> None:
    # Six forward items score 0; the four reversed items each score 4 - 0 = 4 -> 16.
    result = ff.score("pss10", [0] * 10)
    assert result.scales["total"] == 16.0
    assert result.bands["total"] == "moderate"


def test_pss10_all_four_responses_score_24() -> None:
    # Six forward items score 4 (24); the reversed items score 4 - 4 = 0.
    assert ff.score("pss10", [4] * 10).scales["total"] == 24.0


def test_pss10_bounds_and_reverse_keying_at_both_extremes() -> None:
    lowest = ff.score("pss10", [0, 0, 0, 4, 4, 0, 4, 4, 0, 0])
    assert lowest.scales["total"] == 0.0 and lowest.bands["total"] == "low"
    highest = ff.score("pss10", [4, 4, 4, 0, 0, 4, 0, 0, 4, 4])
    assert highest.scales["total"] == 40.0 and highest.bands["total"] == "high"


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "low"), (13, "low"), (14, "moderate"), (26, "moderate"), (27, "high"), (40, "high")],
)
def test_pss10_every_band_edge(total: int, band: str, spread: Spread) -> None:
    result = ff.score("pss10", pss_raw(spread(total, 10, 4)))
    assert result.scales["total"] == total
    assert result.bands["total"] == band


def test_pss10_mixed_case() -> None:
    # Forward items 1,2,3,6,9,10: 2+3+1+3+2+1 = 12.
    # Reversed 4,5,7,8: raw 1,2,0,4 -> 3,2,4,0 = 9. Total 21 -> moderate.
    result = ff.score("pss10", [2, 3, 1, 1, 2, 3, 0, 4, 2, 1])
    assert result.scales["total"] == 21.0
    assert result.bands["total"] == "moderate"


def test_pss10_primary_rule_any_missing_means_no_total() -> None:
    result = ff.score("pss10", [2, 3, 1, 1, 2, 3, 0, 4, 2, None])
    assert result.scales["total"] is None and result.bands["total"] is None
    assert result.n_missing == 1


def test_pss10_alternative_reverses_before_prorating() -> None:
    # Item 4 (reversed) missing. Forward: 2+3+1+3+2+1 = 12; reversed 5,7,8: raw 2,0,4 ->
    # 2,4,0 = 6. Answered sum 18 over 9 items -> 18 x 10 / 9 = 20.0.
    result = ff.score(
        "pss10", [2, 3, 1, None, 2, 3, 0, 4, 2, 1], missing_policy="prorate_1_missing"
    )
    assert result.scales["total"] == 20.0
    assert result.prorated is True
    # Item 10 missing: forward 2+3+1+3+2 = 11, reversed 9 -> 20 over 9 -> 200/9 = 22.22...
    result = ff.score(
        "pss10", [2, 3, 1, 1, 2, 3, 0, 4, 2, None], missing_policy="prorate_1_missing"
    )
    assert result.scales["total"] == pytest.approx(200 / 9, abs=1e-12)
    two = ff.score(
        "pss10", [None, 3, 1, 1, 2, 3, 0, 4, 2, None], missing_policy="prorate_1_missing"
    )
    assert two.scales["total"] is None


# -- FSCRS -------------------------------------------------------------------------------

# item i answered i % 5: 1,2,3,4,0,1,2,3,4,0,1,2,3,4,0,1,2,3,4,0,1,2
FSCRS_MIXED: list[int | None] = [i % 5 for i in range(1, 23)]


def test_fscrs_bounds() -> None:
    low = ff.score("fscrs", [0] * 22)
    assert low.scales == {
        "inadequate_self": 0.0,
        "hated_self": 0.0,
        "reassured_self": 0.0,
        "self_criticism": 0.0,
    }
    high = ff.score("fscrs", [4] * 22)
    # IS 9 items x 4 = 36; HS 5 x 4 = 20 (not 16); RS 8 x 4 = 32; IS + HS = 56.
    assert high.scales == {
        "inadequate_self": 36.0,
        "hated_self": 20.0,
        "reassured_self": 32.0,
        "self_criticism": 56.0,
    }
    assert high.bands == {}


def test_fscrs_reassured_self_is_not_reversed() -> None:
    reassured = {3, 5, 8, 11, 13, 16, 19, 21}
    responses: list[int | None] = [4 if i in reassured else 0 for i in range(1, 23)]
    result = ff.score("fscrs", responses)
    assert result.scales["reassured_self"] == 32.0
    assert result.scales["inadequate_self"] == 0.0
    assert result.scales["hated_self"] == 0.0


def test_fscrs_mixed_case() -> None:
    # IS items 1,2,4,6,7,14,17,18,20 -> 1+2+4+1+2+4+2+3+0 = 19
    # HS items 9,10,12,15,22 -> 4+0+2+0+2 = 8
    # RS items 3,5,8,11,13,16,19,21 -> 3+0+3+1+3+1+4+1 = 16
    # self_criticism = 19 + 8 = 27
    result = ff.score("fscrs", FSCRS_MIXED)
    assert result.scales == {
        "inadequate_self": 19.0,
        "hated_self": 8.0,
        "reassured_self": 16.0,
        "self_criticism": 27.0,
    }


def test_fscrs_primary_rule_nulls_the_subscale_and_the_composite() -> None:
    responses = list(FSCRS_MIXED)
    responses[0] = None  # item 1, Inadequate Self
    result = ff.score("fscrs", responses)
    assert result.scales["inadequate_self"] is None
    assert result.scales["self_criticism"] is None
    assert result.scales["hated_self"] == 8.0
    assert result.scales["reassured_self"] == 16.0


def test_fscrs_alternative_prorates_one_missing_per_subscale() -> None:
    responses = list(FSCRS_MIXED)
    responses[0] = None  # item 1 (value 1): IS answered 18 over 8 -> 18 x 9 / 8 = 20.25
    result = ff.score("fscrs", responses, missing_policy="prorate_1_missing")
    assert result.scales["inadequate_self"] == 20.25
    assert result.scales["self_criticism"] == 28.25  # 20.25 + 8
    responses[1] = None  # item 2 as well: two IS items missing -> null again
    result = ff.score("fscrs", responses, missing_policy="prorate_1_missing")
    assert result.scales["inadequate_self"] is None
    assert result.scales["self_criticism"] is None
    assert result.scales["hated_self"] == 8.0
