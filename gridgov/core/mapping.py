"""The one coordinate-system setting, applied, and the map settings the pages read.

settings.GRIDGOV_COORDINATE_SYSTEM ("gcj02" or "wgs84") is the system of every stored point and
boundary and of the map tiles. Everything that arrives in another system is converted here on the
way in (a phone's GPS and Open311 clients speak WGS-84; boundary files say what they are in), and
everything published in another system is converted on the way out. docs/maps.md tells the story.
"""

from typing import Any

from django.conf import settings

from gridgov.core.coordinates import WGS84, check_system, convert_point


def storage_system() -> str:
    return check_system(getattr(settings, "GRIDGOV_COORDINATE_SYSTEM", WGS84))


def point_to_storage(lon: float, lat: float, given_system: str) -> tuple[float, float]:
    """A point given in `given_system` (e.g. "wgs84" from a phone's GPS) → the storage system."""
    return convert_point(lon, lat, given_system, storage_system())


def point_from_storage(lon: float, lat: float, wanted_system: str) -> tuple[float, float]:
    """A stored point → `wanted_system` (e.g. "wgs84" for Open311, whose spec says WGS-84)."""
    return convert_point(lon, lat, storage_system(), wanted_system)


def map_config() -> dict[str, Any]:
    """What every map on every page needs to draw: the tiles (if any) and their system."""
    subdomains = getattr(settings, "GRIDGOV_MAP_TILE_SUBDOMAINS", "")
    return {
        "tileUrl": getattr(settings, "GRIDGOV_MAP_TILE_URL", ""),
        "tileSubdomains": subdomains or "abc",
        "tileAttribution": getattr(settings, "GRIDGOV_MAP_TILE_ATTRIBUTION", ""),
        "tileMaxZoom": int(getattr(settings, "GRIDGOV_MAP_TILE_MAX_ZOOM", 18)),
        "coordinateSystem": storage_system(),
    }
