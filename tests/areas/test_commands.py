"""import_boundaries (action and command), import_divisions and locate commands."""

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from gridgov.areas.actions import AreaRow, FeatureNote, import_boundaries, upsert_areas
from gridgov.areas.errors import BoundaryImportInvalid
from gridgov.areas.models import Area, BoundaryVersion
from gridgov.core.area_codes import Level
from gridgov.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def square(lon: float, lat: float, size: float) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(geometry: dict[str, Any] | None, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def write_collection(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def hangzhou() -> None:
    upsert_areas(
        [
            AreaRow("330000000000", "浙江省", Level.PROVINCE, None),
            AreaRow("330100000000", "杭州市", Level.CITY, "330000000000"),
        ],
        actor_label="tests",
    )


BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[120.1, 30.1], [120.11, 30.11], [120.11, 30.1], [120.1, 30.11], [120.1, 30.1]]],
}


def mixed_features() -> list[dict[str, Any]]:
    return [
        feature(square(120.0, 30.0, 0.01), adcode=330102, name="上城区"),
        feature(BOWTIE, adcode=330105, name="拱墅区"),
        feature({"type": "Point", "coordinates": [120.0, 30.0]}, adcode=330106, name="西湖区"),
        feature(square(120.2, 30.0, 0.01), name="滨江区"),
        feature(
            {"type": "Polygon", "coordinates": [[[120, 30], [121, 31], [122, 32], [120, 30]]]},
            adcode=330109,
            name="萧山区",
        ),
        feature(square(120.3, 30.0, 0.01), adcode=3301, name="杭州"),
        feature(square(117.2, 31.8, 0.01), adcode=340102, name="瑶海区"),
        feature(square(120.4, 30.0, 0.01), adcode="330102", name="上城区"),
        feature(square(120.5, 30.0, 0.01), adcode=330110),
    ]


EXPECTED_PROBLEMS = [
    (2, "330106000000", "The geometry is a Point; only Polygon and MultiPolygon are accepted."),
    (3, "", "no adcode property"),
    (
        4,
        "330109000000",
        "The geometry is not valid (Self-intersection[121 31]) and cannot be repaired into a polygon.",
    ),
    (5, "3301", "bad code: '3301' is too short for a district code"),
    (6, "340102000000", "the parent area 340100000000 does not exist"),
    (7, "330102000000", "the code is also given by feature 0"),
    (8, "330110000000", "no name property"),
]


