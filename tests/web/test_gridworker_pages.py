"""The grid worker's page through Django's test client: who may open it, what it shows, and every
task button, the visit log and the report form without JavaScript."""

import json
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.shortcuts import resolve_url
from django.test import Client

from gridgov.cases import actions as case_actions
from gridgov.cases.models import Case, CaseEvent, CasePhoto
from gridgov.core.clock import now, to_local
from gridgov.gridwork import actions
from gridgov.gridwork.models import HouseholdVisit
from tests.cases.conftest import GRID_A, GRID_C, World
from tests.cases.conftest import world as world_fixture  # noqa: F401 (pytest finds it by its name)
from tests.gridwork.conftest import GPS_IN_GRID_A, GPS_IN_GRID_C, IN_GRID_A

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def notices(response: Any) -> list[str]:
    """The messages the page showed after the redirect (the client followed it)."""
    assert response.redirect_chain, "expected a redirect back to the page"
    return [str(m) for m in response.context["messages"]]


def field_case(world: World, name: str = "grid_worker", point: tuple[float, float] = GPS_IN_GRID_A) -> int:
    """A grid report of exposed rubbish (E0102, handled by the grid itself): registered at once."""
    report = actions.FieldReport(
        client_id=uuid.uuid4(), description="x", category_code="E0102", lon=point[0], lat=point[1]
    )
    return actions.report_from_field(report, actor=world.users[name]).case.pk


def act(
    world: World, case_id: int, action: str, data: dict[str, Any] | None = None, role: str = "grid_worker"
) -> Any:
    return english(world.client(role)).post(f"/grid/cases/{case_id}/{action}/", data or {}, follow=True)


def snapshot(case_id: int) -> tuple[Any, ...]:
    case = Case.objects.get(pk=case_id)
    return (case.status, case.version, case.due_at, CaseEvent.objects.filter(case_id=case_id).count())


# ── who may open it ──────────────────────────────────────────────────────────────────────────


def test_anonymous_visitors_go_to_the_login_page(world: World) -> None:
    response = Client().get("/grid/")
    assert response.status_code == 302
    login = resolve_url(settings.LOGIN_URL)
    assert response["Location"] == f"{login}?next=/grid/"
    assert Client().post("/grid/visits/", {})["Location"].startswith(login)


@pytest.mark.parametrize("name", ["resident", "clerk", "dispatcher", "handler", "leader"])
def test_others_get_403(world: World, name: str) -> None:
    client = world.client(name)
    assert client.get("/grid/").status_code == 403
    assert client.post("/grid/visits/", {"household": "x", "purpose": "routine"}).status_code == 403
    assert HouseholdVisit.objects.count() == 0


@pytest.mark.parametrize("name", ["grid_worker", "community_worker", "other_grid_worker"])
def test_field_staff_open_it(world: World, name: str) -> None:
    response = world.client(name).get("/grid/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"


def test_a_superuser_opens_it(world: World, django_user_model: Any) -> None:
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("root", password="x"))
    assert client.get("/grid/").status_code == 200


# ── what it shows ────────────────────────────────────────────────────────────────────────────


def page_data(response: Any) -> dict[str, Any]:
    return dict(response.context["page_data"])


def test_the_page_shows_my_grid_its_open_cases_and_my_tasks_only(world: World) -> None:
    mine = field_case(world)
    foreign = field_case(world, "other_grid_worker", GPS_IN_GRID_C)
    response = english(world.client("grid_worker")).get("/grid/")
    html = response.content.decode()
    data = page_data(response)
    assert data["homeCodes"] == [GRID_A]
    assert data["bounds"] == pytest.approx([120.10, 30.20, 120.11, 30.21])
    mine_case = Case.objects.get(pk=mine)
    assert [c["label"] for c in data["cases"]] == [f"{mine_case.number} {mine_case.title}"]
    assert data["cases"][0]["lon"] == pytest.approx(IN_GRID_A[0])
    assert [task.case.pk for task in response.context["tasks"]] == [mine]
    assert Case.objects.get(pk=foreign).number not in html
    # The JSON the script reads is in the page.
    script = re.search(r'<script id="grid-page-data" type="application/json">(.*?)</script>', html)
    assert script is not None
    assert json.loads(script.group(1))["user"] == world.users["grid_worker"].pk
    # The report form: camera input and the categories of the 数字城管 schemes.
    assert 'accept="image/*" capture="environment"' in html
    assert '<option value="E0102">' in html and '<option value="C0101">' in html


def test_the_page_is_in_chinese_by_default(world: World) -> None:
    html = world.client("grid_worker").get("/grid/").content.decode()
    assert 'lang="zh-hans"' in html


