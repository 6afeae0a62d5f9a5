"""Geometry helpers and the in-memory locate index.

Boundaries are GeoJSON Polygons or MultiPolygons in longitude/latitude degrees (the coordinate
system named by settings.GRIDGOV_COORDINATE_SYSTEM). This module reads them with shapely, checks
and repairs them, measures them (bounding box, centre, approximate area) and answers "which areas
contain this point".

The locate index
----------------
Each process keeps one index in memory: a shapely STRtree over the prepared geometries of every
area that has a boundary. It is built on first use and rebuilt whenever the single BoundaryVersion
row (version, changed_at) differs from the one it was built at, which costs one primary-key read
per call (per batch for `locate_points`). Every action that changes a boundary moves that row.

A point belongs to an area when it lies inside or on the boundary (shapely `intersects`), so a
point on a border shared by two areas matches both. Candidates are ranked deepest level first,
then smallest area, then lowest code; `locate_point` returns the first. On a shared border of two
areas of the same level the smaller one therefore wins, and between equal areas the lower code:
a deterministic choice.
"""

import json
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _
from shapely.geometry import mapping, shape

from gridgov.areas.errors import GeometryInvalid
from gridgov.areas.models import Area, BoundaryVersion
from gridgov.core.area_codes import LEVEL_ORDER, Level
from gridgov.core.coordinates import convert_array
from gridgov.core.mapping import storage_system

logger = logging.getLogger(__name__)

POLYGONAL_TYPES: frozenset[str] = frozenset({"Polygon", "MultiPolygon"})
# Length of one degree of latitude (and of longitude at the equator), in kilometres.
KM_PER_DEGREE = 111.32


# ---------------------------------------------------------------------------------------------
# Reading and checking geometries


def geometry_from_geojson(obj: Mapping[str, Any] | str) -> Any:
    """A shapely geometry from a GeoJSON geometry object, a Feature, or the JSON text of either.

    Raises GeometryInvalid with the reason when it cannot be read. It does not check the type or
    validity of the geometry: `polygonal_geometry` does.
    """
    data: Any = obj
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise GeometryInvalid(_("The geometry is not JSON: %(error)s") % {"error": exc}) from exc
    if not isinstance(data, Mapping):
        raise GeometryInvalid(_("A GeoJSON geometry must be an object."))
    if data.get("type") == "Feature":
        data = data.get("geometry")
        if not isinstance(data, Mapping):
            raise GeometryInvalid(_("The feature has no geometry."))
    if not data.get("type"):
        raise GeometryInvalid(_("The geometry has no type."))
    try:
        return shape(data)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, shapely.errors.ShapelyError) as exc:
        raise GeometryInvalid(
            _("The %(type)s geometry cannot be read: %(error)s") % {"type": data.get("type"), "error": exc}
        ) from exc


@dataclass(frozen=True)
class CheckedPolygon:
    """A valid, non-empty, two-dimensional Polygon or MultiPolygon."""

    geometry: Any
    # Set when the input was invalid and make_valid turned it into a valid polygonal geometry.
    repaired: bool = False
    # Why the input was invalid (GEOS's reason, e.g. "Self-intersection[0.5 0.5]").
    invalid_reason: str = ""

    def as_geojson(self) -> dict[str, Any]:
        """The geometry as plain JSON data (lists, not tuples), as it is stored and read back."""
        result: dict[str, Any] = json.loads(json.dumps(mapping(self.geometry)))
        return result


def polygonal_geometry(obj: Mapping[str, Any] | str, *, repair: bool = True) -> CheckedPolygon:
    """Read and check a boundary: Polygon or MultiPolygon, not empty, longitude and latitude in range.

    An invalid geometry (self-intersection, bowtie…) is repaired with shapely's make_valid
    ("structure" method, collapsed parts dropped) when `repair` is set and the result is still a
    non-empty Polygon or MultiPolygon; otherwise GeometryInvalid is raised. Z values are dropped.
    """
    geometry = geometry_from_geojson(obj)
    if geometry.geom_type not in POLYGONAL_TYPES:
        raise GeometryInvalid(
            _("The geometry is a %(type)s; only Polygon and MultiPolygon are accepted.")
            % {"type": geometry.geom_type}
        )
    if geometry.is_empty:
        raise GeometryInvalid(_("The geometry is empty."))
    geometry = shapely.force_2d(geometry)
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    if not all(math.isfinite(v) for v in (min_lon, min_lat, max_lon, max_lat)) or not (
        -180.0 <= min_lon <= max_lon <= 180.0 and -90.0 <= min_lat <= max_lat <= 90.0
    ):
        raise GeometryInvalid(
            _(
                "The coordinates are not longitude and latitude in degrees "
                "(bounds %(bounds)s); reproject the file first."
            )
            % {"bounds": [round(v, 3) for v in (min_lon, min_lat, max_lon, max_lat)]}
        )
    if geometry.is_valid:
        return CheckedPolygon(geometry)
    reason = str(shapely.is_valid_reason(geometry))
    if not repair:
        raise GeometryInvalid(_("The geometry is not valid: %(reason)s.") % {"reason": reason})
    fixed = shapely.make_valid(geometry, method="structure", keep_collapsed=False)
    if fixed.geom_type not in POLYGONAL_TYPES or fixed.is_empty or not fixed.is_valid:
        raise GeometryInvalid(
            _("The geometry is not valid (%(reason)s) and cannot be repaired into a polygon.")
            % {"reason": reason}
        )
    return CheckedPolygon(fixed, repaired=True, invalid_reason=reason)


