"""The staff console, the department inbox and the staff case page, through the Django test client."""

from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gridgov.cases import actions
from gridgov.cases.models import Case, CaseEvent, CasePhoto, CaseTask
from tests.cases.conftest import World
from tests.cases.conftest import world as world_fixture  # noqa: F401 (pytest finds it by its name, "world")

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HX = {"HX-Request": "true"}
IN_GRID_A: dict[str, Any] = {"lon": 120.105, "lat": 30.205}
IN_GRID_C: dict[str, Any] = {"lon": 120.145, "lat": 30.205}


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def snapshot(case_id: int) -> tuple[Any, ...]:
    case = Case.objects.get(pk=case_id)
    return (
        case.status,
        case.version,
        case.level,
        case.due_at,
        CaseEvent.objects.filter(case_id=case_id).count(),
        CaseTask.objects.filter(case_id=case_id).count(),
    )


def events(case_id: int) -> list[tuple[str, str, str]]:
    return list(
        CaseEvent.objects.filter(case_id=case_id)
        .order_by("id")
        .values_list("action", "from_status", "to_status")
    )


def act(world: World, role: str, case_id: int, action: str, data: dict[str, Any] | None = None) -> Any:
    body = {"panel": "queue", **(data or {})}
    return english(world.client(role)).post(f"/console/cases/{case_id}/{action}/", body, headers=HX)


def registered(world: World) -> int:
    case_id = int(world.report(**IN_GRID_A)["id"])
    # E0101 is handled at the street, where the district's urban-management unit is proposed.
    response = act(world, "clerk", case_id, "register", {"category": "E0101"})
    assert response.status_code == 200
    return case_id


def dispatched(world: World) -> int:
    case_id = registered(world)
    response = act(world, "dispatcher", case_id, "dispatch")
    assert response.status_code == 200
    return case_id


