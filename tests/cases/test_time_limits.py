"""Time limits on a moved clock: the light, the warning, overdue, automatic escalation."""

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import close_old_connections, connection
from django.test import override_settings

from gridgov.cases import actions, timing
from gridgov.cases.errors import CaseChangedMeanwhile, TransitionNotAllowed
from gridgov.cases.models import Case, CaseEvent
from gridgov.deadlines.actions import fire_due_deadlines
from gridgov.notifications.models import InboxMessage
from tests.cases.conftest import World

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday 23 November 2026, 09:00 in Hangzhou: an ordinary working day.
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)


def dispatch_at(world: World, moment: datetime, category: str = "E0102") -> Case:
    with time_machine.travel(moment, tick=False):
        case = world.report()
        world.act("clerk", case["id"], "register", {"category": category})
        response = world.act(
            "dispatcher",
            case["id"],
            "dispatch",
            {"department_ids": [world.departments["urban-management"].pk]},
        )
        assert response.status_code == 200, response.content
    return world.case(case["id"])


def sweep_at(moment: datetime) -> list[str]:
    with time_machine.travel(moment, tick=False):
        report = fire_due_deadlines()
    failures = [row for row in report.rows if row.result != "fired"]
    assert not failures, failures
    return [row.kind for row in report.rows]


def test_due_time_follows_the_matter_table_and_the_working_calendar(world: World) -> None:
    case = dispatch_at(world, MONDAY_9)
    limit = timing.limit_for(case.category, "handle", urgent=False, level=case.level)
    plan = timing.schedule(MONDAY_9.astimezone(UTC), limit)
    assert case.due_at == plan.due_at
    assert case.limit_unit == limit.unit
    assert case.light == "green"


def test_warning_then_overdue_on_a_moved_clock(world: World) -> None:
    case = dispatch_at(world, MONDAY_9)
    assert case.due_at is not None and case.limit_started_at is not None
    warn_at = timing.warn_point(case.limit_started_at, case.due_at, timing.Limit(0, case.limit_unit))
    # Just before the 80 % point nothing fires.
    assert "cases.warn" not in sweep_at(warn_at - timedelta(seconds=1))
    assert "cases.warn" in sweep_at(warn_at + timedelta(seconds=1))
    case.refresh_from_db()
    assert case.light == "yellow" and not case.is_overdue
    assert InboxMessage.objects.filter(recipient=world.users["handler"], kind="warning").count() == 1
    assert "cases.overdue" in sweep_at(case.due_at + timedelta(seconds=1))
    case.refresh_from_db()
    assert case.light == "red" and case.is_overdue and case.status == "dispatched"
    assert CaseEvent.objects.filter(case=case, action="overdue").count() == 1
    # A second sweep fires nothing more: each deadline fires once.
    assert sweep_at(case.due_at + timedelta(hours=1)) == []


@override_settings(GRIDGOV_ESCALATE_WHEN_OVERDUE=True)
def test_scheduler_escalates_an_overdue_case(world: World) -> None:
    case = dispatch_at(world, MONDAY_9)
    # 暴露垃圾 (E0102) is normally handled at the grid level (matters.csv, inherited from E01).
    assert case.level == "grid"
    assert case.due_at is not None
    fired = sweep_at(case.due_at + timedelta(minutes=1))
    assert "cases.overdue" in fired
    case.refresh_from_db()
    assert (case.level, case.handling_area_id, case.status) == ("community", "330102001051", "registered")
    escalation = CaseEvent.objects.get(case=case, action="escalate")
    assert escalation.actor is None and escalation.actor_label == "system"
    assert escalation.data == {"from_level": "grid", "to_level": "community"}
    assert list(case.tasks.values_list("status", flat=True)) == ["cancelled"]


def test_unsigned_task_raises_a_sign_overdue(world: World) -> None:
    case = dispatch_at(world, MONDAY_9)
    task = case.tasks.get()
    assert task.sign_due_at is not None
    assert "cases.sign_overdue" in sweep_at(task.sign_due_at + timedelta(seconds=1))
    assert CaseEvent.objects.filter(case=case, action="sign_overdue").count() == 1


def test_light_is_green_yellow_red_by_elapsed_working_time(world: World) -> None:
    case = dispatch_at(world, MONDAY_9)
    start, due, unit = case.limit_started_at, case.due_at, case.limit_unit
    assert start is not None and due is not None
    warn = timing.warn_point(start, due, timing.Limit(0, unit))
    assert timing.light_at(start, due, unit, start + timedelta(minutes=1)) == "green"
    assert timing.light_at(start, due, unit, warn + timedelta(seconds=1)) == "yellow"
    assert timing.light_at(start, due, unit, due) == "red"


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_never_lose_an_update(world: World) -> None:
    """Both press "dispatch" on the same registered case at the same moment: one wins, the other
    is refused, and the case has exactly one task and one dispatch event.

    Real threads need a server database: pytest's SQLite test database is a shared in-memory one,
    whose table locks fail instead of waiting. On SQLite the stale-version test in test_flow.py
    covers the same refusal (and a real SQLite file serialises writers with IMMEDIATE).
    """
    if connection.vendor != "postgresql":
        pytest.skip("concurrent threads need PostgreSQL (SQLite serialises writers)")
    case = world.report()
    world.act("clerk", case["id"], "register", {"category": "E0102"})
    version = world.case(case["id"]).version
    targets = {
        "dispatcher": world.departments["urban-management"].pk,
        "dispatcher2": world.departments["housing"].pk,
    }
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def press(name: str) -> None:
        try:
            barrier.wait(timeout=10)
            actions.dispatch_case(
                case["id"], actor=world.users[name], department_ids=[targets[name]], expected_version=version
            )
            outcomes[name] = "ok"
        except (CaseChangedMeanwhile, TransitionNotAllowed) as error:
            outcomes[name] = error.code
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=press, args=(name,)) for name in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["case_changed", "ok"]
    stored = world.case(case["id"])
    assert stored.status == "dispatched"
    assert stored.tasks.count() == 1
    assert CaseEvent.objects.filter(case=stored, action="dispatch").count() == 1
    winner = next(name for name, outcome in outcomes.items() if outcome == "ok")
    assert stored.tasks.get().department_id == targets[winner]
