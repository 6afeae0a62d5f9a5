"""The map layer: areas of a view, simplified for its zoom, public for visitors, scoped for staff."""

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from django.test import Client, override_settings
from shapely.geometry import shape

from gridgov.accounts.models import Role
from gridgov.areas import geometry, queries
from gridgov.areas.actions import AreaRow, import_boundaries, upsert_areas
from gridgov.areas.errors import BoundaryImportInvalid, MapViewInvalid
from gridgov.areas.models import Area, BoundarySource
from gridgov.core.area_codes import Level
from gridgov.core.coordinates import GCJ02, WGS84, convert_array, gcj02_to_wgs84, wgs84_to_gcj02

GRID_A, GRID_B, GRID_C = "330102001051001", "330102001051002", "330102002001001"


def wiggly_square(lon: float, lat: float, size: float = 0.01, points_per_side: int = 200) -> dict[str, Any]:
    """A square whose sides carry many tiny zig-zags (10 cm): detail a map need not draw."""
    ring: list[list[float]] = []
    corners = [(lon, lat), (lon + size, lat), (lon + size, lat + size), (lon, lat + size)]
    for (x0, y0), (x1, y1) in zip(corners, corners[1:] + corners[:1], strict=True):
        for step in range(points_per_side):
            t = step / points_per_side
            wiggle = 1e-6 if step % 2 else 0.0
            ring.append([x0 + (x1 - x0) * t + wiggle, y0 + (y1 - y0) * t + wiggle])
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def mapped(small_tree: dict[str, Area]) -> dict[str, Area]:
    upsert_areas(
        [
            AreaRow(
                "330102001000", "清波街道", Level.STREET, "330102000000", wiggly_square(120.10, 30.20, 0.04)
            ),
            AreaRow(
                "330102002000", "湖滨街道", Level.STREET, "330102000000", wiggly_square(120.14, 30.20, 0.04)
            ),
            AreaRow(GRID_A, "清波门社区第1网格", Level.GRID, "330102001051", wiggly_square(120.10, 30.20)),
            AreaRow(GRID_B, "清波门社区第2网格", Level.GRID, "330102001051", wiggly_square(120.12, 30.20)),
            AreaRow(GRID_C, "东坡路社区第1网格", Level.GRID, "330102002001", wiggly_square(120.14, 30.20)),
        ],
        actor_label="tests",
        boundary_source=BoundarySource.IMPORTED,
    )
    return small_tree


def vertex_count(geojson_text: str) -> int:
    return int(shapely.get_num_coordinates(shape(json.loads(geojson_text))))


def get_map(client: Client, query: str) -> tuple[int, dict[str, Any]]:
    response = client.get(f"/api/v1/areas/map?{query}")
    return response.status_code, json.loads(response.content)


def test_a_visitor_gets_the_grids_of_the_view_at_street_level_zoom(mapped: dict[str, Area]) -> None:
    status, body = get_map(Client(), "bbox=120.09,30.19,120.135,30.215&zoom=16")
    assert status == 200
    assert body["type"] == "FeatureCollection" and body["level"] == "grid" and body["truncated"] is False
    # Grid C lies east of the box: only A and B are in view.
    assert [feature["id"] for feature in body["features"]] == [GRID_A, GRID_B]
    first = body["features"][0]
    assert first["properties"]["name"] == "清波门社区第1网格"
    assert first["properties"]["parent"] == "330102001051"
    assert first["properties"]["centre"] == pytest.approx([120.105, 30.205], abs=1e-4)
    assert shape(first["geometry"]).buffer(1e-5).contains(shape(wiggly_square(120.10, 30.20)).buffer(-1e-5))


@pytest.mark.parametrize(
    ("zoom", "level"), [(3, "district"), (10, "district"), (11, "street"), (13, "community"), (15, "grid")]
)
def test_without_a_level_the_zoom_chooses_it(zoom: int, level: str) -> None:
    assert queries.level_for_zoom(zoom).value == level


def test_the_level_and_the_parent_can_be_named(mapped: dict[str, Area]) -> None:
    status, body = get_map(Client(), "bbox=120.0,30.1,120.3,30.3&zoom=12&level=grid&parent=330102001000")
    assert status == 200 and body["level"] == "grid"
    assert [feature["id"] for feature in body["features"]] == [GRID_A, GRID_B]
    status, body = get_map(Client(), "bbox=120.0,30.1,120.3,30.3&zoom=12")
    assert body["level"] == "street"
    assert [feature["id"] for feature in body["features"]] == ["330102001000", "330102002000"]


