"""The cockpit's JSON: an area's figures, the map's colours, trends, breakdowns, hot spots, the feed.

`area` is an area code the caller's scope covers (default: the caller's own area); anything else
answers 404 `cockpit_area_not_found`. docs/cockpit.md defines every figure.
"""

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from gridgov.accounts.models import User
from gridgov.accounts.queries import get_scope
from gridgov.areas.models import Area
from gridgov.cockpit import queries
from gridgov.cockpit.errors import CockpitQueryInvalid
from gridgov.cockpit.schemas import (
    AreaFigureOut,
    AreaFiguresOut,
    AreaRefOut,
    BoundsOut,
    BreakdownOut,
    DayOut,
    FeedItemOut,
    FeedOut,
    HotIssueCaseOut,
    HotIssueOut,
    HotIssuesOut,
    HotSpotOut,
    HotSpotsOut,
    OverviewOut,
    ShareOut,
    SummaryOut,
    TrendsOut,
)
from gridgov.core.clock import now
from gridgov.evaluation.indicators import as_float

router = Router(tags=["cockpit"])


class AreaQuery(Schema):
    area: str | None = None


class AreaFiguresQuery(Schema):
    parent: str | None = None
    level: str | None = None
    bbox: str | None = Field(None, description="west,south,east,north")


class FeedQuery(AreaQuery):
    after: int | None = Field(None, ge=0, description="only cases with a higher id")
    limit: int = Field(queries.FEED_LIMIT, ge=1, le=queries.MAX_FEED_LIMIT)


class LimitQuery(AreaQuery):
    limit: int = Field(10, ge=1, le=50)


class HotIssuesQuery(AreaQuery):
    days: int = Field(7, ge=1, le=30)
    limit: int = Field(5, ge=1, le=20)


def area_ref(area: Area) -> AreaRefOut:
    return AreaRefOut(code=area.code, name=area.name, level=area.level)


def bounds_out(bounds: queries.Bounds | None) -> BoundsOut | None:
    if bounds is None:
        return None
    return BoundsOut(west=bounds.west, south=bounds.south, east=bounds.east, north=bounds.north)


def summary_out(area: Area, summary: queries.Summary) -> SummaryOut:
    return SummaryOut(
        area=area_ref(area),
        day=summary.day,
        window_start=summary.window_start,
        window_end=summary.window_end,
        intake_today=summary.intake_today,
        open_now=summary.open_now,
        overdue_now=summary.overdue_now,
        closed_today=summary.closed_today,
        on_time_closure_rate=as_float(summary.on_time_closure_rate),
        closed_on_time=summary.closed_on_time,
        due_for_closing=summary.due_for_closing,
        satisfaction_rate=as_float(summary.satisfaction_rate),
        satisfied=summary.satisfied,
        ratings=summary.ratings,
    )


def days_out(days: list[queries.DayFigures]) -> list[DayOut]:
    return [DayOut(day=d.day, reported=d.reported, closed=d.closed, overdue=d.overdue) for d in days]


def breakdown_out(area: Area, breakdown: queries.Breakdown) -> BreakdownOut:
    return BreakdownOut(
        area=area_ref(area),
        start=breakdown.start,
        end=breakdown.end,
        total=breakdown.total,
        items=[ShareOut(key=s.key, name=s.name, count=s.count) for s in breakdown.items],
    )


def hot_spot_out(spot: queries.HotSpot) -> HotSpotOut:
    return HotSpotOut(
        code=spot.code,
        name=spot.name,
        level=spot.level,
        count=spot.count,
        top_category=spot.top_category,
        top_category_count=spot.top_category_count,
        centre=list(spot.centre) if spot.centre else None,
        bounds=bounds_out(spot.bounds),
    )


def feed_item_out(item: queries.FeedItem) -> FeedItemOut:
    return FeedItemOut(**item.__dict__)


def parse_bbox(text: str | None) -> queries.Bounds | None:
    if not text:
        return None
    try:
        west, south, east, north = (float(part) for part in text.split(","))
    except ValueError as error:
        raise CockpitQueryInvalid(details={"bbox": text}) from error
    if not (west <= east and south <= north):
        raise CockpitQueryInvalid(details={"bbox": text})
    return queries.Bounds(west, south, east, north)


@router.get(
    "/summary", response=SummaryOut, summary="Today's intake, open, overdue, closed today, 30-day rates"
)
def summary(request: HttpRequest, query: Query[AreaQuery]) -> SummaryOut:
    scope = get_scope(request.user)
    area = queries.get_cockpit_area(scope, query.area)
    return summary_out(area, queries.summary(scope, area, now()))


