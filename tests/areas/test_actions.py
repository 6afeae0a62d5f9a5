"""upsert_areas and import_divisions: bulk, idempotent, all or nothing, audited."""

import gzip
from pathlib import Path
from typing import Any

import pytest

from gridgov.areas.actions import BUNDLED_DATA_DIR, AreaRow, UpsertReport, import_divisions, upsert_areas
from gridgov.areas.errors import AreaParentMissing, AreaRowInvalid, DivisionImportInvalid
from gridgov.areas.models import Area, BoundaryVersion
from gridgov.core.area_codes import Level
from gridgov.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def square(lon: float, lat: float, size: float) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def tree_rows(boundary: dict[str, Any] | None = None) -> list[AreaRow]:
    # Deliberately out of order: the upsert sorts by level, so parents in the batch come first.
    return [
        AreaRow("330102001000", "清波街道", Level.STREET, "330102000000", boundary=boundary),
        AreaRow("330100000000", "杭州市", Level.CITY, "330000000000"),
        AreaRow("330000000000", "浙江省", Level.PROVINCE, None),
        AreaRow("330102000000", "上城区", Level.DISTRICT, "330100000000"),
    ]


def area_state() -> list[tuple[Any, ...]]:
    return list(Area.objects.order_by("code").values_list())


def version() -> int:
    return BoundaryVersion.objects.values_list("version", flat=True).first() or 0


