"""The cockpit's reads (数字驾驶舱): an area's figures, the map's colours, trends, hot spots, the feed.

Every function takes the caller's Scope and an Area that scope covers (`get_cockpit_area` finds it,
or raises CockpitAreaNotFound, 404) and counts the cases of the area's subtree by code prefix: a
case's area is the grid (or smallest area) it was located in, so its code starts with the prefix of
every area around it (gridgov/core/area_codes.py) and one indexed range finds them all. Days are the
command centre's local days (Asia/Shanghai: settings.TIME_ZONE, gridgov.core.clock.LOCAL_TIMEZONE).
docs/cockpit.md explains each figure; in short:

    intake_today          cases reported during the local day: every report, whatever became of it
    open_now              cases in an open status now (gridgov.cases.models.OPEN_STATUSES)
    overdue_now           open cases whose light is red: their running limit has run out
    closed_today          evaluation's 结案数 for the local day (distinct cases with a close event)
    on_time_closure_rate  evaluation's 按期结案率 over the last 30 local days, today included
    satisfaction_rate     evaluation's 满意率 over the same 30 days
    trends, per local day reported (as intake_today), closed (as closed_today), overdue (cases red
                          and not handled at the end of the day: evaluation's 期末超期未结)
    categories, sources   the cases reported in the 30 days, by first-level category and by channel
    hot spots             the grids with the most cases reported in the last 7 local days

The two rates and closed_today come from gridgov.evaluation (activity_counts, the counts behind
indicator_row without the period-end overdue replay the tiles do not show): the cockpit shows the
same numbers as the monthly evaluation would for the same period, never a second definition.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction

from django.db.models import Count, Max, Min, Q, QuerySet
from django.db.models.functions import Substr, TruncDate
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import User
from gridgov.accounts.scope import Scope, code_prefix_q, period_prefix_q
from gridgov.areas.models import Area, boundaries_left_out
from gridgov.cases.models import OPEN_STATUSES, Case, CaseEvent, CaseSource, Light
from gridgov.cases.queries import HotIssueCases, hot_issues_for
from gridgov.catalogue.models import CaseCategory
from gridgov.cockpit.errors import CockpitAreaNotFound, CockpitQueryInvalid
from gridgov.core.area_codes import (
    LEVEL_ORDER,
    PREFIX_LENGTH,
    SEGMENT_WIDTH,
    InvalidCode,
    Level,
    ancestor_codes,
    full_length,
    scope_prefix,
)
from gridgov.core.clock import LOCAL_TIMEZONE, to_local
from gridgov.evaluation.indicators import compute_rates
from gridgov.evaluation.queries import (
    ENDS_OVERDUE,
    OVERDUE,
    activity_counts,
    may_be_overdue_at,
    overdue_open_case_ids,
)

WINDOW_DAYS = 30  # trends, categories, sources and the two rates
HOT_SPOT_DAYS = 7
FEED_LIMIT = 20
MAX_FEED_LIMIT = 200
# The map drills down through these levels; a grid is the last step.
DRILL_LEVELS: tuple[Level, ...] = (Level.PROVINCE, Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY)
MAP_LEVELS: tuple[Level, ...] = (Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID)
UNCATEGORISED = _("uncategorised")


# ── the area the cockpit shows ───────────────────────────────────────────────────────────────


def _prefix(area: Area) -> str:
    try:
        return scope_prefix(area.code)
    except InvalidCode:
        return area.code


def _code_of_prefix(prefix: str) -> str:
    """The area code a scope prefix stands for (street prefix 330102001 → 330102001000)."""
    return prefix.ljust(max(12, len(prefix)), "0")


def _mapped_area() -> Area | None:
    """The smallest area holding every area with a boundary: the place this installation serves
    (the division tables cover all of China; the boundaries only the command centre's own area)."""
    codes = Area.objects.exclude(boundary_source="").aggregate(first=Min("code"), last=Max("code"))
    first, last = codes["first"], codes["last"]
    if not first or not last:
        return None
    common = 0
    while common < min(len(first), len(last)) and first[common] == last[common]:
        common += 1
    levels = [level for level in LEVEL_ORDER if PREFIX_LENGTH[level] <= common]
    if not levels:
        return None
    level = levels[-1]
    return Area.objects.filter(code=first[: PREFIX_LENGTH[level]].ljust(full_length(level), "0")).first()


def home_areas(scope: Scope) -> list[Area]:
    """The areas a user's cockpit starts from: their memberships' areas. For a global scope, the
    smallest area holding every boundary (else the root of the tree), followed down while it has a
    single child (浙江 → 杭州 → 上城区 when the database holds one district)."""
    if scope.is_global:
        start = _mapped_area()
        roots = (
            [start]
            if start is not None
            else list(Area.objects.filter(parent__isnull=True).order_by("code")[:2])
        )
        if len(roots) != 1:
            return roots
        area = roots[0]
        while area.level != Level.GRID:
            children = list(Area.objects.filter(parent_id=area.code).order_by("code")[:2])
            if len(children) != 1:
                break
            area = children[0]
        return [area]
    codes = sorted(_code_of_prefix(prefix) for prefix in scope.area_prefixes)
    return list(Area.objects.filter(code__in=codes).order_by("code"))


def get_cockpit_area(scope: Scope, code: str | None = None) -> Area:
    """The area `code` (default: the caller's first home area), or CockpitAreaNotFound when it is
    missing or outside `scope`."""
    if not code:
        homes = home_areas(scope)
        if not homes:
            raise CockpitAreaNotFound(details={"area": None})
        return homes[0]
    if not scope.covers_code(code):
        raise CockpitAreaNotFound(details={"area": code})
    area = Area.objects.filter(code=code).first()
    if area is None:
        raise CockpitAreaNotFound(details={"area": code})
    return area


def _check(scope: Scope, area: Area) -> None:
    if not scope.covers_code(area.code):
        raise CockpitAreaNotFound(details={"area": area.code})


def breadcrumb(scope: Scope, area: Area) -> list[Area]:
    """The areas above `area` that `scope` may open, from the top, then `area` itself."""
    _check(scope, area)
    try:
        codes = [code for code in ancestor_codes(area.code) if scope.covers_code(code)]
    except InvalidCode:
        codes = []
    above = {item.code: item for item in Area.objects.filter(code__in=codes)}
    return [above[code] for code in codes if code in above] + [area]


def child_level(area: Area) -> Level | None:
    """The level one step down the drill (district → street → community → grid); None for a grid."""
    try:
        level = Level(area.level)
    except ValueError:
        return None
    if level not in DRILL_LEVELS:
        return None
    return LEVEL_ORDER[LEVEL_ORDER.index(level) + 1]


@dataclass(frozen=True)
class Bounds:
    west: float
    south: float
    east: float
    north: float


def bounds_of(area: Area) -> Bounds | None:
    """The area's box; for an area without a boundary, the box of the boundaries inside it."""
    if None not in (area.min_lon, area.min_lat, area.max_lon, area.max_lat):
        return Bounds(area.min_lon, area.min_lat, area.max_lon, area.max_lat)  # type: ignore[arg-type]
    box = Area.objects.filter(code_prefix_q("code", _prefix(area)), min_lon__isnull=False).aggregate(
        west=Min("min_lon"), south=Min("min_lat"), east=Max("max_lon"), north=Max("max_lat")
    )
    if box["west"] is None:
        return None
    return Bounds(box["west"], box["south"], box["east"], box["north"])


# ── periods ──────────────────────────────────────────────────────────────────────────────────


def local_day(moment: datetime) -> date:
    return to_local(moment).date()


def day_start(day: date) -> datetime:
    """Local midnight at the start of `day`, aware."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_TIMEZONE)


@dataclass(frozen=True)
class Window:
    """Whole local days [start, end): the last `days` days up to and including today."""

    days: tuple[date, ...]
    start: datetime
    end: datetime


def window_of(moment: datetime, days: int = WINDOW_DAYS) -> Window:
    today = local_day(moment)
    dates = tuple(today - timedelta(days=offset) for offset in reversed(range(days)))
    return Window(dates, day_start(dates[0]), day_start(today + timedelta(days=1)))


# ── what a query counts ──────────────────────────────────────────────────────────────────────


def cases_in(area: Area) -> QuerySet[Case]:
    """Cases located in `area` or anywhere below it."""
    return Case.objects.filter(period_prefix_q("area__code", _prefix(area)))


def _events_in(area: Area) -> Q:
    return period_prefix_q("area_code", _prefix(area))


# ── the figures ──────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Summary:
    day: date
    window_start: datetime
    window_end: datetime
    intake_today: int
    open_now: int
    overdue_now: int
    closed_today: int
    on_time_closure_rate: Fraction | None  # 按期结案率 = closed_on_time / due_for_closing
    closed_on_time: int
    due_for_closing: int
    satisfaction_rate: Fraction | None  # 满意率 = satisfied / ratings
    satisfied: int
    ratings: int


def summary(scope: Scope, area: Area, moment: datetime) -> Summary:
    """The tiles: today's intake, open and overdue now, closed today, and the 30-day rates."""
    _check(scope, area)
    today = local_day(moment)
    start, end = day_start(today), day_start(today + timedelta(days=1))
    # Two reads, each narrowed by an index (reported_at; area and status), rather than one pass
    # over every case the area ever had.
    intake_today = cases_in(area).filter(reported_at__gte=start, reported_at__lt=end).count()
    now_counts = (
        cases_in(area)
        .filter(status__in=OPEN_STATUSES)
        .aggregate(open_now=Count("id"), overdue_now=Count("id", filter=Q(light=Light.RED)))
    )
    window = window_of(moment)
    # The tiles show no count of cases overdue at a period's end: activity_counts leaves it out.
    closed_today = activity_counts(scope, area, start, end).closed
    counts = activity_counts(scope, area, window.start, window.end)
    rates = compute_rates(counts)
    return Summary(
        day=today,
        window_start=window.start,
        window_end=window.end,
        intake_today=intake_today,
        open_now=now_counts["open_now"],
        overdue_now=now_counts["overdue_now"],
        closed_today=closed_today,
        on_time_closure_rate=rates.on_time_closure_rate,
        closed_on_time=counts.closed_on_time,
        due_for_closing=counts.due_for_closing,
        satisfaction_rate=rates.satisfaction_rate,
        satisfied=counts.satisfied,
        ratings=counts.ratings,
    )


@dataclass(frozen=True)
class AreaFigure:
    code: str
    open: int
    overdue: int


@dataclass(frozen=True)
class AreaFigures:
    parent: Area
    level: Level
    items: list[AreaFigure]  # only the areas with an open case, by code
    outside_open: int  # open cases of the parent placed in no area of `level` (located only higher up)
    outside_overdue: int


def area_figures(
    scope: Scope, parent: Area, level: str | None = None, bbox: Bounds | None = None
) -> AreaFigures:
    """Open and overdue cases per area of `level` under `parent` (default: the next level down),
    optionally only the areas whose box meets `bbox`: one GROUP BY over the case codes cut to the
    level's prefix, plus one read of the areas in the box."""
    _check(scope, parent)
    try:
        wanted = Level(level) if level else (child_level(parent) or Level(parent.level))
        parent_level = Level(parent.level)
    except ValueError as error:
        raise CockpitQueryInvalid(details={"level": level}) from error
    if wanted not in MAP_LEVELS or PREFIX_LENGTH[wanted] < PREFIX_LENGTH[parent_level]:
        raise CockpitQueryInvalid(details={"level": wanted.value, "parent": parent.code})
    length = PREFIX_LENGTH[wanted]
    rows = (
        cases_in(parent)
        .filter(status__in=OPEN_STATUSES)
        .annotate(unit=Substr("area_id", 1, length))
        .values("unit")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(light=Light.RED)))
        .order_by()
    )
    items: dict[str, AreaFigure] = {}
    outside_open = outside_overdue = 0
    for row in rows:
        unit = row["unit"] or ""
        if len(unit) == length and unit[length - SEGMENT_WIDTH[wanted] :].strip("0"):
            code = unit.ljust(full_length(wanted), "0")
            items[code] = AreaFigure(code, row["open"], row["overdue"])
        else:
            outside_open += row["open"]
            outside_overdue += row["overdue"]
    if bbox is not None:
        shown = set(
            Area.objects.filter(
                code_prefix_q("code", _prefix(parent)),
                level=wanted,
                min_lon__lte=bbox.east,
                max_lon__gte=bbox.west,
                min_lat__lte=bbox.north,
                max_lat__gte=bbox.south,
            ).values_list("code", flat=True)
        )
        items = {code: item for code, item in items.items() if code in shown}
    return AreaFigures(
        parent, wanted, sorted(items.values(), key=lambda item: item.code), outside_open, outside_overdue
    )


