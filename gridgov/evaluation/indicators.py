"""Evaluation indicators as pure arithmetic on counts (no database, no Django).

The counts come from case events (gridgov/evaluation/queries.py); this module turns them into
rates, a weighted score and a ranking. Every rate is an exact `Fraction`, or None when its
denominator is 0: "no cases" is not "0 %". The formulas follow the published ones (reference
anchors-standards §1.7 and §2; docs/evaluation.md gives each definition and its source):

    结案率       closure_rate             结案数 / 应结案数                  (天门 911/972 = 93.72 %)
    按期结案率   on_time_closure_rate     按期结案数 / 应结案数              (天门 737/972 = 75.82 %)
    返工率       rework_rate              返工数 / 处置数                    (CJ/T 292-style, lower is better)
    准确派遣率   accurate_dispatch_rate   (派遣数 − 派遣后返工数) / 派遣数    (clamped at 0)
    回退率       return_rate              回退数 / 派遣数                    (the other inaccuracy signal)
    按期处置率   on_time_handling_rate    按期处置数 / 处置数
    响应率       response_rate            按时签收任务数 / 应签收任务数      (12345 三率)
    解决率       resolution_rate          已解决案件数 / 已评价案件数        (12345 三率)
    满意率       satisfaction_rate        满意评价数 / 评价数                (12345 三率)
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction


class Indicator(StrEnum):
    CLOSURE_RATE = "closure_rate"
    ON_TIME_CLOSURE_RATE = "on_time_closure_rate"
    REWORK_RATE = "rework_rate"
    ACCURATE_DISPATCH_RATE = "accurate_dispatch_rate"
    RETURN_RATE = "return_rate"
    ON_TIME_HANDLING_RATE = "on_time_handling_rate"
    RESPONSE_RATE = "response_rate"
    RESOLUTION_RATE = "resolution_rate"
    SATISFACTION_RATE = "satisfaction_rate"


# What a ranking may be ordered by: any rate, or the weighted score.
SCORE = "score"
RANK_KEYS: tuple[str, ...] = (SCORE, *(indicator.value for indicator in Indicator))

# A lower rate is the better one: ranked ascending, and scored as 1 − rate.
LOWER_IS_BETTER = frozenset({Indicator.REWORK_RATE, Indicator.RETURN_RATE})

# Used only when the database holds no default scoring scheme (the seed migration installs the same
# values as data, where an administrator changes them): 按期结案率 40, 返工率 (inverted) 20, 满意率 40.
FALLBACK_WEIGHTS: Mapping[str, int] = {
    Indicator.ON_TIME_CLOSURE_RATE.value: 40,
    Indicator.REWORK_RATE.value: 20,
    Indicator.SATISFACTION_RATE.value: 40,
}
# Below this many cases in the denominator a unit is listed but not ranked (样本不足).
FALLBACK_MIN_VOLUME = 10


@dataclass(frozen=True)
class Counts:
    """What happened to a unit's cases in one period, counted from case events.

    `registered` is None for a department: a case is registered before any department has it.
    """

    registered: int | None = 0  # 立案数: cases registered
    dispatched: int = 0  # 派遣数: dispatch and whistle decisions
    handled: int = 0  # 处置数: handling reported done (the case became "handled"; a department's own report)
    handled_on_time: int = 0  # 按期处置数: of those, reported before the limit ran out
    reworked: int = 0  # 返工数: failed checks (核查不通过)
    reworked_after_dispatch: int = 0  # of those, reworks of a department's work (not of local handling)
    returned: int = 0  # 回退数: "not ours" returns by departments
    closed: int = 0  # 结案数: distinct cases closed
    closed_on_time: int = 0  # 按期结案数: closed cases none of whose closes in the period was late
    due_for_closing: int = 0  # 应结案数: distinct cases closed, or found overdue, in the period
    overdue: int = 0  # 超期次数: overdue events written by the scheduler
    overdue_open: int = 0  # 期末超期未结数: cases still overdue and not handled at the end of the period
    to_sign: int = 0  # 应签收数: distinct tasks signed, or whose signing limit passed, in the period
    signed: int = 0  # 签收次数: sign events
    signed_within_limit: int = 0  # 按时签收数: distinct tasks signed within the signing limit
    rated_cases: int = 0  # 已评价案件数: distinct cases rated
    resolved_cases: int = 0  # 已解决案件数: rated cases whose return visit ended satisfied
    ratings: int = 0  # 评价数: rate events
    satisfied: int = 0  # 满意数: satisfied rate events

    def __add__(self, other: "Counts") -> "Counts":
        """Counts of two disjoint sets of cases (two grids of a community) add up field by field."""
        values: dict[str, int | None] = {}
        for item in fields(self):
            mine, theirs = getattr(self, item.name), getattr(other, item.name)
            values[item.name] = None if mine is None or theirs is None else mine + theirs
        return Counts(**values)  # type: ignore[arg-type]


def ratio(numerator: int, denominator: int) -> Fraction | None:
    """numerator / denominator, or None when there is nothing to divide by."""
    if denominator <= 0:
        return None
    return Fraction(numerator, denominator)


@dataclass(frozen=True)
class Rates:
    closure_rate: Fraction | None
    on_time_closure_rate: Fraction | None
    rework_rate: Fraction | None
    accurate_dispatch_rate: Fraction | None
    return_rate: Fraction | None
    on_time_handling_rate: Fraction | None
    response_rate: Fraction | None
    resolution_rate: Fraction | None
    satisfaction_rate: Fraction | None

    def get(self, indicator: Indicator | str) -> Fraction | None:
        value: Fraction | None = getattr(self, Indicator(indicator).value)
        return value


def compute_rates(counts: Counts) -> Rates:
    return Rates(
        closure_rate=ratio(counts.closed, counts.due_for_closing),
        on_time_closure_rate=ratio(counts.closed_on_time, counts.due_for_closing),
        rework_rate=ratio(counts.reworked, counts.handled),
        # A period can see the rework of a case dispatched in an earlier one: never below 0.
        accurate_dispatch_rate=ratio(
            max(counts.dispatched - counts.reworked_after_dispatch, 0), counts.dispatched
        ),
        return_rate=ratio(counts.returned, counts.dispatched),
        on_time_handling_rate=ratio(counts.handled_on_time, counts.handled),
        response_rate=ratio(counts.signed_within_limit, counts.to_sign),
        resolution_rate=ratio(counts.resolved_cases, counts.rated_cases),
        satisfaction_rate=ratio(counts.satisfied, counts.ratings),
    )


def volume(counts: Counts, key: str) -> int:
    """The denominator behind a rate (for the score: 应结案数), shown beside it in a ranking."""
    if key == SCORE:
        return counts.due_for_closing
    indicator = Indicator(key)
    if indicator in (Indicator.CLOSURE_RATE, Indicator.ON_TIME_CLOSURE_RATE):
        return counts.due_for_closing
    if indicator in (Indicator.REWORK_RATE, Indicator.ON_TIME_HANDLING_RATE):
        return counts.handled
    if indicator in (Indicator.ACCURATE_DISPATCH_RATE, Indicator.RETURN_RATE):
        return counts.dispatched
    if indicator == Indicator.RESPONSE_RATE:
        return counts.to_sign
    if indicator == Indicator.RESOLUTION_RATE:
        return counts.rated_cases
    return counts.ratings


# ── weighted score ────────────────────────────────────────────────────────────────────────────


class WeightsInvalid(ValueError):
    pass


def parse_weights(raw: Mapping[str, object]) -> dict[Indicator, Fraction]:
    """Weights by indicator from stored data: known indicators, non-negative numbers, not all 0."""
    weights: dict[Indicator, Fraction] = {}
    problems: list[str] = []
    for key, value in raw.items():
        try:
            indicator = Indicator(key)
        except ValueError:
            problems.append(f"unknown indicator {key!r}")
            continue
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            problems.append(f"{key}: not a number")
            continue
        try:
            weight = Fraction(Decimal(str(value)))
        except (InvalidOperation, ValueError):
            problems.append(f"{key}: not a number")
            continue
        if weight < 0:
            problems.append(f"{key}: negative")
            continue
        weights[indicator] = weight
    if not problems and not any(weights.values()):
        problems.append("at least one weight must be above 0")
    if problems:
        raise WeightsInvalid("; ".join(problems))
    return weights


def score(rates: Rates, weights: Mapping[Indicator, Fraction]) -> Fraction | None:
    """综合得分 on 0–100: Σ weight × points / Σ weight over the weighted rates that have a value.

    A rate's points are the rate itself, or 1 − rate when lower is better (返工率), clamped to
    [0, 1]. A rate without a value (no ratings this month) drops out together with its weight, so
    the remaining weights carry the score; with no rate at all there is no score.
    """
    total_weight = Fraction(0)
    total = Fraction(0)
    for indicator, weight in weights.items():
        rate = rates.get(indicator)
        if rate is None or weight == 0:
            continue
        points = 1 - rate if indicator in LOWER_IS_BETTER else rate
        total += weight * min(max(points, Fraction(0)), Fraction(1))
        total_weight += weight
    if total_weight == 0:
        return None
    return 100 * total / total_weight


# ── rows and ranking ──────────────────────────────────────────────────────────────────────────


class UnitKind(StrEnum):
    AREA = "area"
    DEPARTMENT = "department"


@dataclass(frozen=True)
class Unit:
    """What a row is about: an area (by code) or a department (by id, as text)."""

    kind: UnitKind
    key: str
    name: str


@dataclass(frozen=True)
class IndicatorRow:
    unit: Unit
    counts: Counts
    rates: Rates
    score: Fraction | None

    def value(self, key: str) -> Fraction | None:
        return self.score if key == SCORE else self.rates.get(key)


def build_row(unit: Unit, counts: Counts, weights: Mapping[Indicator, Fraction]) -> IndicatorRow:
    rates = compute_rates(counts)
    return IndicatorRow(unit=unit, counts=counts, rates=rates, score=score(rates, weights))


@dataclass(frozen=True)
class RankedRow:
    row: IndicatorRow
    key: str  # what the ranking is by
    value: Fraction | None
    volume: int  # the denominator behind `value`, shown beside it
    rank: int | None  # None: not ranked
    is_sample_too_small: bool  # 样本不足: listed, not ranked


def ranking(rows: Iterable[IndicatorRow], by: str = SCORE, *, min_volume: int) -> list[RankedRow]:
    """Rows ranked by a rate or the score, best first; equal values share a rank (1, 2, 2, 4).

    A row whose volume (the rate's denominator) is below `min_volume` is listed after the ranked
    ones, marked 样本不足, so three cases closed on time do not top a table of hundreds. A row with
    no value at all (nothing to divide) is listed last, unranked.
    """
    if by not in RANK_KEYS:
        raise ValueError(f"cannot rank by {by!r}")
    lower_is_better = by != SCORE and Indicator(by) in LOWER_IS_BETTER
    rankable: list[tuple[IndicatorRow, Fraction, int]] = []
    small: list[tuple[IndicatorRow, Fraction, int]] = []
    empty: list[tuple[IndicatorRow, int]] = []
    for row in rows:
        value, size = row.value(by), volume(row.counts, by)
        if value is None:
            empty.append((row, size))
        elif size < min_volume:
            small.append((row, value, size))
        else:
            rankable.append((row, value, size))
    rankable.sort(key=lambda entry: (entry[1] if lower_is_better else -entry[1], entry[0].unit.key))
    result: list[RankedRow] = []
    previous: Fraction | None = None
    rank = 0
    for position, (row, value, size) in enumerate(rankable, start=1):
        if value != previous:
            rank, previous = position, value
        result.append(RankedRow(row, by, value, size, rank, False))
    for row, value, size in sorted(small, key=lambda entry: entry[0].unit.key):
        result.append(RankedRow(row, by, value, size, None, True))
    for row, size in sorted(empty, key=lambda entry: entry[0].unit.key):
        result.append(RankedRow(row, by, None, size, None, False))
    return result


def percent(value: Fraction | None, places: int = 2) -> str:
    """93.72 % style text for a rate (— for none), for logs and docs; the API sends numbers."""
    if value is None:
        return "—"
    return f"{float(value * 100):.{places}f} %"


def as_float(value: Fraction | None, places: int = 6) -> float | None:
    return None if value is None else round(float(value), places)


def sum_counts(items: Sequence[Counts], *, registered_known: bool = True) -> Counts:
    total = Counts(registered=0 if registered_known else None)
    for item in items:
        total = total + item
    return total
