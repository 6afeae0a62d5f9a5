"""A grid worker cannot read another grid's data through any API endpoint that exists.

Every path in the OpenAPI schema must have a probe below; a new endpoint without one fails
`test_every_endpoint_has_a_scope_probe`, so scope checks cannot be forgotten.
"""

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from config.api import api
from gridgov.accounts.actions import issue_api_token
from gridgov.accounts.models import Role, User
from gridgov.areas.actions import AreaRow, upsert_areas
from gridgov.areas.models import Area, BoundarySource
from gridgov.catalogue.actions import create_district_departments, load_catalogue
from gridgov.catalogue.models import Department
from gridgov.core.area_codes import Level

OWN_GRID = "330102001051001"
FOREIGN_GRIDS = ("330102001051002", "330102002001001")


def square(lon: float, lat: float, size: float = 0.01) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
        ],
    }


@pytest.fixture
def world(small_tree: dict[str, Area], make_user: Callable[..., User]) -> dict[str, Any]:
    """Boundaries for the three grids, a second district with departments, and a grid worker."""
    upsert_areas(
        [
            AreaRow(OWN_GRID, "清波门社区第1网格", Level.GRID, "330102001051", square(120.10, 30.20)),
            AreaRow(FOREIGN_GRIDS[0], "清波门社区第2网格", Level.GRID, "330102001051", square(120.12, 30.20)),
            AreaRow(FOREIGN_GRIDS[1], "东坡路社区第1网格", Level.GRID, "330102002001", square(120.14, 30.20)),
            AreaRow("330105000000", "拱墅区", Level.DISTRICT, "330100000000"),
        ],
        actor_label="tests",
        boundary_source=BoundarySource.IMPORTED,
    )
    load_catalogue(actor_label="tests")
    own_departments = create_district_departments("330102000000", actor_label="tests")
    foreign_departments = create_district_departments("330105000000", actor_label="tests")
    worker = make_user("worker", Role.GRID_WORKER, small_tree["grid_a"])
    client = Client()
    client.force_login(worker)
    return {
        "client": client,
        "worker": worker,
        "own_department": own_departments[0],
        "foreign_department": foreign_departments[0],
    }


def get(client: Client, path: str) -> tuple[int, Any]:
    response = client.get(path)
    return response.status_code, json.loads(response.content)


def foreign_codes_in(payload: Any) -> set[str]:
    text = json.dumps(payload, ensure_ascii=False)
    return {code for code in FOREIGN_GRIDS if code in text} | (
        {"330102002"} if "330102002" in text else set()
    )


def probe_me(world: dict[str, Any]) -> None:
    status, body = get(world["client"], "/api/v1/accounts/me")
    assert status == 200
    assert body["area_prefixes"] == [OWN_GRID]
    assert foreign_codes_in(body) == set()


def probe_area_list(world: dict[str, Any]) -> None:
    status, body = get(world["client"], "/api/v1/areas/?limit=1000")
    assert status == 200
    assert [item["code"] for item in body["items"]] == [OWN_GRID]
    for parent in ("330102001051", "330102002001", "330102000000"):
        status, body = get(world["client"], f"/api/v1/areas/?parent={parent}")
        assert status == 404, parent
        assert body["code"] == "area_not_found"


def probe_area_detail(world: dict[str, Any]) -> None:
    assert get(world["client"], f"/api/v1/areas/{OWN_GRID}")[0] == 200
    for code in (*FOREIGN_GRIDS, "330102002001", "330102001051", "330102000000"):
        status, body = get(world["client"], f"/api/v1/areas/{code}")
        assert (status, body["code"]) == (404, "area_not_found"), code


def probe_area_boundary(world: dict[str, Any]) -> None:
    status, body = get(world["client"], f"/api/v1/areas/{OWN_GRID}/boundary")
    assert status == 200 and body["geometry"]["type"] == "Polygon"
    for code in FOREIGN_GRIDS:
        status, body = get(world["client"], f"/api/v1/areas/{code}/boundary")
        assert (status, body["code"]) == (404, "area_not_found"), code