@dataclass(frozen=True)
class DayFigures:
    day: date
    reported: int
    closed: int
    overdue: int  # red and not handled at the end of the day


def trends(scope: Scope, area: Area, moment: datetime) -> list[DayFigures]:
    """Per local day of the last 30: reported, closed, and overdue at the end of the day (four queries)."""
    _check(scope, area)
    window = window_of(moment)
    reported = dict(
        cases_in(area)
        .filter(reported_at__gte=window.start, reported_at__lt=window.end)
        .annotate(day=TruncDate("reported_at", tzinfo=LOCAL_TIMEZONE))
        .values("day")
        .annotate(number=Count("id"))
        .order_by()
        .values_list("day", "number")
    )
    closed = dict(
        CaseEvent.objects.filter(
            _events_in(area), action="close", occurred_at__gte=window.start, occurred_at__lt=window.end
        )
        .annotate(day=TruncDate("occurred_at", tzinfo=LOCAL_TIMEZONE))
        .values("day")
        .annotate(number=Count("case_id", distinct=True))
        .order_by()
        .values_list("day", "number")
    )
    overdue = _overdue_at_day_ends(area, window)
    return [
        DayFigures(day, reported.get(day, 0), closed.get(day, 0), overdue[index])
        for index, day in enumerate(window.days)
    ]


