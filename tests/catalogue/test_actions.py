"""Catalogue actions against a real database: loading the data files, and departments."""

from pathlib import Path

import pytest

from gridgov.areas.models import Area
from gridgov.catalogue.actions import (
    LoadReport,
    create_department,
    create_district_departments,
    load_catalogue,
    set_served_areas,
    update_department,
)
from gridgov.catalogue.errors import AreaUnknown, CatalogueDataInvalid, DepartmentInvalid, NotADistrict
from gridgov.catalogue.models import CaseCategory, Department, DepartmentFunction
from gridgov.catalogue.queries import get_category, responsible_functions
from gridgov.core.models import AuditEvent


def shape() -> dict[tuple[str, int], int]:
    return {
        (scheme, depth): CaseCategory.objects.filter(scheme=scheme, depth=depth).count()
        for scheme, depth in CaseCategory.objects.values_list("scheme", "depth").distinct()
    }


def function_codes(code: str) -> set[str]:
    return set(get_category(code).functions.values_list("code", flat=True))


def test_first_load_creates_everything(catalogue: LoadReport) -> None:
    assert catalogue.as_dict() == {
        "functions_created": 39,
        "functions_updated": 0,
        "categories_created": 32 + 42 + 650,
        "categories_updated": 0,
        "functions_in_files": 39,
        "categories_in_files": {
            "event": {"1": 6, "2": 26},
            "component": {"1": 6, "2": 36},
            "message": {"1": 15, "2": 118, "3": 517},
        },
    }
    assert DepartmentFunction.objects.count() == 39
    assert shape() == {
        ("event", 1): 6,
        ("event", 2): 26,
        ("component", 1): 6,
        ("component", 2): 36,
        ("message", 1): 15,
        ("message", 2): 118,
        ("message", 3): 517,
    }
    # Distinct labels of the source taxonomy: 15 / 103 / 390.
    messages = CaseCategory.objects.filter(scheme="message")
    assert [messages.filter(depth=d).values("name").distinct().count() for d in (1, 2, 3)] == [15, 103, 390]
    e0101 = get_category("E0101")
    assert (e0101.name, e0101.parent.code if e0101.parent else None, e0101.depth) == ("私搭乱建", "E01", 2)
    m = get_category("M010101")
    assert (m.name, m.parent.code if m.parent else None, m.depth) == ("事故处理", "M0101", 3)
    event = AuditEvent.objects.get(action="load_catalogue")
    assert (event.actor_label, event.data["categories_created"], event.data["updated_codes"]) == (
        "tests",
        724,
        [],
    )


def test_second_load_changes_and_writes_nothing(catalogue: LoadReport) -> None:
    stamps = dict(CaseCategory.objects.values_list("code", "updated_at"))
    audit_count = AuditEvent.objects.count()
    report = load_catalogue(actor_label="tests")
    assert (
        report.functions_created,
        report.functions_updated,
        report.categories_created,
        report.categories_updated,
    ) == (0, 0, 0, 0)
    assert not report.changed
    assert dict(CaseCategory.objects.values_list("code", "updated_at")) == stamps
    assert AuditEvent.objects.count() == audit_count
    assert CaseCategory.objects.count() == 724


@pytest.mark.parametrize(
    ("code", "name", "functions"),
    [
        ("M01", "城乡建设", {"housing"}),
        ("M02", "环境保护", {"ecology"}),
        ("M03", "交通运输", {"transport"}),
        ("M04", "教育文体", {"education", "culture-tourism-sports"}),
        ("M05", "劳动和社会保障", {"human-resources"}),
        ("M06", "商贸旅游", {"commerce", "culture-tourism-sports"}),
        ("M07", "卫生计生", {"health"}),
    ],
)
def test_the_seven_required_message_class_mappings(
    catalogue: LoadReport, code: str, name: str, functions: set[str]
) -> None:
    category = CaseCategory.objects.get(scheme="message", depth=1, name=name)
    assert category.code == code
    assert function_codes(code) == functions


