"""Reads of the area tree. Every read takes the caller's scope and never returns what lies outside."""

import json
import math
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from gridgov.accounts.scope import Scope
from gridgov.areas import geometry
from gridgov.areas.errors import AreaNotFound, MapViewInvalid, PointInvalid
from gridgov.areas.models import Area
from gridgov.core.area_codes import InvalidCode, Level, ancestor_codes, scope_prefix


def areas_for(scope: Scope) -> QuerySet[Area]:
    """The areas `scope` may read."""
    return Area.objects.filter(scope.area_q("code"))


def get_area_for(scope: Scope, code: str) -> Area:
    """One area, or AreaNotFound when missing or outside the scope (the caller cannot tell which)."""
    if not scope.covers_code(code):
        raise AreaNotFound(details={"code": code})
    area = Area.objects.filter(code=code).select_related("parent").first()
    if area is None:
        raise AreaNotFound(details={"code": code})
    return area


def list_areas_for(
    scope: Scope,
    *,
    level: str | None = None,
    parent_code: str | None = None,
    name_contains: str | None = None,
) -> QuerySet[Area]:
    areas = areas_for(scope)
    if parent_code is not None:
        areas = areas.filter(parent_id=get_area_for(scope, parent_code).code)
    if level:
        areas = areas.filter(level=level)
    if name_contains:
        areas = areas.filter(name__contains=name_contains)
    return areas.order_by("code")


def ancestors_of(area: Area) -> list[Area]:
    """The chain from the root down to `area`'s parent (names of enclosing areas are public)."""
    try:
        codes = ancestor_codes(area.code)
    except InvalidCode:
        codes = []
    by_code = {a.code: a for a in Area.objects.filter(code__in=codes)}
    return [by_code[c] for c in codes if c in by_code]


def locate_for(scope: Scope, lon: float, lat: float) -> Area | None:
    """The smallest area inside `scope` that contains the point, or None."""
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise PointInvalid(details={"lon": lon, "lat": lat})
    for code in geometry.containing_area_codes(lon, lat):
        if scope.covers_code(code):
            return Area.objects.get(code=code)
    return None


# ── the map layer ────────────────────────────────────────────────────────────────────────────

# The level drawn at each zoom when the caller names none: (highest zoom, level).
LEVEL_BY_ZOOM: tuple[tuple[int, Level], ...] = (
    (10, Level.DISTRICT),
    (12, Level.STREET),
    (14, Level.COMMUNITY),
    (geometry.MAX_MAP_ZOOM, Level.GRID),
)
# The levels a map draws, shallowest first.
MAP_LEVELS: tuple[Level, ...] = (Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID)
# More features than this in one view is more than anybody reads; the answer says "zoom in".
MAX_MAP_FEATURES = 2500


@dataclass(frozen=True)
class MapView:
    west: float
    south: float
    east: float
    north: float
    zoom: int


@dataclass
class MapLayer:
    level: str
    features: list[dict[str, Any]]  # GeoJSON Features whose geometry is GeoJSON text (see as_json)
    truncated: bool

    def as_json(self) -> str:
        """The FeatureCollection as JSON text; the cached geometry texts are spliced in, not re-parsed."""
        parts = [
            '{"type":"Feature","id":'
            + json.dumps(feature["id"])
            + ',"properties":'
            + json.dumps(feature["properties"], ensure_ascii=False)
            + ',"geometry":'
            + feature["geometry"]
            + "}"
            for feature in self.features
        ]
        head = json.dumps({"type": "FeatureCollection", "level": self.level, "truncated": self.truncated})
        return head[:-1] + ',"features":[' + ",".join(parts) + "]}"


def parse_map_view(bbox: str, zoom: int) -> MapView:
    """`bbox` "west,south,east,north" in degrees and a zoom, or MapViewInvalid."""
    try:
        west, south, east, north = (float(part) for part in bbox.split(","))
    except ValueError as exc:
        raise MapViewInvalid(details={"bbox": bbox}) from exc
    values_ok = all(math.isfinite(v) for v in (west, south, east, north))
    if not values_ok or not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise MapViewInvalid(details={"bbox": bbox})
    if not 0 <= zoom <= geometry.MAX_MAP_ZOOM:
        raise MapViewInvalid(details={"zoom": zoom})
    return MapView(west, south, east, north, zoom)


def level_for_zoom(zoom: int) -> Level:
    return next(level for highest, level in LEVEL_BY_ZOOM if zoom <= highest)


def map_layer_for(
    scope: Scope, view: MapView, *, level: str | None = None, parent_code: str | None = None
) -> MapLayer:
    """The areas of one level inside `scope` that the view shows, simplified for its zoom.

    Without `level` the zoom chooses it; when no area of that level has a boundary in view (a
    deployment that imported only its grids, say), the nearest level that has one is drawn,
    deeper first. `parent_code` keeps the areas under that area (any depth): the drill-down.
    """
    areas = areas_for(scope).filter(
        boundary_source__gt="",
        min_lon__lte=view.east,
        max_lon__gte=view.west,
        min_lat__lte=view.north,
        max_lat__gte=view.south,
    )
    if parent_code:
        parent = get_area_for(scope, parent_code)
        areas = areas.filter(code__startswith=scope_prefix(parent.code)).exclude(code=parent.code)
    if level:
        chosen = Level(level)
    else:
        wanted = geometry.level_depth(level_for_zoom(view.zoom))
        by_closeness = sorted(
            MAP_LEVELS, key=lambda lvl: (abs(geometry.level_depth(lvl) - wanted), -geometry.level_depth(lvl))
        )
        chosen = next((lvl for lvl in by_closeness if areas.filter(level=lvl).exists()), by_closeness[0])
    rows = list(
        areas.filter(level=chosen)
        .order_by("code")
        .values_list("code", "name", "parent_id", "centre_lon", "centre_lat")[: MAX_MAP_FEATURES + 1]
    )
    truncated = len(rows) > MAX_MAP_FEATURES
    rows = rows[:MAX_MAP_FEATURES]
    shapes = geometry.simplified_boundaries([row[0] for row in rows], view.zoom)
    features = [
        {
            "id": code,
            "properties": {
                "code": code,
                "name": name,
                "level": chosen.value,
                "parent": parent_id,
                "centre": [centre_lon, centre_lat],
            },
            "geometry": shapes[code],
        }
        for code, name, parent_id, centre_lon, centre_lat in rows
        if code in shapes
    ]
    return MapLayer(level=chosen.value, features=features, truncated=truncated)
