"""Time limits of a case: which limit applies, when it falls due, and its traffic light.

A thin layer over the catalogue's matter rules (time-limit table) and working calendar, so the
actions ask one question ("when is this step due?") and never do calendar arithmetic themselves.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from gridgov.catalogue.calendar import TimeUnit, WorkingCalendar
from gridgov.catalogue.models import CaseCategory
from gridgov.catalogue.queries import current_calendar, rule_for

WARNING_FRACTION = 0.8  # yellow at 80 % of the limit (DESIGN §3)


@dataclass(frozen=True)
class Limit:
    amount: float
    unit: str

    @property
    def is_working_time(self) -> bool:
        return self.unit in (TimeUnit.WORKING_HOURS, TimeUnit.WORKING_DAYS)


@dataclass(frozen=True)
class Schedule:
    started_at: datetime
    warn_at: datetime
    due_at: datetime


def limit_for(category: CaseCategory | None, step: str, *, urgent: bool, level: str | None = None) -> Limit:
    """The limit of `step` for the category at the case's handling level (四级响应: each level may
    have its own limits)."""
    rule = rule_for(category)
    amount, unit = rule.limit(step, urgent=urgent, level=level)
    return Limit(float(amount), str(unit))


def schedule(start: datetime, limit: Limit, calendar: WorkingCalendar | None = None) -> Schedule:
    calendar = calendar or current_calendar()
    due = calendar.due_at(start, limit.amount, TimeUnit(limit.unit))
    return Schedule(start, warn_point(start, due, limit, calendar), due)


def warn_point(
    start: datetime, due: datetime, limit: Limit, calendar: WorkingCalendar | None = None
) -> datetime:
    """80 % of the way from start to due, counted in working time when the limit is."""
    calendar = calendar or current_calendar()
    if limit.is_working_time:
        seconds = calendar.working_seconds_between(start, due)
        return calendar.add_working_hours(start, WARNING_FRACTION * seconds / 3600)
    return start + (due - start) * WARNING_FRACTION


def remaining_working_seconds(now: datetime, due: datetime, calendar: WorkingCalendar | None = None) -> float:
    calendar = calendar or current_calendar()
    if due <= now:
        return 0.0
    return float(calendar.working_seconds_between(now, due))


def resume_due(now: datetime, remaining_seconds: float, calendar: WorkingCalendar | None = None) -> datetime:
    calendar = calendar or current_calendar()
    return calendar.add_working_hours(now, remaining_seconds / 3600)


def extend_due(
    due: datetime, extra_working_hours: float, calendar: WorkingCalendar | None = None
) -> datetime:
    calendar = calendar or current_calendar()
    return calendar.add_working_hours(due, extra_working_hours)


def light_at(started_at: datetime | None, due_at: datetime | None, unit: str, now: datetime) -> str:
    """green below 80 % of the limit, yellow from 80 % to 100 %, red past it ('' when none runs)."""
    if started_at is None or due_at is None:
        return ""
    if now >= due_at:
        return "red"
    if Limit(0, unit).is_working_time:
        calendar = current_calendar()
        total = float(calendar.working_seconds_between(started_at, due_at))
        used = float(calendar.working_seconds_between(started_at, now))
    else:
        total = (due_at - started_at).total_seconds()
        used = (now - started_at).total_seconds()
    return "yellow" if total > 0 and used / total >= WARNING_FRACTION else "green"


def natural(hours: float) -> timedelta:
    return timedelta(hours=hours)
