"""Field-work actions: reports from the field, visits and patrols; every retry stored once."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
import time_machine

from gridgov.cases.models import Case, CaseEvent
from gridgov.core.clock import now
from gridgov.core.models import AuditEvent
from gridgov.gridwork import actions
from gridgov.gridwork.errors import (
    GridNotFound,
    GridReportInvalid,
    NoGridGiven,
    NotGridStaff,
    PatrolInvalid,
    PatrolNotFound,
    VisitInvalid,
)
from gridgov.gridwork.models import HouseholdVisit, Patrol, PatrolPoint
from gridgov.gridwork.tracks import haversine_m
from tests.cases.conftest import GRID_A, GRID_C
from tests.gridwork.conftest import GPS_IN_GRID_A, IN_GRID_A, World

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def field_report(**fields: Any) -> actions.FieldReport:
    lon, lat = GPS_IN_GRID_A
    values: dict[str, Any] = {
        "client_id": uuid.uuid4(),
        "description": "绿化带里堆了建筑垃圾",
        "category_code": "E0101",
        "lon": lon,
        "lat": lat,
        **fields,
    }
    return actions.FieldReport(**values)


def visit(**fields: Any) -> actions.VisitInput:
    values: dict[str, Any] = {
        "client_id": uuid.uuid4(),
        "household": "3幢2单元401 王家",
        "purpose": "elderly_care",
        **fields,
    }
    return actions.VisitInput(**values)


def audit_count(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


# ── reports ──────────────────────────────────────────────────────────────────────────────────


def test_a_field_report_is_a_grid_patrol_case_registered_at_once_in_the_converted_position(
    world: World,
) -> None:
    worker = world.users["grid_worker"]
    result = actions.report_from_field(field_report(photos=[actions.PhotoUpload("p.png", PNG)]), actor=worker)
    case = Case.objects.get(pk=result.case.pk)
    assert result.created
    assert (case.source, case.status, case.area_id, case.category and case.category.code) == (
        "grid_patrol",
        "registered",
        GRID_A,
        "E0101",
    )
    # The phone's WGS-84 position was converted to the stored GCJ-02 one.
    assert case.lon == pytest.approx(IN_GRID_A[0], abs=1e-6)
    assert case.lat == pytest.approx(IN_GRID_A[1], abs=1e-6)
    assert case.title == case.category.name  # type: ignore[union-attr]
    assert case.reporter == worker
    assert case.photos.count() == 1
    assert list(CaseEvent.objects.filter(case=case).values_list("action", flat=True).order_by("id")) == [
        "report",
        "register",
    ]


def test_the_same_uuid_sent_twice_makes_one_case(world: World) -> None:
    worker = world.users["grid_worker"]
    report = field_report()
    first = actions.report_from_field(report, actor=worker)
    second = actions.report_from_field(report, actor=worker)
    assert (first.created, second.created) == (True, False)
    assert second.case.pk == first.case.pk
    assert Case.objects.filter(source="grid_patrol").count() == 1
    assert actions.find_field_report(worker, report.client_id) == first.case  # type: ignore[arg-type]


def test_two_workers_may_send_the_same_uuid_without_meeting(world: World) -> None:
    key = uuid.uuid4()
    mine = actions.report_from_field(field_report(client_id=key), actor=world.users["grid_worker"])
    theirs = actions.report_from_field(field_report(client_id=key), actor=world.users["community_worker"])
    assert mine.case.pk != theirs.case.pk and theirs.created


def test_a_report_without_a_position_lands_in_the_workers_grid(world: World) -> None:
    result = actions.report_from_field(
        field_report(lon=None, lat=None, description="楼道堆物"), actor=world.users["grid_worker"]
    )
    assert result.case.area_id == GRID_A


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"category_code": None, "description": ""}, "title"),
        ({"category_code": "Z9999"}, "category"),
        ({"lon": None}, "point"),
        ({"lon": 500.0}, "point"),
        ({"client_id": "not-a-uuid"}, "client_id"),
        ({"system": "bd09"}, "system"),
    ],
)
def test_a_bad_report_is_refused_and_creates_nothing(
    world: World, fields: dict[str, Any], detail: str
) -> None:
    with pytest.raises(GridReportInvalid) as refused:
        actions.report_from_field(field_report(**fields), actor=world.users["grid_worker"])
    assert detail in refused.value.details
    assert Case.objects.count() == 0


def test_only_field_staff_report_from_the_field(world: World) -> None:
    for name in ("resident", "clerk", "handler"):
        with pytest.raises(NotGridStaff):
            actions.report_from_field(field_report(), actor=world.users[name])
    assert Case.objects.count() == 0


def test_a_report_naming_an_area_outside_the_scope_is_refused(world: World) -> None:
    with pytest.raises(GridNotFound):
        actions.report_from_field(
            field_report(lon=None, lat=None, area_code=GRID_C), actor=world.users["grid_worker"]
        )
    assert Case.objects.count() == 0


# ── visits ───────────────────────────────────────────────────────────────────────────────────


def test_a_visit_is_logged_in_the_workers_grid_and_audited(world: World) -> None:
    worker = world.users["grid_worker"]
    case = actions.report_from_field(field_report(), actor=worker).case
    at = now() - timedelta(hours=3)
    result = actions.record_visit(
        visit(visited_at=at, notes="独居，腿脚不便", follow_up_needed=True, case_number=case.number),
        actor=worker,
    )
    stored = HouseholdVisit.objects.get()
    assert result.created and result.visit == stored
    assert (stored.area_id, stored.worker, stored.visited_at, stored.purpose) == (
        GRID_A,
        worker,
        at,
        "elderly_care",
    )
    assert (stored.follow_up_needed, stored.case, stored.notes) == (True, case, "独居，腿脚不便")
    assert audit_count("gridwork.record_visit") == 1


def test_a_visit_sent_again_is_stored_once(world: World) -> None:
    worker = world.users["grid_worker"]
    sent = visit()
    first = actions.record_visit(sent, actor=worker)
    again = actions.record_visit(sent, actor=worker)
    assert (first.created, again.created, again.visit.pk) == (True, False, first.visit.pk)
    assert HouseholdVisit.objects.count() == 1
    assert audit_count("gridwork.record_visit") == 1


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"household": "  "}, "household"),
        ({"purpose": "gossip"}, "purpose"),
        ({"visited_at": "future"}, "visited_at"),
        ({"visited_at": "ancient"}, "visited_at"),
    ],
)
def test_a_bad_visit_is_refused_and_stores_nothing(world: World, fields: dict[str, Any], detail: str) -> None:
    if fields.get("visited_at") == "future":
        fields["visited_at"] = now() + timedelta(hours=1)
    if fields.get("visited_at") == "ancient":
        fields["visited_at"] = now() - timedelta(days=40)
    with pytest.raises(VisitInvalid) as refused:
        actions.record_visit(visit(**fields), actor=world.users["grid_worker"])
    assert detail in refused.value.details
    assert HouseholdVisit.objects.count() == 0
    assert audit_count("gridwork.record_visit") == 0


def test_a_community_worker_names_the_grid_and_only_one_in_scope(world: World) -> None:
    community_worker = world.users["community_worker"]
    # Their only field area is the community: without a grid named, the visit belongs to it.
    assert actions.record_visit(visit(), actor=community_worker).visit.area_id == "330102001051"
    named = actions.record_visit(visit(area_code="330102001051002"), actor=community_worker)
    assert named.visit.area_id == "330102001051002"
    with pytest.raises(GridNotFound):
        actions.record_visit(visit(area_code=GRID_C), actor=community_worker)
    assert HouseholdVisit.objects.count() == 2


def test_a_superuser_must_name_the_area(world: World, django_user_model: Any) -> None:
    admin = django_user_model.objects.create_superuser("root", password="x")
    with pytest.raises(NoGridGiven):
        actions.record_visit(visit(), actor=admin)
    assert actions.record_visit(visit(area_code=GRID_C), actor=admin).visit.area_id == GRID_C


# ── patrols ──────────────────────────────────────────────────────────────────────────────────


def walk(start: Any, steps: int, metres_per_step: float = 25.0) -> list[actions.PointInput]:
    """Positions (WGS-84, as a phone gives them) walking north from grid A's GPS position."""
    lon, lat = GPS_IN_GRID_A
    return [
        actions.PointInput(
            recorded_at=start + timedelta(seconds=30 * i),
            lon=lon,
            lat=lat + (metres_per_step * i) / 111_195.0,
            accuracy_m=5.0,
        )
        for i in range(steps)
    ]