def test_function_names_of_the_required_mappings(catalogue: LoadReport) -> None:
    names = dict(DepartmentFunction.objects.values_list("code", "name"))
    assert [names[c] for c in ("housing", "ecology", "transport", "education", "human-resources")] == [
        "住房和城乡建设",
        "生态环境",
        "交通运输",
        "教育",
        "人力资源和社会保障",
    ]
    assert [names[c] for c in ("culture-tourism-sports", "commerce", "health")] == [
        "文化广电旅游体育",
        "商务",
        "卫生健康",
    ]


def test_every_category_resolves_to_a_responsible_function(catalogue: LoadReport) -> None:
    roots = CaseCategory.objects.filter(depth=1)
    assert all(root.functions.exists() for root in roots)
    orphans = [c.code for c in CaseCategory.objects.all() if not responsible_functions(c)]
    assert orphans == []


def test_children_inherit_or_override(catalogue: LoadReport) -> None:
    def resolved(code: str) -> list[str]:
        return [f.code for f in responsible_functions(get_category(code))]

    assert resolved("M010101") == ["housing"]  # 城乡建设 › 安全生产 › 事故处理, from M01
    traffic = CaseCategory.objects.get(parent__code="M11", name="交通管理")
    assert resolved(traffic.code) == ["traffic-police"]
    food = CaseCategory.objects.get(parent__code="M07", name="食品药品监管")
    assert resolved(food.code) == ["market-regulation"]
    assert resolved("E0101") == ["urban-management"]
    assert resolved("C0101") == ["water-utility"]
    assert resolved("C0401") == ["landscaping"]
    assert resolved("E0504") == ["emergency", "fire"]  # in function order


def test_changed_files_update_only_what_changed(catalogue: LoadReport, data_copy: Path) -> None:
    path = data_copy / "urban-categories.csv"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "E0101,私搭乱建,event,E01,urban-management", "E0101,违法搭建,event,E01,urban-management"
    )
    text = text.replace("C0113,路灯,component,C01,municipal", "C0113,路灯,component,C01,municipal;power")
    path.write_text(text + "E0602,新增事件,event,E06,\n", encoding="utf-8")
    functions = data_copy / "functions.csv"
    functions.write_text(
        functions.read_text(encoding="utf-8").replace("水利,水利局", "水利,水利和水务局"), encoding="utf-8"
    )
    report = load_catalogue(actor_label="tests", data_dir=data_copy)
    assert (
        report.functions_created,
        report.functions_updated,
        report.categories_created,
        report.categories_updated,
    ) == (0, 1, 1, 2)
    assert get_category("E0101").name == "违法搭建"
    assert function_codes("C0113") == {"municipal", "power"}
    assert function_codes("E0602") == set()
    assert DepartmentFunction.objects.get(code="water").unit_suffix == "水利和水务局"
    event = AuditEvent.objects.filter(action="load_catalogue").latest("id")
    assert event.data["updated_codes"] == ["C0113", "E0101"]


def test_a_broken_file_is_refused_and_nothing_is_written(db: None, data_copy: Path) -> None:
    path = data_copy / "message-taxonomy.csv"
    text = path.read_text(encoding="utf-8").replace(
        "M01,城乡建设,message,,housing", "M01,城乡建设,message,,builders"
    )
    path.write_text(text + "M16,多余,event,,\n", encoding="utf-8")
    with pytest.raises(CatalogueDataInvalid) as caught:
        load_catalogue(actor_label="tests", data_dir=data_copy)
    assert caught.value.details == {
        "errors": [
            {"file": "message-taxonomy.csv", "line": 2, "message": "unknown functions: builders"},
            {
                "file": "message-taxonomy.csv",
                "line": 652,
                "message": "code M16 of scheme event must start with E",
            },
        ]
    }
    assert caught.value.as_dict()["code"] == "catalogue_data_invalid"
    assert (DepartmentFunction.objects.count(), CaseCategory.objects.count(), AuditEvent.objects.count()) == (
        0,
        0,
        0,
    )


def test_a_broken_file_leaves_a_loaded_catalogue_as_it_was(catalogue: LoadReport, data_copy: Path) -> None:
    path = data_copy / "urban-categories.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace("E0101,私搭乱建", "E0101,违法搭建") + "X01,坏,event,,\n",
        encoding="utf-8",
    )
    audit_count = AuditEvent.objects.count()
    with pytest.raises(CatalogueDataInvalid):
        load_catalogue(actor_label="tests", data_dir=data_copy)
    assert get_category("E0101").name == "私搭乱建"
    assert AuditEvent.objects.count() == audit_count


