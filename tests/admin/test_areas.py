"""Areas to and from Excel in the admin: export, import, all or nothing, only for administrators."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from gridgov.accounts.models import Role, User
from gridgov.areas.actions import AREA_SHEET_COLUMNS
from gridgov.areas.models import Area, AreaLevel
from gridgov.core.models import AuditEvent
from gridgov.core.spreadsheets import SpreadsheetInvalid, read_workbook
from tests.admin.sheets import (
    chinese,
    column_index,
    counts,
    edit_xlsx,
    export,
    make_xlsx,
    post_file,
    problem_cells,
    read_xlsx,
    refusal,
)

IMPORT = reverse("admin:areas_area_import")
EXPORT = reverse("admin:areas_area_export")
LABEL = {column.id: column.label for column in AREA_SHEET_COLUMNS}


def snapshot() -> list[tuple[Any, ...]]:
    return list(
        Area.objects.order_by("code").values_list(
            "code", "name", "level", "parent_id", "households", "updated_at"
        )
    )


def test_export_then_import_changes_nothing(small_tree: dict[str, Area], admin_client: Client) -> None:
    Area.objects.filter(pk=small_tree["grid_a"].pk).update(households=120)
    before, events = snapshot(), AuditEvent.objects.count()
    content = export(admin_client, EXPORT)
    header, rows = read_xlsx(content)
    assert header == [chinese(column.label) for column in AREA_SHEET_COLUMNS]
    assert len(rows) == len(before)
    response = post_file(admin_client, IMPORT, content)
    assert response.status_code == 200
    assert counts(response) == {"created": 0, "updated": 0, "unchanged": len(before)}
    assert snapshot() == before
    assert AuditEvent.objects.count() == events


def test_export_writes_the_rows_the_filtered_list_shows(
    small_tree: dict[str, Area], admin_client: Client
) -> None:
    page = admin_client.get(reverse("admin:areas_area_changelist") + "?level=grid&q=清波门")
    assert escape(EXPORT + "?") in page.content.decode()
    _header, rows = read_xlsx(export(admin_client, EXPORT + "?level=grid&q=清波门"))
    assert sorted(row[0] for row in rows) == ["330102001051001", "330102001051002"]


def test_the_export_action_writes_the_selected_rows(
    small_tree: dict[str, Area], admin_client: Client
) -> None:
    response = admin_client.post(
        reverse("admin:areas_area_changelist"),
        {
            "action": "export_selected_to_excel",
            "_selected_action": [small_tree["street"].code, small_tree["grid_c"].code],
        },
    )
    assert response.status_code == 200
    _header, rows = read_xlsx(response.content)
    assert sorted(row[0] for row in rows) == ["330102001000", "330102002001001"]


def test_a_good_file_creates_and_updates_areas_and_writes_one_audit_event(
    small_tree: dict[str, Area], admin_client: Client, superuser: User
) -> None:
    # English headers, in another order, with an extra column the import ignores.
    content = make_xlsx(
        ["Name", "Code", "Level", "Parent code", "Households", "Remarks"],
        [
            ["清波门社区第3网格", "330102001051003", "grid", "330102001051", 88, "new"],
            ["清波街道（新）", "330102001000", "街道/乡镇", "330102000000", None, "renamed"],
            ["东坡路社区", "330102002001", "community", "330102002000", 640, "households"],
            ["上城区", "330102000000", "district", "330100000000", None, ""],
        ],
    )
    response = post_file(admin_client, IMPORT, content)
    assert response.status_code == 200, refusal(response)
    assert counts(response) == {"created": 1, "updated": 2, "unchanged": 1}
    created = Area.objects.get(code="330102001051003")
    assert (created.name, created.level, created.parent_id, created.households) == (
        "清波门社区第3网格",
        "grid",
        "330102001051",
        88,
    )
    assert Area.objects.get(code="330102001000").name == "清波街道（新）"
    assert Area.objects.get(code="330102002001").households == 640
    event = AuditEvent.objects.get(action="import_areas")
    assert event.actor == superuser
    assert event.data["created_codes"] == ["330102001051003"]
    assert sorted(event.data["updated_codes"]) == ["330102001000", "330102002001"]
    assert event.data["file"] == "data.xlsx"
    # The same file again: nothing to do, no audit line.
    again = post_file(admin_client, IMPORT, content)
    assert counts(again) == {"created": 0, "updated": 0, "unchanged": 4}
    assert AuditEvent.objects.filter(action="import_areas").count() == 1


def test_one_bad_row_writes_nothing_and_the_report_names_its_row_and_column(
    small_tree: dict[str, Area], admin_client: Client
) -> None:
    before, events = snapshot(), AuditEvent.objects.count()

    def break_one_row(sheet: Any) -> None:
        sheet.append(
            [
                "330102001051009",
                "新网格",
                chinese(AreaLevel.GRID.label),
                "330102001051",
                5,
            ]
        )
        sheet.append(["330102002001009", "错网格", "grid", "330102001051", 5])  # parent is another community
        sheet.cell(row=2, column=column_index(sheet, chinese(LABEL["name"])), value="改名")

    content = edit_xlsx(export(admin_client, EXPORT), break_one_row)
    response = post_file(admin_client, IMPORT, content)
    assert response.status_code == 400
    bad_row = len(before) + 3
    assert problem_cells(response) == [(bad_row, chinese(LABEL["parent_code"]))]
    assert snapshot() == before
    assert AuditEvent.objects.count() == events


def test_problems_of_cell_kinds_and_of_rows_are_reported_together(
    small_tree: dict[str, Area], admin_client: Client
) -> None:
    content = make_xlsx(
        ["code", "name", "level", "parent_code", "households"],
        [
            ["330102001051003", "a", "grid", "330102001051", "many"],
            ["330102001051004", "b", "city", "330102001051", 1],
            ["330102001051004", "c", "grid", "330102009051", 1],
        ],
    )
    response = post_file(admin_client, IMPORT, content)
    assert response.status_code == 400
    assert problem_cells(response) == [
        (2, chinese(LABEL["households"])),
        (3, chinese(LABEL["level"])),
        (4, chinese(LABEL["code"])),
        (4, chinese(LABEL["parent_code"])),
    ]
    assert not Area.objects.filter(code__in=["330102001051003", "330102001051004"]).exists()


def test_a_file_that_is_not_xlsx_is_refused_with_a_clear_message(
    small_tree: dict[str, Area], admin_client: Client
) -> None:
    before = snapshot()
    content = b"code,name,level,parent_code\n330102001051003,x,grid,330102001051\n"
    response = post_file(admin_client, IMPORT, content, name="areas.csv")
    assert response.status_code == 400
    with translation.override("zh-hans"), pytest.raises(SpreadsheetInvalid) as caught:
        read_workbook(content, AREA_SHEET_COLUMNS, file_name="areas.csv")
    assert escape(str(caught.value.message)) in response.content.decode()
    assert snapshot() == before


def test_a_missing_required_column_is_refused(small_tree: dict[str, Area], admin_client: Client) -> None:
    response = post_file(admin_client, IMPORT, make_xlsx(["code", "name"], [["330102001051003", "x"]]))
    assert response.status_code == 400
    assert escape(chinese(LABEL["level"])) in response.content.decode()
    assert not Area.objects.filter(code="330102001051003").exists()


@pytest.mark.parametrize(
    ("role", "area_key"),
    [(Role.DISPATCHER, "district"), (Role.ADMINISTRATOR, "street"), (Role.LEADER, "province")],
    ids=["dispatcher", "administrator of a street", "leader of the province"],
)
def test_only_superusers_and_administrators_without_an_area_may_import(
    small_tree: dict[str, Area],
    staff_client: Callable[[Role, Area | None], Client],
    role: Role,
    area_key: str | None,
) -> None:
    client = staff_client(role, small_tree[area_key] if area_key else None)
    before = snapshot()
    assert client.get(IMPORT).status_code == 403
    content = make_xlsx(
        ["code", "name", "level", "parent_code"], [["330102001051003", "x", "grid", "330102001051"]]
    )
    assert post_file(client, IMPORT, content).status_code == 403
    assert snapshot() == before


def test_an_administrator_without_an_area_may_import(
    small_tree: dict[str, Area], staff_client: Callable[[Role, Area | None], Client]
) -> None:
    client = staff_client(Role.ADMINISTRATOR, None)
    page = client.get(IMPORT)
    assert page.status_code == 200
    assert 'type="file"' in page.content.decode()
    content = make_xlsx(
        ["code", "name", "level", "parent_code"], [["330102001051003", "x", "grid", "330102001051"]]
    )
    response = post_file(client, IMPORT, content)
    assert counts(response) == {"created": 1, "updated": 0, "unchanged": 0}


def test_a_visitor_who_is_not_staff_is_sent_to_the_login_page(
    small_tree: dict[str, Area], make_user: Callable[..., User]
) -> None:
    client = Client()
    client.force_login(make_user("resident"))
    response = client.get(IMPORT)
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_the_admin_never_deletes_an_area(small_tree: dict[str, Area], admin_client: Client) -> None:
    """Events name their areas by code and evaluation reads a street's events by its list of codes:
    an area stays, even for a superuser."""
    grid = small_tree["grid_a"]
    response = admin_client.post(reverse("admin:areas_area_delete", args=[grid.pk]), {"post": "yes"})
    assert response.status_code == 403
    # Nor is "delete selected" offered on the list.
    admin_client.post(
        reverse("admin:areas_area_changelist"),
        {"action": "delete_selected", "_selected_action": [grid.pk], "post": "yes"},
    )
    assert Area.objects.filter(pk=grid.pk).exists()
