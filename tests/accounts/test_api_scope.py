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
from gridgov.cases.actions import Report, dispatch_case, report_case, request_extension
from gridgov.cases.models import Case, CaseEvent
from gridgov.catalogue.actions import create_district_departments, load_catalogue
from gridgov.catalogue.models import Department
from gridgov.core.area_codes import Level
from gridgov.notifications.actions import notify_users
from gridgov.notifications.models import InboxMessage

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
    # A case in grid C (another street), dispatched and with a pending extension request, and an
    # inbox message for somebody else: all of it must stay invisible to the grid A worker.
    dispatcher = make_user("dispatcher", Role.DISPATCHER, small_tree["district"])
    handler = make_user("handler", Role.DEPARTMENT_HANDLER, department_id=own_departments[0].pk)
    foreign = report_case(
        Report(source="grid_patrol", title="占道经营", category_code="E0405", lon=120.145, lat=30.205),
        actor=dispatcher,
    ).case
    dispatch_case(foreign.pk, actor=dispatcher, department_ids=[own_departments[0].pk])
    request = request_extension(foreign.pk, actor=handler, extra_hours=4, reason="need time")
    notify_users([dispatcher], kind="info", title="for the dispatcher only", body="x")
    return {
        "client": client,
        "worker": worker,
        "own_department": own_departments[0],
        "foreign_department": foreign_departments[0],
        "foreign_case": foreign,
        "foreign_request": request,
        "foreign_message": InboxMessage.objects.get(recipient=dispatcher),
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


def probe_area_map(world: dict[str, Any]) -> None:
    # Signed in, the map shows the caller's scope only (an anonymous visitor gets the public map).
    status, body = get(world["client"], "/api/v1/areas/map?bbox=120.0,30.1,120.3,30.3&zoom=16")
    assert status == 200 and body["level"] == "grid"
    assert [feature["id"] for feature in body["features"]] == [OWN_GRID]
    status, body = get(
        world["client"], "/api/v1/areas/map?bbox=120.0,30.1,120.3,30.3&zoom=16&parent=330102002001"
    )
    assert (status, body["code"]) == (404, "area_not_found")


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


def case_state(case_id: int) -> tuple[Any, ...]:
    case = Case.objects.get(pk=case_id)
    return (case.status, case.version, case.me_too_count, CaseEvent.objects.filter(case=case).count())


def probe_case_action(action: str) -> Callable[[dict[str, Any]], None]:
    """POST an action on the foreign case: 404, and the case is exactly as it was."""

    def probe(world: dict[str, Any]) -> None:
        case_id = world["foreign_case"].pk
        before = case_state(case_id)
        response = world["client"].post(
            f"/api/v1/cases/{case_id}/{action}", {}, content_type="application/json"
        )
        if response.status_code == 422:  # body refused before the scope check: try a full body
            response = world["client"].post(
                f"/api/v1/cases/{case_id}/{action}",
                FULL_BODIES.get(action, {}),
                content_type="application/json",
            )
        assert response.status_code == 404, (action, response.status_code, response.content)
        assert case_state(case_id) == before

    return probe


FULL_BODIES: dict[str, dict[str, Any]] = {
    "void": {"reason": "x"},
    "return": {"reason": "x"},
    "escalate": {"reason": "x"},
    "merge": {"into_case_id": 1},
    "whistle": {"department_ids": [1, 2]},
    "check": {"passed": True},
    "rate": {"rating": 5, "satisfied": True},
    "extension": {"extra_hours": 2, "reason": "x"},
    "suspension": {"reason": "x"},
    "supervise": {"instruction": "x"},
    "verify": {"genuine": True},
}


def probe_case_list(world: dict[str, Any]) -> None:
    status, body = get(world["client"], "/api/v1/cases/?limit=1000")
    assert status == 200
    assert world["foreign_case"].pk not in {item["id"] for item in body["items"]}


def probe_case_detail(world: dict[str, Any]) -> None:
    status, body = get(world["client"], f"/api/v1/cases/{world['foreign_case'].pk}")
    assert (status, body["code"]) == (404, "case_not_found")


def probe_case_duplicates(world: dict[str, Any]) -> None:
    status, _body = get(world["client"], f"/api/v1/cases/{world['foreign_case'].pk}/duplicates")
    assert status == 404


def probe_case_report(world: dict[str, Any]) -> None:
    # Reporting is open to everyone; the answer holds the new case and duplicates the caller may see.
    for path in ("/api/v1/cases/", "/api/v1/cases/form"):
        body = {"source": "web", "title": "同一处占道", "category": "E0405", "lon": 120.145, "lat": 30.205}
        if path.endswith("form"):
            response = world["client"].post(path, body)
        else:
            response = world["client"].post(path, body, content_type="application/json")
        assert response.status_code == 201, response.content
        assert world["foreign_case"].number not in response.content.decode()


def probe_case_sentence(world: dict[str, Any]) -> None:
    # One-sentence intake: area names are public facts; understanding writes nothing and shows no case.
    before = Case.objects.count()
    body = {"text": "湖滨街道东坡路社区有人占道经营"}
    response = world["client"].post("/api/v1/cases/sentence", body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["area"]["code"] == "330102002001"
    assert Case.objects.count() == before
    assert world["foreign_case"].number not in response.content.decode()


def probe_case_sentence_file(world: dict[str, Any]) -> None:
    # Filing is open like reporting; the answer holds the new case only, never another grid's case.
    body = {"text": "湖滨街道东坡路社区有人占道经营"}
    response = world["client"].post("/api/v1/cases/sentence/file", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert world["foreign_case"].number not in response.content.decode()


def probe_case_done(world: dict[str, Any]) -> None:
    case_id = world["foreign_case"].pk
    before = case_state(case_id)
    response = world["client"].post(f"/api/v1/cases/{case_id}/done", {"note": "done"})
    assert response.status_code == 404
    assert case_state(case_id) == before


def probe_request_decide(world: dict[str, Any]) -> None:
    request = world["foreign_request"]
    response = world["client"].post(
        f"/api/v1/cases/requests/{request.pk}/decide", {"approve": True}, content_type="application/json"
    )
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.status == "pending"


def probe_inbox(world: dict[str, Any]) -> None:
    status, body = get(world["client"], "/api/v1/notifications/inbox?limit=1000")
    assert status == 200 and body["count"] == 0


def probe_inbox_message(world: dict[str, Any]) -> None:
    status, _body = get(world["client"], f"/api/v1/notifications/inbox/{world['foreign_message'].pk}")
    assert status == 404


def probe_inbox_read(world: dict[str, Any]) -> None:
    message = world["foreign_message"]
    response = world["client"].post(
        "/api/v1/notifications/inbox/read", {"ids": [message.pk]}, content_type="application/json"
    )
    assert response.status_code == 404
    message.refresh_from_db()
    assert message.read_at is None


def probe_inbox_read_all(world: dict[str, Any]) -> None:
    response = world["client"].post("/api/v1/notifications/inbox/read-all", content_type="application/json")
    assert response.status_code == 200
    world["foreign_message"].refresh_from_db()
    assert world["foreign_message"].read_at is None


def probe_unread_count(world: dict[str, Any]) -> None:
    status, body = get(world["client"], "/api/v1/notifications/inbox/unread-count")
    assert status == 200 and body["unread_count"] == 0


def probe_evaluation_area(world: dict[str, Any]) -> None:
    for code in ("330102002000", "330102000000", FOREIGN_GRIDS[1]):
        assert get(world["client"], f"/api/v1/evaluation/areas/{code}")[0] == 404, code


def probe_evaluation_export(world: dict[str, Any]) -> None:
    for code in ("330102002000", "330102000000"):
        assert world["client"].get(f"/api/v1/evaluation/areas/{code}/export.xlsx").status_code == 404, code


def probe_evaluation_departments(world: dict[str, Any]) -> None:
    status, body = get(world["client"], "/api/v1/evaluation/departments?area=330102000000")
    assert status == 404, body


def probe_evaluation_departments_export(world: dict[str, Any]) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    path = "/api/v1/evaluation/departments/export.xlsx"
    for code in ("330102000000", "330102002000", FOREIGN_GRIDS[1]):
        assert world["client"].get(f"{path}?area={code}").status_code == 404, code
    # Without an area: the worker's own scope, where the other grid's dispatch is not counted.
    response = world["client"].get(path)
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).worksheets[0]
    assert [row[2] for row in sheet.iter_rows(min_row=3, values_only=True) if row[2]] == []


def probe_cockpit(path: str, parameter: str) -> Callable[[dict[str, Any]], None]:
    """The cockpit figures of the caller's own grid (the default area); any other area is a 404."""

    def probe(world: dict[str, Any]) -> None:
        status, body = get(world["client"], f"/api/v1/cockpit/{path}")
        assert status == 200, body
        assert foreign_codes_in(body) == set()
        assert world["foreign_case"].number not in json.dumps(body, ensure_ascii=False)
        for code in (*FOREIGN_GRIDS, "330102002000", "330102001051", "330102000000"):
            status, body = get(world["client"], f"/api/v1/cockpit/{path}?{parameter}={code}")
            assert (status, body["code"]) == (404, "cockpit_area_not_found"), (path, code)

    return probe


def foreign_field_work() -> dict[str, Any]:
    """A grid worker of grid B (same community, another grid) with a visit and a running patrol."""
    import uuid

    from gridgov.accounts.actions import create_user, grant_membership
    from gridgov.gridwork.actions import VisitInput, record_visit, start_patrol

    other = create_user(username="grid_b_worker", password=None, actor_label="tests")
    grant_membership(user=other, role=Role.GRID_WORKER, area_code=FOREIGN_GRIDS[0], actor_label="tests")
    visit = record_visit(VisitInput(uuid.uuid4(), "grid B household", "routine"), actor=other).visit
    patrol = start_patrol(uuid.uuid4(), actor=other).patrol
    return {"worker": other, "visit": visit, "patrol": patrol}


def probe_gridwork_reports(world: dict[str, Any]) -> None:
    import uuid

    path = "/api/v1/gridwork/reports"
    before = Case.objects.count()
    for code in FOREIGN_GRIDS:
        response = world["client"].post(
            path, {"client_id": str(uuid.uuid4()), "description": "x", "area_code": code}
        )
        assert (response.status_code, response.json()["code"]) == (404, "grid_not_found"), code
    assert Case.objects.count() == before
    # A report at the foreign case's place (GPS may cross a grid line) answers only the new case.
    place = {"category": "E0405", "lon": 120.145, "lat": 30.205, "system": "gcj02"}
    response = world["client"].post(path, {"client_id": str(uuid.uuid4()), **place})
    assert response.status_code == 201, response.content
    assert world["foreign_case"].number not in response.content.decode()


def probe_gridwork_tasks(world: dict[str, Any]) -> None:
    status, body = get(world["client"], "/api/v1/gridwork/tasks")
    assert status == 200
    assert world["foreign_case"].pk not in {task["case_id"] for task in body}
    assert world["foreign_case"].number not in json.dumps(body, ensure_ascii=False)


def probe_gridwork_visits(world: dict[str, Any]) -> None:
    import uuid

    from gridgov.gridwork.models import HouseholdVisit

    foreign = foreign_field_work()
    status, body = get(world["client"], "/api/v1/gridwork/visits?limit=1000")
    assert status == 200
    assert foreign["visit"].pk not in {item["id"] for item in body["items"]}
    before = HouseholdVisit.objects.count()
    response = world["client"].post(
        "/api/v1/gridwork/visits",
        {
            "client_id": str(uuid.uuid4()),
            "household": "x",
            "purpose": "routine",
            "area_code": FOREIGN_GRIDS[0],
        },
        content_type="application/json",
    )
    assert (response.status_code, response.json()["code"]) == (404, "grid_not_found")
    assert HouseholdVisit.objects.count() == before


def probe_gridwork_patrols(world: dict[str, Any]) -> None:
    import uuid

    from gridgov.gridwork.models import Patrol

    foreign = foreign_field_work()
    status, body = get(world["client"], "/api/v1/gridwork/patrols?limit=1000")
    assert status == 200
    assert foreign["patrol"].pk not in {item["id"] for item in body["items"]}
    before = Patrol.objects.count()
    response = world["client"].post(
        "/api/v1/gridwork/patrols",
        {"client_id": str(uuid.uuid4()), "area_code": FOREIGN_GRIDS[1]},
        content_type="application/json",
    )
    assert (response.status_code, response.json()["code"]) == (404, "grid_not_found")
    assert Patrol.objects.count() == before


def probe_gridwork_patrol_detail(world: dict[str, Any]) -> None:
    foreign = foreign_field_work()
    status, body = get(world["client"], f"/api/v1/gridwork/patrols/{foreign['patrol'].pk}")
    assert (status, body["code"]) == (404, "patrol_not_found")


def probe_gridwork_patrol_write(action: str) -> Callable[[dict[str, Any]], None]:
    """Positions for, or the end of, another worker's patrol: 404, and the patrol is unchanged."""

    def probe(world: dict[str, Any]) -> None:
        from gridgov.gridwork.models import Patrol, PatrolPoint

        patrol = foreign_field_work()["patrol"]
        body: dict[str, Any] = {}
        if action == "points":
            moment = patrol.started_at.isoformat()
            body = {"points": [{"recorded_at": moment, "lon": 120.125, "lat": 30.205}]}
        response = world["client"].post(
            f"/api/v1/gridwork/patrols/{patrol.client_id}/{action}", body, content_type="application/json"
        )
        assert (response.status_code, response.json()["code"]) == (404, "patrol_not_found"), action
        stored = Patrol.objects.get(pk=patrol.pk)
        points = PatrolPoint.objects.filter(patrol=patrol).count()
        assert (stored.ended_at, stored.point_count, points) == (None, 0, 0)

    return probe


CASE_ACTIONS = (
    "check",
    "close",
    "dispatch",
    "escalate",
    "extension",
    "handle-locally",
    "me-too",
    "merge",
    "rate",
    "register",
    "resume",
    "return",
    "sign",
    "supervise",
    "suspension",
    "verify",
    "void",
    "whistle",
)

PROBES: dict[str, Callable[[dict[str, Any]], None]] = {
    **{f"/api/v1/cases/{{case_id}}/{action}": probe_case_action(action) for action in CASE_ACTIONS},
    "/api/v1/cases/": probe_case_list,
    "/api/v1/cases/form": probe_case_report,
    "/api/v1/cases/sentence": probe_case_sentence,
    "/api/v1/cases/sentence/file": probe_case_sentence_file,
    "/api/v1/cases/{case_id}": probe_case_detail,
    "/api/v1/cases/{case_id}/duplicates": probe_case_duplicates,
    "/api/v1/cases/{case_id}/done": probe_case_done,
    "/api/v1/cases/requests/{request_id}/decide": probe_request_decide,
    "/api/v1/notifications/inbox": probe_inbox,
    "/api/v1/notifications/inbox/{message_id}": probe_inbox_message,
    "/api/v1/notifications/inbox/read": probe_inbox_read,
    "/api/v1/notifications/inbox/read-all": probe_inbox_read_all,
    "/api/v1/notifications/inbox/unread-count": probe_unread_count,
    "/api/v1/evaluation/areas/{code}": probe_evaluation_area,
    "/api/v1/evaluation/areas/{code}/export.xlsx": probe_evaluation_export,
    "/api/v1/evaluation/departments": probe_evaluation_departments,
    "/api/v1/evaluation/departments/export.xlsx": probe_evaluation_departments_export,
    "/api/v1/cockpit/summary": probe_cockpit("summary", "area"),
    "/api/v1/cockpit/areas": probe_cockpit("areas", "parent"),
    "/api/v1/cockpit/trends": probe_cockpit("trends", "area"),
    "/api/v1/cockpit/categories": probe_cockpit("categories", "area"),
    "/api/v1/cockpit/sources": probe_cockpit("sources", "area"),
    "/api/v1/cockpit/hotspots": probe_cockpit("hotspots", "area"),
    "/api/v1/cockpit/hot-issues": probe_cockpit("hot-issues", "area"),
    "/api/v1/cockpit/feed": probe_cockpit("feed", "area"),
    "/api/v1/cockpit/overview": probe_cockpit("overview", "area"),
    "/api/v1/accounts/me": probe_me,
    "/api/v1/areas/": probe_area_list,
    "/api/v1/areas/locate": probe_locate,
    "/api/v1/areas/map": probe_area_map,
    "/api/v1/areas/{code}": probe_area_detail,
    "/api/v1/areas/{code}/boundary": probe_area_boundary,
    "/api/v1/catalogue/categories": probe_categories,
    "/api/v1/catalogue/categories/{code}": probe_category_detail,
    "/api/v1/catalogue/functions": probe_functions,
    "/api/v1/catalogue/departments": probe_department_list,
    "/api/v1/catalogue/departments/{department_id}": probe_department_detail,
    "/api/v1/gridwork/reports": probe_gridwork_reports,
    "/api/v1/gridwork/tasks": probe_gridwork_tasks,
    "/api/v1/gridwork/visits": probe_gridwork_visits,
    "/api/v1/gridwork/patrols": probe_gridwork_patrols,
    "/api/v1/gridwork/patrols/{patrol_id}": probe_gridwork_patrol_detail,
    "/api/v1/gridwork/patrols/{client_id}/points": probe_gridwork_patrol_write("points"),
    "/api/v1/gridwork/patrols/{client_id}/end": probe_gridwork_patrol_write("end"),
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


def test_a_machine_posts_with_its_token_alone_and_a_session_still_needs_csrf(world: dict[str, Any]) -> None:
    """With CSRF enforced, as in production (the test client skips it by default)."""
    _token, secret = issue_api_token(user=world["worker"], name="hotline system")
    report = {
        "source": "grid_patrol",
        "title": "井盖缺失",
        "category_code": "E0101",
        "lon": 120.105,
        "lat": 30.205,
    }
    machine = Client(enforce_csrf_checks=True)
    response = machine.post(
        "/api/v1/cases/",
        json.dumps(report),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 201, response.content
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world["worker"])
    before = Case.objects.count()
    refused = browser.post("/api/v1/cases/", json.dumps(report), content_type="application/json")
    assert refused.status_code == 403
    assert Case.objects.count() == before
