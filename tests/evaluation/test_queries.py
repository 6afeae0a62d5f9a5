"""Indicators counted from the case events of a real month (tests/evaluation/conftest.py), against
figures worked out by hand."""

from dataclasses import asdict
from datetime import datetime
from fractions import Fraction
from typing import Any

import pytest
import time_machine
from django.db.models import Q

from gridgov.accounts.queries import get_scope
from gridgov.accounts.scope import Scope
from gridgov.areas.models import Area
from gridgov.cases import actions
from gridgov.cases.models import CaseEvent
from gridgov.evaluation.errors import EvaluationSubjectNotFound, PeriodInvalid, RankingKeyInvalid
from gridgov.evaluation.indicators import Counts, Indicator
from gridgov.evaluation.queries import (
    department_table,
    evaluation_table,
    indicator_row,
    month_of,
    period_from_dates,
    rank_table,
)
from tests.evaluation.conftest import COMMUNITY_A, COMMUNITY_B, GRID_A1, STREET, Story, Town, local
from tests.sqlite_plans import sqlite_plan

NOVEMBER = (local(11, 1, 0), local(12, 1, 0))
EVERYTHING = Scope.everything()

# Community A: A1, A2 closed on time; A3 reworked, overdue, closed late; A4 returned and open.
A_COUNTS = Counts(
    registered=4,
    dispatched=4,  # A1, A2, A3 to 城管; A4 to 住建
    handled=4,  # A1, A2, and A3 twice (before and after the rework)
    handled_on_time=3,  # A3's second report came after its limit ran out
    reworked=1,
    reworked_after_dispatch=1,
    returned=1,  # A4
    closed=3,
    closed_on_time=2,
    due_for_closing=3,  # closed {A1, A2, A3} ∪ overdue {A3}
    overdue=1,
    overdue_open=0,  # A3 was handled after all
    to_sign=3,  # the tasks of A1, A2, A3 (A4 was returned unsigned)
    signed=4,  # A3's task signed again after the rework
    signed_within_limit=3,
    rated_cases=1,
    resolved_cases=1,
    ratings=1,
    satisfied=1,
)
# Community B: B1 closed on time, rated not satisfied.
B_COUNTS = Counts(
    registered=1,
    dispatched=1,
    handled=1,
    handled_on_time=1,
    closed=1,
    closed_on_time=1,
    due_for_closing=1,
    to_sign=1,
    signed=1,
    signed_within_limit=1,
    rated_cases=1,
    resolved_cases=0,
    ratings=1,
    satisfied=0,
)


def rates_of(row: Any) -> dict[str, Fraction | None]:
    rates: dict[str, Fraction | None] = asdict(row.rates)
    return rates


def test_the_street_table_has_one_row_per_community(november: Town) -> None:
    table = evaluation_table(EVERYTHING, STREET, *NOVEMBER)
    assert [(row.unit.key, row.unit.name) for row in table.rows] == [
        (COMMUNITY_A, "清波门社区"),
        (COMMUNITY_B, "柳浪社区"),
    ]
    a, b = table.rows
    assert a.counts == A_COUNTS
    assert rates_of(a) == {
        "closure_rate": Fraction(3, 3),
        "on_time_closure_rate": Fraction(2, 3),
        "rework_rate": Fraction(1, 4),
        "accurate_dispatch_rate": Fraction(3, 4),  # (4 − 1) / 4
        "return_rate": Fraction(1, 4),
        "on_time_handling_rate": Fraction(3, 4),
        "response_rate": Fraction(3, 3),
        "resolution_rate": Fraction(1, 1),
        "satisfaction_rate": Fraction(1, 1),
    }
    # 40 × 2/3 + 20 × (1 − 1/4) + 40 × 1 = 26⅔ + 15 + 40
    assert a.score == Fraction(245, 3)

    assert b.counts == B_COUNTS
    assert rates_of(b) == {
        "closure_rate": Fraction(1),
        "on_time_closure_rate": Fraction(1),
        "rework_rate": Fraction(0),
        "accurate_dispatch_rate": Fraction(1),
        "return_rate": Fraction(0),
        "on_time_handling_rate": Fraction(1),
        "response_rate": Fraction(1),
        "resolution_rate": Fraction(0),
        "satisfaction_rate": Fraction(0),
    }
    assert b.score == Fraction(60)  # 40 × 1 + 20 × 1 + 40 × 0

    # The street as a whole: both communities, not 湖滨街道's case, not October's.
    assert table.total is not None
    assert table.total.unit.key == STREET
    assert table.total.counts == A_COUNTS + B_COUNTS
    assert table.total.rates.on_time_closure_rate == Fraction(3, 4)
    assert table.total.rates.satisfaction_rate == Fraction(1, 2)
    assert table.total.score == Fraction(66)  # 40 × 3/4 + 20 × (1 − 1/5) + 40 × 1/2