# ---------------------------------------------------------------------------------------------
# Measuring


@dataclass(frozen=True)
class BoundaryMetrics:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    centre_lon: float
    centre_lat: float
    area_km2: float


def to_storage_system(geometry: Any, given_system: str | None) -> Any:
    """`geometry` given in `given_system` → the storage system (settings.GRIDGOV_COORDINATE_SYSTEM).

    None means "already in the storage system". Every vertex moves by the same formula as single
    points (gridgov.core.coordinates), a whole array at a time.
    """
    if given_system is None:
        return geometry
    target = storage_system()
    return shapely.transform(geometry, lambda coordinates: convert_array(coordinates, given_system, target))


def bbox_of(geometry: Any) -> tuple[float, float, float, float]:
    """(west, south, east, north) in degrees."""
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in geometry.bounds)
    return min_lon, min_lat, max_lon, max_lat


def centre_of(geometry: Any) -> tuple[float, float]:
    """(lon, lat): the centroid when it lies inside the area, else a point surely inside it.

    A crescent's or a multipolygon's centroid may fall outside; a marker there would mislead, so
    shapely's representative point (always inside) is used instead. Rounded to 7 decimals (~1 cm).
    """
    point = geometry.centroid
    if not geometry.covers(point):
        point = geometry.representative_point()
    return round(float(point.x), 7), round(float(point.y), 7)


def area_km2_of(geometry: Any) -> float:
    """Approximate area in km², from longitude/latitude degrees.

    The coordinates are projected with the sinusoidal (equal-area) projection on a sphere where
    one degree is 111.32 km: x = (lon - lon0) · cos(lat) · 111.32, y = lat · 111.32. The error
    against the WGS-84 ellipsoid is below 1 % at Chinese and US latitudes, plenty for ranking areas
    and showing sizes; it is not a survey figure. Rounded to 6 decimals (1 m²).
    """
    min_lon, _south, max_lon, _north = bbox_of(geometry)
    lon0 = (min_lon + max_lon) / 2

    def project(coords: np.ndarray) -> np.ndarray:
        lon = coords[:, 0]
        lat = coords[:, 1]
        return np.column_stack(((lon - lon0) * np.cos(np.radians(lat)), lat)) * KM_PER_DEGREE

    return round(float(shapely.transform(geometry, project).area), 6)


def boundary_metrics(geometry: Any) -> BoundaryMetrics:
    """Bounding box, centre and approximate area of a checked polygonal geometry."""
    min_lon, min_lat, max_lon, max_lat = bbox_of(geometry)
    centre_lon, centre_lat = centre_of(geometry)
    return BoundaryMetrics(
        min_lon=min_lon,
        min_lat=min_lat,
        max_lon=max_lon,
        max_lat=max_lat,
        centre_lon=centre_lon,
        centre_lat=centre_lat,
        area_km2=area_km2_of(geometry),
    )


# ---------------------------------------------------------------------------------------------
# The locate index

IndexKey = tuple[int, str]
_NO_MATCH = np.iinfo(np.int64).max
_LEVEL_DEPTH: dict[str, int] = {level.value: depth for depth, level in enumerate(LEVEL_ORDER)}


@dataclass(frozen=True)
class _LocateIndex:
    key: IndexKey
    # Codes and prepared geometries in rank order: deepest level first, then smallest area, then
    # lowest code. A smaller position is a better answer, so "the best match" is a minimum.
    codes: tuple[str, ...]
    geometries: np.ndarray
    tree: shapely.STRtree


_index: _LocateIndex | None = None
_index_lock = threading.Lock()


