"""Departments, categories, matter rules, time limits and holidays to and from Excel in the admin."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from gridgov.accounts.models import User
from gridgov.areas.models import Area
from gridgov.catalogue.actions import (
    CATEGORY_SHEET_COLUMNS,
    DEPARTMENT_SHEET_COLUMNS,
    HOLIDAY_SHEET_COLUMNS,
    MATTER_SHEET_COLUMNS,
    TIME_LIMIT_SHEET_COLUMNS,
    LoadReport,
    create_district_departments,
    load_catalogue,
)
from gridgov.catalogue.models import (
    CaseCategory,
    Department,
    HolidayDate,
    HolidayKind,
    MatterResponsibility,
    MatterRule,
    TimeLimit,
)
from gridgov.catalogue.queries import current_calendar, get_category, rule_for
from gridgov.core.models import AuditEvent
from gridgov.core.spreadsheets import Column
from tests.admin.sheets import (
    chinese,
    counts,
    export,
    make_xlsx,
    post_file,
    problem_cells,
    read_xlsx,
    refusal,
)


@pytest.fixture
def catalogue(small_tree: dict[str, Area]) -> LoadReport:
    """The bundled catalogue (functions, categories, matters, limits, calendar) and 上城区's departments."""
    report = load_catalogue(actor_label="tests")
    create_district_departments("330102", actor_label="tests")
    return report


def url(model: str, view: str) -> str:
    return reverse(f"admin:catalogue_{model}_{view}")


def department_rows() -> list[tuple[Any, ...]]:
    return [
        (
            *values,
            tuple(sorted(Department.objects.get(pk=values[0]).served_areas.values_list("code", flat=True))),
        )
        for values in Department.objects.order_by("code").values_list(
            "pk", "code", "name", "function_id", "area_id", "is_active", "updated_at"
        )
    ]


def category_rows() -> list[tuple[Any, ...]]:
    links = sorted(
        CaseCategory.functions.through.objects.values_list("casecategory_id", "departmentfunction_id")
    )
    fields = ("code", "name", "scheme", "parent_id", "depth", "is_public", "is_active", "updated_at")
    return [*CaseCategory.objects.order_by("code").values_list(*fields), tuple(links)]


def matter_rows() -> list[tuple[Any, ...]]:
    duties = sorted(MatterResponsibility.objects.values_list("rule_id", "level", "function_id", "pk"))
    fields = ("pk", "category_id", "normal_level", "allows_urgent", "updated_at")
    return [*MatterRule.objects.order_by("pk").values_list(*fields), tuple(duties)]


def limit_rows() -> list[tuple[Any, ...]]:
    fields = ("pk", "rule_id", "step", "level", "is_urgent", "amount", "unit", "source", "updated_at")
    return list(TimeLimit.objects.order_by("pk").values_list(*fields))


def holiday_rows() -> list[tuple[Any, ...]]:
    return list(HolidayDate.objects.order_by("date").values_list("pk", "date", "kind", "name", "updated_at"))


SNAPSHOTS: dict[str, Callable[[], list[tuple[Any, ...]]]] = {
    "department": department_rows,
    "casecategory": category_rows,
    "matterrule": matter_rows,
    "timelimit": limit_rows,
    "holidaydate": holiday_rows,
}
COLUMNS: dict[str, tuple[Column, ...]] = {
    "department": DEPARTMENT_SHEET_COLUMNS,
    "casecategory": CATEGORY_SHEET_COLUMNS,
    "matterrule": MATTER_SHEET_COLUMNS,
    "timelimit": TIME_LIMIT_SHEET_COLUMNS,
    "holidaydate": HOLIDAY_SHEET_COLUMNS,
}


def label(model: str, column_id: str) -> str:
    return chinese(next(column.label for column in COLUMNS[model] if column.id == column_id))


@pytest.mark.parametrize("model", list(SNAPSHOTS))
def test_export_then_import_changes_nothing(catalogue: LoadReport, admin_client: Client, model: str) -> None:
    before, events = SNAPSHOTS[model](), AuditEvent.objects.count()
    content = export(admin_client, url(model, "export"))
    header, rows = read_xlsx(content)
    assert header == [chinese(column.label) for column in COLUMNS[model]]
    assert rows, model
    response = post_file(admin_client, url(model, "import"), content)
    assert response.status_code == 200, refusal(response)
    assert counts(response) == {"created": 0, "updated": 0, "unchanged": len(rows)}
    assert SNAPSHOTS[model]() == before
    assert AuditEvent.objects.count() == events


