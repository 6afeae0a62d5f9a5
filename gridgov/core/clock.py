"""The one place that reads the clock.

Every module asks `now()` for the time, so tests move time with time-machine and nothing reads
`datetime.now()` directly. Times are aware and in UTC; conversion to Asia/Shanghai happens only
when they are shown.

`pinned(moment)` sets the clock for the code inside it. Only replays use it (the demo runs the
real actions at the moments a case's story happened); requests and the scheduler never do.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LOCAL_TIMEZONE = ZoneInfo("Asia/Shanghai")
_pinned: ContextVar[datetime | None] = ContextVar("gridgov_pinned_clock", default=None)


def now() -> datetime:
    """The current time, aware, in UTC."""
    pinned_moment = _pinned.get()
    if pinned_moment is not None:
        return pinned_moment
    return datetime.now(UTC)


@contextmanager
def pinned(moment: datetime) -> Iterator[None]:
    """Run the block as if it were `moment` (aware)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: gridgov only handles aware datetimes")
    token = _pinned.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _pinned.reset(token)


def to_local(moment: datetime) -> datetime:
    """`moment` in the command centre's local time (Asia/Shanghai)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: gridgov only handles aware datetimes")
    return moment.astimezone(LOCAL_TIMEZONE)