# changed_at as text: the key is only ever compared with keys made here, and parsing it into a
# datetime (Django's SQLite converter) was a third of the read.
_VERSION_SQL = f"SELECT version, CAST(changed_at AS TEXT) FROM {BoundaryVersion._meta.db_table} WHERE id = 1"

# The highest boundary version this process has read or written.
_highest_version = 0


def _current_key() -> IndexKey:
    """The boundary version as stored: one primary-key read.

    A plain SELECT rather than the ORM: this runs on every locate call, and building the ORM query
    cost about ten times the locate itself (docs/performance.md).
    """
    global _highest_version
    # The driver's own connection rather than Django's cursor wrapper, which cost about twice
    # the read itself on SQLite (docs/performance.md, Locate); errors still arrive as Django's.
    # `database` is looked up once: every attribute read through django.db.connection goes
    # through a thread-local lookup of about 3 µs.
    database = connections[DEFAULT_DB_ALIAS]
    database.ensure_connection()
    with database.wrap_database_errors:
        row = database.connection.execute(_VERSION_SQL).fetchone()
    if row is None:
        return (0, "")
    _highest_version = max(_highest_version, row[0])
    return (row[0], row[1])


def next_boundary_version(stored: int) -> int:
    """The version number a bump should write, given the stored one.

    Normally stored + 1. After a rolled-back transaction (a failed import, every test) the stored
    number can fall back below one this process has already seen, and reusing that number could
    make an index built inside the rolled-back transaction look current; so the number never goes
    back to one this process has seen.
    """
    global _highest_version
    _highest_version = max(stored, _highest_version) + 1
    return _highest_version


def _build_index(key: IndexKey) -> _LocateIndex:
    entries: list[tuple[int, float, str, Any]] = []
    rows = Area.objects.filter(boundary__isnull=False).values_list("code", "level", "area_km2", "boundary")
    for code, level, area_km2, boundary in rows.iterator(chunk_size=200):
        if boundary is None:
            continue
        try:
            checked = polygonal_geometry(boundary, repair=False)
        except GeometryInvalid as exc:
            logger.warning("area %s has an unusable boundary, left out of the locate index: %s", code, exc)
            continue
        geometry = checked.geometry
        size = area_km2 if area_km2 is not None else area_km2_of(geometry)
        entries.append((-_LEVEL_DEPTH.get(level, -1), size, code, geometry))
    entries.sort(key=lambda entry: entry[:3])
    geometries = np.array([entry[3] for entry in entries], dtype=object)
    shapely.prepare(geometries)
    return _LocateIndex(
        key=key,
        codes=tuple(entry[2] for entry in entries),
        geometries=geometries,
        tree=shapely.STRtree(geometries),
    )


def _locate_index() -> _LocateIndex:
    """The index for the current boundary version, rebuilding it when the version moved."""
    global _index
    key = _current_key()
    index = _index
    if index is not None and index.key == key:
        return index
    with _index_lock:
        if _index is None or _index.key != key:
            _index = _build_index(key)
            logger.info("locate index built: %d areas at boundary version %s", len(_index.codes), key[0])
        return _index


def invalidate_locate_index() -> None:
    """Forget this process's index; the next locate call rebuilds it."""
    global _index
    with _index_lock:
        _index = None


