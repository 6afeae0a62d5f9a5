"""Thirty days of cases in 清波街道, made through the real case actions with a moved clock.

The street and its neighbour come from tests/evaluation/conftest.py (`town`):

    清波街道 (330102001000): 清波门社区 A (grids A1, A2) and 柳浪社区 B (grid B1)
    湖滨街道 (330102002000): one grid (OTHER_STREET_GRID)

"Now" is Friday 20 November 2026, 16:00 in Beijing; the 30-day window is 22 October – 20 November.

    OLD  A1  10 Oct   closed on time (before the window)
    W1   A2  25 Oct   closed on time, rated satisfied
    W2   A1   2 Nov   closed on time, rated satisfied
    W3   B1   3 Nov   closed on time, rated NOT satisfied (reopened: open again)
    W4   A2   5 Nov   dispatched and signed, never done: overdue since the sweep of 18 Nov, still red
    W5   A1   6 Nov   dispatched and signed, overdue at the sweep of 18 Nov, then done, checked,
                      closed late the same day
    P1   A1  16 Nov   hotline, 道路不洁, waiting for the clerk (reported)
    P2   A1  16 Nov   grid patrol, 暴露垃圾
    Y1   A2  19 Nov   23:30 (yesterday, half an hour before the local day ends)
    T1   A1  20 Nov   00:30 (today in Beijing, still the 19th in UTC), hotline
    T2   B1  20 Nov   closed on time today, rated satisfied
    T3   A2  20 Nov   a resident's web report, not registered yet
    H1   湖滨 19 Nov  closed on time;  H2 湖滨 20 Nov, today, open (another street)
"""

from collections.abc import Iterator
from datetime import datetime

import pytest
import time_machine

from gridgov.accounts.actions import create_user, grant_membership
from gridgov.accounts.models import Role
from gridgov.cases import actions
from tests.evaluation.conftest import (
    GRID_A1,
    GRID_A2,
    GRID_B1,
    OTHER_STREET_GRID,
    STREET,
    Story,
    Town,
    local,
    town,
)

NOW = local(11, 20, 16)
OTHER_STREET = "330102002000"
DISTRICT = "330102000000"


class CockpitStory(Story):
    def report_as(
        self, moment: datetime, grid: str, title: str, *, source: str = "grid_patrol", category: str = "E0102"
    ) -> int:
        with time_machine.travel(moment, tick=False):
            result = actions.report_case(
                actions.Report(source=source, title=title, area_code=grid, category_code=category),
                actor=self.users["patrol"] if source == "grid_patrol" else None,
            )
        return result.case.pk


@pytest.fixture
def month(transactional_db: None, town: Town) -> Town:
    """The cases of this module's docstring, plus a street leader and a district leader."""
    story = CockpitStory(town)
    cases = town.cases
    cases["OLD"] = story.closed_on_time(10, 10, GRID_A1, "十月初的暴露垃圾")
    cases["W1"] = story.closed_on_time(25, 10, GRID_A2, "十月底的暴露垃圾")
    story.rate(local(10, 25, 15), cases["W1"], satisfied=True)
    cases["W2"] = story.closed_on_time(2, 11, GRID_A1, "暴露垃圾 W2")
    story.rate(local(11, 2, 15), cases["W2"], satisfied=True)
    cases["W3"] = story.closed_on_time(3, 11, GRID_B1, "暴露垃圾 W3")
    story.rate(local(11, 3, 15), cases["W3"], satisfied=False)

    cases["W4"] = story.report(local(11, 5, 9), GRID_A2, "暴露垃圾 W4")
    story.dispatch(local(11, 5, 9, 10), cases["W4"], "urban-management")
    story.sign(local(11, 5, 9, 20), cases["W4"])
    cases["W5"] = story.report(local(11, 6, 9), GRID_A1, "暴露垃圾 W5")
    story.dispatch(local(11, 6, 9, 10), cases["W5"], "urban-management")
    story.sign(local(11, 6, 9, 20), cases["W5"])

    cases["P1"] = story.report_as(
        local(11, 16, 9), GRID_A1, "道路不洁 P1", source="hotline", category="E0104"
    )
    cases["P2"] = story.report_as(local(11, 16, 10), GRID_A1, "暴露垃圾 P2")

    story.sweep(local(11, 18, 9))  # W4 and W5 ran out of time long ago: red
    story.done(local(11, 18, 10), cases["W5"])
    story.check(local(11, 18, 10, 30), cases["W5"], passed=True)
    story.close(local(11, 18, 11), cases["W5"])

    cases["H1"] = story.closed_on_time(19, 11, OTHER_STREET_GRID, "湖滨的暴露垃圾")
    cases["Y1"] = story.report_as(local(11, 19, 23, 30), GRID_A2, "暴露垃圾 Y1")
    cases["T1"] = story.report_as(
        local(11, 20, 0, 30), GRID_A1, "夜里的噪音 T1", source="hotline", category="E0301"
    )
    cases["T2"] = story.closed_on_time(20, 11, GRID_B1, "暴露垃圾 T2")
    story.rate(local(11, 20, 15), cases["T2"], satisfied=True)
    cases["T3"] = story.report_as(local(11, 20, 10), GRID_A2, "楼道堆物 T3", source="web", category="E0407")
    cases["H2"] = story.report_as(local(11, 20, 11), OTHER_STREET_GRID, "湖滨的占道经营", category="E0404")
    story.sweep(NOW)

    for name, role, area in (
        ("street_leader", Role.LEADER, STREET),
        ("district_leader", Role.LEADER, DISTRICT),
    ):
        user = create_user(username=name, password=None, actor_label="tests")
        grant_membership(user=user, role=role, area_code=area, actor_label="tests")
        town.users[name] = user
    return town


@pytest.fixture
def at_now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


__all__ = [
    "DISTRICT",
    "GRID_A1",
    "GRID_A2",
    "GRID_B1",
    "NOW",
    "OTHER_STREET",
    "Town",
    "at_now",
    "month",
    "town",
]
