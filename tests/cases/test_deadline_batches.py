"""The sweeper's batch handlers write exactly what the one-row handlers write.

Two identical sets of cases are made at the same moments; the first set's due rows are fired one
at a time (batch handlers off), the second set's in batches, and every row written for each case
is compared, with the case's number and ids mapped to their place in the set.
"""

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Model
from django.test import override_settings

from gridgov.cases import actions
from gridgov.cases.models import Case, CaseEvent, CaseTask
from gridgov.core.models import AuditEvent
from gridgov.deadlines import actions as sweeper
from gridgov.deadlines.models import Deadline
from gridgov.notifications.actions import create_webhook_endpoint
from gridgov.notifications.models import InboxMessage, WebhookDelivery
from tests.cases.conftest import World

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
# Past every limit of the sample: signing, warning, overdue and the supervision's 4 hours.
SWEEP_AT = MONDAY_9 + timedelta(days=40)
# A department of the district without any handler: its warnings go to the grid's staff.
UNSTAFFED = "natural-resources"


def dispatched(world: World, *functions: str, title: str = "垃圾桶满溢") -> int:
    case = world.report(title=title)
    assert world.act("clerk", case["id"], "register", {"category": "E0102"}).status_code == 200
    ids = [world.departments[f].pk for f in functions]
    # 吹哨报到: several departments at once are whistled by the community.
    role, action = ("dispatcher", "dispatch") if len(ids) == 1 else ("community_worker", "whistle")
    response = world.act(role, case["id"], action, {"department_ids": ids})
    assert response.status_code == 200, response.content
    return int(case["id"])


def make_cases(world: World) -> list[int]:
    """Every path of the four handlers, made at MONDAY_9."""
    with time_machine.travel(MONDAY_9, tick=False):
        plain = dispatched(world, "urban-management", title="路灯不亮")
        two_departments = dispatched(world, "urban-management", "housing", title="楼道堆物")
        signed = dispatched(world, "urban-management", title="井盖缺失")
        assert world.act("handler", signed, "sign").status_code == 200
        unstaffed = dispatched(world, UNSTAFFED, title="噪声扰民")
        supervised = dispatched(world, "housing", title="屋顶漏水")
        response = world.act("leader", supervised, "supervise", {"instruction": "今日内处理", "due_hours": 4})
        assert response.status_code == 200, response.content
        # A case whose running limit stopped behind the sweeper's back (its rows still open): every
        # handler must skip it.
        stopped = dispatched(world, "urban-management", title="道路破损")
        Case.objects.filter(pk=stopped).update(status="handled")
    return [plain, two_departments, signed, unstaffed, supervised, stopped]


def sweep() -> list[tuple[str, str]]:
    with time_machine.travel(SWEEP_AT, tick=False):
        report = sweeper.fire_due_deadlines()
    assert all(row.result == "fired" for row in report.rows), report.rows
    return [(row.kind, row.outcome) for row in report.rows]


def columns(obj: Model, *leave_out: str) -> dict[str, Any]:
    return {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if f.attname not in ("id", *leave_out)
    }


def snapshot(case_ids: list[int]) -> list[dict[str, Any]]:
    """Every row written for each case, with what must differ between the two sets mapped to the
    case's place in its set: the case's id and number and its tasks' ids (users, departments and
    areas are the same rows for both sets)."""
    out = []
    for place, case_id in enumerate(case_ids):
        case = Case.objects.get(pk=case_id)
        task_ids = list(case.tasks.order_by("id").values_list("pk", flat=True))
        tasks = {pk: f"task{n}" for n, pk in enumerate(task_ids)}
        me = f"case{place}"

        def text(value: str, case: Case = case, me: str = me) -> str:
            return value.replace(case.number, me)

        def key(dedupe: str, case: Case = case, me: str = me, tasks: dict[int, str] = tasks) -> str:
            # "overdue:<case id>:<version>", "sign<task id>:<case id>:<version>"
            kind, pk, version = dedupe.split(":")
            assert pk == str(case.pk)
            for task_id, name in tasks.items():
                kind = kind.replace(f"sign{task_id}", f"sign-{name}")
            return f"{kind}:{me}:{version}"

        def data(
            value: dict[str, Any], tasks: dict[int, str] = tasks, case: Case = case, me: str = me
        ) -> dict[str, Any]:
            value = dict(value)
            if "task" in value:
                value["task"] = tasks[value["task"]]
            for name in ("title", "case"):
                if isinstance(value.get(name), str):
                    value[name] = text(value[name])
            if value.get("dedupe_key"):
                value["dedupe_key"] = key(value["dedupe_key"])
            if value.get("id") == case.pk:
                value["id"] = me
            return value

        events = []
        for event in CaseEvent.objects.filter(case=case).order_by("id"):
            row = columns(event, "case_id")
            row["data"], row["note"] = data(row["data"]), text(row["note"])
            events.append(row)
        inbox = []
        for message in InboxMessage.objects.filter(subject_type="cases.case", subject_id=str(case.pk)):
            row = columns(message)
            assert row["subject_id"] == str(case.pk) and row["link"] == f"/cases/{case.pk}"
            row.update(subject_id=me, link=me, title=text(row["title"]), dedupe_key=key(row["dedupe_key"]))
            inbox.append(row)
        audits = []
        for audit in AuditEvent.objects.filter(
            action="notify_users", subject_type="cases.case", subject_id=str(case.pk)
        ).order_by("id"):
            row = columns(audit)
            row.update(subject_id=me, data=data(row["data"]))
            audits.append(row)
        deadlines = []
        for deadline in Deadline.objects.filter(subject_type="cases.case", subject_id=str(case.pk)):
            row = columns(deadline, "created_at")
            row.update(subject_id=me, data=data(row["data"]))
            deadlines.append(row)
        hooks = []
        for delivery in WebhookDelivery.objects.filter(payload__id=case.pk).order_by("event_type", "id"):
            row = columns(delivery, "event_id")
            row["payload"] = data(row["payload"])
            hooks.append(row)
        out.append(
            {
                "case": columns(case, "number", "reporter_contact_encrypted", "idempotency_key"),
                "tasks": [columns(t, "case_id") for t in CaseTask.objects.filter(case=case).order_by("id")],
                "events": events,
                "inbox": sorted(inbox, key=repr),
                "audits": audits,
                "deadlines": sorted(deadlines, key=repr),
                "webhooks": hooks,
            }
        )
    return out


