"""Geometry checks, measurements and the locate index."""

import math
from typing import Any

import pytest

from gridgov.areas import geometry
from gridgov.areas.actions import AreaRow, bump_boundary_version, upsert_areas
from gridgov.areas.errors import GeometryInvalid
from gridgov.areas.models import Area, BoundaryVersion
from gridgov.core.area_codes import Level
from gridgov.core.models import AuditEvent


def square(lon: float, lat: float, size: float) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


BOWTIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}


class TestReading:
    def test_reads_a_geometry_a_feature_and_json_text(self) -> None:
        as_dict = geometry.geometry_from_geojson(square(1, 2, 1))
        as_feature = geometry.geometry_from_geojson({"type": "Feature", "geometry": square(1, 2, 1)})
        as_text = geometry.geometry_from_geojson('{"type": "Point", "coordinates": [1, 2]}')
        assert as_dict.bounds == as_feature.bounds == (1.0, 2.0, 2.0, 3.0)
        assert as_text.geom_type == "Point"

    @pytest.mark.parametrize(
        ("obj", "message"),
        [
            ("{not json", "The geometry is not JSON: "),
            ([1, 2], "A GeoJSON geometry must be an object."),
            ({"coordinates": [1, 2]}, "The geometry has no type."),
            ({"type": "Feature", "geometry": None}, "The feature has no geometry."),
            ({"type": "Polygon", "coordinates": "x"}, "The Polygon geometry cannot be read: "),
            ({"type": "Hexagon", "coordinates": []}, "The Hexagon geometry cannot be read: "),
        ],
    )
    def test_unreadable_input_raises_a_clear_error(self, obj: Any, message: str) -> None:
        with pytest.raises(GeometryInvalid) as caught:
            geometry.geometry_from_geojson(obj)
        assert str(caught.value.message).startswith(message)

    def test_a_valid_polygon_passes_unchanged(self) -> None:
        checked = geometry.polygonal_geometry(square(120, 30, 0.01))
        assert (checked.repaired, checked.invalid_reason) == (False, "")
        assert checked.as_geojson() == square(120.0, 30.0, 0.01)

    def test_a_bowtie_is_repaired_into_two_triangles(self) -> None:
        checked = geometry.polygonal_geometry(BOWTIE)
        assert checked.repaired is True
        assert checked.invalid_reason == "Self-intersection[0.5 0.5]"
        assert checked.geometry.geom_type == "MultiPolygon"
        assert len(checked.geometry.geoms) == 2
        assert checked.geometry.area == 0.5

    def test_without_repair_a_bowtie_is_refused(self) -> None:
        with pytest.raises(GeometryInvalid) as caught:
            geometry.polygonal_geometry(BOWTIE, repair=False)
        assert str(caught.value.message) == "The geometry is not valid: Self-intersection[0.5 0.5]."

    @pytest.mark.parametrize(
        ("obj", "message"),
        [
            (
                {"type": "Point", "coordinates": [1, 2]},
                "The geometry is a Point; only Polygon and MultiPolygon are accepted.",
            ),
            ({"type": "Polygon", "coordinates": []}, "The geometry is empty."),
            (
                # All on one line: repairing leaves nothing polygonal.
                {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [2, 2], [0, 0]]]},
                "The geometry is not valid (Self-intersection[1 1]) and cannot be repaired into a polygon.",
            ),
            (
                square(500000, 3000000, 1000),  # projected metres, not degrees
                "The coordinates are not longitude and latitude in degrees "
                "(bounds [500000.0, 3000000.0, 501000.0, 3001000.0]); reproject the file first.",
            ),
        ],
    )
    def test_bad_polygons_are_refused(self, obj: Any, message: str) -> None:
        with pytest.raises(GeometryInvalid) as caught:
            geometry.polygonal_geometry(obj)
        assert str(caught.value.message) == message

    def test_z_values_are_dropped(self) -> None:
        ring = [[0, 0, 5], [1, 0, 5], [1, 1, 5], [0, 0, 5]]
        checked = geometry.polygonal_geometry({"type": "Polygon", "coordinates": [ring]})
        assert checked.as_geojson()["coordinates"] == [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]


class TestMeasuring:
    def test_square_near_hangzhou(self) -> None:
        shape = geometry.polygonal_geometry(square(120.0, 30.0, 0.01)).geometry
        metrics = geometry.boundary_metrics(shape)
        assert metrics == geometry.BoundaryMetrics(
            min_lon=120.0,
            min_lat=30.0,
            max_lon=120.01,
            max_lat=30.01,
            centre_lon=120.005,
            centre_lat=30.005,
            area_km2=1.073137,
        )
        exact = (0.01 * 111.32) ** 2 * (math.cos(math.radians(30)) + math.cos(math.radians(30.01))) / 2
        assert metrics.area_km2 == round(exact, 6)

    def test_one_degree_at_the_equator(self) -> None:
        shape = geometry.polygonal_geometry(square(0, 0, 1)).geometry
        # 111.32² · (cos 0° + cos 1°) / 2
        assert geometry.area_km2_of(shape) == 12391.198708

    def test_centre_of_a_multipolygon_lies_inside_it(self) -> None:
        two_squares = {
            "type": "MultiPolygon",
            "coordinates": [square(0, 0, 1)["coordinates"], square(3, 0, 1)["coordinates"]],
        }
        shape = geometry.polygonal_geometry(two_squares).geometry
        # The centroid (2, 0.5) falls in the gap; the representative point is used instead.
        assert shape.centroid.coords[0] == (2.0, 0.5)
        assert geometry.centre_of(shape) == (0.5, 0.5)


# ---------------------------------------------------------------------------------------------
# The locate index


