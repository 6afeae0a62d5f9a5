"""The cockpit's figures for a month made through the real case actions (conftest.py), each checked
against counts the test makes itself from the case and event tables."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest

from gridgov.accounts.queries import get_scope
from gridgov.accounts.scope import Scope
from gridgov.areas.actions import AreaRow, upsert_areas
from gridgov.areas.models import Area, BoundarySource
from gridgov.cases.models import OPEN_STATUSES, Case, CaseEvent
from gridgov.cockpit import queries
from gridgov.cockpit.errors import CockpitAreaNotFound, CockpitQueryInvalid
from gridgov.core.area_codes import Level
from gridgov.core.clock import LOCAL_TIMEZONE
from gridgov.evaluation.queries import indicator_row
from tests.cockpit.conftest import DISTRICT, NOW, OTHER_STREET
from tests.evaluation.conftest import (
    COMMUNITY_A,
    COMMUNITY_B,
    GRID_A1,
    GRID_A2,
    GRID_B1,
    OTHER_STREET_GRID,
    STREET,
    Town,
)

EVERYTHING = Scope.everything()
BOX = {"type": "Polygon", "coordinates": [[[120.1, 30.2], [120.11, 30.2], [120.11, 30.21], [120.1, 30.2]]]}
TODAY = datetime(2026, 11, 20, tzinfo=LOCAL_TIMEZONE)
TOMORROW = TODAY + timedelta(days=1)
WINDOW_START = TODAY - timedelta(days=29)


def area(code: str) -> Area:
    return Area.objects.get(code=code)


def prefix_of(code: str) -> str:
    return {STREET: "330102001", DISTRICT: "330102", COMMUNITY_A: "330102001051", OTHER_STREET: "330102002"}[
        code
    ]


def cases_of(code: str) -> Any:
    return Case.objects.filter(area__code__startswith=prefix_of(code))


def events_of(code: str) -> Any:
    return CaseEvent.objects.filter(area_code__startswith=prefix_of(code))


def distinct_cases(events: Any) -> set[int]:
    return set(events.values_list("case_id", flat=True))


@pytest.mark.parametrize("code", [STREET, DISTRICT, COMMUNITY_A, OTHER_STREET])
def test_summary_counts_what_the_tables_hold(month: Town, code: str) -> None:
    result = queries.summary(EVERYTHING, area(code), NOW)

    cases = cases_of(code)
    assert result.day == TODAY.date()
    assert result.intake_today == cases.filter(reported_at__gte=TODAY, reported_at__lt=TOMORROW).count()
    assert result.open_now == cases.filter(status__in=OPEN_STATUSES).count()
    assert result.overdue_now == cases.filter(status__in=OPEN_STATUSES, light="red").count()
    today_events = events_of(code).filter(occurred_at__gte=TODAY, occurred_at__lt=TOMORROW)
    assert result.closed_today == len(distinct_cases(today_events.filter(action="close")))

    # 按期结案率 and 满意率 over the 30 local days, counted here from the events as docs/evaluation.md says.
    window = events_of(code).filter(occurred_at__gte=WINDOW_START, occurred_at__lt=TOMORROW)
    closed = distinct_cases(window.filter(action="close"))
    closed_late = distinct_cases(window.filter(action="close", data__on_time=False))
    due = closed | distinct_cases(window.filter(action="overdue"))
    ratings = window.filter(action="rate").count()
    satisfied = window.filter(action="rate", data__satisfied=True).count()
    assert (result.closed_on_time, result.due_for_closing) == (len(closed - closed_late), len(due))
    assert result.on_time_closure_rate == (Fraction(len(closed - closed_late), len(due)) if due else None)
    assert (result.satisfied, result.ratings) == (satisfied, ratings)
    assert result.satisfaction_rate == (Fraction(satisfied, ratings) if ratings else None)
    # … which are the evaluation's own figures for the same period.
    row = indicator_row(EVERYTHING, area(code), WINDOW_START, TOMORROW)
    assert (result.on_time_closure_rate, result.satisfaction_rate) == (
        row.rates.on_time_closure_rate,
        row.rates.satisfaction_rate,
    )


def test_the_month_gives_every_tile_something_to_count(month: Town) -> None:
    """Guards the test above: with empty figures it would pass whatever the queries did."""
    result = queries.summary(EVERYTHING, area(STREET), NOW)
    assert min(result.intake_today, result.open_now, result.overdue_now, result.closed_today) > 0
    assert result.closed_on_time < result.due_for_closing  # W5 was closed late
    assert result.satisfied < result.ratings  # W3 was rated not satisfied


def test_today_is_the_local_day_not_the_utc_one(month: Town) -> None:
    t1, y1 = month.case("T1"), month.case("Y1")
    assert t1.reported_at.date() < TODAY.date()  # 00:30 in Beijing is still the 19th in UTC
    expected = sum(
        1 for case in cases_of(STREET) if case.reported_at.astimezone(LOCAL_TIMEZONE).date() == TODAY.date()
    )
    in_utc = sum(1 for case in cases_of(STREET) if case.reported_at.astimezone(UTC).date() == TODAY.date())
    result = queries.summary(EVERYTHING, area(STREET), NOW)
    assert result.intake_today == expected != in_utc
    feed_today = {c.pk for c in cases_of(STREET).filter(reported_at__gte=TODAY)}
    assert t1.pk in feed_today and y1.pk not in feed_today


@pytest.mark.parametrize(
    ("parent", "level"),
    [(STREET, None), (STREET, "grid"), (DISTRICT, "street"), (DISTRICT, "community"), (COMMUNITY_A, None)],
)
def test_area_figures_count_open_and_overdue_cases_per_area_of_the_level(
    month: Town, parent: str, level: str | None, django_assert_num_queries: Any
) -> None:
    parent_area = area(parent)
    with django_assert_num_queries(1):
        figures = queries.area_figures(EVERYTHING, parent_area, level)

    wanted = Level(level) if level else queries.child_level(area(parent))
    assert figures.level == wanted
    children = Area.objects.filter(level=wanted, code__startswith=prefix_of(parent))
    expected = {}
    for child in children:
        child_prefix = child.code[: {"street": 9, "community": 12, "grid": 15}[wanted.value]]
        open_cases = Case.objects.filter(area__code__startswith=child_prefix, status__in=OPEN_STATUSES)
        if open_cases.exists():
            expected[child.code] = (open_cases.count(), open_cases.filter(light="red").count())
    assert {item.code: (item.open, item.overdue) for item in figures.items} == expected
    assert expected  # something to compare
    total_open = cases_of(parent).filter(status__in=OPEN_STATUSES).count()
    assert sum(item.open for item in figures.items) + figures.outside_open == total_open


def test_area_figures_keep_only_the_areas_in_the_box(month: Town) -> None:
    square = {
        "type": "Polygon",
        "coordinates": [[[120.1, 30.2], [120.11, 30.2], [120.11, 30.21], [120.1, 30.2]]],
    }
    far = {
        "type": "Polygon",
        "coordinates": [[[121.1, 31.2], [121.11, 31.2], [121.11, 31.21], [121.1, 31.2]]],
    }
    upsert_areas(
        [
            AreaRow(GRID_A1, "清波门社区第1网格", Level.GRID, COMMUNITY_A, square),
            AreaRow(GRID_A2, "清波门社区第2网格", Level.GRID, COMMUNITY_A, far),
        ],
        actor_label="tests",
        boundary_source=BoundarySource.IMPORTED,
    )
    everywhere = queries.area_figures(EVERYTHING, area(STREET), "grid")
    boxed = queries.area_figures(EVERYTHING, area(STREET), "grid", queries.Bounds(120.0, 30.0, 120.5, 30.5))
    assert {item.code for item in everywhere.items} >= {GRID_A1, GRID_A2}
    assert [item.code for item in boxed.items] == [GRID_A1]


def test_area_figures_refuse_a_level_above_the_parent(month: Town) -> None:
    with pytest.raises(CockpitQueryInvalid):
        queries.area_figures(EVERYTHING, area(STREET), "district")
    with pytest.raises(CockpitQueryInvalid):
        queries.area_figures(EVERYTHING, area(STREET), "planet")


def test_trends_give_each_local_day_its_reported_closed_and_overdue_cases(
    month: Town, django_assert_max_num_queries: Any
) -> None:
    street = area(STREET)
    with django_assert_max_num_queries(4):
        days = queries.trends(EVERYTHING, street, NOW)

    assert [d.day for d in days] == [(WINDOW_START + timedelta(days=i)).date() for i in range(30)]
    for figures in days:
        start = datetime.combine(figures.day, datetime.min.time(), tzinfo=LOCAL_TIMEZONE)
        end = start + timedelta(days=1)
        assert (
            figures.reported == cases_of(STREET).filter(reported_at__gte=start, reported_at__lt=end).count()
        )
        closes = events_of(STREET).filter(action="close", occurred_at__gte=start, occurred_at__lt=end)
        assert figures.closed == len(distinct_cases(closes)), figures.day
        # Overdue at the end of the day: evaluation's 期末超期未结 for a period ending then.
        assert (
            figures.overdue
            == indicator_row(EVERYTHING, area(STREET), start - timedelta(days=1), end).counts.overdue_open
        ), figures.day
    assert sum(d.reported for d in days) == cases_of(STREET).filter(reported_at__gte=WINDOW_START).count()
    assert max(d.overdue for d in days) > 0 and days[0].overdue == 0  # W4 and W5 went red on 18 Nov


def test_the_overdue_series_follows_the_marks_and_their_ends(month: Town) -> None:
    """Checked against the case rows: W5 red on 18 Nov and closed that day, W4 red ever since."""
    days = {d.day: d.overdue for d in queries.trends(EVERYTHING, area(STREET), NOW)}
    red_now = cases_of(STREET).filter(status__in=OPEN_STATUSES, light="red").count()
    assert days[TODAY.date()] == red_now > 0
    marked = CaseEvent.objects.filter(action="overdue", case__area__code__startswith="330102001")
    first_mark = min(e.occurred_at for e in marked).astimezone(LOCAL_TIMEZONE).date()
    assert all(number == 0 for day, number in days.items() if day < first_mark)


def test_categories_count_the_window_by_first_level_category(month: Town) -> None:
    result = queries.categories(EVERYTHING, area(STREET), NOW)
    recent = cases_of(STREET).filter(reported_at__gte=WINDOW_START).select_related("category__parent")
    expected = Counter(
        case.category.parent.name if case.category.parent else case.category.name for case in recent
    )
    assert {share.name: share.count for share in result.items} == dict(expected)
    assert [share.count for share in result.items] == sorted(expected.values(), reverse=True)
    assert result.total == recent.count() and len(expected) > 1


def test_sources_count_the_window_by_channel(month: Town) -> None:
    result = queries.sources(EVERYTHING, area(STREET), NOW)
    expected = Counter(
        cases_of(STREET).filter(reported_at__gte=WINDOW_START).values_list("source", flat=True)
    )
    assert {share.key: share.count for share in result.items} == dict(expected)
    assert len(expected) > 1 and result.total == sum(expected.values())


def test_hot_spots_are_the_grids_with_most_cases_in_seven_days(month: Town) -> None:
    spots = queries.hot_spots(EVERYTHING, area(STREET), NOW)
    week = cases_of(STREET).filter(reported_at__gte=TODAY - timedelta(days=6)).select_related("category")
    by_grid = Counter(week.values_list("area_id", flat=True))
    assert [(s.code, s.count) for s in spots] == sorted(by_grid.items(), key=lambda pair: (-pair[1], pair[0]))
    for spot in spots:
        names = Counter(c.category.name for c in week if c.area_id == spot.code)
        assert names[spot.top_category] == max(names.values()) == spot.top_category_count
        assert spot.name == area(spot.code).name
    assert len(spots) > 1


def test_the_feed_gives_the_newest_cases_and_then_only_newer_ones(month: Town) -> None:
    street = area(STREET)
    latest = queries.latest_cases(EVERYTHING, street, limit=5)
    expected = list(cases_of(STREET).order_by("-id").values_list("id", flat=True)[:5])
    assert [item.id for item in latest] == expected
    after = month.cases["Y1"]
    newer = queries.cases_after(EVERYTHING, street, after)
    assert [item.id for item in newer] == list(
        cases_of(STREET).filter(id__gt=after).order_by("id").values_list("id", flat=True)
    )
    assert month.cases["H2"] not in {item.id for item in newer} and len(newer) > 1
    t1 = next(item for item in newer if item.id == month.cases["T1"])
    assert (t1.number, t1.area_name, t1.category, t1.source) == (
        month.case("T1").number,
        "清波门社区第1网格",
        "施工扰民",
        "hotline",
    )
    assert queries.latest_case_id(EVERYTHING, street) == expected[0]


def test_a_street_leader_sees_only_the_street(month: Town) -> None:
    scope = get_scope(month.users["street_leader"])
    assert queries.get_cockpit_area(scope).code == STREET
    for code in (OTHER_STREET, DISTRICT, "330102002001001"):
        with pytest.raises(CockpitAreaNotFound):
            queries.get_cockpit_area(scope, code)
    with pytest.raises(CockpitAreaNotFound):
        queries.summary(scope, area(DISTRICT), NOW)
    with pytest.raises(CockpitAreaNotFound):
        queries.latest_cases(scope, area(OTHER_STREET))
    assert [a.code for a in queries.breadcrumb(scope, area(COMMUNITY_B))] == [STREET, COMMUNITY_B]
    street_view = queries.summary(scope, area(STREET), NOW)
    district_view = queries.summary(get_scope(month.users["district_leader"]), area(DISTRICT), NOW)
    assert street_view.intake_today < district_view.intake_today  # H2 is in the other street


def test_the_default_area_of_a_global_scope_follows_single_children_down(month: Town) -> None:
    assert queries.get_cockpit_area(EVERYTHING).code == DISTRICT  # 浙江 → 杭州 → 上城区 (two streets)
    district_scope = get_scope(month.users["district_leader"])
    assert [a.code for a in queries.breadcrumb(district_scope, area(GRID_B1))] == [
        DISTRICT,
        STREET,
        COMMUNITY_B,
        GRID_B1,
    ]
    assert queries.child_level(area(COMMUNITY_B)) == Level.GRID
    assert queries.child_level(area(GRID_B1)) is None


def test_bounds_of_an_area_without_a_boundary_cover_the_boundaries_inside(month: Town) -> None:
    assert queries.bounds_of(area(STREET)) is None
    square = {
        "type": "Polygon",
        "coordinates": [[[120.1, 30.2], [120.11, 30.2], [120.11, 30.21], [120.1, 30.2]]],
    }
    upsert_areas(
        [AreaRow(GRID_B1, "柳浪社区第1网格", Level.GRID, COMMUNITY_B, square)],
        actor_label="tests",
        boundary_source=BoundarySource.IMPORTED,
    )
    assert queries.bounds_of(area(STREET)) == queries.Bounds(120.1, 30.2, 120.11, 30.21)


def test_overview_gathers_the_same_figures(month: Town, django_assert_max_num_queries: Any) -> None:
    with django_assert_max_num_queries(30):
        result = queries.overview(EVERYTHING, area(STREET), NOW)
    assert result.summary == queries.summary(EVERYTHING, area(STREET), NOW)
    assert result.trends == queries.trends(EVERYTHING, area(STREET), NOW)
    assert result.hot_spots == queries.hot_spots(EVERYTHING, area(STREET), NOW)
    assert [a.code for a in result.breadcrumb] == ["330000000000", "330100000000", DISTRICT, STREET]
    assert result.child_level == Level.COMMUNITY


def test_a_global_scope_starts_at_the_smallest_area_holding_every_boundary(month: Town) -> None:
    """The division tables cover the whole country; the boundaries only the place the centre serves."""
    upsert_areas(
        [
            AreaRow(GRID_A1, "清波门社区第1网格", Level.GRID, COMMUNITY_A, BOX),
            AreaRow(GRID_B1, "柳浪社区第1网格", Level.GRID, COMMUNITY_B, BOX),
        ],
        actor_label="tests",
        boundary_source=BoundarySource.IMPORTED,
    )
    assert queries.get_cockpit_area(EVERYTHING).code == STREET  # both grids lie in 清波街道
    upsert_areas(
        [AreaRow(OTHER_STREET_GRID, "湖滨的网格", Level.GRID, "330102002001", BOX)],
        actor_label="tests",
        boundary_source=BoundarySource.IMPORTED,
    )
    assert queries.get_cockpit_area(EVERYTHING).code == DISTRICT


def test_the_feed_of_a_quiet_area_reaches_back_past_the_newest_ids(
    month: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The newest ids are read by primary key; an area with too few among them uses its own index."""
    monkeypatch.setattr(queries, "RECENT_IDS", 1)  # only the newest case (H2, the other street)
    street = area(STREET)
    expected = list(cases_of(STREET).order_by("-id").values_list("id", flat=True)[:4])
    assert [item.id for item in queries.latest_cases(EVERYTHING, street, limit=4)] == expected
    assert queries.latest_case_id(EVERYTHING, street) == expected[0] < month.cases["H2"]
