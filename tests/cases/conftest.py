"""A small district with departments, a catalogue with time limits, and one user per role."""

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from gridgov.accounts.actions import create_user, grant_membership
from gridgov.accounts.models import Role, User
from gridgov.areas.actions import AreaRow, upsert_areas
from gridgov.areas.models import Area, BoundarySource
from gridgov.cases.models import Case
from gridgov.catalogue.actions import create_district_departments, load_catalogue
from gridgov.catalogue.models import Department
from gridgov.core.area_codes import Level

GRID_A = "330102001051001"
GRID_B = "330102001051002"
GRID_C = "330102002001001"


def square(lon: float, lat: float, size: float = 0.01) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
        ],
    }


@dataclass
class World:
    users: dict[str, User]
    departments: dict[str, Department]
    clients: dict[str, Client]

    def client(self, role: str) -> Client:
        return self.clients[role]

    def post(self, role: str, path: str, data: dict[str, Any] | None = None) -> Any:
        return self.clients[role].post(path, data or {}, content_type="application/json")

    def act(self, role: str, case_id: int, action: str, data: dict[str, Any] | None = None) -> Any:
        return self.post(role, f"/api/v1/cases/{case_id}/{action}", data)

    def report(self, role: str = "resident", **fields: Any) -> dict[str, Any]:
        body = {"source": "web", "title": "垃圾桶满溢", "lon": 120.105, "lat": 30.205, **fields}
        response = self.post(role, "/api/v1/cases/", body)
        assert response.status_code in (200, 201), response.content
        return response.json()["case"]

    def case(self, case_id: int) -> Case:
        return Case.objects.get(pk=case_id)


@pytest.fixture
def world(small_tree: dict[str, Area]) -> World:
    upsert_areas(
        [
            AreaRow(GRID_A, "清波门社区第1网格", Level.GRID, "330102001051", square(120.10, 30.20)),
            AreaRow(GRID_B, "清波门社区第2网格", Level.GRID, "330102001051", square(120.12, 30.20)),
            AreaRow(GRID_C, "东坡路社区第1网格", Level.GRID, "330102002001", square(120.14, 30.20)),
        ],
        actor_label="tests",
        boundary_source=BoundarySource.IMPORTED,
    )
    load_catalogue(actor_label="tests")
    departments = {
        d.function.code: d
        for d in create_district_departments("330102000000", actor_label="tests")
        if d.function
    }
    plan = {
        "clerk": (Role.INTAKE_CLERK, "330102000000", None),
        "dispatcher": (Role.DISPATCHER, "330102000000", None),
        "dispatcher2": (Role.DISPATCHER, "330102000000", None),
        "leader": (Role.LEADER, "330102000000", None),
        "grid_worker": (Role.GRID_WORKER, GRID_A, None),
        "other_grid_worker": (Role.GRID_WORKER, GRID_C, None),
        "community_worker": (Role.COMMUNITY_WORKER, "330102001051", None),
        "handler": (Role.DEPARTMENT_HANDLER, None, departments["urban-management"].pk),
        "housing_handler": (Role.DEPARTMENT_HANDLER, None, departments["housing"].pk),
        "resident": (None, None, None),
        "neighbour": (None, None, None),
    }
    users: dict[str, User] = {}
    clients: dict[str, Client] = {}
    for name, (role, area, department) in plan.items():
        user = create_user(username=name, password=None, actor_label="tests")
        if role is not None:
            grant_membership(
                user=user, role=role, area_code=area, department_id=department, actor_label="tests"
            )
        users[name] = user
        client = Client()
        client.force_login(user)
        clients[name] = client
    return World(users, departments, clients)
