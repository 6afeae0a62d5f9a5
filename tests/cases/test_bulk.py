"""The bulk intake (cases.bulk) writes exactly the rows the real actions write (issue 6).

The equivalence test files the same reports twice at the same pinned moment: once through
report_case, register_case and dispatch_case one by one, once through bulk_report. After each run
it takes every row the runs wrote (cases, events, tasks, deadlines, case counters, inbox messages,
audit lines, webhook deliveries), turns each into a dict of *all* its concrete fields but the
primary key — ids pointing at cases and tasks are replaced by the case number (and department) they
stand for — and compares the two snapshots. A field added to any of these models later is compared
too, since the dicts are built from the models' field lists.
"""

import multiprocessing
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db.models import Model

from gridgov.accounts.actions import create_user, grant_membership
from gridgov.accounts.models import Role, User
from gridgov.cases import actions, bulk
from gridgov.cases.actions import Report
from gridgov.cases.bulk import bulk_report
from gridgov.cases.errors import CaseInputInvalid, RoleNotAllowed
from gridgov.cases.models import Case, CaseCounter, CaseEvent, CaseStatus, CaseTask
from gridgov.cases.queries import roles_on_case
from gridgov.core.clock import pinned
from gridgov.core.crypto import decrypt_text
from gridgov.core.models import AuditEvent
from gridgov.deadlines.models import Deadline
from gridgov.intelligence import classifier, interface, store
from gridgov.notifications.actions import create_webhook_endpoint
from gridgov.notifications.models import InboxMessage, WebhookDelivery
from tests.cases.conftest import GRID_A, GRID_B, GRID_C, World

pytestmark = pytest.mark.django_db

MOMENT = datetime(2026, 3, 10, 2, 30, tzinfo=UTC)  # a Tuesday, 10:30 in Hangzhou
TRAINING = {
    "教育文体": ["学校老师违规补课收费", "幼儿园学位不够孩子上学难", "中学教师有偿家教", "小学放学时间太早"],
    "城乡建设": ["小区楼道灯坏了物业不修", "路灯不亮井盖缺失", "小区违章搭建阳光房", "旧楼想装一部电梯"],
    "交通运输": ["公交车站取消出行不便", "出租车拒载绕路", "道路拥堵红绿灯时间", "公交线路调整"],
}
POINTS = {GRID_A: (120.105, 30.205), GRID_B: (120.125, 30.205), GRID_C: (120.145, 30.205)}


def sample_reports() -> list[Report]:
    """About thirty reports: points, addresses, area codes, nothing; with and without category;
    urgent; trusted sources; anonymous; machine keys (one repeated); texts the classifier knows."""
    a, b, c = POINTS[GRID_A], POINTS[GRID_B], POINTS[GRID_C]
    return [
        Report(
            "web", "垃圾桶满溢", lon=a[0], lat=a[1], category_code="E0101", reporter_contact="13800138000"
        ),
        Report("web", "井盖缺失", lon=b[0], lat=b[1], category_code="E0101", is_urgent=True),
        Report("hotline", "道路积水", lon=c[0], lat=c[1], category_code="E0105", reporter_name=" 张三 "),
        Report("hotline", "树木倒伏", address="上城区湖滨街道东坡路社区", category_code="E0106"),
        Report("hotline", "违章搭建", address="清波门社区某小区", category_code="E0303", is_urgent=True),
        Report("web", "乱停车", area_code="330102002000", category_code="E0405"),
        Report("web", "路灯不亮"),  # nowhere: sequence 000000, and no one may register it
        Report("web", "路灯闪烁", lon=b[0], lat=b[1], category_code="E0102"),
        Report("web", "墙面涂鸦", lon=a[0], lat=a[1], category_code="E0103"),  # territorial: not dispatched
        Report("web", "占道经营", lon=a[0], lat=a[1], category_code="E02", is_urgent=True),
        Report("web", "噪音扰民", lon=121.0, lat=31.0, address="湖滨街道", category_code="E0403"),
        Report("web", "无分类的报告", lon=a[0], lat=a[1]),
        Report("web", "匿名反映", lon=b[0], lat=b[1], is_anonymous=True, reporter_contact="13900139000"),
        Report(
            "grid_patrol", "巡查发现垃圾", lon=a[0], lat=a[1], category_code="E0101", idempotency_key="p-1"
        ),
        Report(
            "grid_patrol", "巡查发现垃圾", lon=a[0], lat=a[1], category_code="E0101", idempotency_key="p-1"
        ),
        Report("sensor", "水位超限", lon=c[0], lat=c[1], idempotency_key="s-1"),
        Report("sensor", "烟感报警", lon=c[0], lat=c[1], category_code="E0504", idempotency_key="s-2"),
        Report("drone", "河道漂浮物", lon=b[0], lat=b[1], category_code="E0105"),
        Report("open311", "市民来件", lon=a[0], lat=a[1], category_code="E0101", reporter_is_actor=False),
        Report("web", "学校老师违规补课收费", description="中学老师周末有偿补课", lon=a[0], lat=a[1]),
        Report("web", "幼儿园学位不够", description="孩子上学难", lon=b[0], lat=b[1]),
        Report("hotline", "小区楼道灯坏了", description="物业不修", lon=c[0], lat=c[1]),
        Report("hotline", "公交车站取消", description="出行不便", area_code="330102001000"),
        Report("web", "出租车拒载绕路", lon=a[0], lat=a[1], is_urgent=True),
        Report("grid_patrol", "中学教师有偿家教", lon=b[0], lat=b[1], idempotency_key="p-2"),
        Report("sensor", "路灯不亮井盖缺失", lon=a[0], lat=a[1], idempotency_key="s-3"),
        Report("web", "旧楼想装一部电梯", address="清波街道清波门社区"),
        Report("web", "道路拥堵红绿灯时间", category_code="E0406", lon=c[0], lat=c[1]),
        Report("hotline", "楼道堆物", lon=b[0], lat=b[1], category_code="E0301", reporter_name="李四"),
        Report("web", "小学放学时间太早", lon=c[0], lat=c[1], category_code="M04"),
        Report("transfer", "上级交办事项", area_code="330102001051", category_code="E0101"),
        # Confident, but nowhere: no department serves it, so the automatic dispatch is undone.
        Report("hotline", "小区违章搭建阳光房"),
        Report("sensor", "旧楼想装一部电梯", idempotency_key="s-4"),
    ]


