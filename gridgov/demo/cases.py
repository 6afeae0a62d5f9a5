"""Demo cases: a month of reports across Hangzhou, replayed through the real actions.

Each case gets a story (reported → registered → dispatched → signed → done → checked → closed →
rated, or one of the detours: voided, merged, returned, reworked, extended, suspended, escalated,
whistled, left overdue). The steps of every story are put on one timeline and run in time order
with the clock pinned to each step's moment; before each step the deadline sweeper fires what fell
due, so warnings, overdue marks and sign-overdue events happen as they would have. Steps later
than now are never run, which leaves the recent cases open in every state.
"""

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from gridgov.accounts.actions import create_user, grant_membership
from gridgov.accounts.models import Role, User
from gridgov.areas.models import Area
from gridgov.cases import actions
from gridgov.cases.models import Case, CaseRequest
from gridgov.catalogue.models import Department
from gridgov.core.clock import LOCAL_TIMEZONE, now, pinned
from gridgov.deadlines.actions import fire_due_deadlines

# (category, title, source, weight): the mix of a district's month (市容环境 and 街面秩序 dominate).
CATEGORY_MIX: tuple[tuple[str, str, str, int], ...] = (
    ("E0102", "小区门口垃圾堆积无人清运", "grid_patrol", 14),
    ("E0104", "人行道油污严重", "grid_patrol", 6),
    ("E0201", "电线杆上贴满小广告", "grid_patrol", 9),
    ("E0404", "早餐摊占道经营", "hotline", 8),
    ("E0406", "机动车占用盲道停放", "web", 9),
    ("E0407", "楼道口乱堆杂物", "grid_patrol", 7),
    ("E0301", "夜间施工噪声扰民", "hotline", 6),
    ("E0303", "工地扬尘未覆盖", "video_ai", 4),
    ("E0503", "暴雨后路口积水", "sensor", 3),
    ("C0102", "污水井盖破损", "grid_patrol", 5),
    ("C0113", "路灯不亮", "web", 6),
    ("C0304", "果皮箱破损", "grid_patrol", 3),
    ("M01", "老旧小区加装电梯进展咨询", "hotline", 4),
    ("M02", "餐馆油烟扰民", "hotline", 5),
    ("M03", "公交站台缺少遮雨棚", "hotline", 3),
    ("M07", "社区卫生服务站周末不开门", "hotline", 2),
)
# Functions whose handlers the demo creates in every district.
DEMO_FUNCTIONS = ("urban-management", "housing", "ecology", "transport", "health", "municipal", "water")
STORIES: tuple[tuple[str, int], ...] = (
    ("full", 46),
    ("local", 10),
    ("void", 4),
    ("merge", 3),
    ("return", 6),
    ("rework", 6),
    ("extension", 5),
    ("suspension", 3),
    ("escalate", 5),
    ("whistle", 4),
    ("dissatisfied", 4),
    ("slow", 4),
    # Stories that stop early: a report still waiting for the clerk, a case waiting for dispatch.
    ("new", 3),
    ("registered", 3),
)


@dataclass(order=True)
class Step:
    at: datetime
    order: int
    run: Callable[[], Any] = field(compare=False)


@dataclass
class Cast:
    """Who acts in each district."""

    clerk: User
    dispatcher: User
    leader: User
    resident: User
    grid_worker: dict[str, User]  # district code → the district's demo grid worker (scope: district)
    handlers: dict[int, User]  # department id → handler


