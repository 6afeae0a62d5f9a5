"""The working calendar (工作日历): turning a time limit into a due time. No database, no Django.

A `WorkingCalendar` holds the working periods of a working day (by default 08:30–12:00 and
13:30–17:30, the day of most Chinese government offices), the weekend days, the public holidays
(放假) and the make-up working days (调休上班, a Saturday or Sunday that is worked). Working periods
are wall-clock times in the calendar's time zone (Asia/Shanghai); every moment going in must be
aware, and every moment coming out is aware UTC.

The four units of a time limit (docs/time-limits.md):

- 工作时 `working_hours`: only minutes inside the working periods of working days count. A start
  outside working time begins at the next working minute; a limit that ends exactly at the end of
  a period ends there (12:00, 17:30), not at the start of the next one.
- 工作日 `working_days`: a whole number N. From a start inside the working day (between the first
  period's start and the last period's end, the lunch break included) the limit ends at the same
  local time on the Nth following working day: N = 1 from 10:00 on Tuesday ends at 10:00 on
  Wednesday, or on the next working day after a holiday. From a start outside it (after hours, before
  hours, on a weekend or holiday) the clock starts with the next working day that begins after
  the start, which counts as day 1, and the limit ends at the close of the Nth working day: N = 1 from
  19:00 on Tuesday ends at 17:30 on Wednesday; from 07:00 on Tuesday, at 17:30 on Tuesday. Either way
  exactly N working days of working time lie between the start and the due time.
- 自然时 `natural_hours`: elapsed time, nights and holidays included.
- 自然日 `natural_days`: the same local time N calendar days later.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise

from gridgov.core.clock import LOCAL_TIMEZONE

# A working day and the steps of a search for the next one: a calendar that has no working day in
# ten years is broken, and the search says so instead of looping for ever.
MAX_SEARCH_DAYS = 3660
ONE_DAY = timedelta(days=1)

Amount = Decimal | int | float


class CalendarError(ValueError):
    """A calendar that cannot work, or an amount or a moment it cannot use (naive, negative)."""


class TimeUnit(StrEnum):
    """The unit of a time limit; the catalogue's TimeLimit.unit stores these values."""

    WORKING_HOURS = "working_hours"  # 工作时
    WORKING_DAYS = "working_days"  # 工作日
    NATURAL_HOURS = "natural_hours"  # 自然时
    NATURAL_DAYS = "natural_days"  # 自然日

    @property
    def counts_working_time(self) -> bool:
        return self in (TimeUnit.WORKING_HOURS, TimeUnit.WORKING_DAYS)


class Light(StrEnum):
    """The traffic light of a running limit (DESIGN.md §3)."""

    GREEN = "green"  # under the warning threshold (80 %)
    YELLOW = "yellow"  # from the threshold to the due time
    RED = "red"  # at or past the due time


