"""IPIP-NEO-60, PHLMS and PHLMS-10: keying, bounds, means, facets, doubling, missing items.

The keyed-item list below is copied from instruments.md (facet-order numbering) rather than
read from the definition, so a keying mistake in the data file fails here. Expected values
are worked by hand in the comments.
"""

from __future__ import annotations

import pytest

import final_form as ff

IPIP_REVERSED = {9, 10, 11, 12, 16, 28, 30, 31, 32, 33, 34, 36}
IPIP_REVERSED |= {39, 40, 43, 44, 45, 46, 52, 54, 58, 59, 60}
DOMAINS = "NEOAC"
FACETS = [f"{d}{n}" for d in DOMAINS for n in range(1, 7)]


def test_ipip_item_order_is_facet_order() -> None:
    ids = [item.id for item in ff.load_instrument("ipip_neo_60").items]
    assert ids == [f"{facet}{ab}" for facet in FACETS for ab in "ab"]
    assert len(IPIP_REVERSED) == 23


def test_ipip_reverse_keys_match_the_reference() -> None:
    definition = ff.load_instrument("ipip_neo_60")
    positions = {item.id: item.position for item in definition.items}
    assert {positions[item_id] for item_id in definition.reverse_keyed} == IPIP_REVERSED


def test_ipip_bounds_reach_both_extremes_of_every_scale() -> None:
    # Lowest possible: forward items 1, reverse-keyed items 5 (which score 6 - 5 = 1).
    low = ff.score("ipip_neo_60", [5 if p in IPIP_REVERSED else 1 for p in range(1, 61)])
    # Highest possible: forward items 5, reverse-keyed items 1 (score 5).
    high = ff.score("ipip_neo_60", [1 if p in IPIP_REVERSED else 5 for p in range(1, 61)])
    for domain in DOMAINS:
        assert low.scales[domain] == 12.0 and high.scales[domain] == 60.0
        assert low.scales[f"{domain}_mean"] == 1.0 and high.scales[f"{domain}_mean"] == 5.0
    for facet in FACETS:
        assert low.scales[facet] == 2.0 and high.scales[facet] == 10.0
    assert low.bands == {} and low.flags == {}


def test_ipip_all_ones() -> None:
    # Forward/reversed counts per domain: N 8/4, E 11/1, O 5/7, A 6/6, C 7/5.
    # All 1s: forward score 1, reversed 6 - 1 = 5.
    result = ff.score("ipip_neo_60", [1] * 60)
    assert result.scales["N"] == 28.0  # 8 + 20
    assert result.scales["E"] == 16.0  # 11 + 5
    assert result.scales["O"] == 40.0  # 5 + 35
    assert result.scales["A"] == 36.0  # 6 + 30
    assert result.scales["C"] == 32.0  # 7 + 25
    assert result.scales["N_mean"] == pytest.approx(28 / 12, abs=1e-12)
    assert result.scales["A_mean"] == 3.0
    assert result.scales["N1"] == 2.0  # both forward
    assert result.scales["N5"] == 10.0  # both reversed
    assert result.scales["E2"] == 6.0  # 1 + (6 - 1)


def test_ipip_all_fives() -> None:
    # All 5s: forward 5, reversed 1. N 40 + 4 = 44, E 55 + 1, O 25 + 7, A 30 + 6, C 35 + 5.
    result = ff.score("ipip_neo_60", [5] * 60)
    assert [result.scales[d] for d in DOMAINS] == [44.0, 56.0, 32.0, 36.0, 40.0]


@pytest.mark.parametrize(("raw", "n_sum", "n5"), [(1, 38.0, 8.0), (5, 34.0, 4.0)])
def test_ipip_reverse_keyed_item_at_both_extremes(raw: int, n_sum: float, n5: float) -> None:
    # Everything 3 (scores 3 either way: 36 per domain, 6 per facet) except item 9 (N5a,
    # reversed): raw 1 scores 5 -> N = 36 - 3 + 5 = 38, N5 = 8; raw 5 scores 1 -> 34, 4.
    responses: list[int | None] = [3] * 60
    responses[8] = raw
    result = ff.score("ipip_neo_60", responses)
    assert result.scales["N"] == n_sum
    assert result.scales["N5"] == n5
    assert result.scales["E"] == 36.0


def test_ipip_primary_missing_rule_nulls_domain_and_facet() -> None:
    responses: list[int | None] = [3] * 60
    responses[0] = None  # N1a
    result = ff.score("ipip_neo_60", responses)
    assert result.scales["N"] is None
    assert result.scales["N_mean"] is None
    assert result.scales["N1"] is None
    assert result.scales["N2"] == 6.0
    assert result.scales["E"] == 36.0


def test_ipip_alternative_prorates_domains_but_never_facets() -> None:
    # N1a missing, N2a (forward) = 5, the other 10 N items = 3: answered 30 + 5 = 35 over
    # 11 -> N = 35 x 12 / 11 = 420/11 = 38.18..., N_mean = 35/11 = 3.18...; N1 stays null.
    responses: list[int | None] = [3] * 60
    responses[0] = None
    responses[2] = 5
    result = ff.score("ipip_neo_60", responses, missing_policy="prorate_1_missing_domain")
    assert result.scales["N"] == pytest.approx(420 / 11, abs=1e-12)
    assert result.scales["N_mean"] == pytest.approx(35 / 11, abs=1e-12)
    assert result.scales["N1"] is None
    assert result.scales["N2"] == 8.0
    assert result.prorated is True
    responses[1] = None  # a second N item: the domain is null even under the alternative
    result = ff.score("ipip_neo_60", responses, missing_policy="prorate_1_missing_domain")
    assert result.scales["N"] is None and result.scales["N_mean"] is None