class TestUpsertAreas:
    def test_creates_the_tree_with_parents_from_the_same_batch(self) -> None:
        report = upsert_areas(tree_rows(), actor_label="tests")
        assert report == UpsertReport(created=4, updated=0, unchanged=0)
        assert list(Area.objects.order_by("code").values_list("code", "level", "parent_id")) == [
            ("330000000000", "province", None),
            ("330100000000", "city", "330000000000"),
            ("330102000000", "district", "330100000000"),
            ("330102001000", "street", "330102000000"),
        ]
        event = AuditEvent.objects.get()
        assert event.action == "upsert_areas"
        assert event.actor_label == "tests"
        assert event.data["created"] == 4
        assert event.data["updated"] == 0
        assert event.data["unchanged"] == 0

    def test_second_identical_run_changes_no_row(self) -> None:
        upsert_areas(tree_rows(square(120.0, 30.0, 0.01)), actor_label="tests")
        before = area_state()
        version_before = version()
        report = upsert_areas(tree_rows(square(120.0, 30.0, 0.01)), actor_label="tests")
        assert report == UpsertReport(created=0, updated=0, unchanged=4)
        assert area_state() == before  # updated_at included
        assert version() == version_before
        assert [e.data["unchanged"] for e in AuditEvent.objects.order_by("id")] == [0, 4]

    def test_boundary_sets_bbox_centre_and_area_and_bumps_the_version(self) -> None:
        report = upsert_areas(tree_rows(square(120.0, 30.0, 0.01)), actor_label="tests")
        assert report.boundaries_changed == 1
        assert report.boundary_version is not None
        assert report.boundary_version == version() > 0
        street = Area.objects.get(code="330102001000")
        assert street.boundary_source == "imported"
        assert (street.min_lon, street.min_lat, street.max_lon, street.max_lat) == (
            120.0,
            30.0,
            120.01,
            30.01,
        )
        assert (street.centre_lon, street.centre_lat) == (120.005, 30.005)
        # 0.01° × 0.01° at 30°N: (0.01 · 111.32)² · (cos 30° + cos 30.01°) / 2
        assert street.area_km2 == 1.073137
        district = Area.objects.get(code="330102000000")
        assert district.boundary is None
        assert district.area_km2 is None

    def test_changed_rows_are_updated_and_only_they_get_a_new_timestamp(self) -> None:
        upsert_areas(tree_rows(square(120.0, 30.0, 0.01)), actor_label="tests")
        stamps = dict(Area.objects.values_list("code", "updated_at"))
        version_before = version()
        rows = tree_rows(square(120.0, 30.0, 0.02))
        rows[3] = AreaRow("330102000000", "上城区(新)", Level.DISTRICT, "330100000000")
        report = upsert_areas(rows, actor_label="tests")
        assert (report.created, report.updated, report.unchanged, report.boundaries_changed) == (0, 2, 2, 1)
        assert report.boundary_version == version() == version_before + 1
        new_stamps = dict(Area.objects.values_list("code", "updated_at"))
        assert [code for code in sorted(stamps) if stamps[code] != new_stamps[code]] == [
            "330102000000",
            "330102001000",
        ]
        assert Area.objects.get(code="330102000000").name == "上城区(新)"
        assert Area.objects.get(code="330102001000").max_lon == 120.02

    def test_none_boundary_and_households_keep_what_is_stored(self) -> None:
        rows = tree_rows(square(120.0, 30.0, 0.01))
        rows[0].households = 1200
        upsert_areas(rows, actor_label="tests")
        report = upsert_areas(tree_rows(), actor_label="tests")
        assert report == UpsertReport(created=0, updated=0, unchanged=4)
        street = Area.objects.get(code="330102001000")
        assert street.households == 1200
        assert street.boundary == square(120.0, 30.0, 0.01)

    def test_missing_parent_raises_and_writes_nothing(self) -> None:
        rows = [AreaRow("330102001000", "清波街道", Level.STREET, "330102000000")]
        with pytest.raises(AreaParentMissing) as caught:
            upsert_areas(rows, actor_label="tests")
        assert caught.value.details["problems"] == [
            {"code": "330102001000", "parent": "330102000000", "reason": "the parent does not exist"}
        ]
        assert Area.objects.count() == 0
        assert AuditEvent.objects.count() == 0

    def test_bad_rows_are_all_reported_and_nothing_is_written(self) -> None:
        rows = [
            AreaRow("330000000000", "浙江省", Level.PROVINCE, None),
            AreaRow("330100000000", "杭州市", Level.DISTRICT, "330000000000"),
            AreaRow("3301", "杭州市", Level.CITY, "330000000000"),
            AreaRow("330000000000", "浙江", Level.PROVINCE, None),
            AreaRow("340100000000", "合肥市", Level.CITY, "330000000000"),
            AreaRow("330200000000", "", Level.CITY, "330000000000"),
            AreaRow(
                "330300000000",
                "温州市",
                Level.CITY,
                "330000000000",
                boundary={"type": "Point", "coordinates": [1, 2]},
            ),
        ]
        with pytest.raises(AreaRowInvalid) as caught:
            upsert_areas(rows, actor_label="tests")
        problems = caught.value.details["problems"]
        assert [(p["position"], p["code"]) for p in problems] == [
            (1, "330100000000"),
            (2, "3301"),
            (3, "330000000000"),
            (4, "340100000000"),
            (5, "330200000000"),
            (6, "330300000000"),
        ]
        assert problems[0]["reason"] == "the code is a city code but the row says district"
        assert problems[2]["reason"] == "duplicate code (also row 0)"
        assert problems[3]["reason"] == "the code does not lie inside its parent 330000000000"
        assert problems[4]["reason"] == "the name is empty"
        assert problems[5]["reason"] == "The geometry is a Point; only Polygon and MultiPolygon are accepted."
        assert Area.objects.count() == 0
        assert AuditEvent.objects.count() == 0

    def test_an_invalid_boundary_is_refused_not_repaired(self) -> None:
        bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
        rows = [AreaRow("330000000000", "浙江省", Level.PROVINCE, None, boundary=bowtie)]
        with pytest.raises(AreaRowInvalid) as caught:
            upsert_areas(rows, actor_label="tests")
        assert caught.value.details["problems"][0]["reason"] == (
            "The geometry is not valid: Self-intersection[0.5 0.5]."
        )
        assert Area.objects.count() == 0


