"""Case numbers (gridgov/cases/actions.py): one counter per district and local day, taken by upsert."""

import datetime as dt

import pytest

from gridgov.cases.actions import next_case_number, take_case_numbers
from gridgov.cases.models import CaseCounter

# 2026-03-09 20:00 UTC is 2026-03-10 04:00 in Beijing: the local day counts.
EVENING_UTC = dt.datetime(2026, 3, 9, 20, 0, tzinfo=dt.UTC)


@pytest.mark.django_db(transaction=True)
def test_numbers_follow_each_other_per_district_and_local_day() -> None:
    numbers = [
        next_case_number("330102001001", EVENING_UTC),
        next_case_number("330102003", EVENING_UTC),
        next_case_number("330105001", EVENING_UTC),
        next_case_number("330102001001", EVENING_UTC + dt.timedelta(days=1)),
        next_case_number("", EVENING_UTC),
        next_case_number("330102", EVENING_UTC),
    ]
    assert numbers == [
        "330102-20260310-000001",
        "330102-20260310-000002",
        "330105-20260310-000001",
        "330102-20260311-000001",
        "000000-20260310-000001",
        "330102-20260310-000003",
    ]
    counters = {(c.district_code, c.day.isoformat()): c.last_value for c in CaseCounter.objects.all()}
    assert counters == {
        ("330102", "2026-03-10"): 3,
        ("330105", "2026-03-10"): 1,
        ("330102", "2026-03-11"): 1,
        ("000000", "2026-03-10"): 1,
    }


@pytest.mark.django_db(transaction=True)
def test_a_block_of_numbers_starts_after_the_last_one_taken() -> None:
    day = dt.date(2026, 3, 10)
    assert take_case_numbers("330102", day, 5) == 1
    assert take_case_numbers("330102", day, 1) == 6
    assert take_case_numbers("330102", day, 3) == 7
    assert CaseCounter.objects.get(district_code="330102", day=day).last_value == 9
    with pytest.raises(ValueError, match="at least 1"):
        take_case_numbers("330102", day, 0)
    assert CaseCounter.objects.get(district_code="330102", day=day).last_value == 9
