from datetime import date, datetime

from ninja import Schema


class AreaRefOut(Schema):
    code: str
    name: str
    level: str


class BoundsOut(Schema):
    """[west, south, east, north] in the map's coordinate system."""

    west: float
    south: float
    east: float
    north: float


class SummaryOut(Schema):
    """The tiles. Rates are fractions from 0 to 1 (null: nothing to divide), with their counts."""

    area: AreaRefOut
    day: date  # the local day "today" means (Asia/Shanghai)
    window_start: datetime  # the 30 local days of the rates, today included: [start, end)
    window_end: datetime
    intake_today: int
    open_now: int
    overdue_now: int
    closed_today: int
    on_time_closure_rate: float | None
    closed_on_time: int
    due_for_closing: int
    satisfaction_rate: float | None
    satisfied: int
    ratings: int


class AreaFigureOut(Schema):
    code: str
    open: int
    overdue: int


class AreaFiguresOut(Schema):
    parent: AreaRefOut
    level: str
    items: list[AreaFigureOut]
    outside_open: int
    outside_overdue: int


class DayOut(Schema):
    day: date
    reported: int
    closed: int
    overdue: int


class TrendsOut(Schema):
    area: AreaRefOut
    days: list[DayOut]


class ShareOut(Schema):
    key: str
    name: str
    count: int


class BreakdownOut(Schema):
    area: AreaRefOut
    start: datetime
    end: datetime
    total: int
    items: list[ShareOut]


class HotSpotOut(Schema):
    code: str
    name: str
    level: str
    count: int
    top_category: str
    top_category_count: int
    centre: list[float] | None  # [lon, lat]
    bounds: BoundsOut | None


class HotSpotsOut(Schema):
    area: AreaRefOut
    items: list[HotSpotOut]


class FeedItemOut(Schema):
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


class FeedOut(Schema):
    area: AreaRefOut
    items: list[FeedItemOut]  # newest first
    last_id: int  # the highest id in `items` (else `after`): where to go on from (?after=, the stream)


class OverviewOut(Schema):
    area: AreaRefOut
    breadcrumb: list[AreaRefOut]
    child_level: str | None
    bounds: BoundsOut | None
    summary: SummaryOut
    trends: list[DayOut]
    categories: BreakdownOut
    sources: BreakdownOut
    hot_spots: list[HotSpotOut]


class HotIssueCaseOut(Schema):
    id: int
    number: str
    title: str
    status: str
    reported_at: datetime


class HotIssueOut(Schema):
    label: str
    place: str
    keywords: list[str]
    heat: float
    cases: int
    reporters: int
    likes: int
    first_at: datetime
    last_at: datetime
    open_cases: int
    items: list[HotIssueCaseOut]


class HotIssuesOut(Schema):
    area: AreaRefOut
    days: int
    items: list[HotIssueOut]