def test_rankings_show_the_volume_and_leave_small_units_unranked(november: Town) -> None:
    table = evaluation_table(EVERYTHING, STREET, *NOVEMBER)
    # The scheme's minimum of 10 cases: both communities are listed, neither is ranked.
    assert [(r.row.unit.key, r.rank, r.volume, r.is_sample_too_small) for r in rank_table(table)] == [
        (COMMUNITY_A, None, 3, True),
        (COMMUNITY_B, None, 1, True),
    ]
    # From 2 cases: A (3 cases) is ranked; B's 100 % on time from one case is not.
    by_on_time = rank_table(table, Indicator.ON_TIME_CLOSURE_RATE, min_volume=2)
    assert [(r.row.unit.key, r.value, r.rank, r.volume, r.is_sample_too_small) for r in by_on_time] == [
        (COMMUNITY_A, Fraction(2, 3), 1, 3, False),
        (COMMUNITY_B, Fraction(1), None, 1, True),
    ]
    # From 1 case both are ranked, and B's single case puts it on top.
    assert [(r.row.unit.key, r.rank) for r in rank_table(table, Indicator.ON_TIME_CLOSURE_RATE, 1)] == [
        (COMMUNITY_B, 1),
        (COMMUNITY_A, 2),
    ]
    # Lower is better for the rework rate; the volume is the handled count.
    assert [(r.row.unit.key, r.value, r.rank, r.volume) for r in rank_table(table, "rework_rate", 1)] == [
        (COMMUNITY_B, Fraction(0), 1, 1),
        (COMMUNITY_A, Fraction(1, 4), 2, 4),
    ]
    with pytest.raises(RankingKeyInvalid):
        rank_table(table, "number_of_cases")


def test_a_case_overdue_at_the_end_of_the_period_counts_as_due_and_not_closed(november: Town) -> None:
    """Cut the month at 10 Nov 09:45: A3 ran out of time at 09:00 and was handled only at 10:00."""
    row = indicator_row(EVERYTHING, Area.objects.get(pk=COMMUNITY_A), local(11, 1, 0), local(11, 10, 9, 45))
    assert (row.counts.closed, row.counts.closed_on_time, row.counts.due_for_closing) == (2, 2, 3)
    assert (row.counts.overdue, row.counts.overdue_open) == (1, 1)
    assert row.rates.closure_rate == Fraction(2, 3)
    # The rest of the month: A3 closed late, and nothing else fell due.
    rest = indicator_row(EVERYTHING, Area.objects.get(pk=COMMUNITY_A), local(11, 10, 9, 45), local(12, 1, 0))
    assert (rest.counts.closed, rest.counts.closed_on_time, rest.counts.due_for_closing) == (1, 0, 1)
    assert (rest.counts.overdue, rest.counts.overdue_open, rest.counts.registered) == (0, 0, 0)
    assert rest.rates.on_time_closure_rate == Fraction(0)


def test_the_figures_come_from_events_not_from_the_case_rows(november: Town) -> None:
    """Another period sees only its own events: October holds A0 alone."""
    october = indicator_row(EVERYTHING, Area.objects.get(pk=STREET), local(10, 1, 0), local(11, 1, 0))
    assert (october.counts.registered, october.counts.closed, october.counts.closed_on_time) == (1, 1, 1)
    assert CaseEvent.objects.filter(case_id=november.cases["A0"], action="close").count() == 1


def test_the_department_table_attributes_case_wide_events(november: Town) -> None:
    table = department_table(EVERYTHING, *NOVEMBER, area_code=STREET)
    urban, housing = november.departments["urban-management"], november.departments["housing"]
    assert [row.unit.key for row in table.rows] == sorted([str(urban.pk), str(housing.pk)], key=int)
    rows = {row.unit.key: row for row in table.rows}
    assert rows[str(urban.pk)].counts == Counts(
        registered=None,  # a case is registered before any department has it
        dispatched=4,  # A1, A2, A3, B1
        handled=5,
        handled_on_time=4,
        reworked=1,  # A3's failed check, against the department that reported it done
        reworked_after_dispatch=1,
        returned=0,
        closed=4,
        closed_on_time=3,
        due_for_closing=4,
        overdue=1,  # the overdue event names the departments holding the case
        overdue_open=0,
        to_sign=4,
        signed=5,
        signed_within_limit=4,
        rated_cases=2,
        resolved_cases=1,
        ratings=2,
        satisfied=1,
    )
    assert rows[str(urban.pk)].score == Fraction(66)  # 40 × 3/4 + 20 × (1 − 1/5) + 40 × 1/2
    assert rows[str(housing.pk)].counts == Counts(registered=None, dispatched=1, returned=1)
    assert rows[str(housing.pk)].rates.return_rate == Fraction(1)
    assert rows[str(housing.pk)].score is None  # nothing it did is weighted
    assert table.total is None


