"""PHQ-9 and GAD-7: bounds, every band edge, the difficulty item, missing-item rules, item 9.

Expected values come from the published rules in instruments.md and are worked by hand in the
comments; none is obtained by calling the engine on another input.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

import final_form as ff
from final_form.errors import UnknownMissingPolicyError

Spread = Callable[[int, int, int], list[int | None]]

# -- PHQ-9 -------------------------------------------------------------------------------


def test_phq9_bounds() -> None:
    low = ff.score("phq9", [0] * 9)
    assert low.scales == {"total": 0.0}
    assert low.bands == {"total": "minimal"}
    high = ff.score("phq9", [3] * 9)
    assert high.scales == {"total": 27.0}  # 9 items x 3
    assert high.bands == {"total": "severe"}
    assert high.n_missing == 0 and high.prorated is False


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_every_band_edge(total: int, band: str, spread: Spread) -> None:
    result = ff.score("phq9", spread(total, 9, 3))
    assert result.scales["total"] == total
    assert result.bands["total"] == band


def test_phq9_difficulty_is_reported_but_never_added() -> None:
    # Items sum to 1+2+0+1+3+0+1+2+0 = 10 -> moderate; difficulty 3 must not make it 13.
    result = ff.score("phq9", [1, 2, 0, 1, 3, 0, 1, 2, 0], difficulty=3)
    assert result.scales["total"] == 10.0
    assert result.bands["total"] == "moderate"
    assert result.functional_difficulty == 3


def test_phq9_ten_responses_is_an_error_with_a_hint() -> None:
    with pytest.raises(ValueError, match="difficulty="):
        ff.score("phq9", [0] * 10)


def test_phq9_one_missing_is_prorated_exactly() -> None:
    # Answered: 1+1+1+1+1+1+1+1 = 8 over 8 items -> 8 x 9 / 8 = 9.0 (mild).
    result = ff.score("phq9", [1, 1, 1, 1, None, 1, 1, 1, 1])
    assert result.scales["total"] == 9.0
    assert result.bands["total"] == "mild"
    assert result.prorated is True and result.n_missing == 1


def test_phq9_two_missing_is_prorated_without_rounding() -> None:
    # Answered: 1+2+1+3+0+1+2 = 10 over 7 items -> 10 x 9 / 7 = 90/7 = 12.857142...
    result = ff.score("phq9", [1, 2, None, 1, 3, 0, 1, 2, None])
    assert result.scales["total"] == pytest.approx(90 / 7, abs=1e-12)
    assert result.bands["total"] == "moderate"
    assert result.n_missing == 2 and result.prorated is True


def test_phq9_three_missing_has_no_total_but_keeps_the_item9_flag() -> None:
    result = ff.score("phq9", [None, None, None, 3, 3, 3, 3, 3, 1])
    assert result.scales["total"] is None
    assert result.bands["total"] is None
    assert result.flags["item9_positive"] is True
    assert result.n_missing == 3 and result.prorated is False


def test_phq9_prorated_value_below_a_cut_point_stays_in_the_lower_band() -> None:
    # Answered 8 items summing 4 -> 4 x 9 / 8 = 4.5: below the cut point 5, so minimal.
    result = ff.score("phq9", [1, 1, 1, 1, 0, 0, 0, None, 0])
    assert result.scales["total"] == 4.5
    assert result.bands["total"] == "minimal"
    # Answered 8 items summing 17 -> 17 x 9 / 8 = 19.125: below 20, moderately severe.
    result = ff.score("phq9", [3, 3, 3, 3, 3, 2, 0, None, 0])
    assert result.scales["total"] == 19.125
    assert result.bands["total"] == "moderately severe"
    # Answered 7 items summing 15 -> 15 x 9 / 7 = 19.2857...: still moderately severe.
    result = ff.score("phq9", [3, 3, 3, 3, 3, None, None, 0, 0])
    assert result.bands["total"] == "moderately severe"


def test_phq9_alternative_policy_allows_only_one_missing() -> None:
    one = ff.score("phq9", [2, 2, 2, 2, 2, 2, 2, 2, None], missing_policy="at_most_1_missing")
    assert one.scales["total"] == 18.0  # 16 x 9 / 8
    assert one.missing_policy == "at_most_1_missing"
    two = ff.score("phq9", [2, 2, 2, 2, 2, 2, 2, None, None], missing_policy="at_most_1_missing")
    assert two.scales["total"] is None
    # The same two-missing input is scored under the primary (NHS) rule: 14 x 9 / 7 = 18.
    assert ff.score("phq9", [2, 2, 2, 2, 2, 2, 2, None, None]).scales["total"] == 18.0


@pytest.mark.parametrize(("item9", "flag"), [(0, False), (1, True), (2, True), (3, True)])
def test_phq9_item9_flag(item9: int, flag: bool) -> None:
    assert ff.score("phq9", [0] * 8 + [item9]).flags == {"item9_positive": flag}


def test_phq9_item9_flag_is_null_when_item9_missing() -> None:
    result = ff.score("phq9", [3] * 8 + [None])
    assert result.flags["item9_positive"] is None
    assert result.scales["total"] == 27.0  # 24 x 9 / 8


def test_unknown_missing_policy_is_rejected() -> None:
    with pytest.raises(UnknownMissingPolicyError, match="at_most_1_missing"):
        ff.score("phq9", [0] * 9, missing_policy="lenient")


# -- GAD-7 -------------------------------------------------------------------------------


def test_gad7_bounds() -> None:
    assert ff.score("gad7", [0] * 7).scales["total"] == 0.0
    high = ff.score("gad7", [3] * 7)
    assert high.scales["total"] == 21.0  # 7 x 3
    assert high.bands["total"] == "severe"
    assert high.flags == {}


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_every_band_edge(total: int, band: str, spread: Spread) -> None:
    result = ff.score("gad7", spread(total, 7, 3))
    assert result.scales["total"] == total
    assert result.bands["total"] == band


def test_gad7_difficulty_is_reported_but_never_added() -> None:
    # 0+1+2+3+0+1+2 = 9 -> mild; difficulty 2 would make it 11 (moderate) if added.
    result = ff.score("gad7", [0, 1, 2, 3, 0, 1, 2], difficulty=2)
    assert result.scales["total"] == 9.0
    assert result.bands["total"] == "mild"
    assert result.functional_difficulty == 2


def test_gad7_primary_prorates_one_missing_only() -> None:
    # 1+2+1+2+1+2 = 9 over 6 answered -> 9 x 7 / 6 = 10.5 (moderate).
    one = ff.score("gad7", [1, 2, 1, 2, 1, 2, None])
    assert one.scales["total"] == 10.5
    assert one.bands["total"] == "moderate"
    assert one.prorated is True
    two = ff.score("gad7", [1, 2, 1, 2, 1, None, None])
    assert two.scales["total"] is None and two.bands["total"] is None


def test_gad7_strict_alternative_rejects_any_missing() -> None:
    assert ff.score("gad7", [1] * 6 + [None], missing_policy="strict").scales["total"] is None
    assert ff.score("gad7", [1] * 7, missing_policy="strict").scales["total"] == 7.0


def test_gad7_up_to_two_alternative() -> None:
    # 3+3+3+3+3 = 15 over 5 answered -> 15 x 7 / 5 = 21.
    two = ff.score("gad7", [3, 3, 3, 3, 3, None, None], missing_policy="up_to_2_missing")
    assert two.scales["total"] == 21.0
    three = ff.score("gad7", [3, 3, 3, 3, None, None, None], missing_policy="up_to_2_missing")
    assert three.scales["total"] is None


def test_gad7_prorated_band_edge() -> None:
    # 1+1+1+1+0+0 = 4 over 6 answered -> 4 x 7 / 6 = 4.666...: below 5, minimal.
    result = ff.score("gad7", [1, 1, 1, 1, 0, 0, None])
    assert result.scales["total"] == pytest.approx(28 / 6, abs=1e-12)
    assert result.bands["total"] == "minimal"
    # 2+2+2+2+2+3 = 13 over 6 -> 13 x 7 / 6 = 15.1666...: reaches 15, severe.
    result = ff.score("gad7", [2, 2, 2, 2, 2, 3, None])
    assert result.bands["total"] == "severe"