def test_geometry_is_simplified_more_when_zoomed_out(mapped: dict[str, Area]) -> None:
    stored = vertex_count(json.dumps(Area.objects.get(code=GRID_A).boundary))
    counts = {}
    for zoom in (12, 16, 22):
        _, body = get_map(Client(), f"bbox=120.0,30.1,120.3,30.3&zoom={zoom}&level=grid")
        counts[zoom] = vertex_count(json.dumps(body["features"][0]["geometry"]))
    # 10 cm zig-zags vanish at every map zoom; the square keeps its 4 corners (+ closing point).
    assert stored == 801
    assert counts[12] == counts[16] == 5
    # Even at the deepest zoom a pixel is ~4 cm, so the zig-zags (10 cm) come back.
    assert counts[22] > 400


def test_the_cache_follows_a_boundary_change(mapped: dict[str, Area]) -> None:
    _, before = get_map(Client(), "bbox=120.0,30.1,120.3,30.3&zoom=16&level=grid")
    moved = {
        "type": "Polygon",
        "coordinates": [
            [[120.10, 30.20], [120.101, 30.20], [120.101, 30.201], [120.10, 30.201], [120.10, 30.20]]
        ],
    }
    upsert_areas(
        [AreaRow(GRID_A, "清波门社区第1网格", Level.GRID, "330102001051", moved)],
        actor_label="tests",
        boundary_source=BoundarySource.IMPORTED,
    )
    _, after = get_map(Client(), "bbox=120.0,30.1,120.3,30.3&zoom=16&level=grid")
    old_area = shape(before["features"][0]["geometry"]).area
    new_area = shape(after["features"][0]["geometry"]).area
    assert new_area == pytest.approx(old_area / 100, rel=0.05)


def test_too_many_features_are_cut_and_say_so(
    mapped: dict[str, Area], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "MAX_MAP_FEATURES", 2)
    _, body = get_map(Client(), "bbox=120.0,30.1,120.3,30.3&zoom=16&level=grid")
    assert body["truncated"] is True and len(body["features"]) == 2


@pytest.mark.parametrize(
    "query",
    [
        "bbox=a,b,c,d&zoom=14",
        "bbox=120.3,30.1,120.0,30.3&zoom=14",  # west east of east
        "bbox=120.0,30.1,120.3&zoom=14",
        "bbox=120.0,30.1,120.3,30.3&zoom=30",
        "bbox=120.0,-95,120.3,30.3&zoom=14",
        "bbox=nan,30.1,120.3,30.3&zoom=14",
    ],
)
def test_a_bad_view_is_a_clear_400(mapped: dict[str, Area], query: str) -> None:
    status, body = get_map(Client(), query)
    assert status == 400 and body["code"] == MapViewInvalid.code


def test_staff_see_their_scope_and_visitors_the_public_map(mapped: dict[str, Area], make_user: Any) -> None:
    worker = make_user("worker", Role.GRID_WORKER, mapped["grid_c"])
    client = Client()
    client.force_login(worker)
    _, body = get_map(client, "bbox=120.0,30.1,120.3,30.3&zoom=16")
    assert [feature["id"] for feature in body["features"]] == [GRID_C]
    _, body = get_map(Client(), "bbox=120.0,30.1,120.3,30.3&zoom=16")
    assert [feature["id"] for feature in body["features"]] == [GRID_A, GRID_B, GRID_C]
    resident = Client()
    resident.force_login(make_user("resident"))  # no data scope: the public map, like a visitor
    _, body = get_map(resident, "bbox=120.0,30.1,120.3,30.3&zoom=16")
    assert [feature["id"] for feature in body["features"]] == [GRID_A, GRID_B, GRID_C]


def test_the_page_carries_the_map_settings(db: None) -> None:
    with override_settings(
        GRIDGOV_MAP_TILE_URL="http://tiles.local/{z}/{x}/{y}.png", GRIDGOV_COORDINATE_SYSTEM=WGS84
    ):
        content = Client().get("/report/").content.decode()
    start = content.index('<script id="gridgov-map-config" type="application/json">') + len(
        '<script id="gridgov-map-config" type="application/json">'
    )
    config = json.loads(content[start : content.index("</script>", start)])
    assert config["tileUrl"] == "http://tiles.local/{z}/{x}/{y}.png"
    assert config["coordinateSystem"] == "wgs84"


# ── one coordinate system everywhere ─────────────────────────────────────────────────────────


