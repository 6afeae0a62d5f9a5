"""WGS-84 ↔ GCJ-02 (pure: no Django, no database).

Open311 GeoReport v2 says `lat` and `long` are WGS-84, what a phone's GPS gives. Maps published in
mainland China, and therefore the boundaries gridgov stores when GRIDGOV_COORDINATE_SYSTEM is
"gcj02" (the demo's), use GCJ-02, which is WGS-84 shifted by a few hundred metres. A point sent by
an Open311 client must be shifted before it is located in a grid, and shifted back when it is
published, or it lands in the neighbouring grid.

The forward formula is the published GCJ-02 approximation (Krasovsky ellipsoid, offsets in metres
as a polynomial and sine series of the distance from 105°E 35°N); it is exact to well under a metre
against the official transform. There is no closed-form inverse, so `gcj02_to_wgs84` iterates the
forward formula until it converges. Outside mainland China both are the identity.
"""

from math import cos, pi, sin, sqrt

# Krasovsky 1940, the ellipsoid GCJ-02 is defined on.
_SEMI_MAJOR_AXIS = 6378245.0
_ECCENTRICITY_SQUARED = 0.00669342162296594323


def is_outside_china(lon: float, lat: float) -> bool:
    """The rough box the obfuscation applies in (mainland China and its surroundings)."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _lat_offset(x: float, y: float) -> float:
    offset = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(abs(x))
    offset += (20.0 * sin(6.0 * x * pi) + 20.0 * sin(2.0 * x * pi)) * 2.0 / 3.0
    offset += (20.0 * sin(y * pi) + 40.0 * sin(y / 3.0 * pi)) * 2.0 / 3.0
    offset += (160.0 * sin(y / 12.0 * pi) + 320.0 * sin(y * pi / 30.0)) * 2.0 / 3.0
    return offset


def _lon_offset(x: float, y: float) -> float:
    offset = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(abs(x))
    offset += (20.0 * sin(6.0 * x * pi) + 20.0 * sin(2.0 * x * pi)) * 2.0 / 3.0
    offset += (20.0 * sin(x * pi) + 40.0 * sin(x / 3.0 * pi)) * 2.0 / 3.0
    offset += (150.0 * sin(x / 12.0 * pi) + 300.0 * sin(x / 30.0 * pi)) * 2.0 / 3.0
    return offset


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """(lon, lat) on WGS-84 → (lon, lat) on GCJ-02."""
    if is_outside_china(lon, lat):
        return lon, lat
    d_lat = _lat_offset(lon - 105.0, lat - 35.0)
    d_lon = _lon_offset(lon - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * pi
    magic = 1 - _ECCENTRICITY_SQUARED * sin(rad_lat) ** 2
    sqrt_magic = sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_SEMI_MAJOR_AXIS * (1 - _ECCENTRICITY_SQUARED)) / (magic * sqrt_magic) * pi)
    d_lon = (d_lon * 180.0) / (_SEMI_MAJOR_AXIS / sqrt_magic * cos(rad_lat) * pi)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(lon: float, lat: float, *, tolerance: float = 1e-9) -> tuple[float, float]:
    """(lon, lat) on GCJ-02 → (lon, lat) on WGS-84, by fixed-point iteration of the forward formula."""
    if is_outside_china(lon, lat):
        return lon, lat
    guess_lon, guess_lat = lon, lat
    for _step in range(30):
        shifted_lon, shifted_lat = wgs84_to_gcj02(guess_lon, guess_lat)
        error_lon, error_lat = shifted_lon - lon, shifted_lat - lat
        guess_lon, guess_lat = guess_lon - error_lon, guess_lat - error_lat
        if abs(error_lon) < tolerance and abs(error_lat) < tolerance:
            break
    return guess_lon, guess_lat
