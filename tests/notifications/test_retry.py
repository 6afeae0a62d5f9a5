"""The retry schedule of webhook deliveries."""

from datetime import timedelta

import pytest

from gridgov.notifications.retry import MAX_ATTEMPTS, backoff_delay, gives_up, retry_schedule


@pytest.mark.parametrize(
    ("failed_attempts", "minutes"),
    [
        (1, 1),
        (2, 2),
        (3, 4),
        (4, 8),
        (5, 16),
        (6, 32),
        (7, 64),
        (8, 128),
        (9, 256),
        (10, 360),
        (11, 360),
        (50, 360),
    ],
)
def test_backoff_doubles_from_one_minute_up_to_six_hours(failed_attempts: int, minutes: int) -> None:
    assert backoff_delay(failed_attempts) == timedelta(minutes=minutes)


def test_backoff_counts_from_one() -> None:
    with pytest.raises(ValueError, match="counts from 1"):
        backoff_delay(0)


def test_the_whole_schedule() -> None:
    assert MAX_ATTEMPTS == 12
    assert [int(delay.total_seconds() // 60) for delay in retry_schedule()] == [
        1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360,
    ]  # fmt: skip
    assert sum(retry_schedule(), timedelta()) == timedelta(minutes=1231)  # 20 h 31 min
    assert [gives_up(n) for n in (1, 11, 12, 13)] == [False, False, True, True]
