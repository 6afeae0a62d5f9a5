"""Patrol track arithmetic (pure: no Django, no database).

A phone's GPS jitters: standing still it reports positions a few metres apart, and indoors or
under trees one position may be off by a hundred metres. The length of a patrol therefore skips
positions whose reported accuracy is worse than `MAX_ACCURACY_M` and steps shorter than the
accuracy of the two ends (noise, not walking).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from math import asin, cos, radians, sin, sqrt

EARTH_RADIUS_M = 6_371_008.8
MAX_ACCURACY_M = 100.0


@dataclass(frozen=True)
class TrackPoint:
    lon: float
    lat: float
    accuracy_m: float | None = None


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres."""
    phi1, phi2 = radians(lat1), radians(lat2)
    d_phi, d_lambda = phi2 - phi1, radians(lon2 - lon1)
    h = sin(d_phi / 2) ** 2 + cos(phi1) * cos(phi2) * sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * asin(min(1.0, sqrt(h)))


def track_length_m(points: Iterable[TrackPoint]) -> float:
    """The walked length of points in time order, without GPS noise (see the module docstring)."""
    total = 0.0
    last: TrackPoint | None = None
    for point in points:
        if point.accuracy_m is not None and point.accuracy_m > MAX_ACCURACY_M:
            continue
        if last is None:
            last = point
            continue
        step = haversine_m(last.lon, last.lat, point.lon, point.lat)
        noise = max(last.accuracy_m or 0.0, point.accuracy_m or 0.0)
        if step <= noise:
            continue  # within the error circle: keep the earlier anchor, add nothing
        total += step
        last = point
    return round(total, 1)
