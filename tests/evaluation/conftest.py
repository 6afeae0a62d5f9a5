"""A street with two communities and a month of cases, made through the real case actions.

清波街道 (330102001000)
├── 清波门社区 A (330102001051): grids 001 and 002
└── 柳浪社区 B   (330102001052): grid 001
湖滨街道 (330102002000), another street: one case that the 清波街道 table must not count.

November 2026 (Asia/Shanghai), built by `november`:

    A1  grid A-001  dispatched to 城管, signed, done, checked, closed on time, rated satisfied
    A2  grid A-002  dispatched to 城管, signed, done, checked, closed on time, not rated
    A3  grid A-001  dispatched to 城管, signed, done, check FAILED (返工); the new limit runs out and
                    the sweeper writes "overdue"; signed again, done late, checked, closed late
    A4  grid A-002  dispatched to 住建, returned (回退) "not ours", still waiting for a dispatch
    B1  grid B-001  dispatched to 城管, signed, done, checked, closed on time, rated NOT satisfied
                    (which reopens it)
    H1  湖滨 grid   closed on time (another street)
    A0  grid A-001  all of it in October (another period)
"""

from dataclasses import dataclass
from datetime import datetime

import pytest
import time_machine

from gridgov.accounts.actions import create_user, grant_membership
from gridgov.accounts.models import Role, User
from gridgov.areas.models import Area
from gridgov.cases import actions
from gridgov.cases.models import Case
from gridgov.catalogue.actions import create_district_departments, load_catalogue
from gridgov.catalogue.models import Department
from gridgov.core.clock import LOCAL_TIMEZONE
from gridgov.deadlines.actions import fire_due_deadlines
from gridgov.evaluation.actions import save_scoring_scheme
from tests.conftest import make_area

STREET = "330102001000"
COMMUNITY_A = "330102001051"
COMMUNITY_B = "330102001052"
GRID_A1 = "330102001051001"
GRID_A2 = "330102001051002"
GRID_B1 = "330102001052001"
OTHER_STREET_GRID = "330102002001001"


def local(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL_TIMEZONE)


@dataclass
class Town:
    users: dict[str, User]
    departments: dict[str, Department]
    cases: dict[str, int]

    def case(self, name: str) -> Case:
        return Case.objects.get(pk=self.cases[name])


@pytest.fixture
def town(small_tree: dict[str, Area]) -> Town:
    community_b = make_area(COMMUNITY_B, "柳浪社区", "community", small_tree["street"])
    make_area(GRID_B1, "柳浪社区第1网格", "grid", community_b)
    load_catalogue(actor_label="tests")
    departments = {
        d.function.code: d
        for d in create_district_departments("330102000000", actor_label="tests")
        if d.function
    }
    # The seed migration's scheme, saved again: transactional tests flush the seeded row.
    save_scoring_scheme(
        name="默认考核方案",
        weights={"on_time_closure_rate": 40, "rework_rate": 20, "satisfaction_rate": 40},
        min_volume=10,
        is_default=True,
        actor_label="tests",
    )
    plan = {
        "patrol": (Role.GRID_WORKER, STREET, None),
        "clerk": (Role.INTAKE_CLERK, "330102000000", None),
        "dispatcher": (Role.DISPATCHER, "330102000000", None),
        "leader": (Role.LEADER, "330102000000", None),
        "street_worker": (Role.COMMUNITY_WORKER, STREET, None),
        "community_a": (Role.COMMUNITY_WORKER, COMMUNITY_A, None),
        "community_b": (Role.COMMUNITY_WORKER, COMMUNITY_B, None),
        "handler": (Role.DEPARTMENT_HANDLER, None, departments["urban-management"].pk),
        "housing_handler": (Role.DEPARTMENT_HANDLER, None, departments["housing"].pk),
        "resident": (None, None, None),
    }
    users: dict[str, User] = {}
    for name, (role, area, department) in plan.items():
        user = create_user(username=name, password=None, actor_label="tests")
        if role is not None:
            grant_membership(
                user=user, role=role, area_code=area, department_id=department, actor_label="tests"
            )
        users[name] = user
    return Town(users, departments, {})


