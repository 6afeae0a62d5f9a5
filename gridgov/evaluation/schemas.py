from datetime import datetime

from ninja import Schema


class UnitOut(Schema):
    kind: str  # "area" or "department"
    key: str  # the area code, or the department id as text
    name: str


class CountsOut(Schema):
    """The counts behind the rates (docs/evaluation.md); `registered` is null for a department."""

    registered: int | None
    dispatched: int
    handled: int
    handled_on_time: int
    reworked: int
    reworked_after_dispatch: int
    returned: int
    closed: int
    closed_on_time: int
    due_for_closing: int
    overdue: int
    overdue_open: int
    to_sign: int
    signed: int
    signed_within_limit: int
    rated_cases: int
    resolved_cases: int
    ratings: int
    satisfied: int


class RatesOut(Schema):
    """Fractions from 0 to 1 (0.9372 is 93.72 %), rounded to 6 places; null when nothing to divide."""

    closure_rate: float | None
    on_time_closure_rate: float | None
    rework_rate: float | None
    accurate_dispatch_rate: float | None
    return_rate: float | None
    on_time_handling_rate: float | None
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None


class RowOut(Schema):
    unit: UnitOut
    counts: CountsOut
    rates: RatesOut
    score: float | None  # 综合得分, 0–100
    rank: int | None  # null: not ranked (too few cases, or no value)
    volume: int  # the denominator behind the ranked value, shown beside it
    is_sample_too_small: bool  # 样本不足


class TableOut(Schema):
    kind: str  # what the rows are: "area" or "department"
    subject: UnitOut | None  # the area the table is about; null: the caller's whole scope
    start: datetime
    end: datetime  # excluded
    ranked_by: str
    min_volume: int
    scheme: str
    weights: dict[str, float]
    rows: list[RowOut]
    total: RowOut | None  # the area as a whole (cases directly in it included)
