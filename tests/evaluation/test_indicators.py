"""The pure indicator arithmetic: rates, the weighted score, the ranking (no database)."""

from fractions import Fraction

import pytest

from gridgov.evaluation.indicators import (
    FALLBACK_WEIGHTS,
    SCORE,
    Counts,
    Indicator,
    IndicatorRow,
    Unit,
    UnitKind,
    WeightsInvalid,
    build_row,
    compute_rates,
    parse_weights,
    percent,
    ranking,
    ratio,
    score,
    volume,
)

WEIGHTS = parse_weights(FALLBACK_WEIGHTS)


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(0, 0, None), (3, 0, None), (0, 4, Fraction(0)), (911, 972, Fraction(911, 972)), (5, 5, Fraction(1))],
)
def test_ratio_is_none_without_a_denominator(
    numerator: int, denominator: int, expected: Fraction | None
) -> None:
    assert ratio(numerator, denominator) == expected


def test_the_published_tianmen_figures() -> None:
    """天门 Dec 2016 (anchors-standards §1.7): 911/972 = 93.72 %, 737/972 = 75.82 %."""
    rates = compute_rates(Counts(closed=911, closed_on_time=737, due_for_closing=972))
    assert percent(rates.closure_rate) == "93.72 %"
    assert percent(rates.on_time_closure_rate) == "75.82 %"


@pytest.mark.parametrize(
    ("counts", "indicator", "expected"),
    [
        (Counts(closed=3, due_for_closing=4), Indicator.CLOSURE_RATE, Fraction(3, 4)),
        (Counts(closed_on_time=2, due_for_closing=4), Indicator.ON_TIME_CLOSURE_RATE, Fraction(1, 2)),
        (Counts(reworked=1, handled=4), Indicator.REWORK_RATE, Fraction(1, 4)),
        (Counts(reworked=1, handled=0), Indicator.REWORK_RATE, None),
        (Counts(dispatched=4, reworked_after_dispatch=1), Indicator.ACCURATE_DISPATCH_RATE, Fraction(3, 4)),
        # local handling reworked does not make a dispatch inaccurate
        (
            Counts(dispatched=4, reworked=3, reworked_after_dispatch=0),
            Indicator.ACCURATE_DISPATCH_RATE,
            Fraction(1),
        ),
        # reworks of last month's dispatches cannot push the rate below 0
        (Counts(dispatched=1, reworked_after_dispatch=2), Indicator.ACCURATE_DISPATCH_RATE, Fraction(0)),
        (Counts(dispatched=5, returned=1), Indicator.RETURN_RATE, Fraction(1, 5)),
        (Counts(handled=4, handled_on_time=3), Indicator.ON_TIME_HANDLING_RATE, Fraction(3, 4)),
        (Counts(to_sign=5, signed_within_limit=4), Indicator.RESPONSE_RATE, Fraction(4, 5)),
        (Counts(rated_cases=2, resolved_cases=1), Indicator.RESOLUTION_RATE, Fraction(1, 2)),
        (Counts(ratings=3, satisfied=1), Indicator.SATISFACTION_RATE, Fraction(1, 3)),
        (Counts(), Indicator.SATISFACTION_RATE, None),
    ],
)
def test_each_rate(counts: Counts, indicator: Indicator, expected: Fraction | None) -> None:
    assert compute_rates(counts).get(indicator) == expected


def test_counts_of_two_grids_add_up_and_a_department_has_no_registered_count() -> None:
    assert Counts(registered=2, closed=1) + Counts(registered=3, closed=4) == Counts(registered=5, closed=5)
    assert (Counts(registered=None, handled=1) + Counts(registered=None, handled=2)).registered is None


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # 100 × (40 × 1/2 + 20 × (1 − 1/4) + 40 × 1/3) / 100 = 20 + 15 + 13⅓
        (
            Counts(closed_on_time=2, due_for_closing=4, reworked=1, handled=4, ratings=3, satisfied=1),
            Fraction(145, 3),
        ),
        # no ratings: satisfaction drops out with its weight → 100 × (40 × 1/2 + 20 × 3/4) / 60
        (Counts(closed_on_time=2, due_for_closing=4, reworked=1, handled=4), Fraction(175, 3)),
        # a rework rate above 100 % scores 0 points, not negative ones
        (Counts(closed_on_time=1, due_for_closing=1, reworked=3, handled=2), Fraction(200, 3)),
        (Counts(), None),
    ],
)
def test_weighted_score(counts: Counts, expected: Fraction | None) -> None:
    assert score(compute_rates(counts), WEIGHTS) == expected


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"nonsense": 10}, "unknown indicator"),
        ({"rework_rate": -1}, "negative"),
        ({"rework_rate": "x"}, "not a number"),
        ({"rework_rate": True}, "not a number"),
        ({"rework_rate": 0}, "above 0"),
        ({}, "above 0"),
    ],
)
def test_invalid_weights_are_refused(raw: dict[str, object], problem: str) -> None:
    with pytest.raises(WeightsInvalid, match=problem):
        parse_weights(raw)


def test_weights_may_be_decimals_and_are_exact() -> None:
    assert parse_weights({"closure_rate": "12.5", "satisfaction_rate": 0.1}) == {
        Indicator.CLOSURE_RATE: Fraction(25, 2),
        Indicator.SATISFACTION_RATE: Fraction(1, 10),
    }


def area(key: str, **counts: int) -> IndicatorRow:
    return build_row(Unit(UnitKind.AREA, key, f"area {key}"), Counts(**counts), WEIGHTS)


def test_ranking_lists_small_units_after_the_ranked_ones_without_a_rank() -> None:
    rows = [
        area("1", closed_on_time=3, due_for_closing=3),  # 100 %, but only 3 cases
        area("2", closed_on_time=9, due_for_closing=12),  # 75 %
        area("3", closed_on_time=10, due_for_closing=10),  # 100 %
        area("4", closed_on_time=6, due_for_closing=12),  # 50 %
        area("5", closed_on_time=15, due_for_closing=20),  # 75 %
        area("6"),  # nothing happened
    ]
    ranked = ranking(rows, Indicator.ON_TIME_CLOSURE_RATE, min_volume=10)
    assert [(r.row.unit.key, r.rank, r.volume, r.is_sample_too_small) for r in ranked] == [
        ("3", 1, 10, False),
        ("2", 2, 12, False),  # equal rates share a rank …
        ("5", 2, 20, False),
        ("4", 4, 12, False),  # … and the next rank skips
        ("1", None, 3, True),
        ("6", None, 0, False),
    ]
    assert ranked[0].value == Fraction(1)


def test_lower_is_better_ranks_ascending() -> None:
    rows = [
        area("1", reworked=1, handled=10),
        area("2", reworked=0, handled=10),
        area("3", reworked=5, handled=10),
    ]
    ranked = ranking(rows, Indicator.REWORK_RATE, min_volume=0)
    assert [(r.row.unit.key, r.rank) for r in ranked] == [("2", 1), ("1", 2), ("3", 3)]


def test_volume_of_the_score_is_the_cases_due_for_closing() -> None:
    counts = Counts(due_for_closing=7, handled=3, ratings=2)
    assert volume(counts, SCORE) == 7
    assert volume(counts, Indicator.SATISFACTION_RATE) == 2
    assert volume(counts, Indicator.REWORK_RATE) == 3


def test_ranking_by_an_unknown_key_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot rank"):
        ranking([], "nonsense", min_volume=1)