def test_the_service_worker_is_served_for_the_grid_scope(world: World) -> None:
    response = Client().get("/grid/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/grid/"
    body = response.content.decode()
    files = json.loads(body.split("var FILES = ")[1].split(";")[0])
    assert "/static/web/grid.js" in files and "/static/web/site.css" in files
    assert 'var PAGE = "/grid/"' in body


# ── task buttons ─────────────────────────────────────────────────────────────────────────────


def test_verify_a_public_report_on_site(world: World) -> None:
    public = world.report(lon=IN_GRID_A[0], lat=IN_GRID_A[1])["id"]
    response = act(world, public, "verify", {"genuine": "yes", "note": "确有此事"})
    assert response.redirect_chain == [("/grid/#tasks", 302)]
    assert notices(response) == ["Verified: the problem is real."]
    event = CaseEvent.objects.get(case_id=public, action="verify")
    assert (event.data, event.note, event.actor) == (
        {"genuine": True},
        "确有此事",
        world.users["grid_worker"],
    )


def test_verify_needs_an_answer_and_changes_nothing_without_one(world: World) -> None:
    public = world.report(lon=IN_GRID_A[0], lat=IN_GRID_A[1])["id"]
    before = snapshot(public)
    response = act(world, public, "verify", {})
    assert notices(response) == ["Say whether the problem is real."]
    assert snapshot(public) == before


def test_handle_locally_report_done_and_check_through_the_page(world: World) -> None:
    case_id = field_case(world)
    response = act(
        world,
        case_id,
        "handle_locally",
        {"note": "网格自行处理", "version": Case.objects.get(pk=case_id).version},
    )
    assert notices(response) == ["The grid handles it now; report it done when it is fixed."]
    assert Case.objects.get(pk=case_id).status == "in_progress"
    response = act(
        world, case_id, "report_done", {"note": "已清理", "photos": SimpleUploadedFile("after.png", PNG)}
    )
    assert notices(response) == ["Reported done; waiting for the check."]
    assert Case.objects.get(pk=case_id).status == "handled"
    assert CasePhoto.objects.filter(case_id=case_id, kind="after").count() == 1
    refused = act(world, case_id, "check", {"passed": "no"})  # a failed check must say what is wrong
    assert notices(refused) == ["The case data are not valid."]
    assert Case.objects.get(pk=case_id).status == "handled"
    response = act(world, case_id, "check", {"passed": "yes", "note": "现场已干净"})
    assert notices(response) == ["Check passed."]
    assert Case.objects.get(pk=case_id).status == "checked"


def test_a_failed_check_sends_the_case_back_for_rework(world: World) -> None:
    case_id = field_case(world)
    worker = world.users["grid_worker"]
    case_actions.handle_locally(case_id, actor=worker)
    case_actions.report_done(case_id, actor=worker, note="处理了")
    response = act(world, case_id, "check", {"passed": "no", "note": "还有垃圾"})
    assert notices(response) == ["Check failed: sent back for rework."]
    case = Case.objects.get(pk=case_id)
    assert (case.status, case.rework_count) == ("in_progress", 1)


def test_a_stale_version_is_refused_harmlessly(world: World) -> None:
    case_id = field_case(world)
    before = snapshot(case_id)
    response = act(world, case_id, "handle_locally", {"version": before[1] - 1})
    assert notices(response) == ["Someone changed this case meanwhile; reload it and try again."]
    assert snapshot(case_id) == before


def test_a_case_of_another_grid_is_not_found_and_unchanged(world: World) -> None:
    foreign = field_case(world, "other_grid_worker", GPS_IN_GRID_C)
    before = snapshot(foreign)
    response = act(world, foreign, "handle_locally")
    assert notices(response) == ["No such case, or it is outside your data scope."]
    assert snapshot(foreign) == before


def test_an_unknown_action_is_404(world: World) -> None:
    case_id = field_case(world)
    assert act(world, case_id, "void", {"reason": "x"}).status_code == 404
    assert Case.objects.get(pk=case_id).status == "registered"


# ── visit log and report without JavaScript ──────────────────────────────────────────────────


def test_the_visit_log_posts_once_per_client_id_and_shows_in_my_visits(world: World) -> None:
    client = english(world.client("grid_worker"))
    key = str(uuid.uuid4())
    visited = to_local(now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    body = {
        "client_id": key,
        "household": "2幢1单元301 张大爷",
        "purpose": "elderly_care",
        "visited_at": visited,
        "notes": "独居",
        "follow_up_needed": "on",
    }
    response = client.post("/grid/visits/", body, follow=True)
    assert response.redirect_chain == [("/grid/#visits", 302)]
    assert notices(response) == ["Visit log saved."]
    client.post("/grid/visits/", body, follow=True)  # pressed twice
    visit = HouseholdVisit.objects.get()
    assert (visit.household, visit.purpose, visit.follow_up_needed, visit.area_id) == (
        "2幢1单元301 张大爷",
        "elderly_care",
        True,
        GRID_A,
    )
    # A datetime-local field is Beijing time.
    assert to_local(visit.visited_at).strftime("%Y-%m-%dT%H:%M") == visited
    page = client.get("/grid/")
    assert [v.pk for v in page.context["visits"]] == [visit.pk]
    assert "2幢1单元301 张大爷" in page.content.decode()


def test_a_bad_visit_is_refused_with_its_message(world: World) -> None:
    response = english(world.client("grid_worker")).post(
        "/grid/visits/", {"client_id": str(uuid.uuid4()), "household": "", "purpose": "routine"}, follow=True
    )
    assert notices(response) == ["The visit log is not valid."]
    assert HouseholdVisit.objects.count() == 0


def test_the_report_form_without_javascript(world: World) -> None:
    client = english(world.client("grid_worker"))
    lon, lat = GPS_IN_GRID_A
    body = {
        "client_id": str(uuid.uuid4()),
        "category": "E0102",
        "description": "垃圾满溢",
        "lon": str(lon),
        "lat": str(lat),
        "system": "wgs84",
        "photo": SimpleUploadedFile("p.png", PNG),
    }
    response = client.post("/grid/report/", body, follow=True)
    case = Case.objects.get()
    assert notices(response) == [f"Sent: case number {case.number}"]
    assert (case.area_id, case.source, case.status, case.photos.count()) == (
        GRID_A,
        "grid_patrol",
        "registered",
        1,
    )
    assert (case.lon, case.lat) == pytest.approx(IN_GRID_A, abs=1e-6)


def test_a_report_naming_a_foreign_area_is_refused(world: World) -> None:
    response = english(world.client("grid_worker")).post(
        "/grid/report/",
        {"client_id": str(uuid.uuid4()), "description": "x", "area_code": GRID_C},
        follow=True,
    )
    assert notices(response) == ["No such grid, or it is outside your data scope."]
    assert Case.objects.count() == 0