@dataclass(frozen=True, order=True)
class Period:
    """One working period of a working day, in local wall-clock time: [start, end)."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise CalendarError("working periods are local wall-clock times without a time zone")
        if not self.start < self.end:
            raise CalendarError(f"a working period must end after it starts: {self.start}–{self.end}")

    @property
    def length(self) -> timedelta:
        return datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)


DEFAULT_PERIODS: tuple[Period, ...] = (
    Period(time(8, 30), time(12, 0)),
    Period(time(13, 30), time(17, 30)),
)
# date.weekday(): Monday is 0, Saturday 5, Sunday 6.
DEFAULT_WEEKEND_DAYS: frozenset[int] = frozenset({5, 6})


def amount_to_timedelta(amount: Amount, unit_length: timedelta) -> timedelta:
    """`amount` units of `unit_length`, exact to the microsecond (0.1 h is 360 s, not 359.99…)."""
    value = Decimal(str(amount)) if isinstance(amount, float) else Decimal(amount)
    micros = value * (unit_length // timedelta(microseconds=1))
    return timedelta(microseconds=int(micros.to_integral_value()))


def _non_negative(amount: Amount) -> Decimal:
    value = Decimal(str(amount)) if isinstance(amount, float) else Decimal(amount)
    if not value.is_finite() or value < 0:
        raise CalendarError(f"a time limit cannot be negative or infinite: {amount!r}")
    return value


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise CalendarError("naive datetime: the calendar only takes aware datetimes")
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class WorkingCalendar:
    """Working periods, weekend days, holidays and make-up working days: a value, equal by content."""

    periods: tuple[Period, ...] = DEFAULT_PERIODS
    weekend_days: frozenset[int] = DEFAULT_WEEKEND_DAYS
    holidays: frozenset[date] = frozenset()
    makeup_workdays: frozenset[date] = frozenset()
    timezone: tzinfo = field(default=LOCAL_TIMEZONE)

    def __post_init__(self) -> None:
        periods = tuple(sorted(self.periods))
        if not periods:
            raise CalendarError("a working calendar needs at least one working period")
        for before, after in pairwise(periods):
            if after.start < before.end:
                raise CalendarError(f"working periods overlap: {before.start}–{before.end}, {after.start}")
        object.__setattr__(self, "periods", periods)
        object.__setattr__(self, "weekend_days", frozenset(self.weekend_days))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "makeup_workdays", frozenset(self.makeup_workdays))
        if not self.weekend_days <= set(range(7)):
            raise CalendarError("weekend days are numbered 0 (Monday) to 6 (Sunday)")
        if len(self.weekend_days) == 7 and not self.makeup_workdays:
            raise CalendarError("a calendar whose every day is a weekend day has no working day")
        both = self.holidays & self.makeup_workdays
        if both:
            raise CalendarError(f"dates both holiday and make-up working day: {sorted(both)}")

    # ------------------------------------------------------------------------------------- days

    def is_working_day(self, day: date) -> bool:
        """A make-up day is worked, a holiday is not, otherwise every day but the weekend is."""
        if day in self.makeup_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() not in self.weekend_days

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        for offset in range(1, MAX_SEARCH_DAYS + 1):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise CalendarError(f"no working day within {MAX_SEARCH_DAYS} days after {day}")

    @property
    def working_day_length(self) -> timedelta:
        """The working time of one working day (7 h 30 min with the default periods)."""
        return sum((period.length for period in self.periods), timedelta())

    def local_date(self, moment: datetime) -> date:
        return _aware(moment).astimezone(self.timezone).date()

    # ---------------------------------------------------------------------------- working time

    def _at(self, day: date, clock: time) -> datetime:
        """Local wall-clock `clock` on `day`, in UTC (each day's own UTC offset, DST or not)."""
        return datetime.combine(day, clock, tzinfo=self.timezone).astimezone(UTC)

    def _intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working periods of `day` as UTC intervals; none on a day off."""
        if not self.is_working_day(day):
            return []
        return [(self._at(day, period.start), self._at(day, period.end)) for period in self.periods]

    def _intervals_from(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        for offset in range(MAX_SEARCH_DAYS + 1):
            yield from self._intervals(day + timedelta(days=offset))
        raise CalendarError(f"no working time within {MAX_SEARCH_DAYS} days after {day}")

    def is_working_time(self, moment: datetime) -> bool:
        moment = _aware(moment)
        return any(begin <= moment < end for begin, end in self._intervals(self.local_date(moment)))

    def next_working_moment(self, moment: datetime) -> datetime:
        """`moment` itself when it is working time, else the start of the next working period."""
        moment = _aware(moment)
        # The day before too: a period of yesterday's local date could still be running in another zone.
        for begin, end in self._intervals_from(self.local_date(moment) - ONE_DAY):
            if end > moment:
                return max(begin, moment)
        raise AssertionError("unreachable: _intervals_from raises when it runs out")  # pragma: no cover

    def add_working_hours(self, start: datetime, hours: Amount) -> datetime:
        """The moment `hours` of working time after `start` (a start outside working time waits).

        0 hours is the next working moment: `start` itself in working time.
        """
        remaining = amount_to_timedelta(_non_negative(hours), timedelta(hours=1))
        cursor = _aware(start)
        for begin, end in self._intervals_from(self.local_date(cursor) - ONE_DAY):
            if end <= cursor:
                continue
            begin = max(begin, cursor)
            available = end - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise AssertionError("unreachable: _intervals_from raises when it runs out")  # pragma: no cover

    def add_working_days(self, start: datetime, days: Amount) -> datetime:
        """N working days after `start`, by the rule in the module docstring (0: the next working moment)."""
        value = _non_negative(days)
        if value != value.to_integral_value():
            raise CalendarError(f"working days must be a whole number, not {days!r}")
        count = int(value)
        if count == 0:
            return self.next_working_moment(start)
        local = _aware(start).astimezone(self.timezone)
        today, clock = local.date(), local.time()
        opens, closes = self.periods[0].start, self.periods[-1].end
        if self.is_working_day(today) and opens <= clock < closes:
            day = today
            for _ in range(count):
                day = self.next_working_day(day)
            return self._at(day, clock)
        day = today if self.is_working_day(today) and clock < opens else self.next_working_day(today)
        for _ in range(count - 1):
            day = self.next_working_day(day)
        return self._at(day, closes)

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        """Seconds of working time in [start, end); 0 when `end` is not after `start`."""
        start, end = _aware(start), _aware(end)
        if end <= start:
            return 0.0
        total = timedelta()
        day, last = self.local_date(start) - ONE_DAY, self.local_date(end)
        while day <= last:
            for begin, finish in self._intervals(day):
                low, high = max(begin, start), min(finish, end)
                if high > low:
                    total += high - low
            day += ONE_DAY
        return total.total_seconds()

    # ---------------------------------------------------------------------------- natural time

    def add_natural_hours(self, start: datetime, hours: Amount) -> datetime:
        """Elapsed time: nights, weekends and holidays count."""
        return _aware(start) + amount_to_timedelta(_non_negative(hours), timedelta(hours=1))

    def add_natural_days(self, start: datetime, days: Amount) -> datetime:
        """The same local wall-clock time `days` calendar days later."""
        local = _aware(start).astimezone(self.timezone)
        # Adding to an aware datetime keeps its wall clock; astimezone then finds that day's offset.
        return (local + amount_to_timedelta(_non_negative(days), ONE_DAY)).astimezone(UTC)

    # ------------------------------------------------------------------------------ any limit

    def due_at(self, start: datetime, amount: Amount, unit: TimeUnit | str) -> datetime:
        """When a limit of `amount` `unit` that starts at `start` runs out (aware UTC)."""
        unit = TimeUnit(unit)
        if unit is TimeUnit.WORKING_HOURS:
            return self.add_working_hours(start, amount)
        if unit is TimeUnit.WORKING_DAYS:
            return self.add_working_days(start, amount)
        if unit is TimeUnit.NATURAL_HOURS:
            return self.add_natural_hours(start, amount)
        return self.add_natural_days(start, amount)

    def elapsed_fraction(self, start: datetime, due: datetime, now: datetime, unit: TimeUnit | str) -> float:
        """How much of the limit has run at `now`: 0 at the start, 1 at the due time, above 1 past it.

        Working units count working time only, so a limit does not turn yellow over a weekend. Past the
        due time in non-working time the fraction stays at 1: ask `traffic_light` (or compare `now`
        with `due`) to tell "due" from "overdue".
        """
        if TimeUnit(unit).counts_working_time:
            total = self.working_seconds_between(start, due)
            elapsed = self.working_seconds_between(start, now)
        else:
            total = (_aware(due) - _aware(start)).total_seconds()
            elapsed = (_aware(now) - _aware(start)).total_seconds()
        if total <= 0:
            return 1.0 if _aware(now) >= _aware(due) else 0.0
        return max(0.0, elapsed / total)

    def traffic_light(
        self, start: datetime, due: datetime, now: datetime, unit: TimeUnit | str, *, warn_at: float = 0.8
    ) -> Light:
        """Green under `warn_at` of the limit, yellow from there to the due time, red from the due time."""
        if _aware(now) >= _aware(due):
            return Light.RED
        return Light.YELLOW if self.elapsed_fraction(start, due, now, unit) >= warn_at else Light.GREEN