def _overdue_at_day_ends(area: Area, window: Window) -> list[int]:
    """Cases red and not handled at the end of each day, as evaluation counts them at a period's end:
    the cases overdue when the window opens, then every overdue mark and every event that ends one
    (evaluation.queries.ENDS_OVERDUE) during the window, replayed in time order."""
    overdue = overdue_open_case_ids(area, window.start)
    # Only the cases open now or changed since the window opened can change colour in it (the
    # others have no event in it: see may_be_overdue_at).
    ever_overdue = CaseEvent.objects.filter(
        _events_in(area),
        may_be_overdue_at(window.start),
        action=OVERDUE,
        occurred_at__lt=window.end,
    ).values("case_id")
    changes = sorted(
        CaseEvent.objects.filter(
            _events_in(area),
            Q(action=OVERDUE) | ENDS_OVERDUE,
            occurred_at__gte=window.start,
            occurred_at__lt=window.end,
            case_id__in=ever_overdue,
        ).values_list("occurred_at", "action", "case_id"),
        # At the same instant the end wins, as in evaluation (an end not before the mark clears it).
        key=lambda change: (change[0], change[1] != OVERDUE),
    )
    result: list[int] = []
    position = 0
    for day in window.days:
        day_end = day_start(day + timedelta(days=1))
        while position < len(changes) and changes[position][0] < day_end:
            _moment, action, case_id = changes[position]
            if action == OVERDUE:
                overdue.add(case_id)
            else:
                overdue.discard(case_id)
            position += 1
        result.append(len(overdue))
    return result


