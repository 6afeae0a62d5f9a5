"""Every write of field work: a report from the field, a household visit, a patrol and its track.

The phone keeps what it records in an outbox while it has no network and sends it later, maybe
twice when an answer was lost. So every item carries the UUID the phone gave it, and every action
here is idempotent on it: the second arrival finds the first row and changes nothing. Times come
from the phone's clock (the moment it happened, not the moment it arrived) and are checked against
the server's: at most `CLOCK_AHEAD` in the future, at most `MAX_AGE` old.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction

from gridgov.accounts.models import User
from gridgov.cases.actions import PhotoUpload, Report, ReportResult, report_case
from gridgov.cases.models import Case, CaseSource
from gridgov.cases.queries import get_case_by_number_for
from gridgov.catalogue.models import CaseCategory
from gridgov.core.audit import record_audit_event
from gridgov.core.clock import now
from gridgov.core.errors import DomainError
from gridgov.core.mapping import point_to_storage
from gridgov.gridwork import tracks
from gridgov.gridwork.errors import GridReportInvalid, PatrolInvalid, VisitInvalid
from gridgov.gridwork.models import HouseholdVisit, Patrol, PatrolPoint, VisitPurpose
from gridgov.gridwork.queries import (
    field_area_codes,
    field_area_for,
    own_patrol,
    require_field_staff,
)

VISIT_SUBJECT = "gridwork.visit"
PATROL_SUBJECT = "gridwork.patrol"
CLOCK_AHEAD = timedelta(minutes=10)
MAX_AGE = timedelta(days=30)
MAX_POINTS_PER_BATCH = 500
GPS_SYSTEM = "wgs84"  # what a phone's GPS (and the browser's geolocation) gives


def parse_client_id(value: UUID | str, error: type[DomainError]) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError as bad:
        raise error(details={"client_id": "a UUID"}) from bad


def phone_time(moment: datetime | None, name: str, error: type[DomainError]) -> datetime:
    """A time the phone recorded: aware, not in the future beyond clock drift, not too old."""
    current = now()
    if moment is None:
        return current
    if moment.tzinfo is None:
        raise error(details={name: "give the time zone"})
    if moment > current + CLOCK_AHEAD:
        raise error(details={name: "in the future; check the phone's clock"})
    if moment < current - MAX_AGE:
        raise error(details={name: f"older than {MAX_AGE.days} days"})
    return moment


def storage_point(lon: float, lat: float, system: str, error: type[DomainError]) -> tuple[float, float]:
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise error(details={"point": "out of range"})
    try:
        return point_to_storage(lon, lat, system)
    except ValueError as bad:
        raise error(details={"system": system}) from bad


# ── a report from the field ──────────────────────────────────────────────────────────────────


@dataclass
class FieldReport:
    client_id: UUID | str
    description: str = ""
    title: str = ""
    category_code: str | None = None
    # As the phone's GPS gives it (WGS-84 unless `system` says otherwise).
    lon: float | None = None
    lat: float | None = None
    system: str = GPS_SYSTEM
    address: str = ""
    area_code: str | None = None
    is_urgent: bool = False
    photos: Sequence[PhotoUpload] = field(default_factory=list)


def report_key(actor: User, client_id: UUID) -> str:
    """The intake's idempotency key of a field report: the phone's UUID, per worker."""
    return f"gridwork:{actor.pk}:{client_id}"


def report_from_field(report: FieldReport, *, actor: User) -> ReportResult:
    """A grid worker reports what they see (巡查上报) through the intake as a grid patrol report,
    which is registered at once (a trusted source). Sending the same UUID again returns the
    first case."""
    require_field_staff(actor)
    client_id = parse_client_id(report.client_id, GridReportInvalid)
    description = report.description.strip()
    if len(description) > 2000:
        raise GridReportInvalid(details={"description": "at most 2000 characters"})
    category = None
    if report.category_code:
        category = CaseCategory.objects.filter(code=report.category_code, is_active=True).first()
        if category is None:
            raise GridReportInvalid(details={"category": report.category_code})
    title = report.title.strip() or (category.name if category else "") or description[:40]
    if not title:
        raise GridReportInvalid(details={"title": "choose a category or describe the problem"})
    if (report.lon is None) != (report.lat is None):
        raise GridReportInvalid(details={"point": "give both lon and lat, or neither"})
    lon = lat = None
    if report.lon is not None and report.lat is not None:
        lon, lat = storage_point(report.lon, report.lat, report.system, GridReportInvalid)
    area_code = report.area_code
    if area_code:
        field_area_for(actor, area_code)  # inside the caller's scope, or GridNotFound
    else:
        # Without a position inside a grid the report lands in the worker's own area.
        codes = field_area_codes(actor)
        area_code = codes[0] if len(codes) == 1 else None
    return report_case(
        Report(
            source=CaseSource.GRID_PATROL,
            title=title[:200],
            description=description,
            category_code=category.code if category else None,
            lon=lon,
            lat=lat,
            address=report.address,
            area_code=area_code,
            is_urgent=report.is_urgent,
            idempotency_key=report_key(actor, client_id),
            photos=list(report.photos),
        ),
        actor=actor,
    )


def find_field_report(actor: User, client_id: UUID) -> Case | None:
    return Case.objects.filter(
        source=CaseSource.GRID_PATROL, idempotency_key=report_key(actor, client_id)
    ).first()


# ── household visits ─────────────────────────────────────────────────────────────────────────


@dataclass
class VisitInput:
    client_id: UUID | str
    household: str
    purpose: str
    visited_at: datetime | None = None
    notes: str = ""
    follow_up_needed: bool = False
    area_code: str | None = None
    case_number: str = ""


@dataclass
class VisitResult:
    visit: HouseholdVisit
    created: bool


def record_visit(data: VisitInput, *, actor: User) -> VisitResult:
    """走访: log a household visit; the same UUID sent again returns the visit already stored."""
    require_field_staff(actor)
    client_id = parse_client_id(data.client_id, VisitInvalid)
    existing = HouseholdVisit.objects.filter(worker=actor, client_id=client_id).first()
    if existing is not None:
        return VisitResult(existing, False)
    household = data.household.strip()
    if not household or len(household) > 200:
        raise VisitInvalid(details={"household": "1 to 200 characters"})
    if data.purpose not in VisitPurpose.values:
        raise VisitInvalid(details={"purpose": data.purpose})
    if len(data.notes) > 4000:
        raise VisitInvalid(details={"notes": "at most 4000 characters"})
    visited_at = phone_time(data.visited_at, "visited_at", VisitInvalid)
    area = field_area_for(actor, data.area_code)
    case = get_case_by_number_for(actor, data.case_number.strip()) if data.case_number.strip() else None
    try:
        with transaction.atomic():
            visit = HouseholdVisit.objects.create(
                area=area,
                worker=actor,
                household=household,
                visited_at=visited_at,
                purpose=data.purpose,
                notes=data.notes.strip(),
                follow_up_needed=data.follow_up_needed,
                case=case,
                client_id=client_id,
                recorded_at=now(),
            )
            record_audit_event(
                action="gridwork.record_visit",
                subject_type=VISIT_SUBJECT,
                subject_id=str(visit.pk),
                actor=actor,
                data={"area": area.code, "purpose": visit.purpose, "client_id": str(client_id)},
            )
    except IntegrityError:
        # Two copies raced past the check above; the unique (worker, client_id) let one in.
        existing = HouseholdVisit.objects.filter(worker=actor, client_id=client_id).first()
        if existing is None:
            raise
        return VisitResult(existing, False)
    return VisitResult(visit, True)


# ── patrols ──────────────────────────────────────────────────────────────────────────────────


@dataclass
class PatrolResult:
    patrol: Patrol
    created: bool


def start_patrol(
    client_id: UUID | str, *, actor: User, started_at: datetime | None = None, area_code: str | None = None
) -> PatrolResult:
    """巡查开始. A patrol of the worker still running (its end was never sent: a phone wiped or
    lost) is ended at its last position first; a worker patrols one round at a time."""
    require_field_staff(actor)
    uuid = parse_client_id(client_id, PatrolInvalid)
    existing = Patrol.objects.filter(worker=actor, client_id=uuid).first()
    if existing is not None:
        return PatrolResult(existing, False)
    start = phone_time(started_at, "started_at", PatrolInvalid)
    area = field_area_for(actor, area_code)
    try:
        with transaction.atomic():
            for left in Patrol.objects.select_for_update().filter(
                worker=actor, ended_at__isnull=True, started_at__lte=start
            ):
                last = left.points.order_by("-recorded_at").values_list("recorded_at", flat=True).first()
                _finish(left, min(last or left.started_at, start), actor, reason="a new patrol started")
            patrol = Patrol.objects.create(worker=actor, area=area, client_id=uuid, started_at=start)
            record_audit_event(
                action="gridwork.start_patrol",
                subject_type=PATROL_SUBJECT,
                subject_id=str(patrol.pk),
                actor=actor,
                data={"area": area.code, "client_id": str(uuid)},
            )
    except IntegrityError:
        existing = Patrol.objects.filter(worker=actor, client_id=uuid).first()
        if existing is None:
            raise
        return PatrolResult(existing, False)
    return PatrolResult(patrol, True)


@dataclass(frozen=True)
class PointInput:
    recorded_at: datetime
    lon: float
    lat: float
    accuracy_m: float | None = None


@dataclass
class PointsResult:
    patrol: Patrol
    added: int


def add_patrol_points(
    client_id: UUID | str, points: Sequence[PointInput], *, actor: User, system: str = GPS_SYSTEM
) -> PointsResult:
    """A batch of positions of the caller's patrol. Idempotent: a position already stored (same
    patrol, same time) is skipped, so a batch sent again adds nothing."""
    require_field_staff(actor)
    uuid = parse_client_id(client_id, PatrolInvalid)
    if not points:
        raise PatrolInvalid(details={"points": "send at least one"})
    if len(points) > MAX_POINTS_PER_BATCH:
        raise PatrolInvalid(details={"points": f"at most {MAX_POINTS_PER_BATCH} per batch"})
    with transaction.atomic():
        patrol = own_patrol(actor, uuid)
        patrol = Patrol.objects.select_for_update().get(pk=patrol.pk)
        latest = patrol.ended_at or now() + CLOCK_AHEAD
        rows: dict[datetime, PatrolPoint] = {}
        for index, point in enumerate(points):
            moment = phone_time(point.recorded_at, f"points[{index}].recorded_at", PatrolInvalid)
            if not (patrol.started_at - CLOCK_AHEAD <= moment <= latest):
                raise PatrolInvalid(details={f"points[{index}].recorded_at": "outside the patrol"})
            if point.accuracy_m is not None and not (0 <= point.accuracy_m <= 100_000):
                raise PatrolInvalid(details={f"points[{index}].accuracy_m": "0 to 100000"})
            lon, lat = storage_point(point.lon, point.lat, system, PatrolInvalid)
            rows[moment] = PatrolPoint(
                patrol=patrol, recorded_at=moment, lon=lon, lat=lat, accuracy_m=point.accuracy_m
            )
        before = patrol.points.count()
        PatrolPoint.objects.bulk_create(list(rows.values()), ignore_conflicts=True)
        patrol.point_count = patrol.points.count()
        added = patrol.point_count - before
        if added:
            fields = ["point_count"]
            if patrol.ended_at is not None:  # late positions of an ended patrol: measure again
                patrol.distance_m = measure(patrol)
                fields.append("distance_m")
            patrol.save(update_fields=fields)
            record_audit_event(
                action="gridwork.add_patrol_points",
                subject_type=PATROL_SUBJECT,
                subject_id=str(patrol.pk),
                actor=actor,
                data={"added": added, "sent": len(points)},
            )
    return PointsResult(patrol, added)


def measure(patrol: Patrol) -> float:
    return tracks.track_length_m(
        tracks.TrackPoint(lon, lat, accuracy)
        for lon, lat, accuracy in patrol.points.order_by("recorded_at", "id").values_list(
            "lon", "lat", "accuracy_m"
        )
    )


def _finish(patrol: Patrol, ended_at: datetime, actor: User, *, reason: str = "") -> None:
    patrol.ended_at = ended_at
    patrol.point_count = patrol.points.count()
    patrol.distance_m = measure(patrol)
    patrol.save(update_fields=["ended_at", "point_count", "distance_m"])
    data: dict[str, Any] = {"distance_m": patrol.distance_m, "points": patrol.point_count}
    if reason:
        data["reason"] = reason
    record_audit_event(
        action="gridwork.end_patrol",
        subject_type=PATROL_SUBJECT,
        subject_id=str(patrol.pk),
        actor=actor,
        data=data,
    )


def end_patrol(client_id: UUID | str, *, actor: User, ended_at: datetime | None = None) -> Patrol:
    """巡查结束: the length is measured from the positions. Ending an ended patrol changes nothing."""
    require_field_staff(actor)
    uuid = parse_client_id(client_id, PatrolInvalid)
    with transaction.atomic():
        patrol = own_patrol(actor, uuid)
        patrol = Patrol.objects.select_for_update().get(pk=patrol.pk)
        if patrol.ended_at is not None:
            return patrol
        end = phone_time(ended_at, "ended_at", PatrolInvalid)
        if end < patrol.started_at:
            raise PatrolInvalid(details={"ended_at": "before the start"})
        _finish(patrol, end, actor)
    return patrol