def test_pages_need_a_logged_in_staff_member(world: World) -> None:
    response = Client().get("/console/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/console/"
    assert Client().get("/inbox/")["Location"] == "/login/?next=/inbox/"
    assert world.client("resident").get("/console/").status_code == 403
    assert world.client("resident").get("/inbox/").status_code == 403


def test_the_queue_lists_reported_cases_in_scope_only(world: World) -> None:
    mine = world.report(**IN_GRID_A)
    other = world.report(**IN_GRID_C)
    response = world.client("grid_worker").get("/console/")
    assert response.status_code == 200
    assert [row.case.pk for row in response.context["rows"]] == [mine["id"]]
    content = response.content.decode()
    assert mine["number"] in content
    assert other["number"] not in content
    assert f'id="case-row-{mine["id"]}"' in content
    # The district clerk sees both, newest first, and may register, escalate or void them.
    response = world.client("clerk").get("/console/")
    rows = response.context["rows"]
    assert [row.case.pk for row in rows] == [other["id"], mine["id"]]
    assert rows[0].allowed == ["register", "escalate", "void"]
    assert rows[0].categories  # no category yet: the register button comes with a select
    assert response.context["page"].paginator.count == 2


def test_the_queue_filters_by_area_status_and_source(world: World) -> None:
    mine = world.report(**IN_GRID_A)
    other = world.report(**IN_GRID_C)
    clerk = world.client("clerk")
    assert [r.case.pk for r in clerk.get("/console/?area=330102002").context["rows"]] == [other["id"]]
    assert [r.case.pk for r in clerk.get("/console/?area=330102001051").context["rows"]] == [mine["id"]]
    assert clerk.get("/console/?status=registered").context["rows"] == []
    assert clerk.get("/console/?source=hotline").context["rows"] == []
    assert len(clerk.get("/console/?source=web&light=&category=").context["rows"]) == 2


def test_register_then_dispatch_to_the_proposal_through_htmx(world: World) -> None:
    case_id = int(world.report(**IN_GRID_A)["id"])
    response = act(world, "clerk", case_id, "register", {"category": "E0101", "version": "1"})
    assert response.status_code == 200
    content = response.content.decode()
    assert content.strip().startswith(f'<tr id="case-row-{case_id}">')
    assert "Registered." in content
    case = world.case(case_id)
    assert (case.status, case.category.code if case.category else None) == ("registered", "E0101")
    proposal = actions.propose_dispatch(case)
    assert proposal.department_ids == (world.departments["urban-management"].pk,)

    # The dispatcher's row offers the proposed unit.
    row = world.client("dispatcher").get("/console/").context["rows"][0]
    assert row.allowed == ["dispatch", "whistle", "escalate", "void"]
    assert [d.pk for d in row.proposal] == [world.departments["urban-management"].pk]

    response = act(world, "dispatcher", case_id, "dispatch", {"version": str(case.version)})
    assert response.status_code == 200
    assert "Dispatched." in response.content.decode()
    case = world.case(case_id)
    assert case.status == "dispatched"
    assert list(CaseTask.objects.filter(case_id=case_id).values_list("department_id", "status")) == [
        (world.departments["urban-management"].pk, "pending")
    ]
    assert events(case_id) == [
        ("report", "", "reported"),
        ("register", "reported", "registered"),
        ("dispatch", "registered", "dispatched"),
    ]
    assert case.light == "green"


def test_dispatch_to_another_department_and_whistle(world: World) -> None:
    housing = world.departments["housing"].pk
    first = registered(world)
    act(world, "dispatcher", first, "dispatch", {"department": str(housing)})
    assert list(CaseTask.objects.filter(case_id=first).values_list("department_id", flat=True)) == [housing]
    second = registered(world)
    urban = world.departments["urban-management"].pk
    act(world, "dispatcher", second, "whistle", {"departments": [str(urban), str(housing)]})
    assert world.case(second).status == "dispatched"
    assert sorted(
        CaseTask.objects.filter(case_id=second).values_list("department_id", "is_whistle")
    ) == sorted([(urban, True), (housing, True)])


def test_a_refused_action_shows_its_message_in_the_row_and_changes_nothing(world: World) -> None:
    reported = int(world.report(**IN_GRID_A)["id"])
    before = snapshot(reported)
    response = act(world, "dispatcher", reported, "dispatch")
    assert response.status_code == 200
    content = response.content.decode()
    assert (
        '<p class="error" role="alert">This action is not possible in the case&#x27;s current state.</p>'
        in content
    )
    assert snapshot(reported) == before

    case_id = registered(world)
    before = snapshot(case_id)
    response = act(world, "grid_worker", case_id, "dispatch")
    assert (
        '<p class="error" role="alert">Your role may not take this action.</p>' in response.content.decode()
    )
    assert snapshot(case_id) == before

    # A void without a reason, and a register without a category, are refused too.
    response = act(world, "clerk", reported, "void", {"reason": "  "})
    assert "The case data are not valid." in response.content.decode()
    response = act(world, "clerk", reported, "register")
    assert "The case data are not valid." in response.content.decode()
    # A stale version: someone else acted meanwhile.
    response = act(world, "dispatcher", case_id, "dispatch", {"version": "1"})
    assert "Someone changed this case meanwhile; reload it and try again." in response.content.decode()
    assert snapshot(case_id) == before
    assert snapshot(reported)[:2] == ("reported", 1)


def test_refusals_read_in_chinese_by_default(world: World) -> None:
    reported = int(world.report(**IN_GRID_A)["id"])
    response = world.client("dispatcher").post(
        f"/console/cases/{reported}/dispatch/", {"panel": "queue"}, headers=HX
    )
    assert "案件当前状态下不能执行此操作。" in response.content.decode()


def test_void_merge_and_escalate(world: World) -> None:
    first = int(world.report(**IN_GRID_A)["id"])
    act(world, "clerk", first, "register", {"category": "E0102"})
    second = int(world.report(**IN_GRID_A, category="E0102")["id"])
    row = world.client("clerk").get("/console/").context["rows"][0]
    assert row.case.pk == second
    assert [c.pk for c in row.duplicates] == [first]
    assert row.allowed == ["register", "merge", "escalate", "void"]
    act(world, "clerk", second, "merge", {"into": str(first)})
    assert (world.case(second).status, world.case(second).merged_into_id) == ("merged", first)
    assert world.case(first).me_too_count == 1

    third = int(world.report(**IN_GRID_A)["id"])
    response = act(world, "clerk", third, "void", {"reason": "no problem found on site"})
    assert "Voided." in response.content.decode()
    assert events(third)[-1] == ("void", "reported", "voided")

    response = act(world, "dispatcher", first, "escalate", {"reason": ""})
    assert "Give a reason." in response.content.decode()
    level = world.case(first).level
    act(world, "dispatcher", first, "escalate", {"reason": "needs the street"})
    assert world.case(first).level != level
    assert events(first)[-1] == ("escalate", "registered", "registered")


def test_the_inbox_shows_a_department_its_own_tasks(world: World) -> None:
    case_id = dispatched(world)
    rows = world.client("handler").get("/inbox/").context["rows"]
    assert [row.case.pk for row in rows] == [case_id]
    assert rows[0].allowed == ["sign", "return", "request_extension"]
    assert world.client("housing_handler").get("/inbox/").context["rows"] == []
    assert world.client("handler").get("/console/").context["rows"] == []


def test_sign_then_report_done_with_a_photo(world: World, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    case_id = dispatched(world)
    handler = english(world.client("handler"))
    response = handler.post(f"/console/cases/{case_id}/sign/", {"panel": "inbox"}, headers=HX)
    assert "Signed." in response.content.decode()
    assert world.case(case_id).status == "in_progress"
    row = handler.get("/inbox/").context["rows"][0]
    assert row.allowed == ["report_done", "return", "request_extension"]

    # Done without a note is refused and changes nothing.
    before = snapshot(case_id)
    response = handler.post(
        f"/console/cases/{case_id}/report_done/", {"panel": "inbox", "note": ""}, headers=HX
    )
    assert "The case data are not valid." in response.content.decode()
    assert snapshot(case_id) == before

    photo = SimpleUploadedFile("after.png", PNG, content_type="image/png")
    before_photo = SimpleUploadedFile("before.png", PNG, content_type="image/png")
    response = handler.post(
        f"/console/cases/{case_id}/report_done/",
        {"panel": "inbox", "note": "cleared", "photos": [photo], "before_photos": [before_photo]},
        headers=HX,
    )
    assert "Reported done." in response.content.decode()
    assert world.case(case_id).status == "handled"
    assert list(CaseTask.objects.filter(case_id=case_id).values_list("status", "note")) == [
        ("done", "cleared")
    ]
    assert list(
        CasePhoto.objects.filter(case_id=case_id).order_by("id").values_list("kind", "content_type")
    ) == [
        ("before", "image/png"),
        ("after", "image/png"),
    ]
    assert events(case_id)[-2:] == [
        ("sign", "dispatched", "in_progress"),
        ("report_done", "in_progress", "handled"),
    ]
    assert handler.get("/inbox/").context["rows"] == []


def test_return_and_extension_from_the_inbox(world: World) -> None:
    case_id = dispatched(world)
    handler = english(world.client("handler"))
    response = handler.post(
        f"/console/cases/{case_id}/request_extension/",
        {"panel": "inbox", "extra_hours": "8", "reason": "parts ordered"},
        headers=HX,
    )
    assert "Extension requested; a leader decides." in response.content.decode()
    assert events(case_id)[-1] == ("request_extension", "dispatched", "dispatched")
    response = handler.post(
        f"/console/cases/{case_id}/request_extension/",
        {"panel": "inbox", "extra_hours": "abc", "reason": "x"},
        headers=HX,
    )
    assert "The case data are not valid." in response.content.decode()
    handler.post(f"/console/cases/{case_id}/return/", {"panel": "inbox", "reason": "not ours"}, headers=HX)
    assert world.case(case_id).status == "registered"
    assert handler.get("/inbox/").context["rows"] == []


def test_the_case_page_shows_timeline_tasks_and_actions(world: World) -> None:
    case_id = dispatched(world)
    client = english(world.client("dispatcher"))
    response = client.get(f"/console/cases/{case_id}/")
    assert response.status_code == 200
    assert [item["label"] for item in response.context["events"]] == ["reported", "registered", "dispatched"]
    assert [t.department_id for t in response.context["tasks"]] == [world.departments["urban-management"].pk]
    assert response.context["row"].allowed == ["escalate"]
    # Without htmx (or from the case page) a form posts normally and comes back to the page.
    response = client.post(f"/console/cases/{case_id}/escalate/", {"panel": "detail", "reason": "too big"})
    assert response.status_code == 302
    assert response["Location"] == f"/console/cases/{case_id}/"
    assert [str(m) for m in client.get(response["Location"]).context["messages"]] == [
        "Escalated one level up."
    ]
    # Outside the scope: not found.
    assert world.client("other_grid_worker").get(f"/console/cases/{case_id}/").status_code == 404
    assert (
        world.client("other_grid_worker").post(f"/console/cases/{case_id}/void/", {}, headers=HX).status_code
        == 404
    )


def test_an_unknown_action_is_not_found(world: World) -> None:
    case_id = registered(world)
    assert world.client("clerk").post(f"/console/cases/{case_id}/explode/", {}, headers=HX).status_code == 404
    assert world.client("clerk").get(f"/console/cases/{case_id}/register/").status_code == 405


@pytest.mark.parametrize("path", ["/console/", "/inbox/", "/console/closing/"])
def test_pages_render_in_chinese_by_default(world: World, path: str) -> None:
    response = world.client("dispatcher").get(path)
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"


def handled(world: World) -> int:
    case_id = dispatched(world)
    actions.sign_case(case_id, actor=world.users["handler"])
    actions.report_done(case_id, actor=world.users["handler"], note="cleared")
    return case_id


def closing_act(
    world: World, role: str, case_id: int, action: str, data: dict[str, Any] | None = None
) -> Any:
    body = {"panel": "closing", **(data or {})}
    return english(world.client(role)).post(f"/console/cases/{case_id}/{action}/", body, headers=HX)


def test_check_close_and_call_back_from_the_closing_panel(world: World) -> None:
    case_id = handled(world)
    clerk = english(world.client("clerk"))
    page = clerk.get("/console/closing/")
    assert [row.case.pk for row in page.context["rows"]] == [case_id]
    assert page.context["rows"][0].allowed == ["check_pass", "check_fail"]

    # A failed check needs a reason; without one nothing changes.
    before = snapshot(case_id)
    assert "not valid" in closing_act(world, "clerk", case_id, "check_fail", {"note": ""}).content.decode()
    assert snapshot(case_id) == before

    assert "Check passed" in closing_act(world, "clerk", case_id, "check_pass").content.decode()
    assert world.case(case_id).status == "checked"
    assert clerk.get("/console/closing/?status=checked").context["rows"][0].allowed == ["close"]
    assert "Closed" in closing_act(world, "clerk", case_id, "close").content.decode()
    assert world.case(case_id).status == "closed"

    # 回访: a bad rating form is refused; a good one is recorded as the clerk's call-back.
    before = snapshot(case_id)
    response = closing_act(world, "clerk", case_id, "rate", {"rating": "4", "satisfied": "maybe"})
    assert "not valid" in response.content.decode()
    assert snapshot(case_id) == before
    response = closing_act(world, "clerk", case_id, "rate", {"rating": "4", "satisfied": "yes", "note": "ok"})
    assert "Rating recorded." in response.content.decode()
    case = world.case(case_id)
    assert (case.status, case.rating, case.is_satisfied) == ("rated", 4, True)
    assert events(case_id)[-3:] == [
        ("check_pass", "handled", "checked"),
        ("close", "checked", "closed"),
        ("rate", "closed", "rated"),
    ]
    assert clerk.get("/console/closing/").context["rows"] == []


def test_a_failed_check_sends_the_case_back_for_rework(world: World) -> None:
    case_id = handled(world)
    response = closing_act(world, "dispatcher", case_id, "check_fail", {"note": "still dirty"})
    assert "Check failed" in response.content.decode()
    assert world.case(case_id).status in ("dispatched", "in_progress")
    assert events(case_id)[-1][0] == "check_fail"


def test_the_closing_panel_shows_only_the_users_scope(world: World) -> None:
    case_id = handled(world)
    # A grid worker of another street sees nothing to check and cannot act on the case.
    other = world.client("other_grid_worker")
    assert other.get("/console/closing/").context["rows"] == []
    before = snapshot(case_id)
    response = closing_act(world, "other_grid_worker", case_id, "check_pass")
    assert response.status_code == 404
    assert snapshot(case_id) == before