@dataclass(frozen=True)
class Share:
    key: str
    name: str
    count: int


@dataclass(frozen=True)
class Breakdown:
    start: datetime
    end: datetime
    total: int
    items: list[Share]  # largest first


def categories(scope: Scope, area: Area, moment: datetime, limit: int = 10) -> Breakdown:
    """The cases reported in the last 30 days by first-level category (大类), largest first; the
    rest beyond `limit` are left out of `items` but counted in `total`."""
    _check(scope, area)
    window = window_of(moment)
    by_category = (
        cases_in(area)
        .filter(reported_at__gte=window.start, reported_at__lt=window.end)
        .values("category_id")
        .annotate(number=Count("id"))
        .order_by()
    )
    numbers = {row["category_id"]: row["number"] for row in by_category}
    codes = dict(
        CaseCategory.objects.filter(pk__in=[pk for pk in numbers if pk is not None]).values_list("pk", "code")
    )
    # A category code is the scheme letter and two digits per level: E0102 lies in E01.
    top_codes = {pk: code[:3] for pk, code in codes.items()}
    names = dict(CaseCategory.objects.filter(code__in=set(top_codes.values())).values_list("code", "name"))
    totals: dict[str, int] = defaultdict(int)
    for pk, number in numbers.items():
        totals[top_codes.get(pk, "") if pk is not None else ""] += number
    shares = [
        Share(code, names.get(code, code) if code else str(UNCATEGORISED), number)
        for code, number in totals.items()
    ]
    shares.sort(key=lambda share: (-share.count, share.key))
    return Breakdown(window.start, window.end, sum(numbers.values()), shares[:limit])


