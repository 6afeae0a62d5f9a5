"""Every path of the closed loop through the HTTP API, each step audited, each refusal harmless."""

from typing import Any

import pytest

from gridgov.cases.models import Case, CaseEvent, CaseRequest, CaseTask
from gridgov.deadlines.models import Deadline
from tests.cases.conftest import World


def snapshot(case_id: int) -> tuple[Any, ...]:
    """Everything a refused action must leave alone."""
    case = Case.objects.get(pk=case_id)
    return (
        case.status,
        case.version,
        case.level,
        case.due_at,
        CaseEvent.objects.filter(case_id=case_id).count(),
        CaseTask.objects.filter(case_id=case_id).count(),
        Deadline.objects.filter(subject_id=str(case_id)).count(),
    )


def refused(
    world: World, role: str, case_id: int, action: str, data: dict[str, Any] | None, status: int, code: str
) -> None:
    before = snapshot(case_id)
    response = world.act(role, case_id, action, data)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert snapshot(case_id) == before


def events(case_id: int) -> list[tuple[str, str, str]]:
    return list(
        CaseEvent.objects.filter(case_id=case_id)
        .order_by("id")
        .values_list("action", "from_status", "to_status")
    )


def registered_case(world: World, **fields: Any) -> int:
    case = world.report(**fields)
    response = world.act("clerk", case["id"], "register", {"category": "E0102"})
    assert response.status_code == 200, response.content
    return int(case["id"])


def dispatched_case(world: World, department: str = "urban-management") -> int:
    case_id = registered_case(world)
    response = world.act(
        "dispatcher", case_id, "dispatch", {"department_ids": [world.departments[department].pk]}
    )
    assert response.status_code == 200, response.content
    return case_id


