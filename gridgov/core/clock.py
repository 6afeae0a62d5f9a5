"""The one place that reads the clock.

Every module asks `now()` for the time, so tests move time with time-machine and nothing reads
`datetime.now()` directly. Times are aware and in UTC; conversion to Asia/Shanghai happens only
when they are shown.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LOCAL_TIMEZONE = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def to_local(moment: datetime) -> datetime:
    """`moment` in the command centre's local time (Asia/Shanghai)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: gridgov only handles aware datetimes")
    return moment.astimezone(LOCAL_TIMEZONE)