def sources(scope: Scope, area: Area, moment: datetime) -> Breakdown:
    """The cases reported in the last 30 days by channel (12345, web, grid patrol, sensors …)."""
    _check(scope, area)
    window = window_of(moment)
    rows = (
        cases_in(area)
        .filter(reported_at__gte=window.start, reported_at__lt=window.end)
        .values("source")
        .annotate(number=Count("id"))
        .order_by()
    )
    labels = dict(CaseSource.choices)
    shares = [
        Share(row["source"], str(labels.get(row["source"], row["source"])), row["number"]) for row in rows
    ]
    shares.sort(key=lambda share: (-share.count, share.key))
    return Breakdown(window.start, window.end, sum(share.count for share in shares), shares)


@dataclass(frozen=True)
class HotSpot:
    code: str
    name: str
    level: str
    count: int
    top_category: str  # the category most reported there ("" when none has one)
    top_category_count: int
    centre: tuple[float, float] | None  # lon, lat
    bounds: Bounds | None


def hot_spots(scope: Scope, area: Area, moment: datetime, limit: int = 10) -> list[HotSpot]:
    """The grids (or the smallest areas cases were placed in) with the most cases reported in the
    last 7 local days, each with its most reported category: three queries."""
    _check(scope, area)
    window = window_of(moment, HOT_SPOT_DAYS)
    recent = cases_in(area).filter(reported_at__gte=window.start, reported_at__lt=window.end)
    top = list(
        recent.values("area_id").annotate(number=Count("id")).order_by("-number", "area_id")[: max(limit, 0)]
    )
    codes = [row["area_id"] for row in top]
    best: dict[str, tuple[int, int | None]] = {}
    for row in (
        recent.filter(area_id__in=codes)
        .values("area_id", "category_id")
        .annotate(number=Count("id"))
        .order_by("area_id", "-number", "category_id")
    ):
        if row["area_id"] not in best and row["category_id"] is not None:
            best[row["area_id"]] = (row["number"], row["category_id"])
    category_names = dict(
        CaseCategory.objects.filter(pk__in=[pk for _n, pk in best.values()]).values_list("pk", "name")
    )
    areas = {item.code: item for item in Area.objects.filter(code__in=codes)}
    spots: list[HotSpot] = []
    for row in top:
        place = areas[row["area_id"]]
        number, category_id = best.get(place.code, (0, None))
        centre = (
            (place.centre_lon, place.centre_lat)
            if place.centre_lon is not None and place.centre_lat is not None
            else None
        )
        spots.append(
            HotSpot(
                code=place.code,
                name=place.name,
                level=place.level,
                count=row["number"],
                top_category=category_names.get(category_id, "") if category_id is not None else "",
                top_category_count=number,
                centre=centre,
                bounds=bounds_of(place) if place.min_lon is not None else None,
            )
        )
    return spots


# ── the live feed ────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class FeedItem:
    id: int
    number: str
    title: str
    reported_at: datetime
    area_code: str
    area_name: str
    category: str
    source: str
    source_label: str
    status: str
    light: str
    lon: float | None
    lat: float | None


def _feed_item(case: Case, source_labels: dict[str, str]) -> FeedItem:
    return FeedItem(
        id=case.pk,
        number=case.number,
        title=case.title,
        reported_at=case.reported_at,
        area_code=case.area_id or "",
        area_name=case.area.name if case.area else "",
        category=case.category.name if case.category else "",
        source=case.source,
        source_label=source_labels.get(case.source, case.source),
        status=case.status,
        light=case.light,
        lon=case.lon,
        lat=case.lat,
    )


