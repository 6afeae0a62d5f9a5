"""The leader's pages: supervision and approvals (/leader/) and the evaluation tables
(/leader/evaluation/), through the Django test client; one real-browser test of the htmx swap."""

import re
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.test import Client, override_settings
from django.utils import translation
from openpyxl import load_workbook

from gridgov.accounts.actions import create_user, grant_membership
from gridgov.accounts.models import Role, User
from gridgov.accounts.queries import get_scope
from gridgov.areas.actions import AreaRow, upsert_areas
from gridgov.areas.models import BoundarySource
from gridgov.cases import actions, timing
from gridgov.cases.models import Case, CaseEvent, CaseRequest, CaseTask
from gridgov.catalogue.actions import create_district_departments
from gridgov.core.area_codes import Level
from gridgov.deadlines.actions import fire_due_deadlines
from gridgov.deadlines.models import Deadline
from gridgov.evaluation.indicators import percent
from gridgov.evaluation.queries import department_table, evaluation_table, month_of, rank_table
from gridgov.web.pages import leader as leader_page
from tests.cases.conftest import GRID_A, GRID_C, World, square
from tests.cases.conftest import world as world_fixture  # noqa: F401 (pytest finds it by its name, "world")
from tests.evaluation.conftest import STREET, Town, local, november, town  # noqa: F401 (fixtures, found by their names)
from tests.web.conftest import log_in

HX = {"HX-Request": "true"}
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday 23 November 2026, 09:00 in Hangzhou: an ordinary working day.
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
NOVEMBER = "area=330102001000&month=2026-11"
FOREIGN_DISTRICT = "330105000000"
FOREIGN_GRID = "330105001001001"


# ── helpers ───────────────────────────────────────────────────────────────────────────────────


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def logged_in(user: User, *, in_english: bool = True) -> Client:
    """A client logged in now (inside a moved clock, the session starts at the moved time)."""
    client = Client()
    client.force_login(user)
    return english(client) if in_english else client


def dispatched(world: World, grid: str = GRID_A, title: str = "垃圾桶满溢") -> int:
    """A case reported by a grid worker (registered at once) and dispatched to urban management."""
    case = actions.report_case(
        actions.Report(source="grid_patrol", title=title, area_code=grid, category_code="E0101"),
        actor=world.users["grid_worker"] if grid == GRID_A else world.users["other_grid_worker"],
    ).case
    actions.dispatch_case(
        case.pk, actor=world.users["dispatcher"], department_ids=[world.departments["urban-management"].pk]
    )
    return case.pk


def post(
    client: Client, case_id: int, action: str, data: dict[str, Any] | None = None, *, htmx: bool = True
) -> Any:
    body = {"panel": "leader", "section": "overdue", **(data or {})}
    return client.post(f"/console/cases/{case_id}/{action}/", body, headers=HX if htmx else {})


def leader_post(world: World, case_id: int, action: str, data: dict[str, Any] | None = None) -> Any:
    return post(english(world.client("leader")), case_id, action, data)


def snapshot(case_id: int) -> tuple[Any, ...]:
    case = Case.objects.get(pk=case_id)
    return (
        case.status,
        case.version,
        case.due_at,
        case.light,
        case.supervision_count,
        case.suspended_remaining_seconds,
        CaseEvent.objects.filter(case_id=case_id).count(),
        list(CaseRequest.objects.filter(case_id=case_id).order_by("id").values_list("status", flat=True)),
        Deadline.objects.filter(subject_id=str(case_id)).count(),
    )


def section(client: Client, key: str) -> Any:
    response = client.get(f"/leader/?section={key}")
    assert response.status_code == 200
    return response


def row_ids(response: Any) -> list[int]:
    return [row.case.pk for row in response.context["rows"]]


def counts(response: Any) -> dict[str, int]:
    return {item["section"].key: item["count"] for item in response.context["sections"]}