class TestImportBoundaries:
    def test_any_bad_feature_imports_nothing_and_reports_every_bad_one(self, tmp_path: Path) -> None:
        hangzhou()
        path = write_collection(tmp_path / "districts.geojson", mixed_features())
        before = list(Area.objects.order_by("code").values_list())
        with pytest.raises(BoundaryImportInvalid) as caught:
            import_boundaries(
                path, level=Level.DISTRICT, code_field="adcode", name_field="name", actor_label="tests"
            )
        problems = caught.value.details["problems"]
        assert [(p["index"], p["code"], p["reason"]) for p in problems] == EXPECTED_PROBLEMS
        assert str(caught.value.message) == "7 of 9 features are bad; nothing was imported."
        assert list(Area.objects.order_by("code").values_list()) == before
        assert BoundaryVersion.objects.count() == 0
        assert AuditEvent.objects.filter(action="import_boundaries").count() == 0

    def test_skip_invalid_imports_the_good_ones_and_reports_the_bad_ones(self, tmp_path: Path) -> None:
        hangzhou()
        path = write_collection(tmp_path / "districts.geojson", mixed_features())
        report = import_boundaries(
            path,
            level=Level.DISTRICT,
            code_field="adcode",
            name_field="name",
            skip_invalid=True,
            actor_label="tests",
        )
        assert (report.features, report.created, report.updated, report.unchanged) == (9, 2, 0, 0)
        assert report.repaired == (
            FeatureNote(1, "330105000000", "repaired: Self-intersection[120.105 30.105]"),
        )
        assert [(n.index, n.code, n.reason) for n in report.skipped] == EXPECTED_PROBLEMS
        assert list(
            Area.objects.filter(level="district")
            .order_by("code")
            .values_list("code", "name", "parent_id", "boundary_source")
        ) == [
            ("330102000000", "上城区", "330100000000", "imported"),
            ("330105000000", "拱墅区", "330100000000", "imported"),
        ]
        repaired = Area.objects.get(code="330105000000").boundary
        assert repaired is not None
        assert repaired["type"] == "MultiPolygon"
        assert len(repaired["coordinates"]) == 2
        event = AuditEvent.objects.get(action="import_boundaries")
        assert event.data["created"] == 2
        assert [s["index"] for s in event.data["skipped"]] == [2, 3, 4, 5, 6, 7, 8]
        again = import_boundaries(
            path,
            level=Level.DISTRICT,
            code_field="adcode",
            name_field="name",
            skip_invalid=True,
            actor_label="tests",
        )
        assert (again.created, again.updated, again.unchanged, again.boundary_version) == (0, 0, 2, None)

    def test_existing_names_are_kept_and_empty_ones_filled(self, tmp_path: Path) -> None:
        hangzhou()
        upsert_areas([AreaRow("330102000000", "上城区", Level.DISTRICT, "330100000000")], actor_label="tests")
        Area.objects.create(code="330105000000", name="", level="district", parent_id="330100000000")
        path = write_collection(
            tmp_path / "d.geojson",
            [
                feature(square(120.0, 30.0, 0.01), adcode=330102, name="Shangcheng"),
                feature(square(120.1, 30.0, 0.01), adcode=330105, name="Gongshu"),
            ],
        )
        report = import_boundaries(
            path, level=Level.DISTRICT, code_field="adcode", name_field="name", actor_label="t"
        )
        assert (report.created, report.updated) == (0, 2)
        assert dict(Area.objects.filter(level="district").values_list("code", "name")) == {
            "330102000000": "上城区",
            "330105000000": "Gongshu",
        }

    def test_with_a_parent_a_short_code_is_the_local_number(self, tmp_path: Path) -> None:
        hangzhou()
        upsert_areas([AreaRow("330102000000", "上城区", Level.DISTRICT, "330100000000")], actor_label="tests")
        path = write_collection(
            tmp_path / "streets.geojson",
            [
                feature(square(120.0, 30.0, 0.01), num=1, label="清波街道"),
                feature(square(120.01, 30.0, 0.01), num="002", label="湖滨街道"),
                feature(square(120.02, 30.0, 0.01), num="330102003", label="小营街道"),
                feature(square(120.03, 30.0, 0.01), num="330105004", label="别处街道"),
                feature(square(120.04, 30.0, 0.01), num=0, label="零"),
            ],
        )
        with pytest.raises(BoundaryImportInvalid) as caught:
            import_boundaries(
                path,
                level=Level.STREET,
                code_field="num",
                name_field="label",
                parent_code="330102000000",
                actor_label="tests",
            )
        assert [(p["index"], p["reason"]) for p in caught.value.details["problems"]] == [
            (3, "bad code: 330105004000 does not lie in 330102000000"),
            (4, "bad code: '0' is not a 3-digit street number"),
        ]
        report = import_boundaries(
            path,
            level=Level.STREET,
            code_field="num",
            name_field="label",
            parent_code="330102000000",
            skip_invalid=True,
            actor_label="tests",
        )
        assert report.created == 3
        assert list(
            Area.objects.filter(level="street").order_by("code").values_list("code", "parent_id")
        ) == [
            ("330102001000", "330102000000"),
            ("330102002000", "330102000000"),
            ("330102003000", "330102000000"),
        ]

    @pytest.mark.parametrize(
        ("parent", "level", "reason"),
        [
            ("330199000000", Level.STREET, "the parent area 330199000000 does not exist"),
            ("330100000000", Level.STREET, "level street is not the level below the parent's (city)"),
        ],
    )
    def test_a_wrong_parent_refuses_the_whole_file(
        self, tmp_path: Path, parent: str, level: Level, reason: str
    ) -> None:
        hangzhou()
        path = write_collection(
            tmp_path / "s.geojson", [feature(square(120.0, 30.0, 0.01), num=1, label="x")]
        )
        with pytest.raises(BoundaryImportInvalid) as caught:
            import_boundaries(
                path,
                level=level,
                code_field="num",
                name_field="label",
                parent_code=parent,
                skip_invalid=True,
                actor_label="tests",
            )
        assert caught.value.details["problems"] == [{"index": None, "code": "", "reason": reason}]

    def test_a_file_that_is_not_a_feature_collection_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "x.geojson"
        path.write_text(json.dumps(square(0, 0, 1)), encoding="utf-8")
        with pytest.raises(BoundaryImportInvalid) as caught:
            import_boundaries(path, level=Level.CITY, code_field="a", name_field="b", actor_label="tests")
        assert caught.value.details["problems"][0]["reason"] == "the file is not a GeoJSON FeatureCollection"

    def test_command_reports_bad_features_and_exits_with_an_error(self, tmp_path: Path) -> None:
        hangzhou()
        path = write_collection(tmp_path / "districts.geojson", mixed_features())
        err = StringIO()
        with pytest.raises(CommandError) as caught:
            call_command(
                "import_boundaries",
                str(path),
                "--level=district",
                "--code-field=adcode",
                "--name-field=name",
                stderr=err,
            )
        assert str(caught.value) == "7 of 9 features are bad; nothing was imported."
        assert err.getvalue().splitlines()[:2] == [
            "feature 2 (330106000000): The geometry is a Point; only Polygon and MultiPolygon are accepted.",
            "feature 3: no adcode property",
        ]
        assert Area.objects.filter(level="district").count() == 0

    def test_command_with_skip_invalid(self, tmp_path: Path) -> None:
        hangzhou()
        path = write_collection(tmp_path / "districts.geojson", mixed_features())
        out, err = StringIO(), StringIO()
        call_command(
            "import_boundaries",
            str(path),
            "--level=district",
            "--code-field=adcode",
            "--name-field=name",
            "--skip-invalid",
            stdout=out,
            stderr=err,
        )
        assert out.getvalue().splitlines() == [
            "feature 1 (330105000000): repaired: Self-intersection[120.105 30.105]",
            "Features: 9; areas 2 created, 0 updated, 0 unchanged; 1 repaired, 7 skipped.",
        ]
        assert len(err.getvalue().splitlines()) == 7
        assert Area.objects.filter(level="district").count() == 2


