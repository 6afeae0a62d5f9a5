"""When a failed webhook delivery is tried again. No database.

Attempt n fails → the next one waits 2^(n-1) minutes, at most six hours; the MAX_ATTEMPTS-th
failure gives up. The schedule (docs/notifications.md has the table):

    1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360 minutes   → 12 attempts over about 20.5 hours

so a receiver that is down overnight still gets every event, and one that is gone for a day stops
being hammered. A given-up delivery can be retried from the admin.
"""

from datetime import timedelta

MAX_ATTEMPTS = 12
FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=6)


def backoff_delay(failed_attempts: int) -> timedelta:
    """How long to wait after the `failed_attempts`-th failed attempt (1 → 1 minute, 2 → 2 …)."""
    if failed_attempts < 1:
        raise ValueError("failed_attempts counts from 1")
    # Capping the exponent first keeps the number small however large the count gets.
    exponent = min(failed_attempts - 1, 16)
    return min(FIRST_DELAY * 2**exponent, MAX_DELAY)


def gives_up(attempts: int) -> bool:
    """Whether a delivery that has failed `attempts` times is given up."""
    return attempts >= MAX_ATTEMPTS


def retry_schedule() -> list[timedelta]:
    """The waits between the attempts of a delivery that never succeeds (MAX_ATTEMPTS - 1 of them)."""
    return [backoff_delay(n) for n in range(1, MAX_ATTEMPTS)]