@pytest.fixture
def batch_sizes(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[int]]]:
    """How many rows each call of the case domain's batch actions got."""
    sizes: dict[str, list[int]] = {}
    for name in ("warn_cases", "mark_overdue_cases", "sign_overdue_tasks", "supervision_missed_cases"):
        original: Callable[..., list[str]] = getattr(actions, name)

        def counted(items: Any, name: str = name, original: Callable[..., list[str]] = original) -> list[str]:
            sizes.setdefault(name, []).append(len(items))
            return original(items)

        monkeypatch.setattr(actions, name, counted)
    yield sizes


@pytest.mark.parametrize("escalate", [False, True], ids=["plain", "escalating"])
def test_batches_write_what_one_row_at_a_time_writes(
    world: World, monkeypatch: pytest.MonkeyPatch, batch_sizes: dict[str, list[int]], escalate: bool
) -> None:
    create_webhook_endpoint(
        name="city", url="https://example.org/hook", event_types=["case.*"], actor_label="t"
    )
    with override_settings(GRIDGOV_ESCALATE_WHEN_OVERDUE=escalate):
        one_by_one = make_cases(world)
        with monkeypatch.context() as patch:
            patch.setattr(sweeper, "_batch_handlers", {})
            fired_one_by_one = sweep()
        assert all(size == 1 for sizes in batch_sizes.values() for size in sizes)
        batch_sizes.clear()
        batched = make_cases(world)
        fired_batched = sweep()

    # The batches were real: several cases per call.
    assert max(batch_sizes["warn_cases"]) > 1 and max(batch_sizes["mark_overdue_cases"]) > 1
    assert max(batch_sizes["sign_overdue_tasks"]) > 1
    assert sorted(fired_one_by_one) == sorted(fired_batched)
    assert snapshot(one_by_one) == snapshot(batched)

    # And what they wrote is what the limits mean.
    plain, two_departments, signed, unstaffed, supervised, stopped = batched
    by_case = {case.pk: case for case in Case.objects.filter(pk__in=batched)}
    for case_id in (plain, two_departments, signed, unstaffed, supervised):
        case = by_case[case_id]
        if escalate:
            # Escalated from the grid to the community: the task is cancelled, the case registered.
            assert (case.status, case.level) == ("registered", "community")
        else:
            assert (case.light, case.is_overdue) == ("red", True)
        actions_seen = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
        assert actions_seen.index("warning") < actions_seen.index("overdue")
    assert by_case[stopped].light == "green" and not by_case[stopped].is_overdue
    assert not CaseEvent.objects.filter(case_id=stopped, action__in=["warning", "overdue"]).exists()
    assert CaseEvent.objects.filter(case_id=two_departments, action="sign_overdue").count() == 2
    assert CaseEvent.objects.filter(case_id=signed, action="sign_overdue").count() == 0
    assert CaseEvent.objects.filter(case_id=supervised, action="supervision_missed").count() == 1

    def recipients(case_id: int, kind: str) -> set[str]:
        return set(
            InboxMessage.objects.filter(subject_id=str(case_id), kind=kind).values_list(
                "recipient__username", flat=True
            )
        )

    assert recipients(plain, "warning") == {"handler"}
    # No handler in the department: the grid's and the community's staff are told.
    assert recipients(unstaffed, "warning") == {"grid_worker", "community_worker"}
    assert recipients(two_departments, "overdue") == {"handler", "housing_handler", "leader"}
    assert recipients(supervised, "overdue") >= {"leader"}