class TestImportDivisionsCommand:
    def test_bad_rows_are_printed_and_the_command_fails(self, tmp_path: Path) -> None:
        (tmp_path / "provinces.csv").write_text("code,name\n33,浙江省\n3x,坏\n", encoding="utf-8")
        (tmp_path / "cities.csv").write_text("code,name,provinceCode\n3301,杭州市,33\n", encoding="utf-8")
        (tmp_path / "areas.csv").write_text("code,name,cityCode\n330102,上城区,3301\n", encoding="utf-8")
        (tmp_path / "streets.csv").write_text(
            "code,name,areaCode\n330102001,清波街道,330102\n", encoding="utf-8"
        )
        err = StringIO()
        with pytest.raises(CommandError) as caught:
            call_command("import_divisions", f"--data-dir={tmp_path}", "--no-progress", stderr=err)
        assert str(caught.value) == "1 bad row in the division files; nothing was imported."
        assert err.getvalue().splitlines() == ["provinces.csv:3: bad code 3x: '3x' is not a number"]
        assert Area.objects.count() == 0
        out = StringIO()
        (tmp_path / "provinces.csv").write_text("code,name\n33,浙江省\n", encoding="utf-8")
        call_command("import_divisions", f"--data-dir={tmp_path}", "--no-progress", stdout=out)
        assert out.getvalue().startswith("Areas: 4 created, 0 updated, 0 unchanged (")

    def test_a_missing_folder_is_an_error(self, tmp_path: Path) -> None:
        with pytest.raises(CommandError, match="is not a folder"):
            call_command("import_divisions", f"--data-dir={tmp_path / 'nope'}", "--no-progress")


