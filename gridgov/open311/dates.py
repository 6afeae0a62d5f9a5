"""W3C datetimes (ISO 8601 with a time zone) as GeoReport v2 reads and writes them."""

from datetime import datetime, time

from django.utils.dateparse import parse_date, parse_datetime

from gridgov.core.clock import LOCAL_TIMEZONE, to_local


def format_w3c(moment: datetime | None) -> str | None:
    """2026-11-22T14:05:00+08:00: local time with its offset, as the spec's examples write it."""
    if moment is None:
        return None
    return to_local(moment).isoformat(timespec="seconds")


def parse_w3c(text: str) -> datetime | None:
    """An aware datetime, or None when `text` is not a W3C date or datetime.

    A plain date (W3C-DTF allows 2026-11-22) means local midnight; a datetime without an offset is
    read in local time (Asia/Shanghai), the time everyone here speaks in.
    """
    value = text.strip()
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            if day is None:
                return None
            moment = datetime.combine(day, time.min)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TIMEZONE)
    return moment