def test_the_whole_loop_from_report_to_rating(world: World) -> None:
    case = world.report(reporter_contact="13812345678", reporter_name="张三")
    case_id = case["id"]
    assert case["status"] == "reported"
    assert case["area"] == "330102001051001"
    assert case["reporter_contact"] == "138****5678"
    assert case["number"].startswith("330102-")
    refused(
        world,
        "dispatcher",
        case_id,
        "dispatch",
        {"department_ids": [world.departments["urban-management"].pk]},
        409,
        "transition_not_allowed",
    )
    refused(world, "resident", case_id, "register", {"category": "E0102"}, 403, "role_not_allowed")

    body = world.act("clerk", case_id, "register", {"category": "E0102"}).json()
    assert body["status"] == "registered" and body["category"] == "E0102"
    body = world.act(
        "dispatcher", case_id, "dispatch", {"department_ids": [world.departments["urban-management"].pk]}
    ).json()
    assert body["status"] == "dispatched" and body["light"] == "green" and body["due_at"] is not None
    assert [t["status"] for t in body["tasks"]] == ["pending"]
    refused(world, "housing_handler", case_id, "sign", {}, 404, "case_not_found")  # not sent to housing
    body = world.act("handler", case_id, "sign").json()
    assert body["status"] == "in_progress"
    photo = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    response = world.client("handler").post(
        f"/api/v1/cases/{case_id}/done", {"note": "已清运", "photos": [_upload("after.png", photo)]}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "handled"
    refused(world, "leader", case_id, "close", {}, 409, "transition_not_allowed")  # must be checked first
    assert world.act("grid_worker", case_id, "check", {"passed": True}).json()["status"] == "checked"
    refused(world, "grid_worker", case_id, "close", {}, 403, "role_not_allowed")
    assert world.act("leader", case_id, "close").json()["status"] == "closed"
    refused(world, "neighbour", case_id, "rate", {"rating": 5, "satisfied": True}, 404, "case_not_found")
    body = world.act("resident", case_id, "rate", {"rating": 5, "satisfied": True}).json()
    assert body["status"] == "rated" and body["rating"] == 5

    assert events(case_id) == [
        ("report", "", "reported"),
        ("register", "reported", "registered"),
        ("dispatch", "registered", "dispatched"),
        ("sign", "dispatched", "in_progress"),
        ("report_done", "in_progress", "handled"),
        ("check_pass", "handled", "checked"),
        ("close", "checked", "closed"),
        ("rate", "closed", "rated"),
    ]
    assert world.case(case_id).photos.filter(kind="after").count() == 1
    # The clock stopped when the work was done: no deadline row is left to fire.
    assert Deadline.objects.filter(subject_id=str(case_id), fired_at=None, cancelled_at=None).count() == 0


def _upload(name: str, content: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="image/png")


def test_return_sends_the_case_back_for_a_new_dispatch(world: World) -> None:
    case_id = dispatched_case(world, "housing")
    refused(world, "housing_handler", case_id, "return", {"reason": ""}, 400, "case_input_invalid")
    body = world.act("housing_handler", case_id, "return", {"reason": "非本部门职责"}).json()
    assert body["status"] == "registered" and body["due_at"] is None
    body = world.act(
        "dispatcher", case_id, "dispatch", {"department_ids": [world.departments["urban-management"].pk]}
    ).json()
    assert [t["status"] for t in body["tasks"]] == ["returned", "pending"]
    assert ("return", "dispatched", "registered") in events(case_id)


def test_failed_check_means_rework_by_the_same_department(world: World) -> None:
    case_id = dispatched_case(world)
    world.act("handler", case_id, "sign")
    world.client("handler").post(f"/api/v1/cases/{case_id}/done", {"note": "已处理"})
    refused(world, "grid_worker", case_id, "check", {"passed": False, "note": ""}, 400, "case_input_invalid")
    body = world.act("grid_worker", case_id, "check", {"passed": False, "note": "仍有垃圾"}).json()
    assert body["status"] == "dispatched"
    assert [t["status"] for t in body["tasks"]] == ["pending"]
    assert world.case(case_id).rework_count == 1
    # A new round: the department signs again within a fresh sign limit, counted as on time.
    world.act("handler", case_id, "sign")
    last_sign = CaseEvent.objects.filter(case_id=case_id, action="sign").order_by("id").last()
    assert last_sign is not None and last_sign.data["within_limit"] is True


def test_dissatisfied_rating_reopens_the_case(world: World) -> None:
    case_id = dispatched_case(world)
    world.act("handler", case_id, "sign")
    world.client("handler").post(f"/api/v1/cases/{case_id}/done", {"note": "已处理"})
    world.act("grid_worker", case_id, "check", {"passed": True})
    world.act("leader", case_id, "close")
    refused(world, "resident", case_id, "rate", {"rating": 9, "satisfied": True}, 400, "case_input_invalid")
    body = world.act("resident", case_id, "rate", {"rating": 2, "satisfied": False}).json()
    assert body["status"] == "registered" and body["is_satisfied"] is False
    assert world.case(case_id).reopen_count == 1


def test_extension_moves_the_due_time_only_when_approved(world: World) -> None:
    case_id = dispatched_case(world)
    world.act("handler", case_id, "sign")
    due = world.case(case_id).due_at
    response = world.post(
        "handler", f"/api/v1/cases/{case_id}/extension", {"extra_hours": 8, "reason": "需采购配件"}
    )
    assert response.status_code == 200, response.content
    request_id = response.json()["id"]
    assert world.case(case_id).due_at == due
    again = world.post("handler", f"/api/v1/cases/{case_id}/extension", {"extra_hours": 8, "reason": "again"})
    assert (again.status_code, again.json()["code"]) == (409, "transition_not_allowed")
    denied = world.post("handler", f"/api/v1/cases/requests/{request_id}/decide", {"approve": True})
    assert denied.status_code == 403
    decided = world.post("leader", f"/api/v1/cases/requests/{request_id}/decide", {"approve": True})
    assert decided.json()["status"] == "approved"
    new_due = world.case(case_id).due_at
    assert due is not None and new_due is not None and new_due > due
    overdue_rows = Deadline.objects.filter(
        subject_id=str(case_id), kind="cases.overdue", fired_at=None, cancelled_at=None
    )
    assert list(overdue_rows.values_list("due_at", flat=True)) == [new_due]


def test_refused_extension_changes_nothing_on_the_clock(world: World) -> None:
    case_id = dispatched_case(world)
    due = world.case(case_id).due_at
    request_id = world.post(
        "handler", f"/api/v1/cases/{case_id}/extension", {"extra_hours": 4, "reason": "r"}
    ).json()["id"]
    assert (
        world.post(
            "leader", f"/api/v1/cases/requests/{request_id}/decide", {"approve": False, "note": "no"}
        ).json()["status"]
        == "refused"
    )
    assert world.case(case_id).due_at == due
    assert CaseRequest.objects.get(pk=request_id).decided_by == world.users["leader"]


def test_suspension_stops_the_clock_and_resume_restarts_it(world: World) -> None:
    case_id = dispatched_case(world)
    world.act("handler", case_id, "sign")
    request_id = world.post(
        "handler", f"/api/v1/cases/{case_id}/suspension", {"reason": "需列入改造计划"}
    ).json()["id"]
    world.post("leader", f"/api/v1/cases/requests/{request_id}/decide", {"approve": True})
    case = world.case(case_id)
    assert case.status == "suspended" and case.due_at is None and case.suspended_remaining_seconds
    assert Deadline.objects.filter(subject_id=str(case_id), fired_at=None, cancelled_at=None).count() == 0
    refused(world, "handler", case_id, "sign", {}, 409, "transition_not_allowed")
    body = world.act("leader", case_id, "resume").json()
    assert body["status"] == "in_progress" and body["due_at"] is not None


def test_escalation_climbs_one_level_at_a_time_and_stops_at_the_district(world: World) -> None:
    case = world.report()
    case_id = case["id"]
    levels = []
    for _ in range(3):
        body = world.act("clerk", case_id, "escalate", {"reason": "需上级协调"}).json()
        levels.append((body["level"], body["handling_area"]))
    assert levels == [
        ("community", "330102001051"),
        ("street", "330102001000"),
        ("district", "330102000000"),
    ]
    refused(world, "clerk", case_id, "escalate", {"reason": "再上报"}, 409, "escalation_impossible")


def test_whistle_needs_every_department_to_report_in(world: World) -> None:
    case_id = registered_case(world)
    ids = [world.departments["urban-management"].pk, world.departments["housing"].pk]
    refused(world, "grid_worker", case_id, "whistle", {"department_ids": ids}, 403, "role_not_allowed")
    body = world.act("community_worker", case_id, "whistle", {"department_ids": ids}).json()
    assert body["status"] == "dispatched" and len(body["tasks"]) == 2
    world.act("handler", case_id, "sign")
    world.act("housing_handler", case_id, "sign")
    world.client("handler").post(f"/api/v1/cases/{case_id}/done", {"note": "城管部分完成"})
    assert world.case(case_id).status == "in_progress"
    world.client("housing_handler").post(f"/api/v1/cases/{case_id}/done", {"note": "住建部分完成"})
    assert world.case(case_id).status == "handled"


def test_local_handling_by_the_grid(world: World) -> None:
    case_id = registered_case(world)
    refused(world, "other_grid_worker", case_id, "handle-locally", {}, 404, "case_not_found")
    assert world.act("grid_worker", case_id, "handle-locally").json()["status"] == "in_progress"
    response = world.client("grid_worker").post(f"/api/v1/cases/{case_id}/done", {"note": "已自行处置"})
    assert response.json()["status"] == "handled"


def test_void_merge_and_me_too(world: World) -> None:
    first = world.report()
    duplicate = world.report()
    other = world.report()
    refused(world, "clerk", other["id"], "void", {"reason": " "}, 400, "case_input_invalid")
    assert (
        world.act("clerk", other["id"], "void", {"reason": "重复来电, 无实际问题"}).json()["status"]
        == "voided"
    )
    body = world.act("clerk", duplicate["id"], "merge", {"into_case_id": first["id"]}).json()
    assert body["status"] == "merged"
    world.act("neighbour", first["id"], "me-too")
    world.act("neighbour", first["id"], "me-too")  # once per person
    assert world.case(first["id"]).me_too_count == 2
    assert Case.objects.count() == 3  # nothing deleted


def test_supervision_is_recorded_and_notifies(world: World) -> None:
    case_id = dispatched_case(world)
    refused(world, "dispatcher", case_id, "supervise", {"instruction": "尽快"}, 403, "role_not_allowed")
    body = world.act("leader", case_id, "supervise", {"instruction": "今日内处理完毕", "due_hours": 4}).json()
    assert body["events"][-1]["action"] == "supervise"
    assert world.case(case_id).supervision_count == 1
    assert Deadline.objects.filter(kind="cases.supervision_due", subject_id=str(case_id)).count() == 1
    from gridgov.notifications.models import InboxMessage

    assert InboxMessage.objects.filter(recipient=world.users["handler"], kind="supervision").count() == 1


def test_stale_version_is_refused_instead_of_losing_an_update(world: World) -> None:
    case_id = registered_case(world)
    version = world.case(case_id).version
    first = world.act(
        "dispatcher",
        case_id,
        "dispatch",
        {"department_ids": [world.departments["housing"].pk], "version": version},
    )
    assert first.status_code == 200
    refused(
        world,
        "dispatcher2",
        case_id,
        "dispatch",
        {"department_ids": [world.departments["urban-management"].pk], "version": version},
        409,
        "case_changed",
    )


@pytest.mark.parametrize("content", [b"GIF89a....", b"", b"%PDF-1.7"])
def test_photos_must_be_real_images(world: World, content: bytes) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = Case.objects.count()
    response = world.client("resident").post(
        "/api/v1/cases/form",
        {
            "source": "web",
            "title": "t",
            "photos": [SimpleUploadedFile("x.jpg", content, content_type="image/jpeg")],
        },
    )
    assert response.status_code == 400
    assert response.json()["code"] == "photo_invalid"
    assert Case.objects.count() == before


def test_a_retried_machine_report_creates_one_case(world: World) -> None:
    first = world.post(
        "grid_worker",
        "/api/v1/cases/",
        {
            "source": "sensor",
            "title": "井盖位移",
            "lon": 120.105,
            "lat": 30.205,
            "idempotency_key": "dev-7:42",
        },
    )
    second = world.post(
        "grid_worker",
        "/api/v1/cases/",
        {
            "source": "sensor",
            "title": "井盖位移",
            "lon": 120.105,
            "lat": 30.205,
            "idempotency_key": "dev-7:42",
        },
    )
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["case"]["id"] == second.json()["case"]["id"]
    assert first.json()["case"]["status"] == "registered"  # a sensor is a trusted source
    assert Case.objects.filter(idempotency_key="dev-7:42").count() == 1


def test_an_address_without_a_point_is_matched_to_the_area_tree(world: World) -> None:
    case = world.report(lon=None, lat=None, address="清波街道清波门社区3幢楼道灯坏了")
    assert case["area"] == "330102001051"


def test_a_machine_filing_for_someone_else_is_not_the_reporter(world: World) -> None:
    from gridgov.cases.actions import Report, report_case

    filed = report_case(
        Report(source="hotline", title="来电反映路灯不亮", lon=120.105, lat=30.205, reporter_is_actor=False),
        actor=world.users["clerk"],
    ).case
    own = report_case(
        Report(source="web", title="路灯不亮", lon=120.105, lat=30.205), actor=world.users["resident"]
    ).case
    assert filed.reporter is None
    assert CaseEvent.objects.get(case=filed, action="report").actor == world.users["clerk"]
    assert own.reporter == world.users["resident"]
