"""Users and memberships to and from Excel in the admin. Passwords are never imported."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from gridgov.accounts.actions import MEMBERSHIP_SHEET_COLUMNS, USER_SHEET_COLUMNS, grant_membership
from gridgov.accounts.admin import UserAdmin
from gridgov.accounts.models import Membership, Role, User
from gridgov.areas.models import Area
from gridgov.catalogue.actions import create_department
from gridgov.core.models import AuditEvent
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

USERS_IMPORT, USERS_EXPORT = reverse("admin:accounts_user_import"), reverse("admin:accounts_user_export")
MEMBERSHIPS_IMPORT = reverse("admin:accounts_membership_import")
MEMBERSHIPS_EXPORT = reverse("admin:accounts_membership_export")


def label(columns: Any, column_id: str) -> str:
    return chinese(next(column.label for column in columns if column.id == column_id))


@pytest.fixture
def people(small_tree: dict[str, Area], make_user: Callable[..., User], superuser: User) -> dict[str, User]:
    department = create_department(code="330102-squad", name="上城区城管中队", area_code="330102000000")
    worker = make_user("worker", Role.GRID_WORKER, small_tree["grid_a"])
    grant_membership(user=worker, role=Role.GRID_LEADER, area_code=small_tree["grid_b"].code)
    handler = make_user("handler", Role.DEPARTMENT_HANDLER, department_id=department.pk)
    gone = make_user("gone", Role.RESIDENT)
    gone.is_active, gone.display_name = False, "离职人员"
    gone.save()
    grant_membership(user=make_user("admin2"), role=Role.ADMINISTRATOR)
    return {"worker": worker, "handler": handler, "gone": gone, "root": superuser}


def user_rows() -> list[tuple[Any, ...]]:
    return list(
        User.objects.order_by("username").values_list(
            "pk", "username", "display_name", "is_active", "password"
        )
    )


def membership_rows() -> list[tuple[Any, ...]]:
    return list(
        Membership.objects.order_by("pk").values_list("pk", "user_id", "role", "area_id", "department_id")
    )


@pytest.mark.parametrize(
    ("export_url", "import_url", "snapshot", "columns"),
    [
        (USERS_EXPORT, USERS_IMPORT, user_rows, USER_SHEET_COLUMNS),
        (MEMBERSHIPS_EXPORT, MEMBERSHIPS_IMPORT, membership_rows, MEMBERSHIP_SHEET_COLUMNS),
    ],
    ids=["users", "memberships"],
)
def test_export_then_import_changes_nothing(
    people: dict[str, User],
    admin_client: Client,
    export_url: str,
    import_url: str,
    snapshot: Callable[[], list[tuple[Any, ...]]],
    columns: Any,
) -> None:
    before, events = snapshot(), AuditEvent.objects.count()
    content = export(admin_client, export_url)
    header, rows = read_xlsx(content)
    assert header == [chinese(column.label) for column in columns]
    assert len(rows) == len(before)
    response = post_file(admin_client, import_url, content)
    assert counts(response) == {"created": 0, "updated": 0, "unchanged": len(before)}, refusal(response)
    assert snapshot() == before
    assert AuditEvent.objects.count() == events


def test_users_are_created_without_a_usable_password_and_updated(
    people: dict[str, User], admin_client: Client, superuser: User
) -> None:
    page = admin_client.get(USERS_IMPORT).content.decode()
    assert escape(chinese(UserAdmin.spreadsheet_notes[0])) in page
    content = make_xlsx(
        ["username", "display_name", "is_active", "password"],
        [
            ["zhangsan", "张三", "", "secret-in-a-spreadsheet"],
            ["worker", "网格员王五", "", ""],
            ["gone", "离职人员", "yes", ""],
            ["handler", "", "否", ""],
        ],
    )
    response = post_file(admin_client, USERS_IMPORT, content)
    assert counts(response) == {"created": 1, "updated": 3, "unchanged": 0}, refusal(response)
    zhangsan = User.objects.get(username="zhangsan")
    assert (zhangsan.display_name, zhangsan.is_active, zhangsan.is_staff) == ("张三", True, False)
    assert not zhangsan.has_usable_password()
    assert not zhangsan.check_password("secret-in-a-spreadsheet")
    assert User.objects.get(username="worker").display_name == "网格员王五"
    assert User.objects.get(username="gone").is_active
    handler = User.objects.get(username="handler")
    assert (handler.is_active, handler.display_name) == (False, "")
    event = AuditEvent.objects.get(action="import_users")
    assert (event.actor, event.data["created"]) == (superuser, ["zhangsan"])
    assert event.data["updated"]["worker"] == {"display_name": ["", "网格员王五"]}
    assert AuditEvent.objects.filter(action="create_user", subject_id=str(zhangsan.pk)).exists()
    again = post_file(admin_client, USERS_IMPORT, content)
    assert counts(again) == {"created": 0, "updated": 0, "unchanged": 4}
    assert AuditEvent.objects.filter(action="import_users").count() == 1


def test_a_bad_user_row_writes_nothing(people: dict[str, User], admin_client: Client) -> None:
    before, events = user_rows(), AuditEvent.objects.count()
    content = make_xlsx(
        ["username", "display_name", "is_active"],
        [["lisi", "李四", ""], ["王 五", "王五", ""], ["root", "", "no"]],
    )
    response = post_file(admin_client, USERS_IMPORT, content)
    assert response.status_code == 400
    assert problem_cells(response) == [
        (3, label(USER_SHEET_COLUMNS, "username")),
        (4, label(USER_SHEET_COLUMNS, "is_active")),  # the importing user cannot deactivate themselves
    ]
    assert user_rows() == before
    assert AuditEvent.objects.count() == events


def test_memberships_are_granted_and_never_revoked(
    people: dict[str, User], small_tree: dict[str, Area], admin_client: Client
) -> None:
    before = membership_rows()
    content = make_xlsx(
        [chinese(column.label) for column in MEMBERSHIP_SHEET_COLUMNS],
        [
            ["worker", "grid_worker", "330102001051001", ""],  # already held
            ["worker", chinese(Role.GRID_WORKER.label), "330102002001001", ""],
            ["gone", "dispatcher", "330102000000", ""],
            ["handler", "department_handler", "", "330102-squad"],  # already held
        ],
    )
    response = post_file(admin_client, MEMBERSHIPS_IMPORT, content)
    assert counts(response) == {"created": 2, "updated": 0, "unchanged": 2}, refusal(response)
    assert len(membership_rows()) == len(before) + 2
    assert Membership.objects.filter(
        user__username="worker", role=Role.GRID_WORKER, area_id="330102002001001"
    ).exists()
    assert Membership.objects.filter(
        user__username="gone", role=Role.DISPATCHER, area_id="330102000000"
    ).exists()
    assert set(before) <= set(membership_rows())
    assert AuditEvent.objects.filter(action="grant_membership").count() >= 2
    assert len(AuditEvent.objects.get(action="import_memberships").data["granted"]) == 2


def test_a_bad_membership_row_writes_nothing(people: dict[str, User], admin_client: Client) -> None:
    before, events = membership_rows(), AuditEvent.objects.count()
    content = make_xlsx(
        ["username", "role", "area_code", "department_code"],
        [
            ["worker", "grid_worker", "330102002001001", ""],
            ["gone", "dispatcher", "", ""],
            ["nobody", "resident", "", ""],
            ["handler", "department_handler", "330102000000", "330102-squad"],
        ],
    )
    response = post_file(admin_client, MEMBERSHIPS_IMPORT, content)
    assert response.status_code == 400
    area, username = label(MEMBERSHIP_SHEET_COLUMNS, "area_code"), label(MEMBERSHIP_SHEET_COLUMNS, "username")
    assert problem_cells(response) == [(3, area), (4, username), (5, area)]
    assert membership_rows() == before
    assert AuditEvent.objects.count() == events
