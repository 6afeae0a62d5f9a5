"""WGS-84 ↔ GCJ-02 (pure: no Django, no database).

settings.GRIDGOV_COORDINATE_SYSTEM names the one system gridgov stores every point and boundary in
and draws its maps in; gridgov.core.mapping applies it. Positions arriving in the other system (a
phone's GPS, an Open311 client, a boundary file) are converted with these functions on the way in.

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

import numpy as np

WGS84 = "wgs84"
GCJ02 = "gcj02"
SYSTEMS = (WGS84, GCJ02)

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


class UnknownCoordinateSystem(ValueError):
    pass


def check_system(name: str) -> str:
    if name not in SYSTEMS:
        raise UnknownCoordinateSystem(
            f"unknown coordinate system {name!r}; expected one of {', '.join(SYSTEMS)}"
        )
    return name


def convert_point(lon: float, lat: float, source: str, target: str) -> tuple[float, float]:
    """(lon, lat) given in `source` → the same place in `target`."""
    if check_system(source) == check_system(target):
        return lon, lat
    return wgs84_to_gcj02(lon, lat) if source == WGS84 else gcj02_to_wgs84(lon, lat)


# ── arrays (whole boundaries at once) ────────────────────────────────────────────────────────


def _forward_shift(lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The WGS-84 → GCJ-02 shift (degrees) of many points: the same formula as wgs84_to_gcj02."""
    x, y = lons - 105.0, lats - 35.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    d_lat += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    d_lat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    d_lat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    d_lon += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    d_lon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    d_lon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    rad_lat = lats / 180.0 * pi
    magic = 1 - _ECCENTRICITY_SQUARED * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_SEMI_MAJOR_AXIS * (1 - _ECCENTRICITY_SQUARED)) / (magic * sqrt_magic) * pi)
    d_lon = (d_lon * 180.0) / (_SEMI_MAJOR_AXIS / sqrt_magic * np.cos(rad_lat) * pi)
    inside = (lons >= 72.004) & (lons <= 137.8347) & (lats >= 0.8293) & (lats <= 55.8271)
    return np.where(inside, d_lon, 0.0), np.where(inside, d_lat, 0.0)


def convert_array(coordinates: np.ndarray, source: str, target: str) -> np.ndarray:
    """An (n, 2) array of (lon, lat) in `source` → a new array in `target` (shapely.transform's shape)."""
    if check_system(source) == check_system(target):
        return coordinates
    lons, lats = coordinates[:, 0].astype(float), coordinates[:, 1].astype(float)
    if source == WGS84:
        d_lon, d_lat = _forward_shift(lons, lats)
        return np.column_stack([lons + d_lon, lats + d_lat])
    guess_lon, guess_lat = lons.copy(), lats.copy()
    for _step in range(30):
        d_lon, d_lat = _forward_shift(guess_lon, guess_lat)
        error_lon, error_lat = guess_lon + d_lon - lons, guess_lat + d_lat - lats
        guess_lon, guess_lat = guess_lon - error_lon, guess_lat - error_lat
        if np.all(np.abs(error_lon) < 1e-9) and np.all(np.abs(error_lat) < 1e-9):
            break
    return np.column_stack([guess_lon, guess_lat])