# ---------------------------------------------------------------------------------------------
# import_divisions on a small hand-made set


def write_divisions(
    folder: Path,
    *,
    streets: str | None = None,
    villages: str | None = None,
    gzip_streets: bool = False,
) -> Path:
    (folder / "provinces.csv").write_text('code,name\n33,"浙江省"\n44,"广东省"\n', encoding="utf-8")
    (folder / "cities.csv").write_text(
        'code,name,provinceCode\n3301,"杭州市",33\n4419,"东莞市",44\n', encoding="utf-8"
    )
    (folder / "areas.csv").write_text(
        'code,name,cityCode,provinceCode\n330102,"上城区",3301,33\n441900,"东莞市",4419,44\n',
        encoding="utf-8",
    )
    streets = streets or (
        "code,name,areaCode,provinceCode,cityCode\n"
        '330102001,"清波街道",330102,33,3301\n'
        '330102002,"湖滨街道",330102,33,3301\n'
        '441900003,"东城街道",441900,44,4419\n'
    )
    if gzip_streets:
        (folder / "streets.csv.gz").write_bytes(gzip.compress(streets.encode("utf-8")))
    else:
        (folder / "streets.csv").write_text(streets, encoding="utf-8")
    villages = villages or "code,name,parent_code\n330102001051,清波门社区,330102001\n"
    (folder / "hangzhou-villages.csv").write_text(villages, encoding="utf-8")
    return folder


