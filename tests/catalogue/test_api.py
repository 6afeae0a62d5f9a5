"""/api/v1/catalogue/: categories and functions for any signed-in user, departments by scope."""

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from gridgov.accounts.models import Role, User
from gridgov.areas.models import Area
from gridgov.catalogue.actions import LoadReport, create_department, create_district_departments
from tests.conftest import make_area

BASE = "/api/v1/catalogue"


@pytest.fixture
def resident_client(
    catalogue: LoadReport, make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> Client:
    client = client_for(make_user("resident"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # messages asserted in their English source
    return client


def get(client: Client, path: str, **params: Any) -> Any:
    response = client.get(BASE + path, params)
    assert response.status_code == 200, response.content
    return response.json()


def test_categories_need_a_signed_in_user(db: None) -> None:
    response = Client().get(BASE + "/categories")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_category_listing_and_filters(resident_client: Client) -> None:
    page = get(resident_client, "/categories", scheme="event", depth=1)
    assert page["count"] == 6
    assert [(c["code"], c["name"]) for c in page["items"]] == [
        ("E01", "市容环境"),
        ("E02", "宣传广告"),
        ("E03", "施工管理"),
        ("E04", "街面秩序"),
        ("E05", "突发事件"),
        ("E06", "其他事件"),
    ]
    assert page["items"][2]["functions"] == ["housing", "urban-management"]
    assert page["items"][0]["parent_code"] is None

    children = get(resident_client, "/categories", parent="E01")
    assert [c["code"] for c in children["items"]] == ["E0101", "E0102", "E0103", "E0104", "E0105", "E0106"]
    assert children["items"][0]["parent_code"] == "E01"

    covers = get(resident_client, "/categories", scheme="component", q="井盖")
    assert covers["count"] == 7
    assert get(resident_client, "/categories", q="m0101")["count"] == 1 + 3

    assert get(resident_client, "/categories")["count"] == 724
    assert get(resident_client, "/categories", scheme="message", depth=3)["count"] == 517
    page = get(resident_client, "/categories", scheme="message", depth=2, limit=10, offset=110)
    assert (page["count"], len(page["items"])) == (118, 8)


def test_category_filter_errors(resident_client: Client) -> None:
    response = resident_client.get(BASE + "/categories", {"parent": "E99"})
    assert (response.status_code, response.json()["code"]) == (404, "category_not_found")
    response = resident_client.get(BASE + "/categories", {"scheme": "kiosk"})
    assert response.status_code == 422


def test_category_detail(resident_client: Client) -> None:
    body = get(resident_client, "/categories/E0101")
    assert body == {
        "code": "E0101",
        "name": "私搭乱建",
        "scheme": "event",
        "scheme_label": "urban management event (事件)",
        "parent_code": "E01",
        "depth": 2,
        "functions": ["urban-management"],
        "is_public": True,
        "is_active": True,
        "ancestors": [{"code": "E01", "name": "市容环境", "depth": 1}],
        "children": [],
        "responsible_functions": [{"code": "urban-management", "name": "城市管理和综合行政执法"}],
    }
    leaf = get(resident_client, "/categories/M010101")
    assert [a["code"] for a in leaf["ancestors"]] == ["M01", "M0101"]
    assert leaf["functions"] == []
    assert leaf["responsible_functions"] == [{"code": "housing", "name": "住房和城乡建设"}]
    root = get(resident_client, "/categories/M04")
    assert [f["code"] for f in root["responsible_functions"]] == ["education", "culture-tourism-sports"]
    assert len(root["children"]) == 10

    response = resident_client.get(BASE + "/categories/E9999")
    assert response.status_code == 404
    assert response.json() == {
        "code": "category_not_found",
        "message": "No such case category.",
        "details": {"code": "E9999"},
    }


def test_functions(resident_client: Client) -> None:
    body = get(resident_client, "/functions")
    assert len(body) == 39
    assert body[0] == {"code": "general-office", "name": "党委和政府办公室", "unit_suffix": "人民政府办公室"}
    assert {"code": "housing", "name": "住房和城乡建设", "unit_suffix": "住房和城乡建设局"} in body


@pytest.fixture
def two_districts(catalogue: LoadReport, small_tree: dict[str, Area]) -> dict[str, Any]:
    district_b = make_area("330105000000", "拱墅区", "district", small_tree["city"])
    street_b = make_area("330105001000", "米市巷街道", "street", district_b)
    community_b = make_area("330105001001", "左家新村社区", "community", street_b)
    grid_b = make_area("330105001001001", "左家新村社区第1网格", "grid", community_b)
    squad = create_department(
        code="qingbo-squad",
        name="清波街道城管中队",
        area_code="330102001000",
        function_code="urban-management",
    )
    return {
        "a": create_district_departments("330102", actor_label="tests"),
        "b": create_district_departments("330105", actor_label="tests"),
        "squad": squad,
        "grid_b": grid_b,
    }


def test_a_grid_worker_sees_their_own_district_only(
    two_districts: dict[str, Any],
    small_tree: dict[str, Area],
    make_user: Callable[..., User],
    client_for: Callable[[User], Client],
) -> None:
    client = client_for(make_user("worker", Role.GRID_WORKER, small_tree["grid_a"]))
    page = get(client, "/departments", limit=100)
    assert page["count"] == 40
    listed = {d["code"] for d in page["items"]}
    assert listed == {d.code for d in two_districts["a"]} | {"qingbo-squad"}
    assert not any(code.startswith("330105") for code in listed)

    housing_a = next(d for d in two_districts["a"] if d.code == "330102-housing")
    body = get(client, f"/departments/{housing_a.pk}")
    assert body == {
        "id": housing_a.pk,
        "code": "330102-housing",
        "name": "上城区住房和城乡建设局",
        "function": {"code": "housing", "name": "住房和城乡建设"},
        "area": {"code": "330102000000", "name": "上城区", "level": "district"},
        "served_areas": [{"code": "330102000000", "name": "上城区", "level": "district"}],
        "is_active": True,
    }

    housing_b = next(d for d in two_districts["b"] if d.code == "330105-housing")
    response = client.get(f"{BASE}/departments/{housing_b.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "department_not_found"
    missing = client.get(f"{BASE}/departments/999999")
    assert missing.json() == response.json() | {"details": {"id": 999999}}

    filtered = get(client, "/departments", function="urban-management", area="330102001051001")
    assert [d["code"] for d in filtered["items"]] == ["330102-urban-management", "qingbo-squad"]


def test_district_b_worker_and_a_department_handler(
    two_districts: dict[str, Any], make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    client_b = client_for(make_user("worker-b", Role.GRID_WORKER, two_districts["grid_b"]))
    page = get(client_b, "/departments", limit=100)
    assert {d["code"] for d in page["items"]} == {d.code for d in two_districts["b"]}
    assert client_b.get(f"{BASE}/departments/{two_districts['squad'].pk}").status_code == 404

    handler = make_user("handler", Role.DEPARTMENT_HANDLER, department_id=two_districts["squad"].pk)
    page = get(client_for(handler), "/departments")
    assert [d["code"] for d in page["items"]] == ["qingbo-squad"]

    resident = client_for(make_user("resident"))
    assert get(resident, "/departments")["count"] == 0

    admin = client_for(make_user("admin", Role.ADMINISTRATOR))
    assert get(admin, "/departments")["count"] == 39 + 39 + 1
