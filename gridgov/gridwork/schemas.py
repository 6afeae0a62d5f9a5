from datetime import datetime
from typing import Any
from uuid import UUID

from ninja import Field, Schema


class FieldReportIn(Schema):
    """A report from the field. `lon`/`lat` as the phone's GPS gives them: WGS-84 unless `system`
    says "gcj02" (the server converts to the stored system)."""

    client_id: UUID
    description: str = ""
    title: str = ""
    category: str | None = None
    lon: float | None = None
    lat: float | None = None
    system: str = "wgs84"
    address: str = ""
    area_code: str | None = None
    is_urgent: bool = False


class FieldCaseOut(Schema):
    id: int
    number: str
    title: str
    status: str
    status_label: str
    area: str | None
    area_name: str | None
    light: str
    due_at: datetime | None

    @staticmethod
    def resolve_status_label(case: Any) -> str:
        return str(case.get_status_display())

    @staticmethod
    def resolve_area(case: Any) -> str | None:
        return case.area_id

    @staticmethod
    def resolve_area_name(case: Any) -> str | None:
        return case.area.name if case.area_id else None


class FieldReportOut(Schema):
    created: bool
    case: FieldCaseOut


class VisitIn(Schema):
    client_id: UUID
    household: str
    purpose: str
    visited_at: datetime | None = None
    notes: str = ""
    follow_up_needed: bool = False
    area_code: str | None = None
    case_number: str = ""


class VisitOut(Schema):
    id: int
    client_id: UUID
    area: str
    area_name: str
    worker: str
    household: str
    visited_at: datetime
    purpose: str
    purpose_label: str
    notes: str
    follow_up_needed: bool
    case_number: str | None

    @staticmethod
    def resolve_area(visit: Any) -> str:
        return str(visit.area_id)

    @staticmethod
    def resolve_area_name(visit: Any) -> str:
        return str(visit.area.name)

    @staticmethod
    def resolve_worker(visit: Any) -> str:
        return str(visit.worker)

    @staticmethod
    def resolve_purpose_label(visit: Any) -> str:
        return str(visit.get_purpose_display())

    @staticmethod
    def resolve_case_number(visit: Any) -> str | None:
        return visit.case.number if visit.case_id else None


class PatrolStartIn(Schema):
    client_id: UUID
    started_at: datetime | None = None
    area_code: str | None = None


class PatrolOut(Schema):
    id: int
    client_id: UUID
    worker: str
    area: str
    area_name: str
    started_at: datetime
    ended_at: datetime | None
    distance_m: float
    point_count: int

    @staticmethod
    def resolve_worker(patrol: Any) -> str:
        return str(patrol.worker)

    @staticmethod
    def resolve_area(patrol: Any) -> str:
        return str(patrol.area_id)

    @staticmethod
    def resolve_area_name(patrol: Any) -> str:
        return str(patrol.area.name)


class PointIn(Schema):
    recorded_at: datetime
    lon: float
    lat: float
    accuracy_m: float | None = None


class PointsIn(Schema):
    points: list[PointIn] = Field(..., max_length=500)
    system: str = "wgs84"


class PointOut(Schema):
    recorded_at: datetime
    lon: float
    lat: float
    accuracy_m: float | None


class PointsOut(Schema):
    added: int
    patrol: PatrolOut


class PatrolEndIn(Schema):
    ended_at: datetime | None = None


class PatrolDetailOut(PatrolOut):
    points: list[PointOut]

    @staticmethod
    def resolve_points(patrol: Any) -> list[Any]:
        return list(patrol.points.order_by("recorded_at", "id"))


class FieldTaskOut(Schema):
    case_id: int
    number: str
    title: str
    status: str
    status_label: str
    category_name: str | None
    area_name: str | None
    light: str
    due_at: datetime | None
    reported_at: datetime
    actions: list[str]