def test_a_patrol_records_its_track_and_measures_it_when_it_ends(world: World) -> None:
    worker = world.users["grid_worker"]
    key = uuid.uuid4()
    start = now() - timedelta(minutes=20)
    patrol = actions.start_patrol(key, actor=worker, started_at=start).patrol
    assert (patrol.area_id, patrol.ended_at, patrol.point_count) == (GRID_A, None, 0)
    points = walk(start, 9)
    assert actions.add_patrol_points(key, points[:5], actor=worker).added == 5
    assert actions.add_patrol_points(key, points[5:], actor=worker).added == 4
    ended = actions.end_patrol(key, actor=worker, ended_at=start + timedelta(minutes=5))
    assert ended.point_count == 9
    assert ended.distance_m == pytest.approx(8 * 25.0, rel=0.01)
    stored = list(PatrolPoint.objects.filter(patrol=ended).order_by("recorded_at"))
    # Stored in the storage system (GCJ-02): the first position is grid A's stored point.
    assert stored[0].lon == pytest.approx(IN_GRID_A[0], abs=1e-6)
    assert stored[0].lat == pytest.approx(IN_GRID_A[1], abs=1e-6)
    assert haversine_m(stored[0].lon, stored[0].lat, stored[-1].lon, stored[-1].lat) == pytest.approx(
        200, rel=0.01
    )
    assert [
        audit_count(f"gridwork.{name}") for name in ("start_patrol", "add_patrol_points", "end_patrol")
    ] == [
        1,
        2,
        1,
    ]


