"""The field-work API over HTTP: session with CSRF for the page, bearer tokens for apps."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gridgov.accounts.actions import issue_api_token
from gridgov.cases.models import Case
from gridgov.core.clock import now
from gridgov.gridwork.models import HouseholdVisit, Patrol, PatrolPoint
from tests.cases.conftest import GRID_A
from tests.gridwork.conftest import GPS_IN_GRID_A, IN_GRID_A, World

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def report_body(key: str, **fields: Any) -> dict[str, Any]:
    lon, lat = GPS_IN_GRID_A
    return {
        "client_id": key,
        "description": "路灯不亮",
        "category": "E0102",
        "lon": lon,
        "lat": lat,
        **fields,
    }


def test_a_report_with_a_photo_sent_twice_answers_201_then_200_with_one_case(world: World) -> None:
    client = world.client("grid_worker")
    key = str(uuid.uuid4())
    first = client.post(
        "/api/v1/gridwork/reports", {**report_body(key), "photos": SimpleUploadedFile("a.png", PNG)}
    )
    assert first.status_code == 201, first.content
    body = first.json()
    case = Case.objects.get()
    assert body["created"] is True
    assert body["case"]["number"] == case.number and body["case"]["status"] == "registered"
    assert body["case"]["area"] == GRID_A
    assert (case.lon, case.lat) == pytest.approx(IN_GRID_A, abs=1e-6)
    again = client.post(
        "/api/v1/gridwork/reports", {**report_body(key), "photos": SimpleUploadedFile("a.png", PNG)}
    )
    assert again.status_code == 200
    assert again.json() == {**body, "created": False}
    assert Case.objects.count() == 1 and case.photos.count() == 1


def test_a_bad_photo_is_refused_and_creates_nothing(world: World) -> None:
    response = world.client("grid_worker").post(
        "/api/v1/gridwork/reports",
        {**report_body(str(uuid.uuid4())), "photos": SimpleUploadedFile("a.png", b"not an image")},
    )
    assert (response.status_code, response.json()["code"]) == (400, "photo_invalid")
    assert Case.objects.count() == 0


def test_a_resident_cannot_report_from_the_field(world: World) -> None:
    response = world.client("resident").post("/api/v1/gridwork/reports", report_body(str(uuid.uuid4())))
    assert (response.status_code, response.json()["code"]) == (403, "not_grid_staff")
    assert Case.objects.count() == 0


def test_the_session_needs_the_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["grid_worker"])
    body = {"client_id": str(uuid.uuid4()), "household": "1幢", "purpose": "routine"}
    refused = client.post("/api/v1/gridwork/visits", body, content_type="application/json")
    assert refused.status_code in (401, 403)
    assert HouseholdVisit.objects.count() == 0
    client.get("/grid/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        "/api/v1/gridwork/visits", body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 201, accepted.content
    assert HouseholdVisit.objects.count() == 1


def test_a_patrol_app_with_a_bearer_token_runs_a_whole_patrol(world: World) -> None:
    _token, secret = issue_api_token(user=world.users["grid_worker"], name="patrol app")
    app = Client(headers={"Authorization": f"Bearer {secret}"})
    key = str(uuid.uuid4())
    start = now() - timedelta(minutes=10)
    started = app.post(
        "/api/v1/gridwork/patrols",
        {"client_id": key, "started_at": start.isoformat()},
        content_type="application/json",
    )
    assert started.status_code == 201, started.content
    assert (
        app.post(
            "/api/v1/gridwork/patrols",
            {"client_id": key, "started_at": start.isoformat()},
            content_type="application/json",
        ).status_code
        == 200
    )
    lon, lat = GPS_IN_GRID_A
    points = [
        {
            "recorded_at": (start + timedelta(seconds=30 * i)).isoformat(),
            "lon": lon,
            "lat": lat + i * 30 / 111_195.0,
            "accuracy_m": 5,
        }
        for i in range(4)
    ]
    added = app.post(
        f"/api/v1/gridwork/patrols/{key}/points", {"points": points}, content_type="application/json"
    )
    assert added.status_code == 200 and added.json()["added"] == 4
    resent = app.post(
        f"/api/v1/gridwork/patrols/{key}/points", {"points": points}, content_type="application/json"
    )
    assert resent.json()["added"] == 0 and resent.json()["patrol"]["point_count"] == 4
    ended = app.post(
        f"/api/v1/gridwork/patrols/{key}/end",
        {"ended_at": (start + timedelta(minutes=2)).isoformat()},
        content_type="application/json",
    )
    assert ended.status_code == 200
    assert ended.json()["distance_m"] == pytest.approx(90, rel=0.01)
    patrol = Patrol.objects.get()
    detail = app.get(f"/api/v1/gridwork/patrols/{patrol.pk}").json()
    assert [p["lat"] for p in detail["points"]] == [
        p.lat for p in PatrolPoint.objects.order_by("recorded_at")
    ]
    assert app.get("/api/v1/gridwork/patrols?mine=true").json()["count"] == 1


def test_visits_post_and_list(world: World) -> None:
    client = world.client("grid_worker")
    key = str(uuid.uuid4())
    body = {
        "client_id": key,
        "household": "5幢3单元202 李奶奶",
        "purpose": "elderly_care",
        "visited_at": (now() - timedelta(hours=1)).isoformat(),
        "notes": "血压正常",
        "follow_up_needed": True,
    }
    assert client.post("/api/v1/gridwork/visits", body, content_type="application/json").status_code == 201
    again = client.post("/api/v1/gridwork/visits", body, content_type="application/json")
    assert again.status_code == 200 and again.json()["client_id"] == key
    listed = client.get("/api/v1/gridwork/visits").json()
    assert listed["count"] == 1
    assert listed["items"][0]["household"] == "5幢3单元202 李奶奶"
    assert listed["items"][0]["area"] == GRID_A and listed["items"][0]["follow_up_needed"] is True
    bad = client.post(
        "/api/v1/gridwork/visits",
        {**body, "client_id": str(uuid.uuid4()), "purpose": "x"},
        content_type="application/json",
    )
    assert (bad.status_code, bad.json()["code"]) == (400, "visit_invalid")
    assert HouseholdVisit.objects.count() == 1


def test_tasks_list_the_cases_waiting_for_the_worker(world: World) -> None:
    public = world.report(lon=120.105, lat=30.205)
    tasks = world.client("grid_worker").get("/api/v1/gridwork/tasks").json()
    assert [(t["case_id"], t["actions"]) for t in tasks] == [(public["id"], ["verify"])]
    assert world.client("other_grid_worker").get("/api/v1/gridwork/tasks").json() == []


def test_anonymous_callers_get_401(world: World) -> None:
    response = Client().post("/api/v1/gridwork/reports", report_body(str(uuid.uuid4())))
    assert response.status_code == 401
    assert Client().get("/api/v1/gridwork/visits").status_code == 401