class Story:
    """Drives the case actions at given local times, as the people of the town."""

    def __init__(self, town: Town) -> None:
        self.town = town
        self.users = town.users

    def report(self, moment: datetime, grid: str, title: str) -> int:
        with time_machine.travel(moment, tick=False):
            # A grid patrol is a trusted source: the report is registered at once (立案).
            result = actions.report_case(
                actions.Report(source="grid_patrol", title=title, area_code=grid, category_code="E0102"),
                actor=self.users["patrol"],
            )
        return result.case.pk

    def dispatch(self, moment: datetime, case_id: int, department: str) -> None:
        with time_machine.travel(moment, tick=False):
            actions.dispatch_case(
                case_id, actor=self.users["dispatcher"], department_ids=[self.town.departments[department].pk]
            )

    def sign(self, moment: datetime, case_id: int, handler: str = "handler") -> None:
        with time_machine.travel(moment, tick=False):
            actions.sign_case(case_id, actor=self.users[handler])

    def done(self, moment: datetime, case_id: int, handler: str = "handler") -> None:
        with time_machine.travel(moment, tick=False):
            actions.report_done(case_id, actor=self.users[handler], note="已处理")

    def check(self, moment: datetime, case_id: int, *, passed: bool) -> None:
        with time_machine.travel(moment, tick=False):
            actions.check_case(
                case_id, actor=self.users["clerk"], passed=passed, note="" if passed else "仍有垃圾"
            )

    def close(self, moment: datetime, case_id: int) -> None:
        with time_machine.travel(moment, tick=False):
            actions.close_case(case_id, actor=self.users["clerk"])

    def rate(self, moment: datetime, case_id: int, *, satisfied: bool) -> None:
        with time_machine.travel(moment, tick=False):
            actions.rate_case(
                case_id, actor=self.users["clerk"], rating=5 if satisfied else 2, satisfied=satisfied
            )

    def sweep(self, moment: datetime) -> None:
        with time_machine.travel(moment, tick=False):
            fire_due_deadlines()

    def closed_on_time(
        self, day: int, month: int, grid: str, title: str, department: str = "urban-management"
    ) -> int:
        """Report at 09:00, dispatch 09:10, sign 09:20, done 10:00, check 10:30, close 11:00."""
        case_id = self.report(local(month, day, 9), grid, title)
        self.dispatch(local(month, day, 9, 10), case_id, department)
        self.sign(local(month, day, 9, 20), case_id)
        self.done(local(month, day, 10), case_id)
        self.check(local(month, day, 10, 30), case_id, passed=True)
        self.close(local(month, day, 11), case_id)
        return case_id


@pytest.fixture
def november(transactional_db: None, town: Town) -> Town:
    """The month described in this module's docstring (transactional: the sweeper commits per row)."""
    story = Story(town)
    cases = town.cases
    cases["A0"] = story.closed_on_time(20, 10, GRID_A1, "十月的暴露垃圾")

    cases["A1"] = story.closed_on_time(2, 11, GRID_A1, "暴露垃圾 A1")
    story.rate(local(11, 2, 15), cases["A1"], satisfied=True)
    cases["A2"] = story.closed_on_time(2, 11, GRID_A2, "暴露垃圾 A2")

    cases["A4"] = story.report(local(11, 2, 13), GRID_A2, "楼道堆物 A4")
    story.dispatch(local(11, 2, 13, 10), cases["A4"], "housing")
    with time_machine.travel(local(11, 2, 14), tick=False):
        actions.return_case(cases["A4"], actor=town.users["housing_handler"], reason="非本部门职责")

    cases["B1"] = story.closed_on_time(3, 11, GRID_B1, "暴露垃圾 B1")
    story.rate(local(11, 3, 15), cases["B1"], satisfied=False)

    cases["H1"] = story.closed_on_time(3, 11, OTHER_STREET_GRID, "湖滨街道的暴露垃圾")

    cases["A3"] = story.report(local(11, 4, 9), GRID_A1, "暴露垃圾 A3")
    story.dispatch(local(11, 4, 9, 10), cases["A3"], "urban-management")
    story.sign(local(11, 4, 9, 20), cases["A3"])
    story.done(local(11, 4, 10), cases["A3"])
    story.check(local(11, 4, 10, 30), cases["A3"], passed=False)  # 返工: a new limit starts
    story.sweep(local(11, 10, 9))  # days later: the limit ran out, the sweeper writes "overdue"
    story.sign(local(11, 10, 9, 30), cases["A3"])
    story.done(local(11, 10, 10), cases["A3"])
    story.check(local(11, 10, 10, 30), cases["A3"], passed=True)
    story.close(local(11, 10, 11), cases["A3"])
    return town
