"""The working calendar: pure arithmetic (table-driven, exact times), then the calendar in the database."""

import ast
import inspect
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.catalogue import calendar as calendar_module
from gridgov.catalogue.actions import load_calendar, load_catalogue
from gridgov.catalogue.calendar import (
    DEFAULT_PERIODS,
    CalendarError,
    Light,
    Period,
    TimeUnit,
    WorkingCalendar,
)
from gridgov.catalogue.datafiles import DATA_DIR
from gridgov.catalogue.errors import CatalogueDataInvalid
from gridgov.catalogue.models import HolidayDate, HolidayKind, WorkingPeriod
from gridgov.catalogue.queries import build_calendar, current_calendar
from gridgov.core.models import AuditEvent

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    """'2026-03-10 10:00' in Asia/Shanghai, as aware UTC."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI).astimezone(UTC)


def utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def days(start: str, end: str) -> set[date]:
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    return {first + timedelta(days=n) for n in range((last - first).days + 1)}


# The 2026 arrangement as data/calendar-2026.csv holds it (see data/SOURCES.md).
HOLIDAYS_2026 = (
    days("2026-01-01", "2026-01-03")
    | days("2026-02-15", "2026-02-23")
    | days("2026-04-04", "2026-04-06")
    | days("2026-05-01", "2026-05-05")
    | days("2026-06-19", "2026-06-21")
    | days("2026-09-25", "2026-09-27")
    | days("2026-10-01", "2026-10-07")
)
MAKEUP_2026 = {date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9)} | {
    date(2026, 9, 20),
    date(2026, 10, 10),
}
CAL = WorkingCalendar(holidays=frozenset(HOLIDAYS_2026), makeup_workdays=frozenset(MAKEUP_2026))


# ----------------------------------------------------------------------------------------- days


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-03-10", True),  # Tuesday
        ("2026-03-14", False),  # Saturday
        ("2026-03-15", False),  # Sunday
        ("2026-01-01", False),  # 元旦, Thursday
        ("2026-01-04", True),  # 元旦 make-up Sunday
        ("2026-02-14", True),  # 春节 make-up Saturday
        ("2026-02-23", False),  # 春节, Monday
        ("2026-02-28", True),  # 春节 make-up Saturday
        ("2026-05-05", False),  # 劳动节, Tuesday
        ("2026-05-09", True),  # 劳动节 make-up Saturday
        ("2026-09-20", True),  # 国庆节 make-up Sunday
        ("2026-09-25", False),  # 中秋节, Friday
        ("2026-10-07", False),  # 国庆节, Wednesday
        ("2026-10-08", True),  # Thursday after 国庆节
        ("2026-10-10", True),  # 国庆节 make-up Saturday
        ("2026-10-11", False),  # an ordinary Sunday
    ],
)
def test_is_working_day(day: str, working: bool) -> None:
    assert CAL.is_working_day(date.fromisoformat(day)) is working


def test_the_2026_arrangement_has_33_days_off_and_6_make_up_days() -> None:
    assert (len(HOLIDAYS_2026), len(MAKEUP_2026)) == (33, 6)
    assert all(day.weekday() >= 5 for day in MAKEUP_2026)
    working = [day for day in days("2026-01-01", "2026-12-31") if CAL.is_working_day(day)]
    # 261 weekdays in 2026, less the 19 holidays that fall on one, plus the 6 make-up days.
    assert len(HOLIDAYS_2026 - {day for day in HOLIDAYS_2026 if day.weekday() >= 5}) == 19
    assert len(working) == 261 - 19 + 6


def test_next_working_day_crosses_holidays() -> None:
    assert CAL.next_working_day(date(2026, 9, 30)) == date(2026, 10, 8)
    assert CAL.next_working_day(date(2026, 10, 9)) == date(2026, 10, 10)
    assert CAL.next_working_day(date(2026, 2, 13)) == date(2026, 2, 14)
    assert CAL.next_working_day(date(2026, 2, 14)) == date(2026, 2, 24)


# -------------------------------------------------------------------------------- working hours


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        ("2026-03-10 10:00", 1, "2026-03-10 11:00"),  # plain
        ("2026-03-10 10:00", 2, "2026-03-10 12:00"),  # ends at the lunch break, not after it
        ("2026-03-10 11:00", 2, "2026-03-10 14:30"),  # across the lunch break
        ("2026-03-10 12:15", 1, "2026-03-10 14:30"),  # a start in the lunch break waits for 13:30
        ("2026-03-10 16:00", Decimal("1.5"), "2026-03-10 17:30"),  # ends at the close
        ("2026-03-10 19:00", 1, "2026-03-11 09:30"),  # a start after hours waits for the morning
        ("2026-03-10 07:00", 2, "2026-03-10 10:30"),  # a start before hours waits for 08:30
        ("2026-03-13 16:00", 3, "2026-03-16 10:00"),  # Friday → Monday, across the weekend
        ("2026-03-14 10:00", 1, "2026-03-16 09:30"),  # a start on Saturday
        ("2026-03-10 10:00", Decimal("7.5"), "2026-03-11 10:00"),  # one whole working day
        ("2026-03-10 10:00", "0.25", "2026-03-10 10:15"),  # a quarter of an hour
        ("2026-03-10 10:00", 0, "2026-03-10 10:00"),  # nothing: the start itself, in working time
        ("2026-03-10 12:30", 0, "2026-03-10 13:30"),  # nothing, out of working time: the next minute
        ("2026-03-10 10:00", 4, "2026-03-10 15:30"),  # 暴露垃圾 urgent: 4 工作时
        ("2026-03-10 16:00", 5, "2026-03-11 12:00"),  # 道路不洁: 5 工作时 into the next morning
        # 国庆节: Tuesday 16:00 + 10 h = 1.5 h Tue + 7.5 h Wed + 1 h on Thursday 8 October.
        ("2026-09-29 16:00", 10, "2026-10-08 09:30"),
        ("2026-10-03 10:00", 4, "2026-10-08 14:00"),  # a start on a holiday
        ("2026-10-09 16:30", 2, "2026-10-10 09:30"),  # into the make-up Saturday
        ("2026-09-18 17:00", 1, "2026-09-20 09:00"),  # into the make-up Sunday
        ("2026-02-13 17:00", 9, "2026-02-24 09:30"),  # 春节: 0.5 h Fri, 7.5 h make-up Sat, then 24 Feb
    ],
)
def test_add_working_hours(start: str, hours: int | Decimal | str, due: str) -> None:
    assert CAL.add_working_hours(local(start), Decimal(hours)) == local(due)


def test_add_working_hours_takes_floats_exactly() -> None:
    assert CAL.add_working_hours(local("2026-03-10 10:00"), 0.1) == local("2026-03-10 10:06")
    # 80 % of a working day, as a caller computes a warning point: ends at the close, not next morning.
    assert CAL.add_working_hours(local("2026-03-10 10:00"), 0.8 * 27000 / 3600) == local("2026-03-10 17:30")


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        # 10:00 local is 02:00 UTC: the answer is aware UTC, whatever zone the start is in.
        ("2026-03-10 01:00", 1, "2026-03-10 02:00"),
        # Monday 23:00 UTC is Tuesday 07:00 in Shanghai: before hours on Tuesday, not after hours Monday.
        ("2026-03-09 23:00", 1, "2026-03-10 01:30"),
        # Tuesday 16:00 UTC is Wednesday 00:00 in Shanghai.
        ("2026-03-10 16:00", 1, "2026-03-11 01:30"),
        # Friday 17:00 UTC is Saturday 01:00 in Shanghai: Monday 09:30 local is 01:30 UTC.
        ("2026-03-13 17:00", 1, "2026-03-16 01:30"),
        # Wednesday 30 September 09:00 UTC is 17:00 local: 30 min left, then Thursday 8 October.
        ("2026-09-30 09:00", 1, "2026-10-08 01:00"),
    ],
)
def test_utc_in_utc_out(start: str, hours: int, due: str) -> None:
    result = CAL.add_working_hours(utc(start), hours)
    assert result == utc(due)
    assert result.tzinfo is UTC


def test_any_aware_start_is_accepted_and_naive_is_refused() -> None:
    eastern_eight = datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)
    assert CAL.add_working_hours(eastern_eight, 1) == utc("2026-03-10 03:00")
    with pytest.raises(CalendarError):
        CAL.add_working_hours(datetime(2026, 3, 10, 10, 0), 1)
    with pytest.raises(CalendarError):
        CAL.add_working_hours(eastern_eight, -1)


def test_china_has_no_daylight_saving_time() -> None:
    for month in range(1, 13):
        assert datetime(2026, month, 15, 12, tzinfo=SHANGHAI).utcoffset() == timedelta(hours=8)


def test_a_zone_with_daylight_saving_time_keeps_wall_clock_periods() -> None:
    # Europe/Berlin moves from +1 to +2 on Sunday 29 March 2026: the periods stay 08:30–17:30 local.
    berlin = WorkingCalendar(timezone=ZoneInfo("Europe/Berlin"))
    start = datetime(2026, 3, 27, 16, 30, tzinfo=ZoneInfo("Europe/Berlin"))  # Friday, 15:30 UTC
    due = berlin.add_working_hours(start, 2)
    assert due == utc("2026-03-30 07:30")  # Monday 09:30 CEST
    assert berlin.working_seconds_between(start, due) == 2 * 3600


# --------------------------------------------------------------------------------- working days


@pytest.mark.parametrize(
    ("start", "count", "due"),
    [
        ("2026-03-10 10:00", 1, "2026-03-11 10:00"),  # 10:00 Tuesday → 10:00 Wednesday
        ("2026-03-10 10:00", 3, "2026-03-13 10:00"),  # → Friday
        ("2026-03-12 10:00", 3, "2026-03-17 10:00"),  # Thursday → Tuesday, across the weekend
        ("2026-03-10 12:30", 1, "2026-03-11 12:30"),  # the lunch break is inside the working day
        ("2026-03-10 19:00", 1, "2026-03-11 17:30"),  # after hours: Wednesday is day 1
        ("2026-03-10 17:30", 1, "2026-03-11 17:30"),  # the close is after hours
        ("2026-03-10 07:00", 1, "2026-03-10 17:30"),  # before hours: Tuesday itself is day 1
        ("2026-03-14 10:00", 1, "2026-03-16 17:30"),  # Saturday: Monday is day 1
        ("2026-03-10 08:30", 15, "2026-03-31 08:30"),  # 私搭乱建: 15 工作日
        ("2026-09-30 10:00", 1, "2026-10-08 10:00"),  # the day before 国庆节 → the day after it
        ("2026-09-28 10:00", 5, "2026-10-10 10:00"),  # 29, 30 Sep, 8, 9 Oct, and make-up Saturday 10 Oct
        ("2026-09-18 10:00", 1, "2026-09-20 10:00"),  # Friday → the make-up Sunday
        ("2026-10-03 10:00", 1, "2026-10-08 17:30"),  # a start on a holiday
        ("2026-10-03 10:00", 2, "2026-10-09 17:30"),
        ("2026-02-13 10:00", 1, "2026-02-14 10:00"),  # 春节 make-up Saturday is a working day
        ("2026-02-13 10:00", 2, "2026-02-24 10:00"),
        ("2026-12-31 10:00", 1, "2027-01-01 10:00"),  # no 2027 data: 1 January 2027 counts as worked
    ],
)
def test_add_working_days(start: str, count: int, due: str) -> None:
    assert CAL.add_working_days(local(start), count) == local(due)


@pytest.mark.parametrize(
    "start",
    ["2026-03-10 08:30", "2026-03-10 10:00", "2026-03-10 19:00", "2026-09-29 15:00", "2026-10-04 09:00"],
)
@pytest.mark.parametrize("count", [1, 2, 5])
def test_n_working_days_hold_exactly_n_days_of_working_time(start: str, count: int) -> None:
    due = CAL.add_working_days(local(start), count)
    assert CAL.working_seconds_between(local(start), due) == count * 7.5 * 3600


def test_working_days_must_be_whole() -> None:
    with pytest.raises(CalendarError):
        CAL.add_working_days(local("2026-03-10 10:00"), Decimal("1.5"))
    assert CAL.add_working_days(local("2026-03-10 12:30"), 0) == local("2026-03-10 13:30")


# ------------------------------------------------------------------------------- natural time


def test_natural_hours_and_days_count_nights_and_holidays() -> None:
    # 井盖: 6 natural hours from Saturday 3 October 22:00, a holiday night.
    assert CAL.add_natural_hours(local("2026-10-03 22:00"), 6) == local("2026-10-04 04:00")
    assert CAL.add_natural_hours(local("2026-10-03 22:00"), 6) == utc("2026-10-03 20:00")
    assert CAL.add_natural_days(local("2026-02-13 10:00"), 2) == local("2026-02-15 10:00")
    assert CAL.add_natural_hours(local("2026-10-03 22:00"), Decimal("0.5")) == local("2026-10-03 22:30")


@pytest.mark.parametrize(
    ("amount", "unit", "due"),
    [
        (4, TimeUnit.WORKING_HOURS, "2026-10-08 11:00"),
        (1, TimeUnit.WORKING_DAYS, "2026-10-08 16:00"),
        (6, TimeUnit.NATURAL_HOURS, "2026-09-30 22:00"),
        (1, TimeUnit.NATURAL_DAYS, "2026-10-01 16:00"),
        (Decimal("1"), "working_days", "2026-10-08 16:00"),
    ],
)
def test_due_at_by_unit(amount: int | Decimal, unit: TimeUnit | str, due: str) -> None:
    # Wednesday 30 September 16:00, the last working afternoon before 国庆节.
    assert CAL.due_at(local("2026-09-30 16:00"), amount, unit) == local(due)


# ------------------------------------------------------------------------- elapsed and the light


@pytest.mark.parametrize(
    ("start", "end", "seconds"),
    [
        ("2026-03-10 10:00", "2026-03-11 10:00", 27000),  # one working day
        ("2026-03-10 11:00", "2026-03-10 14:00", 5400),  # 1 h before lunch, 30 min after
        ("2026-03-13 17:00", "2026-03-16 09:00", 3600),  # Friday evening → Monday morning
        ("2026-09-30 17:00", "2026-10-08 09:00", 3600),  # across 国庆节
        ("2026-10-02 00:00", "2026-10-07 23:59", 0),  # nothing but holidays
        ("2026-03-10 12:00", "2026-03-10 10:00", 0),  # the wrong way round
    ],
)
def test_working_seconds_between(start: str, end: str, seconds: int) -> None:
    assert CAL.working_seconds_between(local(start), local(end)) == seconds


@pytest.mark.parametrize(
    ("now", "unit", "fraction", "light"),
    [
        ("2026-03-10 10:00", TimeUnit.WORKING_DAYS, 0.0, Light.GREEN),
        ("2026-03-10 12:30", TimeUnit.WORKING_DAYS, 2 / 7.5, Light.GREEN),
        ("2026-03-10 17:30", TimeUnit.WORKING_DAYS, 0.8, Light.YELLOW),
        ("2026-03-10 23:00", TimeUnit.WORKING_DAYS, 0.8, Light.YELLOW),  # the night does not count
        ("2026-03-11 09:00", TimeUnit.WORKING_DAYS, 6.5 / 7.5, Light.YELLOW),
        ("2026-03-11 10:00", TimeUnit.WORKING_DAYS, 1.0, Light.RED),
        ("2026-03-11 11:00", TimeUnit.WORKING_DAYS, 8.5 / 7.5, Light.RED),
        # The same window counted in natural time: 24 h, of which 7.5 h after 10:00 is 31 %.
        ("2026-03-10 17:30", TimeUnit.NATURAL_HOURS, 7.5 / 24, Light.GREEN),
        ("2026-03-11 05:00", TimeUnit.NATURAL_HOURS, 19 / 24, Light.GREEN),
        ("2026-03-11 05:12", TimeUnit.NATURAL_HOURS, 0.8, Light.YELLOW),
    ],
)
def test_elapsed_fraction_and_traffic_light(now: str, unit: TimeUnit, fraction: float, light: Light) -> None:
    start, due = local("2026-03-10 10:00"), local("2026-03-11 10:00")
    assert CAL.elapsed_fraction(start, due, local(now), unit) == pytest.approx(fraction)
    assert CAL.traffic_light(start, due, local(now), unit) is light


def test_overdue_over_a_weekend_is_red_although_no_working_time_passed() -> None:
    start, due = local("2026-03-13 10:00"), local("2026-03-13 17:30")
    assert CAL.elapsed_fraction(start, due, local("2026-03-14 10:00"), TimeUnit.WORKING_HOURS) == 1.0
    assert CAL.traffic_light(start, due, local("2026-03-14 10:00"), TimeUnit.WORKING_HOURS) is Light.RED


# ---------------------------------------------------------------------------- the value object


def test_configurable_periods_and_weekend() -> None:
    # A six-day week with one long period.
    six_days = WorkingCalendar(periods=(Period(time(9), time(18)),), weekend_days=frozenset({6}))
    assert six_days.working_day_length == timedelta(hours=9)
    assert six_days.add_working_hours(local("2026-03-13 17:00"), 2) == local("2026-03-14 10:00")
    assert six_days.add_working_days(local("2026-03-14 10:00"), 1) == local("2026-03-16 10:00")
    assert CAL.working_day_length == timedelta(hours=7, minutes=30)


def test_periods_are_sorted_and_the_calendar_is_a_value() -> None:
    reversed_periods = WorkingCalendar(periods=tuple(reversed(DEFAULT_PERIODS)))
    assert reversed_periods.periods == DEFAULT_PERIODS
    assert reversed_periods == WorkingCalendar()
    assert hash(reversed_periods) == hash(WorkingCalendar())


@pytest.mark.parametrize(
    "build",
    [
        lambda: WorkingCalendar(periods=()),
        lambda: WorkingCalendar(periods=(Period(time(8), time(12)), Period(time(11), time(17)))),
        lambda: Period(time(12), time(8)),
        lambda: WorkingCalendar(weekend_days=frozenset(range(7))),
        lambda: WorkingCalendar(weekend_days=frozenset({7})),
        lambda: WorkingCalendar(
            holidays=frozenset({date(2026, 1, 4)}), makeup_workdays=frozenset({date(2026, 1, 4)})
        ),
    ],
)
def test_impossible_calendars_are_refused(build: object) -> None:
    with pytest.raises(CalendarError):
        build()  # type: ignore[operator]


def test_a_calendar_without_working_time_says_so_instead_of_looping() -> None:
    everything_off = WorkingCalendar(
        weekend_days=frozenset(range(7)), makeup_workdays=frozenset({date(2000, 1, 1)})
    )
    with pytest.raises(CalendarError):
        everything_off.add_working_hours(local("2026-03-10 10:00"), 1)


def test_the_calendar_module_is_pure() -> None:
    """No Django and no database: only the standard library and gridgov.core.clock."""
    tree = ast.parse(inspect.getsource(calendar_module))
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported == {
        "collections.abc",
        "dataclasses",
        "datetime",
        "decimal",
        "enum",
        "itertools",
        "gridgov.core.clock",
    }


# ------------------------------------------------------------------------------- in the database


def test_the_shipped_2026_file_gives_the_calendar_of_these_tests(db: None) -> None:
    report = load_calendar(DATA_DIR / "calendar-2026.csv", actor_label="tests")
    assert report.as_dict() == {
        "file": "calendar-2026.csv",
        "year": 2026,
        "created": 39,
        "updated": 0,
        "deleted": 0,
        "holidays_in_file": 33,
        "makeup_workdays_in_file": 6,
    }
    assert current_calendar() == CAL
    names = dict(HolidayDate.objects.values_list("date", "name"))
    assert [names[date(2026, 10, 1)], names[date(2026, 9, 20)], names[date(2026, 9, 25)]] == [
        "国庆节",
        "国庆节",
        "中秋节",
    ]
    assert {n for n in names.values()} == {"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"}
    event = AuditEvent.objects.get(action="load_calendar")
    assert (event.subject_id, event.data["created"], len(event.data["changed_dates"])) == ("2026", 39, 39)


def test_loading_again_changes_nothing(db: None) -> None:
    load_calendar(DATA_DIR / "calendar-2026.csv", actor_label="tests")
    stamps = dict(HolidayDate.objects.values_list("date", "updated_at"))
    report = load_calendar(DATA_DIR / "calendar-2026.csv", actor_label="tests")
    assert (report.created, report.updated, report.deleted, report.changed) == (0, 0, 0, False)
    assert dict(HolidayDate.objects.values_list("date", "updated_at")) == stamps
    assert AuditEvent.objects.filter(action="load_calendar").count() == 1


def write(path: Path, rows: list[str]) -> Path:
    path.write_text("date,kind,name\n" + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def test_the_file_is_the_truth_for_its_year_only(db: None, tmp_path: Path) -> None:
    load_calendar(DATA_DIR / "calendar-2026.csv", actor_label="tests")
    other_year = HolidayDate.objects.create(date=date(2027, 1, 1), kind=HolidayKind.HOLIDAY, name="元旦")
    corrected = write(
        tmp_path / "calendar-2026.csv",
        [
            line.replace("2026-05-09,makeup_workday", "2026-04-26,makeup_workday")
            for line in (DATA_DIR / "calendar-2026.csv").read_text(encoding="utf-8").splitlines()[1:]
            if not line.startswith("2026-01-04")
        ]
        + ["2026-12-31,holiday,本地假日"],
    )
    report = load_calendar(corrected, actor_label="tests")
    assert (report.created, report.updated, report.deleted) == (2, 0, 2)
    dates = set(HolidayDate.objects.values_list("date", flat=True))
    assert {date(2026, 4, 26), date(2026, 12, 31), date(2027, 1, 1)} <= dates
    assert not dates & {date(2026, 1, 4), date(2026, 5, 9)}
    assert HolidayDate.objects.filter(pk=other_year.pk).exists()
    event = AuditEvent.objects.filter(action="load_calendar").latest("id")
    assert event.data["changed_dates"] == ["2026-01-04", "2026-04-26", "2026-05-09", "2026-12-31"]


def test_a_bad_calendar_file_is_refused_whole(db: None, tmp_path: Path) -> None:
    bad = write(
        tmp_path / "calendar-2026.csv",
        [
            "2026-10-01,holiday,国庆节",
            "2026-10-01,holiday,国庆节",  # twice
            "2026-10-09,makeup_workday,国庆节",  # a Friday
            "2027-01-01,holiday,元旦",  # another year
            "2026-13-01,holiday,x",  # no such date
            "1/10/2026,holiday,x",  # not ISO
            "2026-10-02,day_off,国庆节",  # unknown kind
            "2026-10-03,holiday,",  # no name
        ],
    )
    with pytest.raises(CatalogueDataInvalid) as caught:
        load_calendar(bad, actor_label="tests")
    assert [(e["line"], e["message"]) for e in caught.value.details["errors"]] == [
        (3, "date 2026-10-01 is also on line 2"),
        (4, "2026-10-09 is a weekday: a make-up working day is a Saturday or Sunday"),
        (5, "date 2027-01-01 is not in 2026, the year of this file"),
        (6, "date '2026-13-01' does not exist"),
        (7, "date '1/10/2026' is not written YYYY-MM-DD"),
        (8, "unknown kind 'day_off' (one of holiday, makeup_workday)"),
        (9, "name must have 1 to 60 characters"),
    ]
    assert (HolidayDate.objects.count(), AuditEvent.objects.count()) == (0, 0)
    with pytest.raises(CatalogueDataInvalid) as caught:
        load_calendar(write(tmp_path / "empty.csv", []), actor_label="tests")
    assert caught.value.details["errors"] == [
        {"file": "empty.csv", "line": 0, "message": "the file lists no date"}
    ]


def test_current_calendar_is_cached_until_the_data_change(db: None) -> None:
    assert current_calendar() == WorkingCalendar()  # nothing loaded: weekends only, default periods
    load_calendar(DATA_DIR / "calendar-2026.csv", actor_label="tests")
    first = current_calendar()
    assert first == CAL
    with CaptureQueriesContext(connection) as queries:
        again = current_calendar()
    assert again is first
    assert len(queries) == 2  # the version: one aggregate per table, no rebuild

    WorkingPeriod.objects.create(start_time=time(9), end_time=time(17))
    changed = current_calendar()
    assert changed.periods == (Period(time(9), time(17)),)
    assert changed.holidays == CAL.holidays

    HolidayDate.objects.filter(date=date(2026, 10, 10)).delete()  # a deletion changes the count
    assert date(2026, 10, 10) not in current_calendar().makeup_workdays
    assert build_calendar() == current_calendar()


def test_load_catalogue_loads_the_calendar_years(db: None) -> None:
    report = load_catalogue(actor_label="tests")
    assert [c.as_dict()["year"] for c in report.calendars] == [2026]
    assert report.calendars[0].created == 39
    assert current_calendar() == CAL
    again = load_catalogue(actor_label="tests")
    assert [c.changed for c in again.calendars] == [False]