def test_departments_are_created_and_updated_with_their_served_areas(
    catalogue: LoadReport, admin_client: Client, superuser: User
) -> None:
    content = make_xlsx(
        ["code", "name", "function", "area_code", "served_area_codes", "is_active"],
        [
            [
                "330102001-squad",
                "清波街道城管中队",
                "urban-management",
                "330102001000",
                "330102001051；330102001000",
                "",
            ],
            ["330102-housing", "上城区住建局", "housing", "330102000000", "330102000000", "否"],
            ["330102-ecology", "上城区生态环境分局", "ecology", "330102000000", "330102000000", "是"],
        ],
    )
    response = post_file(admin_client, url("department", "import"), content)
    assert counts(response) == {"created": 1, "updated": 1, "unchanged": 1}, refusal(response)
    squad = Department.objects.get(code="330102001-squad")
    assert (squad.name, squad.function.code if squad.function else None, squad.area_id, squad.is_active) == (
        "清波街道城管中队",
        "urban-management",
        "330102001000",
        True,
    )
    assert sorted(squad.served_areas.values_list("code", flat=True)) == ["330102001000", "330102001051"]
    housing = Department.objects.get(code="330102-housing")
    assert (housing.name, housing.is_active) == ("上城区住建局", False)
    event = AuditEvent.objects.get(action="import_departments")
    assert (event.actor, event.data["created"], event.data["updated"]) == (
        superuser,
        ["330102001-squad"],
        ["330102-housing"],
    )
    again = post_file(admin_client, url("department", "import"), content)
    assert counts(again) == {"created": 0, "updated": 0, "unchanged": 3}
    assert AuditEvent.objects.filter(action="import_departments").count() == 1


def test_categories_are_created_under_their_parent_and_updated(
    catalogue: LoadReport, admin_client: Client
) -> None:
    with_chinese_headers = [chinese(column.label) for column in CATEGORY_SHEET_COLUMNS]
    content = make_xlsx(
        with_chinese_headers,
        [
            ["E0602", "其他占道", "event", "E06", "urban-management;traffic-police", "是", "是"],
            ["E060201", "x", "event", "E0602", "", "", ""],
            ["E0101", "违法搭建", "event", "E01", "urban-management", "no", ""],
        ],
    )
    response = post_file(admin_client, url("casecategory", "import"), content)
    # E060201: the urban-event scheme has two levels only.
    assert response.status_code == 400
    assert problem_cells(response) == [(3, label("casecategory", "code"))]
    assert not CaseCategory.objects.filter(code="E0602").exists()

    content = make_xlsx(with_chinese_headers, [row for i, row in enumerate(read_xlsx(content)[1]) if i != 1])
    response = post_file(admin_client, url("casecategory", "import"), content)
    assert counts(response) == {"created": 1, "updated": 1, "unchanged": 0}
    created = get_category("E0602")
    assert (created.name, created.parent and created.parent.code, created.depth, created.is_public) == (
        "其他占道",
        "E06",
        2,
        True,
    )
    assert sorted(created.functions.values_list("code", flat=True)) == ["traffic-police", "urban-management"]
    updated = get_category("E0101")
    assert (updated.name, updated.is_public, updated.is_active) == ("违法搭建", False, True)
    assert list(updated.functions.values_list("code", flat=True)) == ["urban-management"]
    assert AuditEvent.objects.get(action="import_categories").data["created"] == ["E0602"]


def test_matter_rules_set_levels_urgency_and_duties_per_level(
    catalogue: LoadReport, admin_client: Client
) -> None:
    without_rule = CaseCategory.objects.filter(matter_rule__isnull=True).order_by("code").first()
    assert without_rule is not None
    content = make_xlsx(
        ["category", "normal_level", "allows_urgent", "grid", "community", "street", "district"],
        [
            ["E01", "community", "否", "属地", "the level itself", "urban-management", ""],
            [without_rule.code, "district", "", "", "", "", "housing; ecology"],
        ],
    )
    response = post_file(admin_client, url("matterrule", "import"), content)
    assert counts(response) == {"created": 1, "updated": 1, "unchanged": 0}, refusal(response)
    rule = rule_for("E01")
    assert (rule.normal_level, rule.allows_urgent) == ("community", False)
    assert (
        rule.functions_by_level["district"] == rule.functions_by_level["street"]
    )  # empty: inherited default
    stored = {
        (duty.level, duty.function.code if duty.function else None)
        for duty in MatterRule.objects.get(category__code="E01").responsibilities.select_related("function")
    }
    assert stored == {("grid", None), ("community", None), ("street", "urban-management")}
    new_rule = MatterRule.objects.get(category=without_rule)
    assert new_rule.normal_level == "district" and new_rule.allows_urgent is None
    assert sorted(
        new_rule.responsibilities.filter(level="district").values_list("function__code", flat=True)
    ) == ["ecology", "housing"]
    assert AuditEvent.objects.filter(action="import_matter_rules").count() == 1