def working_moment(day: datetime, rng: random.Random) -> datetime:
    local = day.astimezone(LOCAL_TIMEZONE)
    minutes = rng.randint(8 * 60 + 30, 17 * 60 + 15)
    return datetime.combine(local.date(), time(minutes // 60, minutes % 60), tzinfo=LOCAL_TIMEZONE)


def build_cast(district_codes: list[str], say: Callable[[str], None]) -> Cast:
    def account(
        username: str, display: str, role: Role, area: str | None = None, department: int | None = None
    ) -> User:
        user = User.objects.filter(username=username).first() or create_user(
            username=username,
            password=None,
            display_name=display,
            is_staff=True,
            actor_label="manage.py load_demo",
        )
        grant_membership(
            user=user, role=role, area_code=area, department_id=department, actor_label="manage.py load_demo"
        )
        return user

    city = "330100000000"
    clerk = account("demo_clerk", "市级受理员(演示)", Role.INTAKE_CLERK, city)
    dispatcher = account("demo_dispatcher", "市级派遣员(演示)", Role.DISPATCHER, city)
    leader = account("demo_leader", "市级值班长(演示)", Role.LEADER, city)
    resident = User.objects.get(username="resident")
    grid_workers = {}
    handlers = {}
    for district in district_codes:
        grid_workers[district] = account(
            f"demo_patrol_{district[:6]}", f"{district[:6]}巡查员(演示)", Role.GRID_WORKER, district
        )
        for department in Department.objects.filter(area_id=district, function__code__in=DEMO_FUNCTIONS):
            handlers[department.pk] = User.objects.filter(
                memberships__department=department, memberships__role=Role.DEPARTMENT_HANDLER
            ).first() or account(
                f"demo_{department.code}",
                f"{department.name}处置员(演示)",
                Role.DEPARTMENT_HANDLER,
                department=department.pk,
            )
    say(f"  demo staff: {len(handlers)} department handlers in {len(district_codes)} districts")
    return Cast(clerk, dispatcher, leader, resident, grid_workers, handlers)


def load_demo_cases(
    count: int, *, days: int = 30, seed: int = 7, say: Callable[[str], None] = print
) -> dict[str, int]:
    rng = random.Random(seed)
    end = now()
    start = end - timedelta(days=days)
    grids = list(
        Area.objects.filter(level="grid", code__startswith="3301").values_list(
            "code", "centre_lon", "centre_lat"
        )
    )
    if not grids:
        raise LookupError("no Hangzhou grids: load the areas first")
    # Most reports come from the urban districts.
    weights = [6 if code[:6] in ("330102", "330105", "330106", "330108") else 1 for code, _x, _y in grids]
    districts = sorted({code[:6] + "000000" for code, _x, _y in grids})
    cast = build_cast(districts, say)
    timeline: list[Step] = []
    order = 0

    def later(at: datetime, run: Callable[[], Any]) -> None:
        nonlocal order
        order += 1
        heapq.heappush(timeline, Step(at, order, run))

    story_names = [name for name, _w in STORIES]
    story_weights = [w for _n, w in STORIES]
    mix_weights = [w for *_rest, w in CATEGORY_MIX]
    for index in range(count):
        day = start + timedelta(days=days * index / count)
        reported_at = working_moment(day, rng)
        if reported_at >= end:  # the last reports of the month came in this morning
            reported_at = end - timedelta(minutes=rng.randint(5, 300))
        code, lon, lat = rng.choices(grids, weights=weights)[0]
        category, title, source, _w = rng.choices(CATEGORY_MIX, weights=mix_weights)[0]
        story = rng.choices(story_names, weights=story_weights)[0]
        jitter_lon, jitter_lat = rng.uniform(-0.0008, 0.0008), rng.uniform(-0.0008, 0.0008)
        plan_story(
            later,
            cast,
            rng,
            story,
            reported_at,
            code,
            (lon or 0) + jitter_lon,
            (lat or 0) + jitter_lat,
            category,
            title,
            source,
        )

    counts: dict[str, int] = {"steps": 0, "refused": 0}
    while timeline and timeline[0].at <= end:
        step = heapq.heappop(timeline)
        with pinned(step.at):
            fire_due_deadlines()
            try:
                step.run()
                counts["steps"] += 1
            except Exception as error:
                counts["refused"] += 1
                if counts["refused"] <= 3:
                    say(f"  step refused at {step.at:%Y-%m-%d %H:%M}: {error}")
    with pinned(end):
        fire_due_deadlines()
    by_status: dict[str, int] = {}
    for status in Case.objects.values_list("status", flat=True):
        by_status[status] = by_status.get(status, 0) + 1
    counts.update({f"status_{k}": v for k, v in sorted(by_status.items())})
    return counts


def plan_story(
    later: Callable[[datetime, Callable[[], Any]], None],
    cast: Cast,
    rng: random.Random,
    story: str,
    reported_at: datetime,
    grid_code: str,
    lon: float,
    lat: float,
    category: str,
    title: str,
    source: str,
) -> None:
    district = grid_code[:6] + "000000"
    patrol = cast.grid_worker[district]
    reporter = patrol if source == "grid_patrol" else cast.resident
    state: dict[str, Any] = {}

    def minutes(low: int, high: int) -> timedelta:
        return timedelta(minutes=rng.randint(low, high))

    def report() -> None:
        result = actions.report_case(
            actions.Report(
                source=source,
                title=title,
                category_code=category,
                lon=lon,
                lat=lat,
                reporter_contact="13800000000" if reporter == cast.resident else "",
            ),
            actor=reporter,
        )
        state["id"] = result.case.pk

    def case() -> Case:
        return Case.objects.get(pk=state["id"])

    def register() -> None:
        if case().status == "reported":
            actions.register_case(state["id"], actor=cast.clerk, category_code=category)

    def department_for(function: str | None = None) -> int:
        proposal = actions.propose_dispatch(case())
        if proposal.department_ids and function is None:
            return proposal.department_ids[0]
        wanted = function or "urban-management"
        found = (
            Department.objects.filter(area_id=district, function__code=wanted)
            .values_list("pk", flat=True)
            .first()
        )
        return int(found or next(iter(cast.handlers)))

    def handler_of(department_id: int) -> User:
        return cast.handlers.get(department_id) or User.objects.get(
            memberships__department_id=department_id, memberships__role=Role.DEPARTMENT_HANDLER
        )

    def dispatch(function: str | None = None) -> Callable[[], None]:
        def run() -> None:
            department = department_for(function)
            if department not in cast.handlers:
                department = department_for("urban-management")
            state["department"] = department
            actions.dispatch_case(state["id"], actor=cast.dispatcher, department_ids=[department])

        return run

    def sign() -> None:
        actions.sign_case(state["id"], actor=handler_of(state["department"]))

    def done(note: str = "已按要求处置完毕, 现场已恢复") -> Callable[[], Any]:
        return lambda: actions.report_done(state["id"], actor=handler_of(state["department"]), note=note)

    def check(passed: bool = True) -> Callable[[], Any]:
        return lambda: actions.check_case(
            state["id"], actor=patrol, passed=passed, note="" if passed else "现场仍未整改到位"
        )

    def close() -> None:
        actions.close_case(state["id"], actor=cast.leader)

    def rate(satisfied: bool) -> Callable[[], None]:
        def run() -> None:
            if case().reporter_id == cast.resident.pk:
                actions.rate_case(
                    state["id"],
                    actor=cast.resident,
                    rating=5 if satisfied else 2,
                    satisfied=satisfied,
                    comment="" if satisfied else "问题反复出现",
                )

        return run

    t = reported_at
    later(t, report)
    t += minutes(5, 90)
    if story == "new":
        return
    if story == "void":
        later(t, lambda: actions.void_case(state["id"], actor=cast.clerk, reason="现场核实无此问题"))
        return
    if story == "merge":

        def merge() -> None:
            target = (
                Case.objects.filter(
                    category__code=category, status__in=["registered", "dispatched", "in_progress"]
                )
                .exclude(pk=state["id"])
                .order_by("-reported_at")
                .first()
            )
            if target is not None:
                actions.merge_case(
                    state["id"], into_case_id=target.pk, actor=cast.clerk, note="同一问题重复上报"
                )
            else:
                actions.void_case(state["id"], actor=cast.clerk, reason="重复来电")

        later(t, merge)
        return
    later(t, register)
    t += minutes(10, 180)
    if story == "registered":
        return
    if story == "escalate":
        later(
            t, lambda: actions.escalate_case(state["id"], actor=patrol, reason="涉及多个部门, 网格无法协调")
        )
        t += minutes(30, 240)
    if story == "local":
        later(t, lambda: actions.handle_locally(state["id"], actor=patrol, note="网格员现场处置"))
        t += minutes(30, 300)
        later(t, lambda: actions.report_done(state["id"], actor=patrol, note="已现场劝导整改"))
        t += minutes(60, 600)
        later(t, check())
        t += minutes(30, 300)
        later(t, close)
        t += minutes(120, 2880)
        later(t, rate(True))
        return
    if story == "whistle":

        def whistle() -> None:
            ids = [department_for("urban-management"), department_for("housing")]
            state["departments"] = ids
            actions.whistle_case(
                state["id"], actor=cast.dispatcher, department_ids=ids, note="吹哨: 城管与住建联合处置"
            )

        later(t, whistle)
        for offset in (60, 120):
            t += minutes(offset, offset + 120)
            later(
                t,
                lambda: [
                    actions.sign_case(state["id"], actor=handler_of(d))
                    for d in state["departments"]
                    if Case.objects.get(pk=state["id"])
                    .tasks.filter(department_id=d, status="pending")
                    .exists()
                ],
            )
        t += minutes(600, 2400)
        later(
            t,
            lambda: [
                actions.report_done(state["id"], actor=handler_of(d), note="本部门部分已完成")
                for d in state["departments"]
                if Case.objects.get(pk=state["id"]).tasks.filter(department_id=d, status="signed").exists()
            ],
        )
        t += minutes(120, 600)
        later(t, check())
        t += minutes(60, 600)
        later(t, close)
        return
    if story == "return":
        later(t, dispatch("housing"))
        t += minutes(30, 240)
        later(
            t,
            lambda: actions.return_case(
                state["id"], actor=handler_of(state["department"]), reason="非本部门职责, 请改派城管"
            ),
        )
        t += minutes(20, 120)
        later(t, dispatch("urban-management"))
    else:
        later(t, dispatch())
    t += minutes(20, 300)
    later(t, sign)
    if story == "extension":
        t += minutes(60, 480)
        later(
            t,
            lambda: state.update(
                request=actions.request_extension(
                    state["id"],
                    actor=handler_of(state["department"]),
                    extra_hours=16,
                    reason="需协调产权单位",
                ).pk
            ),
        )
        t += minutes(30, 240)
        later(
            t,
            lambda: actions.decide_request(
                state["request"], actor=cast.leader, approve=True, note="同意延期"
            ),
        )
    if story == "suspension":
        t += minutes(60, 480)
        later(
            t,
            lambda: state.update(
                request=actions.request_suspension(
                    state["id"], actor=handler_of(state["department"]), reason="需纳入年度改造计划"
                ).pk
            ),
        )
        t += minutes(30, 480)
        later(
            t,
            lambda: actions.decide_request(
                state["request"], actor=cast.leader, approve=True, note="同意挂账"
            ),
        )
        return
    # "slow": the department takes three times the usual time; the sweeper marks it overdue.
    t += minutes(600, 1800) * (3 if story == "slow" else 1)
    later(t, done())
    t += minutes(60, 720)
    if story == "rework":
        later(t, check(passed=False))
        t += minutes(30, 240)
        later(t, sign)
        t += minutes(240, 900)
        later(t, done("返工后已彻底整改"))
        t += minutes(60, 600)
    later(t, check())
    t += minutes(30, 480)
    later(t, close)
    t += minutes(120, 2880)
    later(t, rate(story != "dissatisfied"))
    if story == "dissatisfied":
        t += minutes(60, 600)
        later(t, dispatch())


def pending_requests() -> int:
    return CaseRequest.objects.filter(status="pending").count()