def probe_locate(world: dict[str, Any]) -> None:
    status, body = get(world["client"], "/api/v1/areas/locate?lon=120.105&lat=30.205")
    assert status == 200 and body["area"]["code"] == OWN_GRID
    for lon in (120.125, 120.145):  # inside the two foreign grids
        status, body = get(world["client"], f"/api/v1/areas/locate?lon={lon}&lat=30.205")
        assert status == 200
        assert body == {"found": False, "area": None, "ancestors": []}


def probe_categories(world: dict[str, Any]) -> None:
    # Categories are public reference data, not area-scoped; they must carry no area codes.
    status, body = get(world["client"], "/api/v1/catalogue/categories?limit=1000")
    assert status == 200 and body["count"] > 0
    assert foreign_codes_in(body) == set()


def probe_category_detail(world: dict[str, Any]) -> None:
    status, body = get(world["client"], "/api/v1/catalogue/categories/E0101")
    assert status == 200 and body["code"] == "E0101"


def probe_functions(world: dict[str, Any]) -> None:
    status, body = get(world["client"], "/api/v1/catalogue/functions")
    assert status == 200 and len(body) > 0


def probe_department_list(world: dict[str, Any]) -> None:
    status, body = get(world["client"], "/api/v1/catalogue/departments?limit=1000")
    assert status == 200
    ids = {item["id"] for item in body["items"]}
    assert world["own_department"].pk in ids
    foreign = set(Department.objects.filter(area_id="330105000000").values_list("pk", flat=True))
    assert ids.isdisjoint(foreign)


def probe_department_detail(world: dict[str, Any]) -> None:
    assert get(world["client"], f"/api/v1/catalogue/departments/{world['own_department'].pk}")[0] == 200
    status, _body = get(world["client"], f"/api/v1/catalogue/departments/{world['foreign_department'].pk}")
    assert status == 404


PROBES: dict[str, Callable[[dict[str, Any]], None]] = {
    "/api/v1/accounts/me": probe_me,
    "/api/v1/areas/": probe_area_list,
    "/api/v1/areas/locate": probe_locate,
    "/api/v1/areas/{code}": probe_area_detail,
    "/api/v1/areas/{code}/boundary": probe_area_boundary,
    "/api/v1/catalogue/categories": probe_categories,
    "/api/v1/catalogue/categories/{code}": probe_category_detail,
    "/api/v1/catalogue/functions": probe_functions,
    "/api/v1/catalogue/departments": probe_department_list,
    "/api/v1/catalogue/departments/{department_id}": probe_department_detail,
}


def api_paths() -> set[str]:
    return set(api.get_openapi_schema()["paths"])


def test_every_endpoint_has_a_scope_probe() -> None:
    missing = api_paths() - set(PROBES)
    assert not missing, f"add a scope probe to this test for: {sorted(missing)}"
    stale = set(PROBES) - api_paths()
    assert not stale, f"these probed endpoints no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("path", sorted(PROBES))
def test_grid_worker_cannot_read_another_grids_data(path: str, world: dict[str, Any]) -> None:
    PROBES[path](world)


@pytest.mark.parametrize("path", ["/api/v1/accounts/me", "/api/v1/areas/", "/api/v1/catalogue/departments"])
def test_anonymous_callers_get_a_json_401(path: str, db: None) -> None:
    status, body = get(Client(), path)
    assert status == 401
    assert body["code"] == "not_authenticated"


def test_bearer_token_authenticates_and_a_wrong_or_revoked_one_does_not(world: dict[str, Any]) -> None:
    from gridgov.accounts.actions import revoke_api_token

    token, secret = issue_api_token(user=world["worker"], name="patrol app")
    client = Client()
    response = client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200 and response.json()["username"] == "worker"
    assert client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION="Bearer ggv_wrong").status_code == 401
    revoke_api_token(token=token)
    assert client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