def foreign_district(world: World) -> tuple[User, int]:
    """A second district (拱墅区) with a grid, departments, its own leader and a supervised case."""
    upsert_areas(
        [
            AreaRow(FOREIGN_DISTRICT, "拱墅区", Level.DISTRICT, "330100000000"),
            AreaRow("330105001000", "米市巷街道", Level.STREET, FOREIGN_DISTRICT),
            AreaRow("330105001001", "米市巷社区", Level.COMMUNITY, "330105001000"),
            AreaRow(FOREIGN_GRID, "米市巷社区第1网格", Level.GRID, "330105001001", square(120.30, 30.30)),
        ],
        actor_label="tests",
        boundary_source=BoundarySource.IMPORTED,
    )
    departments = create_district_departments(FOREIGN_DISTRICT, actor_label="tests")
    people = {}
    for name, role in (("foreign_leader", Role.LEADER), ("foreign_dispatcher", Role.DISPATCHER)):
        people[name] = create_user(username=name, password=None, actor_label="tests")
        grant_membership(user=people[name], role=role, area_code=FOREIGN_DISTRICT, actor_label="tests")
    case = actions.report_case(
        actions.Report(
            source="grid_patrol", title="拱墅区的占道经营", area_code=FOREIGN_GRID, category_code="E0101"
        ),
        actor=people["foreign_dispatcher"],
    ).case
    actions.dispatch_case(case.pk, actor=people["foreign_dispatcher"], department_ids=[departments[0].pk])
    actions.supervise_case(case.pk, actor=people["foreign_leader"], instruction="本周内解决")
    return people["foreign_leader"], case.pk


# ── who may use the pages ─────────────────────────────────────────────────────────────────────

PAGES = ("/leader/", "/leader/evaluation/", "/leader/evaluation/export.xlsx")