def _candidate_pairs(index: _LocateIndex, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(point positions, index positions) of every area containing or touching each point."""
    if not index.codes or len(points) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    point_pos, area_pos = index.tree.query(points)  # bounding-box candidates, one query for the batch
    hit = shapely.intersects(index.geometries[area_pos], points[point_pos])  # prepared geometries
    return point_pos[hit], area_pos[hit]


def _usable(lon: float, lat: float) -> bool:
    """A point that can lie in an area: finite and within the range of degrees."""
    return math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90


def containing_area_codes(lon: float, lat: float) -> list[str]:
    """Codes of every area whose boundary contains the point, smallest (deepest level, then area) first.

    A point on a boundary counts as inside. An impossible point (not finite, out of range) has none.
    """
    if not _usable(lon, lat):
        return []
    index = _locate_index()
    _points, positions = _candidate_pairs(index, np.array([shapely.Point(lon, lat)], dtype=object))
    return [index.codes[p] for p in sorted(int(p) for p in positions)]


def locate_point(lon: float, lat: float) -> str | None:
    """The code of the smallest area containing the point, or None.

    The first of `containing_area_codes`, found without arrays: the bounding-box candidates are
    tested one at a time in rank order and the first that contains the point is the answer, which
    usually means one polygon test (a grid) instead of one for every area around the point.
    """
    if not _usable(lon, lat):
        return None
    index = _locate_index()
    if not index.codes:
        return None
    point = shapely.Point(lon, lat)
    candidates = index.tree.query(point)
    candidates.sort()
    geometries = index.geometries
    for position in candidates.tolist():
        if geometries[position].intersects(point):  # prepared
            return index.codes[position]
    return None


def locate_points(lons: Sequence[float | None], lats: Sequence[float | None]) -> list[str | None]:
    """`locate_point` for many points at once: one version read and one tree query for the batch.

    A missing (None), non-finite or out-of-range coordinate gives None for that point.
    """
    if len(lons) != len(lats):
        raise ValueError("lons and lats must have the same length")
    result: list[str | None] = [None] * len(lons)
    if not result:
        return result
    x = np.array([math.nan if v is None else v for v in lons], dtype=float)
    y = np.array([math.nan if v is None else v for v in lats], dtype=float)
    usable = np.isfinite(x) & np.isfinite(y) & (np.abs(x) <= 180) & (np.abs(y) <= 90)
    positions = np.flatnonzero(usable)
    if len(positions) == 0:
        return result
    index = _locate_index()
    points = shapely.points(x[positions], y[positions])
    point_pos, area_pos = _candidate_pairs(index, points)
    best = np.full(len(positions), _NO_MATCH, dtype=np.int64)
    np.minimum.at(best, point_pos, area_pos)
    for j in np.flatnonzero(best != _NO_MATCH):
        result[int(positions[j])] = index.codes[int(best[j])]
    return result


def level_depth(level: Level | str) -> int:
    """0 for a province, 6 for a micro-grid."""
    return _LEVEL_DEPTH[str(level)]


# ---------------------------------------------------------------------------------------------
# Boundaries for maps: simplified per zoom level, cached per process

# Leaflet's web-mercator tiles are 256 px; at zoom z one pixel spans this many degrees of longitude.
TILE_SIZE_PX = 256
MAX_MAP_ZOOM = 22
_SIMPLIFIED_CACHE_SIZE = 60_000

_simplified: "OrderedDict[tuple[str, int], str]" = OrderedDict()
_simplified_key: IndexKey | None = None
_simplified_lock = threading.Lock()


def degrees_per_pixel(zoom: int) -> float:
    return 360.0 / (TILE_SIZE_PX * 2**zoom)


def simplify_for_zoom(boundary: Mapping[str, Any], zoom: int) -> str:
    """A boundary as GeoJSON text, simplified to about one screen pixel at `zoom`.

    Vertices closer than a pixel to the simplified outline are dropped (Douglas–Peucker keeping
    the topology) and the coordinates rounded to the decimals that still resolve half a pixel,
    which shortens the text sent. A shape smaller than a pixel keeps its simplified outline.
    """
    tolerance = degrees_per_pixel(zoom)
    decimals = max(0, math.ceil(-math.log10(tolerance / 2)))
    geometry = shape(boundary).simplify(tolerance, preserve_topology=True)
    rounded = shapely.transform(geometry, lambda coordinates: np.round(coordinates, decimals))
    return str(shapely.to_geojson(rounded))


def simplified_boundaries(codes: Sequence[str], zoom: int) -> dict[str, str]:
    """{code: simplified GeoJSON text} for the areas among `codes` that have a boundary.

    The cache holds (code, zoom) entries and is emptied when the boundary version moves (one
    primary-key read per call), like the locate index.
    """
    global _simplified_key
    key = _current_key()
    found: dict[str, str] = {}
    with _simplified_lock:
        if key != _simplified_key:
            _simplified.clear()
            _simplified_key = key
        for code in codes:
            text = _simplified.get((code, zoom))
            if text is not None:
                _simplified.move_to_end((code, zoom))
                found[code] = text
    missing = [code for code in codes if code not in found]
    computed: dict[str, str] = {}
    for start in range(0, len(missing), 500):
        rows = Area.objects.filter(code__in=missing[start : start + 500], boundary__isnull=False)
        for code, boundary in rows.values_list("code", "boundary"):
            if boundary is None:
                continue
            try:
                computed[code] = simplify_for_zoom(boundary, zoom)
            except (GeometryInvalid, ValueError, TypeError, shapely.errors.GEOSException) as exc:
                logger.warning("area %s has an unusable boundary, left off the map: %s", code, exc)
    with _simplified_lock:
        if _simplified_key == key:
            for code, text in computed.items():
                _simplified[(code, zoom)] = text
            while len(_simplified) > _SIMPLIFIED_CACHE_SIZE:
                _simplified.popitem(last=False)
    found.update(computed)
    return found
