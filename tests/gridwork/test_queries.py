"""What each field worker sees: visits, patrols, map markers and tasks of their own areas only."""

import uuid
from datetime import timedelta
from typing import Any

from gridgov.cases import actions as case_actions
from gridgov.core.clock import now
from gridgov.gridwork import actions, queries
from gridgov.gridwork.models import HouseholdVisit, Patrol
from tests.cases.conftest import GRID_A, GRID_C
from tests.gridwork.conftest import GPS_IN_GRID_A, GPS_IN_GRID_C, World


def visit_by(world: World, name: str, **fields: Any) -> HouseholdVisit:
    data = actions.VisitInput(client_id=uuid.uuid4(), household="1幢101", purpose="routine", **fields)
    return actions.record_visit(data, actor=world.users[name]).visit


def patrol_by(world: World, name: str) -> Patrol:
    return actions.start_patrol(uuid.uuid4(), actor=world.users[name]).patrol


def test_visits_and_patrols_are_seen_in_their_areas_only(world: World) -> None:
    mine = visit_by(world, "grid_worker")
    community = visit_by(world, "community_worker", area_code="330102001051002")
    foreign = visit_by(world, "other_grid_worker")
    users = world.users
    assert set(queries.visits_for(users["grid_worker"])) == {mine}
    assert set(queries.visits_for(users["community_worker"])) == {mine, community}
    assert set(queries.visits_for(users["other_grid_worker"])) == {foreign}
    assert set(queries.visits_for(users["leader"])) == {mine, community, foreign}
    assert set(queries.visits_for(users["resident"])) == set()
    assert set(queries.visits_for(users["handler"])) == set()
    assert list(queries.list_visits_for(users["community_worker"], worker=users["grid_worker"])) == [mine]

    patrol = patrol_by(world, "grid_worker")
    other = patrol_by(world, "other_grid_worker")
    assert set(queries.patrols_for(users["grid_worker"])) == {patrol}
    assert set(queries.patrols_for(users["community_worker"])) == {patrol}
    assert set(queries.patrols_for(users["leader"])) == {patrol, other}
    assert queries.get_patrol_for(users["community_worker"], patrol.pk) == patrol


def test_field_staff_are_those_with_a_field_role(world: World) -> None:
    expected = {"grid_worker", "other_grid_worker", "community_worker"}
    assert {name for name, user in world.users.items() if queries.is_field_staff(user)} == expected
    assert queries.field_area_codes(world.users["grid_worker"]) == [GRID_A]


def report_gps(world: World, name: str, point: tuple[float, float], category: str = "E0102") -> int:
    report = actions.FieldReport(
        client_id=uuid.uuid4(), description="x", category_code=category, lon=point[0], lat=point[1]
    )
    return actions.report_from_field(report, actor=world.users[name]).case.pk


def web_report(world: World, lon: float, lat: float) -> int:
    return int(world.report(lon=lon, lat=lat)["id"])


def tasks_of(world: World, name: str) -> dict[int, list[str]]:
    return {task.case.pk: task.actions for task in queries.field_tasks_for(world.users[name])}


def test_tasks_follow_the_case_through_verify_local_handling_and_check(world: World) -> None:
    worker = world.users["grid_worker"]
    # A resident's report in grid A (not trusted): waiting for the grid worker's 核实.
    public = web_report(world, 120.105, 30.205)
    # A grid report of exposed rubbish (E0102, handled at the grid): the grid handles it itself.
    local = report_gps(world, "grid_worker", GPS_IN_GRID_A)
    # A street-level category (E0101) in grid A: the street's, not the grid worker's task.
    street = report_gps(world, "grid_worker", GPS_IN_GRID_A, category="E0101")
    # Another street's grid: never the grid A worker's task.
    foreign = report_gps(world, "other_grid_worker", GPS_IN_GRID_C)
    tasks = tasks_of(world, "grid_worker")
    assert tasks == {public: ["verify"], local: ["handle_locally"]}
    assert street not in tasks and foreign not in tasks
    assert tasks_of(world, "other_grid_worker") == {foreign: ["handle_locally"]}

    case_actions.verify_case(public, actor=worker, is_genuine=True)
    case_actions.handle_locally(local, actor=worker)
    assert tasks_of(world, "grid_worker") == {local: ["report_done"]}
    case_actions.report_done(local, actor=worker, note="清理完毕")
    assert tasks_of(world, "grid_worker") == {local: ["check_pass", "check_fail"]}
    case_actions.check_case(local, actor=worker, passed=True)
    assert tasks_of(world, "grid_worker") == {}
    assert tasks_of(world, "resident") == {}


def test_tasks_are_ordered_by_due_time(world: World) -> None:
    worker = world.users["grid_worker"]
    first, second = (
        report_gps(world, "grid_worker", GPS_IN_GRID_A),
        report_gps(world, "grid_worker", GPS_IN_GRID_A),
    )
    case_actions.handle_locally(second, actor=worker)  # has a due time now: it comes first
    assert [task.case.pk for task in queries.field_tasks_for(worker)] == [second, first]


def test_the_map_shows_open_cases_of_the_workers_areas(world: World) -> None:
    mine = report_gps(world, "grid_worker", GPS_IN_GRID_A)
    foreign = report_gps(world, "other_grid_worker", GPS_IN_GRID_C)
    voided_id = web_report(world, 120.105, 30.205)
    case_actions.void_case(voided_id, actor=world.users["clerk"], reason="重复")
    assert [case.pk for case in queries.map_cases_for(world.users["grid_worker"])] == [mine]
    assert {case.pk for case in queries.map_cases_for(world.users["leader"])} == {mine, foreign}


def test_the_home_area_of_a_grid_worker(world: World) -> None:
    assert [area.code for area in queries.home_areas_of(world.users["grid_worker"])] == [GRID_A]
    assert [area.code for area in queries.home_areas_of(world.users["other_grid_worker"])] == [GRID_C]
    assert queries.running_patrol_of(world.users["grid_worker"]) is None
    started = actions.start_patrol(
        uuid.uuid4(), actor=world.users["grid_worker"], started_at=now() - timedelta(minutes=1)
    )
    assert queries.running_patrol_of(world.users["grid_worker"]) == started.patrol