# The login page is built elsewhere; whatever LOGIN_URL says is followed.
@override_settings(LOGIN_URL="/admin/login/")
@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(world: World, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={path}"


@pytest.mark.parametrize("role", ["dispatcher", "clerk", "handler", "grid_worker", "resident"])
def test_other_roles_are_refused(world: World, role: str) -> None:
    for path in PAGES:
        assert world.client(role).get(path).status_code == 403, path


def test_a_leader_sees_the_cases_of_their_district_only(world: World) -> None:
    foreign_leader, foreign_case = foreign_district(world)
    own_case = dispatched(world)
    actions.supervise_case(own_case, actor=world.users["leader"], instruction="尽快处理")

    response = section(world.client("leader"), "supervised")
    assert row_ids(response) == [own_case]
    assert counts(response) == {
        "overdue": 0,
        "due_soon": 0,
        "supervised": 1,
        "extensions": 0,
        "suspensions": 0,
        "suspended": 0,
    }
    foreign_number = Case.objects.get(pk=foreign_case).number
    assert foreign_number not in response.content.decode()
    assert row_ids(section(logged_in(foreign_leader), "supervised")) == [foreign_case]

    # A leader of one street does not see the other street's cases either.
    street_leader = create_user(username="street_leader", password=None, actor_label="tests")
    grant_membership(user=street_leader, role=Role.LEADER, area_code="330102002000", actor_label="tests")
    other_street_case = dispatched(world, GRID_C, "湖滨街道的垃圾")
    actions.supervise_case(other_street_case, actor=world.users["leader"], instruction="尽快")
    assert row_ids(section(logged_in(street_leader), "supervised")) == [other_street_case]
    # The district leader sees both of the district's.
    assert sorted(row_ids(section(world.client("leader"), "supervised"))) == sorted(
        [own_case, other_street_case]
    )

    # Acting on the other district's case is refused as "not found" and changes nothing.
    before = snapshot(foreign_case)
    response = leader_post(world, foreign_case, "supervise", {"instruction": "越权督办"})
    assert response.status_code == 404
    assert "No such case, or it is outside your data scope." in response.content.decode()
    assert snapshot(foreign_case) == before


def test_a_superuser_may_use_the_pages(world: World) -> None:
    admin = User.objects.create_superuser("root", password=None)
    _foreign_leader, foreign_case = foreign_district(world)
    response = section(logged_in(admin), "supervised")
    assert row_ids(response) == [foreign_case]
    assert logged_in(admin).get("/leader/evaluation/").status_code == 200


# ── the lists ─────────────────────────────────────────────────────────────────────────────────


def test_yellow_then_red_cases_are_listed_on_a_moved_clock(world: World) -> None:
    with time_machine.travel(MONDAY_9, tick=False):
        case_id = dispatched(world)
    case = Case.objects.get(pk=case_id)
    assert case.due_at is not None and case.limit_started_at is not None
    warn_at = timing.warn_point(case.limit_started_at, case.due_at, timing.Limit(0, case.limit_unit))
    leader = world.users["leader"]

    with time_machine.travel(warn_at + timedelta(seconds=1), tick=False):
        fire_due_deadlines()
        client = logged_in(leader)
        response = client.get("/leader/")  # no section chosen: the first list with something in it
        assert response.context["current"].key == "due_soon"
        assert row_ids(response) == [case_id]
        assert counts(response)["overdue"] == 0
        assert 'class="light yellow"' in response.content.decode()

    # Past the due time the case is overdue even before the scheduler has swept it.
    with time_machine.travel(case.due_at + timedelta(seconds=1), tick=False):
        client = logged_in(leader)
        assert row_ids(section(client, "overdue")) == [case_id]
        assert row_ids(section(client, "due_soon")) == []
        fire_due_deadlines()
        response = section(client, "overdue")
        assert row_ids(response) == [case_id]
        content = response.content.decode()
        assert 'class="light red"' in content and '<strong class="error">overdue</strong>' in content
        row = response.context["rows"][0]
        assert row.allowed == ["supervise"]
        assert [task.department_id for task in row.tasks] == [world.departments["urban-management"].pk]
        assert f'href="/console/cases/{case_id}/"' in content
    assert Case.objects.get(pk=case_id).is_overdue


def test_long_lists_come_a_page_at_a_time(world: World, monkeypatch: Any) -> None:
    monkeypatch.setattr(leader_page, "PAGE_SIZE", 2)
    cases = [dispatched(world, title=f"case {n}") for n in range(3)]
    for case_id in cases:
        actions.supervise_case(case_id, actor=world.users["leader"], instruction="尽快")
    client = world.client("leader")
    first = section(client, "supervised")
    second = client.get("/leader/?section=supervised&page=2")
    assert len(row_ids(first)) == 2 and len(row_ids(second)) == 1
    assert sorted(row_ids(first) + row_ids(second)) == sorted(cases)
    assert 'href="?section=supervised&amp;page=2"' in first.content.decode()


# ── the actions ───────────────────────────────────────────────────────────────────────────────


def test_supervise_writes_an_event_and_counts_it(world: World) -> None:
    case_id = dispatched(world)
    response = leader_post(
        world, case_id, "supervise", {"instruction": "今天下班前清理完毕", "due_hours": "4"}
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert content.strip().startswith(f'<tr id="case-row-{case_id}">')
    assert "Supervised: the instruction was sent to whoever holds the case." in content
    assert "supervised 1 time" in content
    case = Case.objects.get(pk=case_id)
    assert case.supervision_count == 1
    event = CaseEvent.objects.filter(case_id=case_id).latest("id")
    assert (event.action, event.from_status, event.to_status, event.note, event.actor) == (
        "supervise",
        "dispatched",
        "dispatched",
        "今天下班前清理完毕",
        world.users["leader"],
    )
    due = Deadline.objects.get(subject_id=str(case_id), kind="cases.supervision_due")
    assert event.data == {"due_at": due.due_at.isoformat()}

    # Supervising again without a new deadline adds a second event, no deadline.
    leader_post(world, case_id, "supervise", {"instruction": "再次督办"})
    assert Case.objects.get(pk=case_id).supervision_count == 2
    assert CaseEvent.objects.filter(case_id=case_id, action="supervise").count() == 2
    assert Deadline.objects.filter(subject_id=str(case_id), kind="cases.supervision_due").count() == 1
    assert row_ids(section(world.client("leader"), "supervised")) == [case_id]


def test_approving_an_extension_moves_the_due_time(world: World) -> None:
    case_id = dispatched(world)
    request = actions.request_extension(case_id, actor=world.users["handler"], extra_hours=8, reason="等配件")
    old_due = Case.objects.get(pk=case_id).due_at
    assert old_due is not None
    expected_due = timing.extend_due(old_due, 8)

    response = section(english(world.client("leader")), "extensions")
    assert row_ids(response) == [case_id]
    row = response.context["rows"][0]
    assert row.allowed == ["supervise", "decide_extension"]
    assert row.extension_due == expected_due
    content = response.content.decode()
    assert "等配件" in content and "Extension asked: 8 working hours more" in content

    response = leader_post(
        world,
        case_id,
        "decide_extension",
        {"request": str(request.pk), "decision": "approve", "note": "同意"},
    )
    assert "Extension approved: the due time moved." in response.content.decode()
    case = Case.objects.get(pk=case_id)
    assert case.due_at == expected_due
    assert list(CaseTask.objects.filter(case_id=case_id).values_list("due_at", flat=True)) == [expected_due]
    request.refresh_from_db()
    assert (request.status, request.decided_by, request.decision_note) == (
        "approved",
        world.users["leader"],
        "同意",
    )
    event = CaseEvent.objects.filter(case_id=case_id).latest("id")
    assert (event.action, event.data["approved"], event.data["due_at"]) == (
        "decide_extension",
        True,
        expected_due.isoformat(),
    )
    assert row_ids(section(world.client("leader"), "extensions")) == []


def test_refusing_an_extension_keeps_the_due_time_and_needs_a_reason(world: World) -> None:
    case_id = dispatched(world)
    request = actions.request_extension(case_id, actor=world.users["handler"], extra_hours=8, reason="等配件")
    before = snapshot(case_id)
    response = leader_post(
        world, case_id, "decide_extension", {"request": str(request.pk), "decision": "reject"}
    )
    assert '<p class="error" role="alert">Give a reason for refusing.</p>' in response.content.decode()
    assert snapshot(case_id) == before

    response = leader_post(
        world,
        case_id,
        "decide_extension",
        {"request": str(request.pk), "decision": "reject", "note": "时限充足"},
    )
    assert "Extension refused." in response.content.decode()
    case = Case.objects.get(pk=case_id)
    assert case.due_at == before[2]
    request.refresh_from_db()
    assert (request.status, request.decision_note) == ("refused", "时限充足")
    event = CaseEvent.objects.filter(case_id=case_id).latest("id")
    assert (event.action, event.data["approved"], "due_at" in event.data) == (
        "decide_extension",
        False,
        False,
    )


def test_approving_a_suspension_then_resuming(world: World) -> None:
    case_id = dispatched(world)
    actions.sign_case(case_id, actor=world.users["handler"])
    request = actions.request_suspension(case_id, actor=world.users["handler"], reason="需要规划立项")
    response = section(world.client("leader"), "suspensions")
    assert row_ids(response) == [case_id]
    assert response.context["rows"][0].allowed == ["supervise", "decide_suspension"]

    response = leader_post(
        world, case_id, "decide_suspension", {"request": str(request.pk), "decision": "approve"}
    )
    assert "Suspension approved: the case is suspended and its clock stopped." in response.content.decode()
    case = Case.objects.get(pk=case_id)
    assert (case.status, case.due_at, case.light) == ("suspended", None, "")
    assert case.suspended_remaining_seconds is not None
    assert CaseRequest.objects.get(pk=request.pk).status == "approved"

    response = section(world.client("leader"), "suspended")
    assert row_ids(response) == [case_id]
    assert response.context["rows"][0].allowed == ["supervise", "resume"]
    response = leader_post(world, case_id, "resume", {"note": "资金已落实"})
    assert "Resumed: the clock runs again with the time that was left." in response.content.decode()
    case = Case.objects.get(pk=case_id)
    assert (case.status, case.light) == ("in_progress", "green")
    assert case.due_at is not None and case.suspended_remaining_seconds is None
    assert list(CaseEvent.objects.filter(case_id=case_id).order_by("id").values_list("action", flat=True))[
        -2:
    ] == [
        "decide_suspension",
        "resume",
    ]
    assert row_ids(section(world.client("leader"), "suspended")) == []


def test_refusing_a_suspension(world: World) -> None:
    case_id = dispatched(world)
    request = actions.request_suspension(case_id, actor=world.users["handler"], reason="需要规划立项")
    response = leader_post(
        world,
        case_id,
        "decide_suspension",
        {"request": str(request.pk), "decision": "reject", "note": "可以处理"},
    )
    assert "Suspension refused." in response.content.decode()
    assert Case.objects.get(pk=case_id).status == "dispatched"
    assert CaseRequest.objects.get(pk=request.pk).status == "refused"


def test_refused_actions_show_their_message_and_change_nothing(world: World) -> None:
    case_id = dispatched(world)
    other_id = dispatched(world, title="另一件")
    request = actions.request_extension(case_id, actor=world.users["handler"], extra_hours=8, reason="等配件")
    other_request = actions.request_extension(
        other_id, actor=world.users["handler"], extra_hours=4, reason="x"
    )
    before, other_before = snapshot(case_id), snapshot(other_id)

    def refused(role: str, action: str, data: dict[str, Any], message: str, target: int = case_id) -> None:
        response = post(english(world.client(role)), target, action, data)
        assert response.status_code == 200
        assert f'<p class="error" role="alert">{message}</p>' in response.content.decode(), data

    invalid = "The case data are not valid."
    refused("leader", "supervise", {"instruction": "  "}, invalid)
    refused("leader", "supervise", {"instruction": "督办", "due_hours": "abc"}, invalid)
    refused("leader", "supervise", {"instruction": "督办", "due_hours": "1000"}, invalid)
    refused("dispatcher", "supervise", {"instruction": "督办"}, "Your role may not take this action.")
    refused(
        "dispatcher",
        "decide_extension",
        {"request": str(request.pk), "decision": "approve"},
        "Your role may not take this action.",
    )
    # The request shown must be this case's, of this kind, and the decision one of the two.
    refused("leader", "decide_extension", {"request": str(other_request.pk), "decision": "approve"}, invalid)
    refused("leader", "decide_suspension", {"request": str(request.pk), "decision": "approve"}, invalid)
    refused("leader", "decide_extension", {"request": str(request.pk), "decision": "maybe"}, invalid)
    refused("leader", "decide_extension", {"request": "", "decision": "approve"}, invalid)
    refused("leader", "resume", {}, "This action is not possible in the case&#x27;s current state.")
    assert snapshot(case_id) == before
    assert snapshot(other_id) == other_before

    # A request decided meanwhile (another leader, another tab) cannot be decided again.
    leader_post(world, case_id, "decide_extension", {"request": str(request.pk), "decision": "approve"})
    decided = snapshot(case_id)
    refused(
        "leader",
        "decide_extension",
        {"request": str(request.pk), "decision": "reject", "note": "no"},
        "This action is not possible in the case&#x27;s current state.",
    )
    assert snapshot(case_id) == decided


def test_without_javascript_a_form_posts_and_comes_back_to_the_list(world: World) -> None:
    case_id = dispatched(world)
    client = english(world.client("leader"))
    response = post(
        client, case_id, "supervise", {"instruction": "尽快", "section": "supervised"}, htmx=False
    )
    assert response.status_code == 302
    assert response["Location"] == "/leader/?section=supervised"
    page = client.get(response["Location"])
    assert [str(m) for m in page.context["messages"]] == [
        "Supervised: the instruction was sent to whoever holds the case."
    ]
    assert row_ids(page) == [case_id]
    response = post(client, case_id, "supervise", {"instruction": ""}, htmx=False)
    assert response["Location"] == "/leader/?section=overdue"
    assert [str(m) for m in client.get(response["Location"]).context["messages"]] == [
        "The case data are not valid."
    ]


def test_the_case_page_offers_the_leader_the_same_decisions(world: World) -> None:
    case_id = dispatched(world)
    actions.request_extension(case_id, actor=world.users["handler"], extra_hours=8, reason="等配件")
    response = world.client("leader").get(f"/console/cases/{case_id}/")
    assert response.status_code == 200
    assert "supervise" in response.context["row"].allowed
    assert "decide_extension" in response.context["row"].allowed
    assert f'action="/console/cases/{case_id}/decide_extension/"' in response.content.decode()


def test_the_pages_are_in_chinese_by_default(world: World) -> None:
    response = world.client("leader").get("/leader/")
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    with translation.override("zh-hans"):
        title = translation.gettext("Supervision and approvals")
    assert f"<h1>{title}</h1>" in response.content.decode()


# ── evaluation ────────────────────────────────────────────────────────────────────────────────


@pytest.fixture
def month(november: Town) -> Town:  # noqa: F811 (the imported fixture, requested by its name)
    """November 2026 of tests/evaluation/conftest.py: a street with two communities, a month of
    cases made through the real case actions."""
    return november


def expected_area_rows(story: Town, area: str, start: datetime, end: datetime, by: str = "score") -> Any:
    table = evaluation_table(get_scope(story.users["leader"]), area, start, end)
    return table, rank_table(table, by)


def test_the_evaluation_page_shows_the_figures_of_evaluation_table(month: Town) -> None:
    client = logged_in(month.users["leader"])
    response = client.get(f"/leader/evaluation/?{NOVEMBER}")
    assert response.status_code == 200
    table, ranked = expected_area_rows(month, STREET, local(11, 1, 0), local(12, 1, 0))
    assert response.context["ranked"] == ranked
    lines = response.context["lines"]
    assert [line.key for line in lines] == [item.row.unit.key for item in ranked] + [STREET]
    for line, item in zip(lines, [*ranked, None], strict=True):
        row = item.row if item is not None else table.total
        assert line.counts == [getattr(row.counts, key) for key in leader_page.COUNT_KEYS]
        assert line.rates == [percent(row.rates.get(key)) for key in leader_page.RATE_KEYS]
        assert line.score == ("—" if row.score is None else f"{float(row.score):.2f}")
    assert lines[-1].is_total
    # Both communities have fewer cases than the scheme's minimum (10): listed, not ranked.
    assert [(item.rank, item.is_sample_too_small) for item in ranked] == [(None, True), (None, True)]
    content = response.content.decode()
    assert content.count('<span class="hint">too few cases</span>') == 2
    community_a = ranked[0].row
    assert percent(community_a.rates.on_time_closure_rate) in content
    assert f"{float(community_a.score):.2f}" in content
    # The child areas with children of their own link to their table (drill down).
    assert (
        f'href="?area={ranked[0].row.unit.key}&amp;tab=areas&amp;rank_by=score&amp;month=2026-11"' in content
    )

    # The same period given as a first and a last day gives the same table.
    days = client.get("/leader/evaluation/?area=330102001000&start=2026-11-01&end=2026-11-30")
    assert days.context["ranked"] == ranked


def test_the_department_tab_and_the_ranking_key(month: Town) -> None:
    client = logged_in(month.users["leader"])
    response = client.get(f"/leader/evaluation/?{NOVEMBER}&tab=departments&rank_by=rework_rate")
    assert response.status_code == 200
    table = department_table(
        get_scope(month.users["leader"]), local(11, 1, 0), local(12, 1, 0), area_code=STREET
    )
    ranked = rank_table(table, "rework_rate")
    assert response.context["ranked"] == ranked
    assert [line.name for line in response.context["lines"]] == [item.row.unit.name for item in ranked]
    assert all(
        line.counts[0] is None for line in response.context["lines"]
    )  # registered: not for a department


def test_the_default_is_the_leaders_own_area_and_this_month(month: Town) -> None:
    with time_machine.travel(local(11, 20, 12), tick=False):
        response = logged_in(month.users["leader"]).get("/leader/evaluation/")
    assert response.status_code == 200
    choice = response.context["choice"]
    assert choice.area.code == "330102000000"
    assert choice.period == month_of(local(11, 20, 12))
    _table, ranked = expected_area_rows(month, "330102000000", local(11, 1, 0), local(12, 1, 0))
    assert response.context["ranked"] == ranked
    assert {item.row.unit.key for item in ranked} == {"330102001000", "330102002000"}


def test_the_excel_downloads_hold_the_same_rows(month: Town) -> None:
    client = logged_in(month.users["leader"], in_english=False)  # the workbook in Chinese, the default
    response = client.get(f"/leader/evaluation/export.xlsx?{NOVEMBER}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="evaluation-330102001000-20261101-20261201.xlsx"')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "清波街道-20261101-20261201.xlsx"
    table, ranked = expected_area_rows(month, STREET, local(11, 1, 0), local(12, 1, 0))
    sheet = load_workbook(BytesIO(response.content)).worksheets[0]
    lines = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]
    assert [line[0] for line in lines[:-1]] == [item.row.unit.name for item in ranked]
    assert [line[1:7] for line in lines[:-1]] == [
        [c.registered, c.dispatched, c.closed, c.closed_on_time, c.reworked, c.returned]
        for c in (item.row.counts for item in ranked)
    ]
    assert lines[-1][0] == "合计：清波街道" and lines[-1][1] == table.total.counts.registered

    response = client.get(f"/leader/evaluation/export.xlsx?{NOVEMBER}&tab=departments")
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert 'filename="evaluation-departments-330102001000-20261101-20261201.xlsx"' in disposition
    table = department_table(
        get_scope(month.users["leader"]), local(11, 1, 0), local(12, 1, 0), area_code=STREET
    )
    ranked = rank_table(table)
    workbook = load_workbook(BytesIO(response.content))
    sheet = workbook.worksheets[0]
    lines = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]
    assert [(line[0], line[2], line[3]) for line in lines] == [
        (item.row.unit.name, item.row.counts.dispatched, item.row.counts.closed) for item in ranked
    ]
    with translation.override("zh-hans"):
        title = translation.gettext("Departments in %(place)s") % {"place": "清波街道"}
    assert sheet["A1"].value == f"{title} 2026-11-01 – 2026-11-30"
    # The API's department workbook is the same file's figures.
    api = client.get(
        "/api/v1/evaluation/departments/export.xlsx?area=330102001000&start=2026-11-01&end=2026-12-01"
    )
    assert api.status_code == 200
    api_lines = [
        [cell.value for cell in row]
        for row in load_workbook(BytesIO(api.content)).worksheets[0].iter_rows(min_row=3)
    ]
    assert [line[:16] for line in api_lines] == [line[:16] for line in lines]


def test_evaluation_outside_the_scope_is_not_found(month: Town) -> None:
    street_leader = create_user(username="street_leader", password=None, actor_label="tests")
    grant_membership(user=street_leader, role=Role.LEADER, area_code=STREET, actor_label="tests")
    client = logged_in(street_leader)
    response = client.get("/leader/evaluation/?month=2026-11")
    assert response.status_code == 200 and response.context["choice"].area.code == STREET
    for code in ("330102002000", "330102000000", "999999999999"):
        assert client.get(f"/leader/evaluation/?area={code}&month=2026-11").status_code == 404, code
        assert client.get(f"/leader/evaluation/export.xlsx?area={code}&month=2026-11").status_code == 404, (
            code
        )
    # Drill down goes no higher than the scope: the street leader's breadcrumb is empty.
    assert response.context["breadcrumb"] == []


@pytest.mark.parametrize(
    "query",
    [
        "month=2026-13",
        "month=november",
        "start=2026-11-01",
        "start=2026-11-30&end=2026-11-01",
        "start=2025-01-01&end=2026-11-30",
        "end=x",
    ],
)
def test_a_bad_period_is_refused_with_a_message(month: Town, query: str) -> None:
    client = logged_in(month.users["leader"])
    response = client.get(f"/leader/evaluation/?area={STREET}&{query}")
    assert response.status_code == 400
    message = "The period is not valid: give a start before the end, at most 400 days apart."
    assert f'<p class="error" role="alert">{message}</p>' in response.content.decode()
    assert "ranked" not in response.context
    assert client.get(f"/leader/evaluation/export.xlsx?area={STREET}&{query}").status_code == 400


# ── in a real browser ─────────────────────────────────────────────────────────────────────────


@pytest.mark.django_db(transaction=True)
def test_a_leader_approves_an_extension_in_the_browser(
    world: World, live_server: Any, page: Any, screenshot: Any
) -> None:
    case_id = dispatched(world)
    request = actions.request_extension(
        case_id, actor=world.users["handler"], extra_hours=8, reason="等配件到货"
    )
    old_due = Case.objects.get(pk=case_id).due_at
    assert old_due is not None
    log_in(page.context, world.users["leader"], live_server.url)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/leader/")
    assert page.locator("#tab-extensions").get_attribute("aria-current") == "page"
    row = page.locator(f"#case-row-{case_id}")
    assert "等配件到货" in row.inner_text()
    screenshot(page, "leader-overview")

    row.locator(f"#extension-note-{case_id}").fill("同意延期")
    row.locator("button[value=approve]").click()
    with translation.override("zh-hans"):
        notice = translation.gettext("Extension approved: the due time moved.")
    page.locator(f"#case-row-{case_id} .ok").wait_for()
    assert page.locator(f"#case-row-{case_id} .ok").inner_text() == notice
    assert page.locator(f"#case-row-{case_id} button[value=approve]").count() == 0
    assert page.url == f"{live_server.url}/leader/"  # swapped in place, no new page
    request.refresh_from_db()
    assert (request.status, request.decision_note) == ("approved", "同意延期")
    assert Case.objects.get(pk=case_id).due_at == timing.extend_due(old_due, 8)
    new_due = Case.objects.get(pk=case_id).due_at
    assert new_due is not None
    shown = page.locator(f"#case-row-{case_id} time").first.get_attribute("datetime")
    assert shown is not None and datetime.fromisoformat(shown) == new_due

    page.goto(f"{live_server.url}/leader/evaluation/")
    page.locator("table.figures").wait_for()
    assert page.locator("table.figures tbody tr").count() >= 2
    screenshot(page, "leader-evaluation")


def test_every_row_has_unique_ids(world: World) -> None:
    """Labels point at their inputs: each id appears once on the page."""
    for n in range(2):
        case_id = dispatched(world, title=f"case {n}")
        actions.request_extension(case_id, actor=world.users["handler"], extra_hours=2, reason="r")
    content = section(world.client("leader"), "extensions").content.decode()
    ids = re.findall(r'\sid="([^"]+)"', content)
    assert len(ids) == len(set(ids))
    for target in re.findall(r'<label for="([^"]+)"', content):
        assert target in ids, target