def nested_tree(street_boundary: dict[str, Any] | None = None) -> None:
    """A district 0.1° wide holding two streets side by side and a community inside the first."""
    upsert_areas(
        [
            AreaRow("330000000000", "浙江省", Level.PROVINCE, None),
            AreaRow("330100000000", "杭州市", Level.CITY, "330000000000"),
            AreaRow(
                "330102000000", "上城区", Level.DISTRICT, "330100000000", boundary=square(120.0, 30.0, 0.1)
            ),
            AreaRow(
                "330102001000",
                "清波街道",
                Level.STREET,
                "330102000000",
                boundary=street_boundary or square(120.0, 30.0, 0.05),
            ),
            AreaRow(
                "330102002000", "湖滨街道", Level.STREET, "330102000000", boundary=square(120.05, 30.0, 0.05)
            ),
            AreaRow(
                "330102001051",
                "清波门社区",
                Level.COMMUNITY,
                "330102001000",
                boundary=square(120.01, 30.01, 0.01),
            ),
        ],
        actor_label="tests",
    )


@pytest.mark.django_db
class TestLocate:
    def test_every_containing_area_deepest_first(self) -> None:
        nested_tree()
        assert geometry.containing_area_codes(120.015, 30.015) == [
            "330102001051",
            "330102001000",
            "330102000000",
        ]
        assert geometry.locate_point(120.015, 30.015) == "330102001051"
        assert geometry.locate_point(120.04, 30.04) == "330102001000"
        assert geometry.locate_point(120.07, 30.03) == "330102002000"
        assert geometry.locate_point(120.2, 30.2) is None
        assert geometry.containing_area_codes(120.2, 30.2) == []

    def test_a_point_on_a_shared_border_goes_to_the_lower_code_of_equal_areas(self) -> None:
        nested_tree()
        # x = 120.05 is the border between the two equally large streets.
        assert geometry.containing_area_codes(120.05, 30.03) == [
            "330102001000",
            "330102002000",
            "330102000000",
        ]
        assert geometry.locate_point(120.05, 30.03) == "330102001000"

    def test_a_point_on_a_shared_border_goes_to_the_smaller_area(self) -> None:
        nested_tree(street_boundary=square(120.0, 30.0, 0.05))
        upsert_areas(
            [
                AreaRow(
                    "330102002000",
                    "湖滨街道",
                    Level.STREET,
                    "330102000000",
                    boundary=square(120.05, 30.0, 0.03),
                )
            ],
            actor_label="tests",
        )
        assert geometry.locate_point(120.05, 30.02) == "330102002000"

    def test_locate_points_in_one_batch(self) -> None:
        nested_tree()
        codes = geometry.locate_points(
            [120.015, 120.07, 121.0, None, math.nan, 200.0, 120.04],
            [30.015, 30.03, 31.0, 30.0, 30.0, 30.0, 30.04],
        )
        assert codes == ["330102001051", "330102002000", None, None, None, None, "330102001000"]
        assert geometry.locate_points([], []) == []
        with pytest.raises(ValueError, match="same length"):
            geometry.locate_points([1.0], [])

    def test_index_is_rebuilt_after_a_boundary_change_in_the_same_process(self) -> None:
        nested_tree()
        assert geometry.locate_point(120.015, 30.015) == "330102001051"
        version_before = BoundaryVersion.objects.get().version
        # Move the community away; the street is what is left at the point.
        upsert_areas(
            [
                AreaRow(
                    "330102001051",
                    "清波门社区",
                    Level.COMMUNITY,
                    "330102001000",
                    boundary=square(120.03, 30.03, 0.01),
                )
            ],
            actor_label="tests",
        )
        assert BoundaryVersion.objects.get().version == version_before + 1
        assert geometry.locate_point(120.015, 30.015) == "330102001000"
        assert geometry.locate_point(120.035, 30.035) == "330102001051"

    def test_without_a_version_bump_the_index_is_kept(self) -> None:
        nested_tree()
        assert geometry.locate_point(120.015, 30.015) == "330102001051"
        # A write that bypasses the actions does not move the version: the index still answers
        # from what it was built with, until the version moves.
        Area.objects.filter(code="330102001051").update(boundary=square(120.03, 30.03, 0.01))
        assert geometry.locate_point(120.015, 30.015) == "330102001051"
        bump_boundary_version(actor_label="tests", reason="manual edit")
        assert geometry.locate_point(120.015, 30.015) == "330102001000"
        event = AuditEvent.objects.filter(action="bump_boundary_version").get()
        assert event.data["reason"] == "manual edit"

    def test_an_empty_index_finds_nothing(self) -> None:
        assert geometry.locate_point(120.0, 30.0) is None
        assert geometry.locate_points([120.0], [30.0]) == [None]

    def test_one_point_agrees_with_every_containing_area_and_with_the_batch(self) -> None:
        nested_tree()
        # Every 0.005° over and around the district: interiors, shared borders, corners, outside.
        steps = [round(-0.01 + 0.005 * i, 3) for i in range(25)]
        lons = [120.0 + dx for dx in steps for _dy in steps]
        lats = [30.0 + dy for _dx in steps for dy in steps]
        batch = geometry.locate_points(lons, lats)
        singles = [geometry.locate_point(lon, lat) for lon, lat in zip(lons, lats, strict=True)]
        firsts = [
            next(iter(geometry.containing_area_codes(lon, lat)), None)
            for lon, lat in zip(lons, lats, strict=True)
        ]
        assert singles == batch == firsts
        assert {code for code in singles} == {
            None,
            "330102000000",
            "330102001000",
            "330102002000",
            "330102001051",
        }
        for lon, lat in ((math.nan, 30.0), (120.0, math.inf), (200.0, 30.0), (120.0, -91.0)):
            assert geometry.locate_point(lon, lat) is None