def _check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_FEED_LIMIT:
        raise CockpitQueryInvalid(details={"limit": limit, "max": MAX_FEED_LIMIT})
    return limit


# The newest ids the feed reads by primary key before it falls back to the area's own index.
RECENT_IDS = 5000
# The recent cases name their grid; its boundary stays unread.
LIGHT_AREA = boundaries_left_out("area")


def _by_id_in(area: Area) -> QuerySet[Case]:
    """The area's cases, filtered in a form no index answers, so that an id range drives the query:
    the database walks the primary key from the cursor (a stream's poll finds its few new rows at
    once) instead of sorting every case the area ever had by id."""
    prefix = _prefix(area)
    return Case.objects.annotate(area_prefix=Substr("area_id", 1, len(prefix))).filter(area_prefix=prefix)


def _latest(area: Area, limit: int) -> list[Case]:
    top = Case.objects.aggregate(last=Max("id"))["last"] or 0
    recent = (
        _by_id_in(area).filter(pk__gt=top - RECENT_IDS).select_related("area", "category").defer(*LIGHT_AREA)
    )
    cases = list(recent.order_by("-id")[:limit])
    if len(cases) < limit and top > RECENT_IDS:  # a quiet area: its own index range is short
        cases = list(
            cases_in(area).select_related("area", "category").defer(*LIGHT_AREA).order_by("-id")[:limit]
        )
    return cases


def latest_cases(scope: Scope, area: Area, limit: int = FEED_LIMIT) -> list[FeedItem]:
    """The newest cases of the area, newest first (the feed when a page opens)."""
    _check(scope, area)
    labels = {key: str(label) for key, label in CaseSource.choices}
    return [_feed_item(case, labels) for case in _latest(area, _check_limit(limit))]


def cases_after(scope: Scope, area: Area, after_id: int, limit: int = MAX_FEED_LIMIT) -> list[FeedItem]:
    """The area's cases with an id above `after_id`, oldest first (what a stream sends next).

    Ids grow with every report, so a client that remembers the last id it saw misses nothing and
    gets nothing twice (on SQLite reports commit in id order; docs/cockpit.md says where not).
    """
    _check(scope, area)
    labels = {key: str(label) for key, label in CaseSource.choices}
    cases = (
        _by_id_in(area)
        .filter(pk__gt=after_id)
        .select_related("area", "category")
        .defer(*LIGHT_AREA)
        .order_by("id")[: _check_limit(limit)]
    )
    return [_feed_item(case, labels) for case in cases]


def latest_case_id(scope: Scope, area: Area) -> int:
    """The highest case id in the area (0 with none): where a stream without a cursor starts."""
    _check(scope, area)
    newest = _latest(area, 1)
    return newest[0].pk if newest else 0


# ── everything at once ───────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Overview:
    area: Area
    breadcrumb: list[Area]
    child_level: Level | None
    bounds: Bounds | None
    summary: Summary
    trends: list[DayFigures]
    categories: Breakdown
    sources: Breakdown
    hot_spots: list[HotSpot]


def overview(scope: Scope, area: Area, moment: datetime) -> Overview:
    """What the cockpit page shows for `area`, in one call (the page refreshes it every minute)."""
    _check(scope, area)
    return Overview(
        area=area,
        breadcrumb=breadcrumb(scope, area),
        child_level=child_level(area),
        bounds=bounds_of(area),
        summary=summary(scope, area, moment),
        trends=trends(scope, area, moment),
        categories=categories(scope, area, moment),
        sources=sources(scope, area, moment),
        hot_spots=hot_spots(scope, area, moment),
    )


# ── hot issues (热点问题): clusters of cases about one concrete problem ─────────────────────────


def hot_issues(user: User, area: Area, *, days: int = 7, top: int = 5) -> list[HotIssueCases]:
    """The hottest issues in `area` among the cases `user` can see (cached while they are unchanged)."""
    return hot_issues_for(user, within=area.code, days=days, top=top)
