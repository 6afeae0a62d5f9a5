"""The field-work API: what the grid worker's page (session + CSRF) and patrol apps (bearer token)
send from the phone, and the lists they read back.

Every write carries the UUID the phone gave the item (`client_id`): the first arrival answers 201,
a repeat answers 200 with what is stored, so a phone that lost an answer just sends again.
"""

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate

from gridgov.accounts.models import User
from gridgov.cases.actions import PhotoUpload
from gridgov.gridwork import actions
from gridgov.gridwork.models import HouseholdVisit, Patrol
from gridgov.gridwork.queries import field_tasks_for, get_patrol_for, list_patrols_for, list_visits_for
from gridgov.gridwork.schemas import (
    FieldReportIn,
    FieldReportOut,
    FieldTaskOut,
    PatrolDetailOut,
    PatrolEndIn,
    PatrolOut,
    PatrolStartIn,
    PointsIn,
    PointsOut,
    VisitIn,
    VisitOut,
)

router = Router(tags=["gridwork"])


def user_of(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@router.post(
    "/reports", response={201: FieldReportOut, 200: FieldReportOut}, summary="巡查上报 report from the field"
)
def report(
    request: HttpRequest,
    data: Form[FieldReportIn],
    photos: list[UploadedFile] = File(default=None),  # noqa: B008
) -> Status[dict[str, Any]]:
    uploads = [PhotoUpload(p.name or "photo", p.read()) for p in (photos or [])]
    result = actions.report_from_field(
        actions.FieldReport(
            client_id=data.client_id,
            description=data.description,
            title=data.title,
            category_code=data.category or None,
            lon=data.lon,
            lat=data.lat,
            system=data.system,
            address=data.address,
            area_code=data.area_code or None,
            is_urgent=data.is_urgent,
            photos=uploads,
        ),
        actor=user_of(request),
    )
    return Status(201 if result.created else 200, {"created": result.created, "case": result.case})


@router.get(
    "/tasks", response=list[FieldTaskOut], summary="Cases waiting for my 核实, local handling or 核查"
)
def tasks(request: HttpRequest) -> list[FieldTaskOut]:
    return [
        FieldTaskOut(
            case_id=task.case.pk,
            number=task.case.number,
            title=task.case.title,
            status=task.case.status,
            status_label=str(task.case.get_status_display()),
            category_name=task.case.category.name if task.case.category_id and task.case.category else None,
            area_name=task.case.area.name if task.case.area_id and task.case.area else None,
            light=task.case.light,
            due_at=task.case.due_at,
            reported_at=task.case.reported_at,
            actions=task.actions,
        )
        for task in field_tasks_for(request.user)
    ]


@router.get(
    "/visits", response=list[VisitOut], summary="Household visits in the caller's areas, newest first"
)
@paginate(LimitOffsetPagination)
def list_visits(request: HttpRequest, mine: bool = False) -> list[HouseholdVisit]:
    user = request.user
    return list_visits_for(user, worker=user_of(request) if mine else None)  # type: ignore[return-value]


@router.post("/visits", response={201: VisitOut, 200: VisitOut}, summary="走访 log a household visit")
def record_visit(request: HttpRequest, data: VisitIn) -> Status[HouseholdVisit]:
    result = actions.record_visit(actions.VisitInput(**data.dict()), actor=user_of(request))
    return Status(201 if result.created else 200, result.visit)


@router.get("/patrols", response=list[PatrolOut], summary="Patrols in the caller's areas, newest first")
@paginate(LimitOffsetPagination)
def list_patrols(request: HttpRequest, mine: bool = False) -> list[Patrol]:
    user = request.user
    return list_patrols_for(user, worker=user_of(request) if mine else None)  # type: ignore[return-value]


@router.post("/patrols", response={201: PatrolOut, 200: PatrolOut}, summary="巡查 start a patrol")
def start_patrol(request: HttpRequest, data: PatrolStartIn) -> Status[Patrol]:
    result = actions.start_patrol(
        data.client_id, actor=user_of(request), started_at=data.started_at, area_code=data.area_code or None
    )
    return Status(201 if result.created else 200, result.patrol)


@router.get("/patrols/{patrol_id}", response=PatrolDetailOut, summary="One patrol with its track")
def get_patrol(request: HttpRequest, patrol_id: int) -> PatrolDetailOut:
    return get_patrol_for(request.user, patrol_id)  # type: ignore[return-value]


@router.post("/patrols/{client_id}/points", response=PointsOut, summary="Positions of my patrol (a batch)")
def add_points(request: HttpRequest, client_id: UUID, data: PointsIn) -> dict[str, Any]:
    result = actions.add_patrol_points(
        client_id,
        [actions.PointInput(p.recorded_at, p.lon, p.lat, p.accuracy_m) for p in data.points],
        actor=user_of(request),
        system=data.system,
    )
    return {"added": result.added, "patrol": result.patrol}


@router.post("/patrols/{client_id}/end", response=PatrolOut, summary="End my patrol; its length is measured")
def end_patrol(request: HttpRequest, client_id: UUID, data: PatrolEndIn) -> Patrol:
    return actions.end_patrol(client_id, actor=user_of(request), ended_at=data.ended_at)