# -- PHLMS (20 items) -------------------------------------------------------------------

# Odd items: 4,4,4,4,4,3,3,3,3,3 -> awareness 35.
# Even items raw 2,2,2,2,2,1,1,1,1,1 -> reversed 6 - x: 4,4,4,4,4,5,5,5,5,5 -> acceptance 45.
# (With the wrong 5 - x reversal acceptance would be 35.)
PHLMS_MIXED: list[int | None] = [4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 3, 1, 3, 1, 3, 1, 3, 1, 3, 1]


def test_phlms_bounds() -> None:
    # All 1: awareness 10 x 1 = 10; acceptance 10 x (6 - 1) = 50.
    assert ff.score("phlms", [1] * 20).scales == {"awareness": 10.0, "acceptance": 50.0}
    assert ff.score("phlms", [5] * 20).scales == {"awareness": 50.0, "acceptance": 10.0}
    lowest = [1 if i % 2 else 5 for i in range(1, 21)]  # odd 1, even 5 (scores 1)
    assert ff.score("phlms", lowest).scales == {"awareness": 10.0, "acceptance": 10.0}
    highest = [5 if i % 2 else 1 for i in range(1, 21)]
    assert ff.score("phlms", highest).scales == {"awareness": 50.0, "acceptance": 50.0}


def test_phlms_mixed_case() -> None:
    result = ff.score("phlms", PHLMS_MIXED)
    assert result.scales == {"awareness": 35.0, "acceptance": 45.0}
    assert result.bands == {}


def test_phlms_primary_missing_rule() -> None:
    responses = list(PHLMS_MIXED)
    responses[1] = None  # item 2, acceptance
    assert ff.score("phlms", responses).scales == {"awareness": 35.0, "acceptance": None}


def test_phlms_alternative_reverses_then_prorates() -> None:
    responses = list(PHLMS_MIXED)
    responses[1] = None  # item 2 raw 2 (scored 4): acceptance answered 41 -> 41 x 10 / 9
    result = ff.score("phlms", responses, missing_policy="prorate_1_missing")
    assert result.scales["acceptance"] == pytest.approx(410 / 9, abs=1e-12)
    assert result.scales["awareness"] == 35.0
    responses[3] = None  # item 4 too: two acceptance items missing -> null
    result = ff.score("phlms", responses, missing_policy="prorate_1_missing")
    assert result.scales["acceptance"] is None


# -- PHLMS-10 ---------------------------------------------------------------------------


def test_phlms10_structure_matches_the_reference_selection() -> None:
    definition = ff.load_instrument("phlms10")
    assert [item.source_item for item in definition.items] == [3, 4, 6, 7, 10, 12, 13, 15, 16, 17]
    positions = {item.id: item.position for item in definition.items}
    assert sorted(positions[i] for i in definition.reverse_keyed) == [2, 3, 5, 6, 9]
    awareness = definition.scale("awareness")
    assert [positions[i] for i in awareness.items or ()] == [1, 4, 7, 8, 10]
    assert awareness.method == "sum_then_double"


def test_phlms10_bounds_and_doubling() -> None:
    # All 1: awareness 5 x 1 x 2 = 10; acceptance 5 x (6 - 1) x 2 = 50.
    assert ff.score("phlms10", [1] * 10).scales == {"awareness": 10.0, "acceptance": 50.0}
    assert ff.score("phlms10", [5] * 10).scales == {"awareness": 50.0, "acceptance": 10.0}


def test_phlms10_uses_six_minus_x_reversal() -> None:
    # Acceptance items raw 2 score 6 - 2 = 4: 5 x 4 x 2 = 40 (5 - x would give 30).
    # Awareness items raw 3: 5 x 3 x 2 = 30.
    responses: list[int | None] = [3, 2, 2, 3, 2, 2, 3, 3, 2, 3]
    assert ff.score("phlms10", responses).scales == {"awareness": 30.0, "acceptance": 40.0}


def test_phlms10_mixed_case() -> None:
    # Awareness positions 1,4,7,8,10: 5+4+2+5+3 = 19 -> 38.
    # Acceptance positions 2,3,5,6,9 raw 2,1,3,5,4 -> 4,5,3,1,2 = 15 -> 30.
    responses: list[int | None] = [5, 2, 1, 4, 3, 5, 2, 5, 4, 3]
    assert ff.score("phlms10", responses).scales == {"awareness": 38.0, "acceptance": 30.0}


def test_phlms10_missing_rules() -> None:
    responses: list[int | None] = [None, 2, 1, 4, 3, 5, 2, 5, 4, 3]
    assert ff.score("phlms10", responses).scales["awareness"] is None
    # Alternative: answered 4+2+5+3 = 14 over 4 -> 14 x 5 / 4 = 17.5, doubled = 35.0.
    result = ff.score("phlms10", responses, missing_policy="prorate_1_missing")
    assert result.scales == {"awareness": 35.0, "acceptance": 30.0}
    responses[3] = None  # position 4, a second awareness item: null even under the alternative
    result = ff.score("phlms10", responses, missing_policy="prorate_1_missing")
    assert result.scales == {"awareness": None, "acceptance": 30.0}
