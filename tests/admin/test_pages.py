"""Every import page: in Chinese, refuses what is not an .xlsx file, and is closed to non-administrators."""

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import Role, User
from gridgov.areas.models import Area
from gridgov.core.models import AuditEvent
from gridgov.core.spreadsheets import SpreadsheetUploadForm
from tests.admin.sheets import chinese, make_xlsx, post_file

MODELS = [
    "areas.area",
    "catalogue.department",
    "catalogue.casecategory",
    "catalogue.matterrule",
    "catalogue.timelimit",
    "catalogue.holidaydate",
    "accounts.user",
    "accounts.membership",
]


def admin_url(model: str, view: str) -> str:
    app_label, model_name = model.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{view}")


def test_the_admin_index_is_chinese_by_default(admin_client: Client) -> None:
    response = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en-US")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "zh-hans"
    page = response.content.decode()
    for text in ["gridgov 网格化治理平台", "区域", "部门", "用户", "时限"]:
        assert text in page
    assert "Site administration" not in page and "Log out" not in page


@pytest.mark.parametrize("model", MODELS)
def test_the_change_list_offers_export_and_import(
    model: str, small_tree: dict[str, Area], admin_client: Client
) -> None:
    page = admin_client.get(admin_url(model, "changelist") + "?q=x").content.decode()
    assert f'href="{admin_url(model, "import")}"' in page
    assert f'href="{escape(admin_url(model, "export") + "?q=x")}"' in page
    assert chinese(gettext_lazy("Import from Excel")) in page
    assert chinese(gettext_lazy("Export to Excel")) in page


@pytest.mark.parametrize("model", MODELS)
def test_the_import_page_has_a_labelled_file_input_and_lists_the_columns(
    model: str, small_tree: dict[str, Area], admin_client: Client
) -> None:
    response = admin_client.get(admin_url(model, "import"))
    assert response.status_code == 200
    page = response.content.decode()
    field = SpreadsheetUploadForm()["file"]
    assert f'<label class="required" for="{field.id_for_label}">' in page
    assert f'id="{field.id_for_label}"' in page and 'accept=".xlsx' in page
    model_admin = response.context["columns"]
    for column in model_admin:
        assert escape(chinese(column.label)) in page


@pytest.mark.parametrize("model", MODELS)
def test_a_file_that_is_not_an_xlsx_workbook_changes_nothing(
    model: str, small_tree: dict[str, Area], admin_client: Client
) -> None:
    events = AuditEvent.objects.count()
    response = post_file(admin_client, admin_url(model, "import"), b"code,name\n1,2\n", name="list.csv")
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="errornote"' in page and "list.csv" in page and ".xlsx" in page
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("model", MODELS)
def test_a_post_without_a_file_is_refused(
    model: str, small_tree: dict[str, Area], admin_client: Client
) -> None:
    response = admin_client.post(admin_url(model, "import"), {})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()


@pytest.mark.parametrize("model", MODELS)
def test_staff_who_are_not_administrators_get_403_and_change_nothing(
    model: str,
    small_tree: dict[str, Area],
    staff_client: Callable[[Role, Area | None], Client],
) -> None:
    client = staff_client(Role.DISPATCHER, small_tree["district"])
    events = AuditEvent.objects.count()
    assert client.get(admin_url(model, "import")).status_code == 403
    content = make_xlsx(["code", "name"], [["x", "y"]])
    assert post_file(client, admin_url(model, "import"), content).status_code == 403
    assert client.get(admin_url(model, "export")).status_code == 403
    assert AuditEvent.objects.count() == events


def test_an_export_of_more_rows_than_the_limit_is_refused_with_a_message(
    small_tree: dict[str, Area], admin_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gridgov.areas.admin import AreaAdmin

    monkeypatch.setattr(AreaAdmin, "spreadsheet_max_rows", 3)
    response = admin_client.get(admin_url("areas.area", "export") + "?level=grid", follow=True)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    response = admin_client.get(admin_url("areas.area", "export"), follow=True)
    assert response["Content-Type"].startswith("text/html")
    messages = [str(message) for message in response.context["messages"]]
    assert len(messages) == 1 and str(Area.objects.count()) in messages[0]


def test_a_superuser_sees_who_has_no_password_yet(
    small_tree: dict[str, Area], admin_client: Client, make_user: Callable[..., User]
) -> None:
    from gridgov.accounts.actions import create_user

    create_user(username="no-password-yet", password=None, actor_label="tests")
    page = admin_client.get(admin_url("accounts.user", "changelist") + "?q=no-password").content.decode()
    assert "no-password-yet" in page and 'alt="False"' in page


def test_an_export_with_an_unknown_filter_goes_back_to_the_list(
    small_tree: dict[str, Area], admin_client: Client
) -> None:
    response = admin_client.get(admin_url("areas.area", "export") + "?no_such_field__gt=1")
    assert response.status_code == 302
    assert response["Location"] == admin_url("areas.area", "changelist") + "?e=1"