# ---------------------------------------------------------------------------------------------
# locate


def located_tree() -> None:
    upsert_areas(
        [
            AreaRow("330000000000", "浙江省", Level.PROVINCE, None),
            AreaRow("330100000000", "杭州市", Level.CITY, "330000000000"),
            AreaRow(
                "330102000000", "上城区", Level.DISTRICT, "330100000000", boundary=square(120.0, 30.0, 0.1)
            ),
            AreaRow(
                "330102001000", "清波街道", Level.STREET, "330102000000", boundary=square(120.0, 30.0, 0.05)
            ),
        ],
        actor_label="tests",
    )


INPUT = (
    "id,Note,LATITUDE,Longitude\n"
    "1,in the street,30.01,120.01\n"
    "2,in the district only,30.07,120.07\n"
    "3,outside,31.5,121.5\n"
    "4,no point,,\n"
    '5,"two\nlines",abc,120.01\n'
    "6,short row\n"
)
EXPECTED = (
    "id,Note,LATITUDE,Longitude,area_code,area_name\r\n"
    "1,in the street,30.01,120.01,330102001000,清波街道\r\n"
    "2,in the district only,30.07,120.07,330102000000,上城区\r\n"
    "3,outside,31.5,121.5,,\r\n"
    "4,no point,,,,\r\n"
    '5,"two\nlines",abc,120.01,,\r\n'
    "6,short row,,,,\r\n"
)


class TestLocateCommand:
    def test_copies_every_row_and_appends_the_area(self, tmp_path: Path) -> None:
        located_tree()
        source = tmp_path / "points.csv"
        source.write_text(INPUT, encoding="utf-8")
        target = tmp_path / "out.csv"
        out = StringIO()
        call_command("locate", f"--input={source}", f"--output={target}", "--batch-size=2", stdout=out)
        assert target.read_bytes().decode("utf-8") == EXPECTED
        assert out.getvalue() == "Rows: 6; located: 2; outside every area: 1; no point: 3.\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "points.csv"]

    def test_a_missing_field_is_an_error_and_writes_nothing(self, tmp_path: Path) -> None:
        located_tree()
        source = tmp_path / "points.csv"
        source.write_text(INPUT, encoding="utf-8")
        target = tmp_path / "out.csv"
        with pytest.raises(CommandError) as caught:
            call_command("locate", f"--input={source}", f"--output={target}", "--lon-field=lng")
        assert (
            str(caught.value)
            == "The input has no column lng. Its columns are: id, Note, LATITUDE, Longitude."
        )
        assert sorted(p.name for p in tmp_path.iterdir()) == ["points.csv"]

    def test_ambiguous_fields_and_bad_paths_are_errors(self, tmp_path: Path) -> None:
        source = tmp_path / "points.csv"
        source.write_text("lat,LAT,lon\n1,2,3\n", encoding="utf-8")
        with pytest.raises(CommandError, match="several columns named Lat"):
            call_command(
                "locate",
                f"--input={source}",
                f"--output={tmp_path / 'o.csv'}",
                "--lat-field=Lat",
                "--lon-field=lon",
            )
        with pytest.raises(CommandError, match="does not exist"):
            call_command("locate", f"--input={tmp_path / 'none.csv'}", f"--output={tmp_path / 'o.csv'}")
        with pytest.raises(CommandError, match="must not be the input"):
            call_command(
                "locate", f"--input={source}", f"--output={source}", "--lat-field=lat", "--lon-field=lon"
            )
        assert sorted(p.name for p in tmp_path.iterdir()) == ["points.csv"]

    def test_undecodable_input_leaves_no_output(self, tmp_path: Path) -> None:
        located_tree()
        source = tmp_path / "points.csv"
        source.write_bytes(b"latitude,longitude\n30.01,120.01\n" * 1 + b"\xff\xfe,1\n")
        target = tmp_path / "out.csv"
        with pytest.raises(CommandError, match="is not utf-8-sig text"):
            call_command("locate", f"--input={source}", f"--output={target}")
        assert not target.exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["points.csv"]