def test_district_departments_one_per_function(catalogue: LoadReport, small_tree: dict[str, Area]) -> None:
    departments = create_district_departments("330102000000", actor_label="tests")
    assert len(departments) == 39
    by_code = {d.code: d for d in departments}
    housing = by_code["330102-housing"]
    assert housing.name == "上城区住房和城乡建设局"
    assert by_code["330102-urban-management"].name == "上城区城市管理局"
    assert by_code["330102-discipline"].name == "上城区纪委监委"
    assert departments[0].code == "330102-general-office"
    assert (housing.area_id, housing.function.code if housing.function else None) == (
        "330102000000",
        "housing",
    )
    assert list(housing.served_areas.values_list("code", flat=True)) == ["330102000000"]
    assert AuditEvent.objects.filter(action="create_department").count() == 39


def test_district_departments_are_idempotent(catalogue: LoadReport, small_tree: dict[str, Area]) -> None:
    first = create_district_departments("330102", actor_label="tests")
    update_department(first[0], name="上城区委办公室（区政府办公室）", actor_label="tests")
    audit_count = AuditEvent.objects.count()
    second = create_district_departments("330102000000", actor_label="tests")
    assert [d.pk for d in second] == [d.pk for d in first]
    assert second[0].name == "上城区委办公室（区政府办公室）"
    assert Department.objects.count() == 39
    assert AuditEvent.objects.count() == audit_count


def test_district_departments_need_a_district_and_functions(db: None, small_tree: dict[str, Area]) -> None:
    with pytest.raises(DepartmentInvalid):
        create_district_departments("330102000000", actor_label="tests")
    with pytest.raises(NotADistrict):
        create_district_departments("330102001000", actor_label="tests")
    with pytest.raises(AreaUnknown):
        create_district_departments("330106000000", actor_label="tests")
    assert Department.objects.count() == 0


def test_create_update_and_serve(catalogue: LoadReport, small_tree: dict[str, Area]) -> None:
    squad = create_department(
        code="330102001-urban-management",
        name="清波街道城管中队",
        area_code="330102001000",
        function_code="urban-management",
        actor_label="tests",
    )
    assert list(squad.served_areas.values_list("code", flat=True)) == ["330102001000"]
    with pytest.raises(DepartmentInvalid):
        create_department(code="330102001-urban-management", name="again", area_code="330102001000")
    with pytest.raises(DepartmentInvalid):
        create_department(code="not a slug", name="x", area_code="330102001000")
    with pytest.raises(AreaUnknown):
        create_department(code="x", name="x", area_code="330102001000", served_area_codes=["999999999999"])
    with pytest.raises(DepartmentInvalid):
        create_department(code="y", name="y", area_code="330102001000", function_code="no-such")
    assert Department.objects.count() == 1

    squad = update_department(squad, name="清波街道综合行政执法队", function_code=None, actor_label="tests")
    assert (squad.name, squad.function_id) == ("清波街道综合行政执法队", None)
    event = AuditEvent.objects.filter(action="update_department").get()
    assert event.data["changes"] == {
        "name": ["清波街道城管中队", "清波街道综合行政执法队"],
        "function": ["urban-management", None],
    }
    update_department(squad, name="清波街道综合行政执法队", actor_label="tests")
    assert AuditEvent.objects.filter(action="update_department").count() == 1

    set_served_areas(squad, ["330102001000", "330102002000"], actor_label="tests")
    assert sorted(squad.served_areas.values_list("code", flat=True)) == ["330102001000", "330102002000"]
    with pytest.raises(AreaUnknown):
        set_served_areas(squad, ["330102001000", "330102999000"], actor_label="tests")
    assert squad.served_areas.count() == 2
    event = AuditEvent.objects.get(action="set_served_areas")
    assert (event.data["before"], event.data["after"]) == (["330102001000"], ["330102001000", "330102002000"])