class TestImportDivisions:
    def test_imports_a_small_set_and_a_rerun_changes_nothing(self, tmp_path: Path) -> None:
        folder = write_divisions(tmp_path, gzip_streets=True)
        first = import_divisions(folder, progress=False)
        assert (first.created, first.updated, first.unchanged) == (9, 0, 0)
        assert list(Area.objects.order_by("code").values_list("code", "name", "level", "parent_id")) == [
            ("330000000000", "浙江省", "province", None),
            ("330100000000", "杭州市", "city", "330000000000"),
            ("330102000000", "上城区", "district", "330100000000"),
            ("330102001000", "清波街道", "street", "330102000000"),
            ("330102001051", "清波门社区", "community", "330102001000"),
            ("330102002000", "湖滨街道", "street", "330102000000"),
            ("440000000000", "广东省", "province", None),
            # 东莞 has no counties: its "county" row is the city itself and its towns hang below it.
            ("441900000000", "东莞市", "city", "440000000000"),
            ("441900003000", "东城街道", "street", "441900000000"),
        ]
        before = area_state()
        second = import_divisions(folder, progress=False)
        assert (second.created, second.updated, second.unchanged) == (0, 0, 9)
        assert area_state() == before
        events = list(AuditEvent.objects.order_by("id").values_list("action", "data"))
        assert [action for action, _data in events] == ["import_divisions", "import_divisions"]
        assert events[0][1]["merged_placeholders"] == 1
        assert events[0][1]["files"] == [
            "provinces.csv",
            "cities.csv",
            "areas.csv",
            "streets.csv.gz",
            "hangzhou-villages.csv",
        ]

    def test_bad_rows_are_reported_per_row_and_nothing_is_written(self, tmp_path: Path) -> None:
        streets = (
            "code,name,areaCode,provinceCode,cityCode\n"
            '330102001,"清波街道",330102,33,3301\n'
            '330102001,"另一个街道",330102,33,3301\n'  # same code, another name
            '3301020x3,"坏代码",330102,33,3301\n'  # not a number
            '330199004,"无主街道",330199,33,3301\n'  # parent not in areas.csv
            '330102005,"",330102,33,3301\n'  # no name
            '330103006,"跨区街道",330102,33,3301\n'  # code outside its parent
        )
        villages = "code,name,parent_code\n330102001051,清波门社区,330102001\n330199004001,某社区,330199004\n"
        folder = write_divisions(tmp_path, streets=streets, villages=villages)
        with pytest.raises(DivisionImportInvalid) as caught:
            import_divisions(folder, progress=False)
        problems = caught.value.details["problems"]
        assert [(p["file"], p["line"], p["code"]) for p in problems] == [
            ("streets.csv", 3, "330102001"),
            ("streets.csv", 4, "3301020x3"),
            ("streets.csv", 5, "330199004"),
            ("streets.csv", 6, "330102005"),
            ("streets.csv", 7, "330103006"),
            ("hangzhou-villages.csv", 3, "330199004001"),
        ]
        assert [p["reason"] for p in problems] == [
            "the code 330102001000 is already used by 清波街道 (streets.csv:2)",
            "bad code 3301020x3: '3301020x3' is not a number",
            "unknown parent 330199",
            "the name is empty",
            "the code 330103006000 does not lie inside its parent 330102000000",
            "its parent 330199004 is itself a bad row (streets.csv:5)",
        ]
        assert str(caught.value.message) == "6 bad rows in the division files; nothing was imported."
        assert Area.objects.count() == 0
        assert AuditEvent.objects.count() == 0

    def test_a_missing_file_is_reported(self, tmp_path: Path) -> None:
        folder = write_divisions(tmp_path)
        (folder / "areas.csv").unlink()
        with pytest.raises(DivisionImportInvalid) as caught:
            import_divisions(folder, progress=False)
        problems = caught.value.details["problems"]
        assert problems[0] == {"file": "areas.csv", "line": 0, "code": "", "reason": "the file is missing"}
        # Without the counties every street is an orphan, and so is the community below one.
        assert [p["reason"] for p in problems[1:]] == [
            "unknown parent 330102",
            "unknown parent 330102",
            "unknown parent 441900",
            "its parent 330102001 is itself a bad row (streets.csv:2)",
        ]
        assert Area.objects.count() == 0

    def test_a_placeholder_with_another_name_is_a_bad_code(self, tmp_path: Path) -> None:
        folder = write_divisions(tmp_path)
        (folder / "areas.csv").write_text(
            'code,name,cityCode,provinceCode\n330102,"上城区",3301,33\n441900,"莞城",4419,44\n',
            encoding="utf-8",
        )
        with pytest.raises(DivisionImportInvalid) as caught:
            import_divisions(folder, progress=False)
        assert [(p["file"], p["line"], p["reason"]) for p in caught.value.details["problems"]] == [
            ("areas.csv", 3, "bad code 441900: 441900000000 is a city code, not a district code"),
            ("streets.csv", 4, "its parent 441900 is itself a bad row (areas.csv:3)"),
        ]


def test_bundled_divisions_import_once_and_rerun_changes_nothing() -> None:
    first = import_divisions(BUNDLED_DATA_DIR, progress=False)
    # 31 provinces + 342 cities + 2,978 counties + 41,352 townships + 3,222 Hangzhou communities, less
    # the four placeholder rows that repeat their parent (东莞, 中山, 儋州 as counties; 金门 as a township).
    assert (first.created, first.updated, first.unchanged) == (47921, 0, 0)
    assert Area.objects.count() == 47921
    counts = {level: Area.objects.filter(level=level).count() for level in Level}
    assert counts == {
        Level.PROVINCE: 31,
        Level.CITY: 342,
        Level.DISTRICT: 2975,
        Level.STREET: 41351,
        Level.COMMUNITY: 3222,
        Level.GRID: 0,
        Level.MICRO_GRID: 0,
    }
    assert Area.objects.get(code="110100000000").name == "市辖区"
    assert Area.objects.get(code="441900003000").parent_id == "441900000000"
    assert Area.objects.get(code="330102001051").parent_id == "330102001000"
    stamps = dict(Area.objects.values_list("code", "updated_at"))
    second = import_divisions(BUNDLED_DATA_DIR, progress=False)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 47921)
    assert Area.objects.count() == 47921
    assert dict(Area.objects.values_list("code", "updated_at")) == stamps