def test_time_limits_are_matched_by_category_step_level_and_urgency(
    catalogue: LoadReport, admin_client: Client
) -> None:
    count = TimeLimit.objects.count()
    content = make_xlsx(
        ["category", "step", "level", "is_urgent", "amount", "unit", "source"],
        [
            ["E0101", "handle", "", "", 10, "working_days", "本地规定"],
            ["E0101", "sign", "street", "yes", 1.5, "工作时", ""],
        ],
    )
    response = post_file(admin_client, url("timelimit", "import"), content)
    assert counts(response) == {"created": 1, "updated": 1, "unchanged": 0}, refusal(response)
    assert TimeLimit.objects.count() == count + 1
    handle = TimeLimit.objects.get(rule__category__code="E0101", step="handle", level="", is_urgent=False)
    assert (handle.amount, handle.unit, handle.source) == (Decimal("10"), "working_days", "本地规定")
    sign = TimeLimit.objects.get(rule__category__code="E0101", step="sign", level="street", is_urgent=True)
    assert (sign.amount, sign.unit) == (Decimal("1.5"), "working_hours")
    assert AuditEvent.objects.filter(action="import_time_limits").count() == 1


def test_holidays_are_created_and_updated_and_the_calendar_follows(
    catalogue: LoadReport, admin_client: Client
) -> None:
    assert current_calendar().is_working_day(date(2027, 1, 1))
    content = make_xlsx(
        ["date", "kind", "name"],
        [
            [date(2027, 1, 1), chinese(HolidayKind.HOLIDAY.label), "元旦"],
            ["2026-10-01", "holiday", "国庆节（改）"],
        ],
    )
    response = post_file(admin_client, url("holidaydate", "import"), content)
    assert counts(response) == {"created": 1, "updated": 1, "unchanged": 0}, refusal(response)
    assert HolidayDate.objects.get(date=date(2027, 1, 1)).kind == HolidayKind.HOLIDAY
    assert HolidayDate.objects.get(date=date(2026, 10, 1)).name == "国庆节（改）"
    assert not current_calendar().is_working_day(date(2027, 1, 1))
    assert AuditEvent.objects.get(action="import_holidays").data["created"] == ["2027-01-01"]


BAD_FILES: dict[str, tuple[list[str], list[list[Any]], str]] = {
    # model: (header, rows, column of the bad row 3)
    "department": (
        ["code", "name", "function", "area_code", "served_area_codes"],
        [
            ["330102-new", "新部门", "housing", "330102000000", ""],
            ["330102-bad", "坏部门", "no-such-function", "330102000000", ""],
        ],
        "function",
    ),
    "casecategory": (
        ["code", "name", "scheme", "functions"],
        [["E0602", "新类一", "event", ""], ["E0603", "新类二", "component", ""]],
        "scheme",
    ),
    "matterrule": (
        ["category", "normal_level", "street"],
        [["E01", "street", ""], ["E0101", "street", "urban-management;nobody"]],
        "street",
    ),
    "timelimit": (
        ["category", "step", "level", "is_urgent", "amount", "unit"],
        [["E01", "handle", "", "", 2, "working_days"], ["E0101", "handle", "", "", 1.5, "working_days"]],
        "amount",
    ),
    "holidaydate": (
        ["date", "kind", "name"],
        [["2027-01-01", "holiday", "元旦"], ["2027-01-06", "makeup_workday", "调休"]],
        "kind",
    ),
}


@pytest.mark.parametrize("model", list(BAD_FILES))
def test_one_bad_row_writes_nothing_and_the_report_names_its_row_and_column(
    catalogue: LoadReport, admin_client: Client, model: str
) -> None:
    before, events = SNAPSHOTS[model](), AuditEvent.objects.count()
    header, rows, column = BAD_FILES[model]
    response = post_file(admin_client, url(model, "import"), make_xlsx(header, rows))
    assert response.status_code == 400
    assert problem_cells(response) == [(3, label(model, column))]
    assert SNAPSHOTS[model]() == before
    assert AuditEvent.objects.count() == events
    # Without the bad row the same file goes in.
    good = post_file(admin_client, url(model, "import"), make_xlsx(header, rows[:1]))
    assert good.status_code == 200, refusal(good)
    assert sum(counts(good).values()) == 1