def test_every_patrol_write_sent_again_changes_nothing(world: World) -> None:
    worker = world.users["grid_worker"]
    key = uuid.uuid4()
    start = now() - timedelta(minutes=10)
    first = actions.start_patrol(key, actor=worker, started_at=start)
    again = actions.start_patrol(key, actor=worker, started_at=start)
    assert (first.created, again.created, again.patrol.pk) == (True, False, first.patrol.pk)
    batch = walk(start, 4)
    assert actions.add_patrol_points(key, batch, actor=worker).added == 4
    # The same batch again (the answer was lost), and one overlapping it: only new times count.
    assert actions.add_patrol_points(key, batch, actor=worker).added == 0
    assert actions.add_patrol_points(key, walk(start, 6), actor=worker).added == 2
    ended = actions.end_patrol(key, actor=worker, ended_at=start + timedelta(minutes=3))
    distance = ended.distance_m
    assert (
        actions.end_patrol(key, actor=worker, ended_at=start + timedelta(minutes=9)).ended_at
        == ended.ended_at
    )
    assert Patrol.objects.count() == 1 and PatrolPoint.objects.count() == 6
    assert Patrol.objects.get().distance_m == distance
    assert audit_count("gridwork.end_patrol") == 1
    assert audit_count("gridwork.add_patrol_points") == 2


def test_late_positions_of_an_ended_patrol_are_measured_again(world: World) -> None:
    worker = world.users["grid_worker"]
    key = uuid.uuid4()
    start = now() - timedelta(minutes=10)
    actions.start_patrol(key, actor=worker, started_at=start)
    points = walk(start, 5)
    actions.add_patrol_points(key, points[:2], actor=worker)
    short = actions.end_patrol(key, actor=worker, ended_at=start + timedelta(minutes=3)).distance_m
    assert actions.add_patrol_points(key, points[2:], actor=worker).added == 3
    assert short == pytest.approx(25.0, rel=0.01)
    assert Patrol.objects.get().distance_m == pytest.approx(4 * 25.0, rel=0.01)


def test_starting_a_patrol_ends_the_one_left_running(world: World) -> None:
    worker = world.users["grid_worker"]
    start = now() - timedelta(hours=2)
    old = uuid.uuid4()
    actions.start_patrol(old, actor=worker, started_at=start)
    actions.add_patrol_points(old, walk(start, 3), actor=worker)
    actions.start_patrol(uuid.uuid4(), actor=worker)
    left = Patrol.objects.get(client_id=old)
    assert left.ended_at == start + timedelta(seconds=60)  # its last position
    assert left.point_count == 3
    assert Patrol.objects.filter(worker=worker, ended_at__isnull=True).count() == 1


def test_nobody_adds_to_or_ends_another_workers_patrol(world: World) -> None:
    key = uuid.uuid4()
    start = now() - timedelta(minutes=5)
    actions.start_patrol(key, actor=world.users["grid_worker"], started_at=start)
    for name in ("community_worker", "other_grid_worker"):
        with pytest.raises(PatrolNotFound):
            actions.add_patrol_points(key, walk(start, 2), actor=world.users[name])
        with pytest.raises(PatrolNotFound):
            actions.end_patrol(key, actor=world.users[name])
    patrol = Patrol.objects.get()
    assert (patrol.point_count, patrol.ended_at, PatrolPoint.objects.count()) == (0, None, 0)


def test_a_bad_batch_is_refused_whole(world: World) -> None:
    worker = world.users["grid_worker"]
    key = uuid.uuid4()
    start = now() - timedelta(minutes=5)
    actions.start_patrol(key, actor=worker, started_at=start)
    good = walk(start, 3)
    before_start = actions.PointInput(start - timedelta(hours=1), *GPS_IN_GRID_A)
    for batch in ([*good, before_start], [*good, actions.PointInput(start, 999.0, 30.0)], []):
        with pytest.raises(PatrolInvalid):
            actions.add_patrol_points(key, batch, actor=worker)
    assert PatrolPoint.objects.count() == 0
    with pytest.raises(PatrolInvalid):
        actions.end_patrol(key, actor=worker, ended_at=start - timedelta(minutes=1))
    assert Patrol.objects.get().ended_at is None


def test_phone_times_follow_the_server_clock(world: World) -> None:
    worker = world.users["grid_worker"]
    with time_machine.travel("2026-03-02 09:00:00+08:00", tick=False):
        result = actions.record_visit(visit(), actor=worker)
        assert result.visit.visited_at == now()  # no time sent: the time it arrived