def test_a_department_member_sees_their_own_department_only(november: Town) -> None:
    scope = get_scope(november.users["housing_handler"])
    table = department_table(scope, *NOVEMBER)
    assert [row.unit.key for row in table.rows] == [str(november.departments["housing"].pk)]
    assert table.rows[0].counts == Counts(registered=None, dispatched=1, returned=1)
    with pytest.raises(EvaluationSubjectNotFound):
        department_table(scope, *NOVEMBER, area_code=STREET)


def test_a_community_worker_reads_their_community_only(november: Town) -> None:
    scope = get_scope(november.users["community_a"])
    own = evaluation_table(scope, COMMUNITY_A, *NOVEMBER, by="self")
    assert [row.counts for row in own.rows] == [A_COUNTS]
    for code in (STREET, COMMUNITY_B, "330102001052001", "999999999999"):
        with pytest.raises(EvaluationSubjectNotFound):
            evaluation_table(scope, code, *NOVEMBER)
    # The community's table has a row per grid.
    grids = evaluation_table(scope, COMMUNITY_A, *NOVEMBER)
    assert [(row.unit.key, row.counts.registered, row.counts.closed) for row in grids.rows] == [
        ("330102001051001", 2, 2),  # A1, A3
        ("330102001051002", 2, 1),  # A2 closed, A4 open
    ]


def test_a_table_takes_a_handful_of_queries_whatever_the_number_of_cases(
    november: Town, django_assert_num_queries: Any
) -> None:
    # the area, its children, the counts, the cases still overdue, the scheme
    with django_assert_num_queries(5):
        evaluation_table(EVERYTHING, STREET, *NOVEMBER)
    # the area, the counts by department, the case-wide events, the cases still overdue, the
    # departments, the scheme
    with django_assert_num_queries(6):
        department_table(EVERYTHING, *NOVEMBER, area_code=STREET)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (local(11, 2, 0), local(11, 1, 0)),  # backwards
        (local(11, 1, 0), local(11, 1, 0)),  # empty
        (local(1, 1, 0), datetime(2027, 6, 1, tzinfo=local(1, 1, 0).tzinfo)),  # too long
        (datetime(2026, 11, 1), datetime(2026, 12, 1)),  # naive
    ],
)
def test_bad_periods_are_refused(db: None, start: datetime, end: datetime) -> None:
    with pytest.raises(PeriodInvalid):
        evaluation_table(EVERYTHING, STREET, start, end)


def test_the_default_period_is_the_local_month(db: None) -> None:
    # 30 Nov 17:00 UTC is already 1 December in Shanghai.
    period = month_of(datetime.fromisoformat("2026-11-30T17:00:00+00:00"))
    assert (period.start, period.end) == (local(12, 1, 0), datetime(2027, 1, 1, tzinfo=local(1, 1, 0).tzinfo))
    with pytest.raises(PeriodInvalid):
        period_from_dates(local(11, 1, 0).date(), None)


def test_a_department_still_holding_an_overdue_case_at_the_end(november: Town) -> None:
    """Cut at 10 Nov 09:45: A3 is red at 城管, which has not reported it done yet."""
    table = department_table(EVERYTHING, local(11, 1, 0), local(11, 10, 9, 45), area_code=STREET)
    urban = next(
        row for row in table.rows if row.unit.key == str(november.departments["urban-management"].pk)
    )
    assert (urban.counts.overdue, urban.counts.overdue_open) == (1, 1)
    assert (urban.counts.closed, urban.counts.due_for_closing) == (3, 4)  # A1, A2, B1 ∪ A3