@router.get(
    "/areas", response=AreaFiguresOut, summary="Open and overdue cases per area of a level (map colours)"
)
def area_figures(request: HttpRequest, query: Query[AreaFiguresQuery]) -> AreaFiguresOut:
    scope = get_scope(request.user)
    parent = queries.get_cockpit_area(scope, query.parent)
    figures = queries.area_figures(scope, parent, query.level, parse_bbox(query.bbox))
    return AreaFiguresOut(
        parent=area_ref(parent),
        level=figures.level.value,
        items=[AreaFigureOut(code=i.code, open=i.open, overdue=i.overdue) for i in figures.items],
        outside_open=figures.outside_open,
        outside_overdue=figures.outside_overdue,
    )


@router.get("/trends", response=TrendsOut, summary="Per day of the last 30: reported, closed, overdue")
def trends(request: HttpRequest, query: Query[AreaQuery]) -> TrendsOut:
    scope = get_scope(request.user)
    area = queries.get_cockpit_area(scope, query.area)
    return TrendsOut(area=area_ref(area), days=days_out(queries.trends(scope, area, now())))


@router.get("/categories", response=BreakdownOut, summary="Cases of the last 30 days by first-level category")
def categories(request: HttpRequest, query: Query[LimitQuery]) -> BreakdownOut:
    scope = get_scope(request.user)
    area = queries.get_cockpit_area(scope, query.area)
    return breakdown_out(area, queries.categories(scope, area, now(), query.limit))


@router.get("/sources", response=BreakdownOut, summary="Cases of the last 30 days by channel")
def sources(request: HttpRequest, query: Query[AreaQuery]) -> BreakdownOut:
    scope = get_scope(request.user)
    area = queries.get_cockpit_area(scope, query.area)
    return breakdown_out(area, queries.sources(scope, area, now()))


@router.get("/hotspots", response=HotSpotsOut, summary="Grids with the most cases in the last 7 days")
def hot_spots(request: HttpRequest, query: Query[LimitQuery]) -> HotSpotsOut:
    scope = get_scope(request.user)
    area = queries.get_cockpit_area(scope, query.area)
    spots = queries.hot_spots(scope, area, now(), query.limit)
    return HotSpotsOut(area=area_ref(area), items=[hot_spot_out(spot) for spot in spots])


def hot_issue_out(found: queries.HotIssueCases) -> HotIssueOut:
    issue = found.issue
    return HotIssueOut(
        label=issue.label,
        place=issue.place,
        keywords=list(issue.keywords),
        heat=round(issue.heat, 2),
        cases=issue.messages,
        reporters=issue.reporters,
        likes=issue.likes,
        first_at=issue.first_at,
        last_at=issue.last_at,
        open_cases=len(found.open_cases),
        items=[
            HotIssueCaseOut(
                id=c.pk, number=c.number, title=c.title, status=c.status, reported_at=c.reported_at
            )
            for c in found.cases
        ],
    )


@router.get(
    "/hot-issues",
    response=HotIssuesOut,
    summary="热点问题: clusters of cases about one concrete problem, hottest first",
)
def hot_issues(request: HttpRequest, query: Query[HotIssuesQuery]) -> HotIssuesOut:
    scope = get_scope(request.user)
    area = queries.get_cockpit_area(scope, query.area)
    user = request.user
    assert isinstance(user, User)
    found = queries.hot_issues(user, area, days=query.days, top=query.limit)
    return HotIssuesOut(area=area_ref(area), days=query.days, items=[hot_issue_out(f) for f in found])


@router.get("/feed", response=FeedOut, summary="The newest cases (after an id), newest first")
def feed(request: HttpRequest, query: Query[FeedQuery]) -> FeedOut:
    scope = get_scope(request.user)
    area = queries.get_cockpit_area(scope, query.area)
    if query.after is None:
        items = queries.latest_cases(scope, area, query.limit)
    else:
        items = list(reversed(queries.cases_after(scope, area, query.after, query.limit)))
    last_id = max([item.id for item in items], default=query.after or 0)
    return FeedOut(area=area_ref(area), items=[feed_item_out(item) for item in items], last_id=last_id)


@router.get("/overview", response=OverviewOut, summary="Everything the cockpit page shows for an area")
def overview(request: HttpRequest, query: Query[AreaQuery]) -> OverviewOut:
    scope = get_scope(request.user)
    area = queries.get_cockpit_area(scope, query.area)
    result = queries.overview(scope, area, now())
    return OverviewOut(
        area=area_ref(area),
        breadcrumb=[area_ref(item) for item in result.breadcrumb],
        child_level=result.child_level.value if result.child_level else None,
        bounds=bounds_out(result.bounds),
        summary=summary_out(area, result.summary),
        trends=days_out(result.trends),
        categories=breakdown_out(area, result.categories),
        sources=breakdown_out(area, result.sources),
        hot_spots=[hot_spot_out(spot) for spot in result.hot_spots],
    )
