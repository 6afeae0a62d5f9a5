"""The admin pages of the catalogue render for a superuser."""

from collections.abc import Callable

import pytest
from django.test import Client

from gridgov.accounts.actions import create_user
from gridgov.accounts.models import User
from gridgov.areas.models import Area
from gridgov.catalogue.actions import LoadReport, create_district_departments
from gridgov.catalogue.queries import get_category


@pytest.mark.parametrize(
    "path",
    [
        "/admin/catalogue/casecategory/",
        "/admin/catalogue/casecategory/?scheme=component&depth=2",
        "/admin/catalogue/casecategory/?q=%E4%BA%95%E7%9B%96",
        "/admin/catalogue/departmentfunction/",
        "/admin/catalogue/department/",
        "/admin/catalogue/department/add/",
    ],
)
def test_admin_pages(
    catalogue: LoadReport,
    small_tree: dict[str, Area],
    client_for: Callable[[User], Client],
    path: str,
) -> None:
    create_district_departments("330102", actor_label="tests")
    admin = create_user(username="root", password="pw", is_staff=True, is_superuser=True, actor_label="tests")
    assert client_for(admin).get(path).status_code == 200


def test_category_change_page_lists_children(
    catalogue: LoadReport, client_for: Callable[[User], Client]
) -> None:
    admin = create_user(username="root", password="pw", is_staff=True, is_superuser=True, actor_label="tests")
    response = client_for(admin).get(f"/admin/catalogue/casecategory/{get_category('E01').pk}/change/")
    assert response.status_code == 200
    assert "私搭乱建" in response.content.decode()