@pytest.fixture
def operator(world: World) -> User:
    """A 12345 operator: takes the call, registers and dispatches (clerk and dispatcher)."""
    user = create_user(username="operator", password=None, actor_label="tests")
    for role in (Role.INTAKE_CLERK, Role.DISPATCHER):
        grant_membership(user=user, role=role, area_code="330102000000", actor_label="tests")
    return user


@pytest.fixture
def model(settings: Any) -> None:
    """A toy classifier; the auto-dispatch threshold at the median confidence of the sample, so
    some uncategorised reports are dispatched by the system and some wait."""
    trained = classifier.train([(text, label) for label, texts in TRAINING.items() for text in texts], seed=0)
    store.save_new_version(trained)
    confidences = sorted(
        suggestion.confidence
        for report in sample_reports()
        if not report.category_code
        and (suggestion := interface.suggest_class(actions.message_text(report.title, report.description)))
    )
    settings.GRIDGOV_AUTO_DISPATCH_CONFIDENCE = confidences[len(confidences) // 2]


def file_one_by_one(reports: list[Report], actor: User) -> None:
    """What people and the system do with each report through the real actions."""
    for report in reports:
        result = actions.report_case(report, actor=actor)
        if not result.created:
            continue
        case = result.case
        case.refresh_from_db()
        if case.status == CaseStatus.REPORTED and case.category_id is not None:
            actions.register_case(case.pk, actor=actor)
            case.refresh_from_db()
        if case.status == CaseStatus.REGISTERED and len(actions.propose_dispatch(case).department_ids) == 1:
            actions.dispatch_case(case.pk, actor=actor)


def fields(row: Model, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        f.attname: getattr(row, f.attname)
        for f in type(row)._meta.concrete_fields
        if f.attname != "id" and f.attname not in skip
    }


def snapshot(audit_after: int) -> dict[str, Any]:
    """Every row written since the audit line `audit_after`, with ids replaced by what they name."""
    number = dict(Case.objects.values_list("pk", "number"))
    task_of = {t.pk: (number[t.case_id], t.department_id) for t in CaseTask.objects.all()}

    def by_case(text: str) -> str:
        return number.get(int(text), text) if text.isdigit() else text

    cases = []
    for case in Case.objects.order_by("number"):
        row = fields(case)
        row["reporter_contact_encrypted"] = (
            decrypt_text(case.reporter_contact_encrypted) if case.reporter_contact_encrypted else ""
        )
        cases.append(row)
    events = [
        {**fields(e), "case_id": number[e.case_id]} for e in CaseEvent.objects.order_by("case__number", "id")
    ]
    tasks = [
        {**fields(t), "case_id": number[t.case_id]} for t in CaseTask.objects.order_by("case__number", "id")
    ]
    deadlines = sorted(
        (
            {
                **fields(d),
                "subject_id": by_case(d.subject_id),
                "data": {"task": task_of[d.data["task"]]} if "task" in d.data else d.data,
            }
            for d in Deadline.objects.all()
        ),
        key=repr,
    )
    messages = sorted(
        (
            {
                **fields(m),
                "subject_id": by_case(m.subject_id),
                "link": m.link.replace(f"/cases/{m.subject_id}", f"/cases/{by_case(m.subject_id)}"),
                "dedupe_key": m.dedupe_key.replace(f":{m.subject_id}:", f":{by_case(m.subject_id)}:"),
            }
            for m in InboxMessage.objects.all()
        ),
        key=repr,
    )
    audits = []
    for audit in AuditEvent.objects.filter(pk__gt=audit_after):
        row = fields(audit, skip=("subject_id",) if audit.action == "publish_event" else ())
        if audit.action == "notify_users":
            row["subject_id"] = by_case(audit.subject_id)
            row["data"] = {
                **audit.data,
                "dedupe_key": audit.data["dedupe_key"].replace(
                    f":{audit.subject_id}:", f":{by_case(audit.subject_id)}:"
                ),
            }
        audits.append(row)
    deliveries = sorted(
        (
            {**fields(w, skip=("event_id",)), "payload": {**w.payload, "id": number[w.payload["id"]]}}
            for w in WebhookDelivery.objects.all()
        ),
        key=repr,
    )
    counters = [fields(c) for c in CaseCounter.objects.order_by("district_code", "day")]
    return {
        "cases": cases,
        "events": events,
        "tasks": tasks,
        "deadlines": deadlines,
        "counters": counters,
        "messages": messages,
        "audits": sorted(audits, key=repr),
        "deliveries": deliveries,
    }


def flush(audit_after: int) -> None:
    """Remove what a run wrote, so the other run starts from the same state."""
    WebhookDelivery.objects.all().delete()
    InboxMessage.objects.all().delete()
    AuditEvent.objects.filter(pk__gt=audit_after).delete()
    Deadline.objects.all().delete()
    CaseTask.objects.all().delete()
    CaseEvent.objects.all().delete()
    Case.objects.all().delete()
    CaseCounter.objects.all().delete()


def last_audit() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_bulk_intake_writes_exactly_what_the_real_actions_write(
    world: World, operator: User, model: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chunks of 5 classified in the second process, batches of 7 filed: they cross at every batch.
    monkeypatch.setattr("gridgov.cases.bulk.CLASSIFY_CHUNK", 5)
    create_webhook_endpoint(
        name="city", url="https://example.org/hook", event_types=["case.*"], actor_label="t"
    )
    before = last_audit()
    with pinned(MOMENT):
        file_one_by_one(sample_reports(), operator)
    real = snapshot(before)
    flush(before)
    assert not Case.objects.exists()
    with pinned(MOMENT):
        result = bulk_report(sample_reports(), actor=operator, register=True, dispatch=True, batch_size=7)
    bulk = snapshot(before)

    # The sample walks every path: waiting, registered by people or at once, dispatched by the
    # operator or by the classifier, not dispatchable, a repeated key, inbox messages, webhooks.
    assert (result.count, result.skipped) == (len(sample_reports()) - 1, 1)
    statuses = {row["status"] for row in real["cases"]}
    assert {CaseStatus.REPORTED, CaseStatus.REGISTERED, CaseStatus.DISPATCHED} <= statuses
    labels = {(e["action"], e["actor_label"], e["note"]) for e in real["events"]}
    assert ("register", "operator", "") in labels
    assert ("register", "operator", "trusted source: registered at once") in labels
    assert ("register", "system", "auto: classified") in labels and ("dispatch", "system", "") in labels
    assert ("dispatch", "operator", "") in labels
    classified_waiting = [r for r in real["cases"] if r["status"] == "reported" and r["model_version"]]
    assert len(classified_waiting) >= 2, "below the threshold, or above it with no department"
    assert any(r["source"] == "sensor" and r["category_id"] is None for r in real["cases"])
    assert any(r["is_urgent"] and r["due_at"] for r in real["cases"])
    assert real["messages"] and real["deliveries"] and real["deadlines"]
    assert {a["action"] for a in real["audits"]} == {"notify_users", "publish_event"}

    for table in real:
        assert bulk[table] == real[table], table


def test_bulk_skips_keys_already_filed_and_refuses_bad_input_before_writing(
    world: World, operator: User
) -> None:
    with pinned(MOMENT):
        actions.report_case(
            Report("sensor", "水位超限", lon=120.105, lat=30.205, idempotency_key="s-1"), actor=operator
        )
        reports = [
            Report("sensor", "水位超限", lon=120.105, lat=30.205, idempotency_key="s-1"),
            Report("sensor", "水位再超限", lon=120.105, lat=30.205, idempotency_key="s-2"),
        ]
        result = bulk_report(reports, actor=operator, register=False, dispatch=False)
        assert (result.count, result.skipped) == (1, 1)
        assert sorted(Case.objects.values_list("idempotency_key", flat=True)) == ["s-1", "s-2"]
        numbers = sorted(Case.objects.values_list("number", flat=True))
        assert numbers == ["330102-20260310-000001", "330102-20260310-000002"]

        written = (Case.objects.count(), CaseEvent.objects.count(), CaseCounter.objects.get().last_value)
        bad = [Report("web", "好的报告", lon=120.105, lat=30.205), Report("web", "坏的", category_code="X99")]
        with pytest.raises(CaseInputInvalid) as refused:
            bulk_report(bad, actor=operator, register=True, dispatch=True)
        assert refused.value.details == {"category": "X99", "report": 1}
        assert (
            Case.objects.count(),
            CaseEvent.objects.count(),
            CaseCounter.objects.get().last_value,
        ) == written


def test_bulk_refuses_an_actor_without_the_role_and_rolls_the_batch_back(world: World) -> None:
    resident = world.users["resident"]
    reports = [Report("web", "垃圾桶满溢", lon=120.105, lat=30.205, category_code="E0101")]
    with pytest.raises(RoleNotAllowed):
        bulk_report(reports, actor=resident, register=True, dispatch=False)
    assert not Case.objects.exists() and not CaseCounter.objects.filter(last_value__gt=0).exists()


def test_roles_on_a_new_case_are_the_roles_roles_on_case_gives(world: World, operator: User) -> None:
    """bulk reads the actor's memberships once; its answer must be queries.roles_on_case's."""
    inactive = create_user(username="former", password=None, actor_label="tests")
    grant_membership(user=inactive, role=Role.DISPATCHER, area_code="330102000000", actor_label="tests")
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    with pinned(MOMENT):
        cases = [actions.report_case(r, actor=world.users["resident"]).case for r in sample_reports()[:12]]
    for case in cases:
        case.refresh_from_db()
    assert not CaseTask.objects.exists()
    areas = {(c.area_id, c.handling_area_id) for c in cases}
    assert len(areas) >= 5 and (None, None) in areas
    for user in [*world.users.values(), operator, inactive, None]:
        memo = bulk._Memo(user)
        for case in cases:
            expected = roles_on_case(user, case)
            assert bulk.roles_on_new_case(memo, case, case.area_id, case.handling_area_id) == expected


def test_the_proposal_is_the_one_propose_dispatch_makes(world: World) -> None:
    """bulk proposes from departments read once; its answer must be actions.propose_dispatch's,
    for every kind of category, level and area (grid to district, and none)."""
    from gridgov.areas.models import Area
    from gridgov.catalogue.models import CaseCategory, Department

    # A second district department of one function, serving the district too: the order decides.
    extra = Department.objects.create(
        name="第二城管", function=world.departments["urban-management"].function, area_id="330102000000"
    )
    extra.served_areas.add(Area.objects.get(pk="330102000000"))
    codes = ["E01", "E0101", "E0103", "E0105", "E0303", "E0403", "E0405", "E0504", "C03", "M04", "M01"]
    categories = [*CaseCategory.objects.filter(code__in=codes), None]
    areas = [*Area.objects.filter(code__startswith="330102"), None]
    memo = bulk._Memo(None)
    proposals = set()
    for category in categories:
        for area in areas:
            for level in ("grid", "community", "street", "district"):
                case = Case(category=category, level=level, area=area, handling_area=area)
                expected = actions.propose_dispatch(case)
                assert bulk.proposal_for(memo, case) == expected, (category, area, level)
                proposals.add(expected.department_ids)
    assert len(proposals) >= 4  # territorial and several departments: the comparison means something


def test_batch_suggestions_are_the_one_at_a_time_suggestions(model: None) -> None:
    texts = [actions.message_text(report.title, report.description) for report in sample_reports()]
    texts += ["   ", ""]  # blank texts get no suggestion, as suggest_class gives none
    batch = interface.suggest_classes(texts)
    one_by_one = [interface.suggest_class(text) for text in texts]
    assert batch[-2:] == [None, None]
    assert sum(suggestion is not None for suggestion in batch) == len(texts) - 2
    assert [s.as_data() if s else None for s in batch] == [s.as_data() if s else None for s in one_by_one]


def test_suggestions_classified_ahead_in_a_second_process_are_the_same_in_order(model: None) -> None:
    texts = [actions.message_text(report.title, report.description) for report in sample_reports()]
    batches = [texts[:3], ["   "], texts[3:], texts[:1]]
    expected = [[s.as_data() if s else None for s in interface.suggest_classes(b)] for b in batches]
    ahead = interface.suggest_classes_ahead(batches)
    got = [[s.as_data() if s else None for s in batch] for batch in ahead]
    assert got == expected
    assert got[1] == [None]
    # A caller that stops after the first batch closes the generator: the second process ends.
    early = interface.suggest_classes_ahead(batches)
    assert [s.as_data() if s else None for s in next(early)] == expected[0]
    early.close()
    assert multiprocessing.active_children() == []