def test_a_whistle_counts_for_every_department_it_calls(town: Town) -> None:
    """吹哨: two departments, one rework of both, then closed and rated satisfied."""
    story = Story(town)
    case_id = story.report(local(11, 2, 9), GRID_A1, "井盖破损")
    ids = [town.departments["urban-management"].pk, town.departments["housing"].pk]
    with time_machine.travel(local(11, 2, 9, 10), tick=False):
        actions.whistle_case(case_id, actor=town.users["dispatcher"], department_ids=ids)
    for round_start, passed in ((10, False), (12, True)):
        for offset, handler in enumerate(("handler", "housing_handler")):
            story.sign(local(11, 2, round_start, offset), case_id, handler)
            story.done(local(11, 2, round_start, 10 + offset), case_id, handler)
        story.check(local(11, 2, round_start, 30), case_id, passed=passed)
    story.close(local(11, 2, 13), case_id)
    story.rate(local(11, 2, 14), case_id, satisfied=True)

    area = indicator_row(EVERYTHING, Area.objects.get(pk=COMMUNITY_A), *NOVEMBER)
    assert (area.counts.dispatched, area.counts.handled, area.counts.reworked) == (1, 2, 1)
    assert area.rates.rework_rate == Fraction(1, 2)
    assert area.rates.accurate_dispatch_rate == Fraction(0)  # (1 − 1) / 1
    rows = {
        row.unit.key: row.counts for row in department_table(EVERYTHING, *NOVEMBER, area_code=STREET).rows
    }
    for department_id in ids:
        assert rows[str(department_id)] == Counts(
            registered=None,
            dispatched=1,
            handled=2,
            handled_on_time=2,
            reworked=1,
            reworked_after_dispatch=1,
            closed=1,
            closed_on_time=1,
            due_for_closing=1,
            to_sign=1,
            signed=2,
            signed_within_limit=1,
            rated_cases=1,
            resolved_cases=1,
            ratings=1,
            satisfied=1,
        )


# sqlite_stat1 of the benchmark's case events at a million cases: 8,000,000 rows, about 600 per area
# code (13,000 grids), a few per moment, 8 per case.
MILLION_CASES = {
    ("cases_caseevent", "event_area_time"): "8000000 600 1",
    ("cases_caseevent", "cases_caseevent_occurred_at_0caa0c65"): "8000000 2",
    ("cases_caseevent", "cases_caseevent_case_id_6c6031ac"): "8000000 8",
    ("areas_area", "sqlite_autoindex_areas_area_1"): "16118 1",
}


def test_a_streets_events_are_read_per_area_code_for_the_period_alone(november: Town) -> None:
    """With the statistics of a million cases, SQLite reads the street's events one area code at a
    time through (area_code, occurred_at), within the period's bounds: neither the street's whole
    history (a range of codes) nor the whole city's month (the time index)."""
    from django.db import connection

    from gridgov.evaluation.queries import _area_q

    if connection.vendor != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL picks plans by table statistics")
    street = Area.objects.get(code=STREET)
    start, end = local(11, 1, 0), local(12, 1, 0)
    query = CaseEvent.objects.filter(_area_q(street), occurred_at__gte=start, occurred_at__lt=end).values(
        "area_code"
    )
    sql, params = query.query.sql_with_params()
    plan_lines = sqlite_plan(sql, params, MILLION_CASES)
    [events] = [line for line in plan_lines if "cases_caseevent" in line]
    assert "event_area_time (area_code=? AND occurred_at>? AND occurred_at<?)" in events, plan_lines
    # The same events as a plain prefix match.
    ids = sorted(query.values_list("id", flat=True))
    assert ids
    assert ids == sorted(
        CaseEvent.objects.filter(
            area_code__startswith=STREET[:9], occurred_at__gte=start, occurred_at__lt=end
        ).values_list("id", flat=True)
    )


def test_the_overdue_replay_reads_only_open_and_recently_changed_cases(november: Town) -> None:
    """may_be_overdue_at is one IN list of a UNION, each half through its index: no scan of every
    case (SQLite's plan), and the same cases as the two conditions written out."""
    from django.db import connection

    from gridgov.cases.models import OPEN_STATUSES, Case
    from gridgov.evaluation.queries import may_be_overdue_at

    end = local(11, 20, 0)
    query = CaseEvent.objects.filter(may_be_overdue_at(end)).values("case_id")
    expected = set(
        Case.objects.filter(Q(status__in=OPEN_STATUSES) | Q(updated_at__gte=end)).values_list("pk", flat=True)
    )
    found = set(query.values_list("case_id", flat=True))
    assert found and found == expected & set(CaseEvent.objects.values_list("case_id", flat=True))
    if connection.vendor != "sqlite":
        return
    sql, params = query.query.sql_with_params()
    plan = " ".join(sqlite_plan(sql, params))
    assert "SCAN U0" not in plan and "SCAN cases_case " not in plan, plan
    assert "case_updated" in plan, plan