def test_the_array_conversion_matches_the_point_formula() -> None:
    rng = np.random.default_rng(7)
    points = np.column_stack([rng.uniform(73, 135, 500), rng.uniform(3, 53, 500)])
    forward = convert_array(points, WGS84, GCJ02)
    backward = convert_array(forward, GCJ02, WGS84)
    for (lon, lat), (f_lon, f_lat), (b_lon, b_lat) in zip(points, forward, backward, strict=True):
        assert (f_lon, f_lat) == pytest.approx(wgs84_to_gcj02(lon, lat), abs=1e-12)
        assert (b_lon, b_lat) == pytest.approx(gcj02_to_wgs84(f_lon, f_lat), abs=1e-8)
        assert (b_lon, b_lat) == pytest.approx((lon, lat), abs=1e-8)
    outside = np.array([[-122.4, 37.8], [2.35, 48.86]])
    assert np.array_equal(convert_array(outside, WGS84, GCJ02), outside)


def feature_collection(tmp_path: Path, ring: list[list[float]]) -> Path:
    path = tmp_path / "grids.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "003", "name": "清波门社区第3网格"},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    return path


RING = [[120.10, 30.22], [120.11, 30.22], [120.11, 30.23], [120.10, 30.23], [120.10, 30.22]]


@override_settings(GRIDGOV_COORDINATE_SYSTEM=GCJ02)
def test_a_wgs84_boundary_file_is_stored_in_gcj02(small_tree: dict[str, Area], tmp_path: Path) -> None:
    import_boundaries(
        feature_collection(tmp_path, RING),
        level=Level.GRID,
        code_field="code",
        name_field="name",
        parent_code="330102001051",
        coordinate_system=WGS84,
        actor_label="tests",
    )
    boundary = Area.objects.get(code="330102001051003").boundary
    assert boundary is not None
    stored = boundary["coordinates"][0]
    expected = [list(wgs84_to_gcj02(lon, lat)) for lon, lat in RING]
    assert len(stored) == 5
    for point in expected:
        assert any(math.dist(point, vertex) < 1e-9 for vertex in stored), point


@override_settings(GRIDGOV_COORDINATE_SYSTEM=GCJ02)
def test_a_file_in_the_storage_system_is_not_moved(small_tree: dict[str, Area], tmp_path: Path) -> None:
    import_boundaries(
        feature_collection(tmp_path, RING),
        level=Level.GRID,
        code_field="code",
        name_field="name",
        parent_code="330102001051",
        coordinate_system=GCJ02,
        actor_label="tests",
    )
    boundary = Area.objects.get(code="330102001051003").boundary
    assert boundary is not None
    stored = boundary["coordinates"][0]
    assert sorted(map(tuple, stored)) == sorted(map(tuple, RING))


def test_an_unknown_coordinate_system_imports_nothing(small_tree: dict[str, Area], tmp_path: Path) -> None:
    with pytest.raises(BoundaryImportInvalid):
        import_boundaries(
            feature_collection(tmp_path, RING),
            level=Level.GRID,
            code_field="code",
            name_field="name",
            parent_code="330102001051",
            coordinate_system="bd09",
            actor_label="tests",
        )
    assert not Area.objects.filter(code="330102001051003").exists()


def test_the_storage_system_moves_points_from_gps(settings: Any) -> None:
    from gridgov.core.mapping import point_from_storage, point_to_storage

    settings.GRIDGOV_COORDINATE_SYSTEM = GCJ02
    assert point_to_storage(120.105, 30.205, WGS84) == wgs84_to_gcj02(120.105, 30.205)
    assert point_to_storage(120.105, 30.205, GCJ02) == (120.105, 30.205)
    settings.GRIDGOV_COORDINATE_SYSTEM = WGS84
    assert point_to_storage(120.105, 30.205, WGS84) == (120.105, 30.205)
    assert point_from_storage(120.105, 30.205, GCJ02) == wgs84_to_gcj02(120.105, 30.205)


def test_the_simplified_cache_is_bounded(monkeypatch: pytest.MonkeyPatch, mapped: dict[str, Area]) -> None:
    monkeypatch.setattr(geometry, "_SIMPLIFIED_CACHE_SIZE", 2)
    geometry.simplified_boundaries([GRID_A, GRID_B, GRID_C], 16)
    assert len(geometry._simplified) == 2


def test_a_level_without_boundaries_gives_way_to_the_nearest_that_has_them(mapped: dict[str, Area]) -> None:
    # Communities have no boundary in this tree: at a community zoom the grids are drawn (deeper
    # first), at a district zoom the streets (the nearest level with boundaries).
    _, body = get_map(Client(), "bbox=120.0,30.1,120.3,30.3&zoom=13")
    assert body["level"] == "grid" and len(body["features"]) == 3
    _, body = get_map(Client(), "bbox=120.0,30.1,120.3,30.3&zoom=9")
    assert body["level"] == "street" and len(body["features"]) == 2
    # A level asked for by name is kept even when empty.
    _, body = get_map(Client(), "bbox=120.0,30.1,120.3,30.3&zoom=13&level=community")
    assert body["level"] == "community" and body["features"] == []
