"""Reads of cases. Each takes the caller and returns only what the caller may see."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from math import cos, radians
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import F, Q, QuerySet

from gridgov.accounts.models import Membership, Role, User
from gridgov.accounts.queries import get_scope
from gridgov.cases.errors import CaseNotFound
from gridgov.cases.models import OPEN_STATUSES, Case, CaseEvent, CaseRequest, CaseStatus, CaseTask, Light
from gridgov.core.area_codes import scope_prefix
from gridgov.core.clock import now

AREA_ROLES = frozenset(Role) - {Role.RESIDENT, Role.DEPARTMENT_HANDLER}


def _reported_by(user: User) -> Q:
    """Reported by `user`: with their account, or with the phone number their account verified."""
    condition = Q(reporter_id=user.pk)
    digest = getattr(user, "phone_digest", "")
    if digest:
        condition |= Q(reporter_contact_digest=digest)
    return condition


def cases_reported_by(user: User | AnonymousUser) -> QuerySet[Case]:
    """The cases `user` reported (see is_reporter): the resident's "my cases"."""
    if not user.is_authenticated:
        return Case.objects.none()
    return Case.objects.filter(_reported_by(user))


def is_reporter(user: User | AnonymousUser, case: Case) -> bool:
    """Whether `user` counts as the reporter of `case`: the account that reported it, or a resident
    whose verified phone number is the case's contact number (an anonymous web or hotline report)."""
    if not user.is_authenticated:
        return False
    if case.reporter_id == user.pk:
        return True
    digest = getattr(user, "phone_digest", "")
    return bool(digest) and case.reporter_contact_digest == digest


def cases_for(user: User | AnonymousUser) -> QuerySet[Case]:
    """The cases `user` may read: in their areas, sent to their departments, or reported by them."""
    if not user.is_authenticated:
        return Case.objects.none()
    scope = get_scope(user)
    if scope.is_global:
        return Case.objects.all()
    condition = _reported_by(user)
    if scope.area_prefixes:
        condition |= scope.area_q("area__code") | scope.area_q("handling_area__code")
    if scope.department_ids:
        condition |= Q(
            pk__in=CaseTask.objects.filter(department_id__in=scope.department_ids).values("case_id")
        )
    return Case.objects.filter(condition)


def get_case_for(user: User | AnonymousUser, case_id: int) -> Case:
    case = cases_for(user).filter(pk=case_id).select_related("category", "area", "handling_area").first()
    if case is None:
        raise CaseNotFound(details={"case": case_id})
    return case


def get_case_by_number_for(user: User | AnonymousUser, number: str) -> Case:
    case = cases_for(user).filter(number=number).first()
    if case is None:
        raise CaseNotFound(details={"number": number})
    return case


def roles_on_case(user: User | None, case: Case) -> frozenset[str]:
    """The roles `user` holds *for this case*: an area role only where its area covers the case,
    a department role only where that department has a live task on it."""
    if user is None:
        return frozenset({"system"})
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    roles: set[str] = set()
    if user.is_superuser:
        roles.add(Role.ADMINISTRATOR)
    if is_reporter(user, case):
        roles.add(Role.RESIDENT)
    codes = [code for code in (case.area_id, case.handling_area_id) if code]
    live_departments = set(
        CaseTask.objects.filter(case=case)
        .exclude(status__in=[CaseTask.Status.RETURNED, CaseTask.Status.CANCELLED])
        .values_list("department_id", flat=True)
    )
    for role, area_code, department_id in Membership.objects.filter(user=user).values_list(
        "role", "area_id", "department_id"
    ):
        if role == Role.ADMINISTRATOR and area_code is None:
            roles.add(role)
        elif role in AREA_ROLES and area_code is not None:
            prefix = scope_prefix(area_code)
            if any(code.startswith(prefix) for code in codes):
                roles.add(role)
        elif role == Role.DEPARTMENT_HANDLER and department_id in live_departments:
            roles.add(role)
    return frozenset(roles)


@dataclass(frozen=True)
class CaseFilters:
    status: list[str] | None = None
    source: str | None = None
    category: str | None = None
    area: str | None = None
    department: int | None = None
    light: str | None = None
    overdue: bool | None = None
    number: str | None = None
    reported_after: datetime | None = None
    reported_before: datetime | None = None


def list_cases_for(user: User | AnonymousUser, filters: CaseFilters) -> QuerySet[Case]:
    cases = cases_for(user)
    if filters.status:
        cases = cases.filter(status__in=filters.status)
    if filters.source:
        cases = cases.filter(source=filters.source)
    if filters.category:
        cases = cases.filter(category__code__startswith=filters.category)
    if filters.area:
        cases = cases.filter(area__code__startswith=scope_prefix(filters.area))
    if filters.department is not None:
        cases = cases.filter(tasks__department_id=filters.department).distinct()
    if filters.light:
        cases = cases.filter(light=filters.light)
    if filters.overdue is not None:
        cases = cases.filter(is_overdue=filters.overdue)
    if filters.number:
        cases = cases.filter(number=filters.number)
    if filters.reported_after:
        cases = cases.filter(reported_at__gte=filters.reported_after)
    if filters.reported_before:
        cases = cases.filter(reported_at__lt=filters.reported_before)
    return cases.select_related("category", "area").order_by("-reported_at", "-id")


def timeline_of(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor", "department").order_by("occurred_at", "id")


def tasks_of(case: Case) -> QuerySet[CaseTask]:
    return case.tasks.select_related("department").order_by("id")


# Duplicate suggestions: same category, open, within this distance and time (configurable).
def find_duplicates(
    *,
    category_id: int | None,
    lon: float | None,
    lat: float | None,
    reported_at: datetime,
    exclude_id: int | None = None,
    radius_m: float | None = None,
    window: timedelta | None = None,
    limit: int = 5,
) -> list[Case]:
    """Open cases of the same category within `radius_m` metres and `window` before the report
    (defaults: settings GRIDGOV_DUPLICATE_RADIUS_M and GRIDGOV_DUPLICATE_WINDOW_DAYS)."""
    if category_id is None or lon is None or lat is None:
        return []
    radius_m = radius_m if radius_m is not None else float(settings.GRIDGOV_DUPLICATE_RADIUS_M)
    window = window if window is not None else timedelta(days=float(settings.GRIDGOV_DUPLICATE_WINDOW_DAYS))
    lat_degrees = radius_m / 111_320.0
    lon_degrees = radius_m / (111_320.0 * max(cos(radians(lat)), 0.01))
    candidates = Case.objects.filter(
        category_id=category_id,
        status__in=OPEN_STATUSES,
        merged_into__isnull=True,
        reported_at__gte=reported_at - window,
        reported_at__lte=reported_at,
        lon__range=(lon - lon_degrees, lon + lon_degrees),
        lat__range=(lat - lat_degrees, lat + lat_degrees),
    )
    if exclude_id is not None:
        candidates = candidates.exclude(pk=exclude_id)
    scored: list[tuple[float, Any]] = []
    for case in candidates[:200]:
        metres = distance_m(lon, lat, case.lon, case.lat)  # type: ignore[arg-type]
        if metres <= radius_m:
            scored.append((metres, case))
    scored.sort(key=lambda pair: (pair[0], pair[1].pk))
    return [case for _metres, case in scored[:limit]]


def visible_duplicates_of(user: User | AnonymousUser | None, case: Case) -> list[Case]:
    """The duplicate suggestions for `case` that `user` may read (staff: their scope; a resident:
    their own reports; nobody else: none)."""
    if user is None:
        return []
    found = find_duplicates(
        category_id=case.category_id,
        lon=case.lon,
        lat=case.lat,
        reported_at=case.reported_at,
        exclude_id=case.pk,
    )
    visible = set(cases_for(user).filter(pk__in=[c.pk for c in found]).values_list("pk", flat=True))
    return [c for c in found if c.pk in visible]


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Equirectangular distance; exact enough below a few kilometres."""
    x = radians(lon2 - lon1) * cos(radians((lat1 + lat2) / 2))
    y = radians(lat2 - lat1)
    return 6_371_000.0 * (x * x + y * y) ** 0.5


# ── what a leader watches (督办台): each list within the caller's scope ──────────────────────────

# A request can be decided only while the case is with its departments (lifecycle DECIDE_*).
DECIDABLE_STATUSES = (CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS)


def overdue_cases_for(user: User | AnonymousUser, at: datetime | None = None) -> QuerySet[Case]:
    """Open cases whose running limit has run out (red): marked overdue by the scheduler, or due
    before `at` (default: now) and not yet swept. Longest overdue first."""
    moment = at or now()
    return (
        cases_for(user)
        .filter(status__in=OPEN_STATUSES, due_at__isnull=False)
        .filter(Q(is_overdue=True) | Q(due_at__lte=moment))
        .order_by("due_at", "id")
    )


def due_soon_cases_for(user: User | AnonymousUser, at: datetime | None = None) -> QuerySet[Case]:
    """Open cases past 80 % of their limit but not yet due (yellow). Earliest due first."""
    moment = at or now()
    return (
        cases_for(user)
        .filter(status__in=OPEN_STATUSES, light=Light.YELLOW, is_overdue=False, due_at__gt=moment)
        .order_by("due_at", "id")
    )


def supervised_cases_for(user: User | AnonymousUser) -> QuerySet[Case]:
    """Open cases a leader has supervised (督办) at least once. Earliest due first, no limit last."""
    return (
        cases_for(user)
        .filter(status__in=OPEN_STATUSES, supervision_count__gt=0)
        .order_by(F("due_at").asc(nulls_last=True), "id")
    )


def suspended_cases_for(user: User | AnonymousUser) -> QuerySet[Case]:
    """Suspended cases (挂账, the problem bank), longest suspended first."""
    return cases_for(user).filter(status=CaseStatus.SUSPENDED).order_by("updated_at", "id")


def pending_requests_for(user: User | AnonymousUser, kind: str | None = None) -> QuerySet[CaseRequest]:
    """Undecided extension or suspension requests on cases `user` may read that can still be decided
    (the case is dispatched or in progress), oldest first."""
    requests = CaseRequest.objects.filter(
        status=CaseRequest.Status.PENDING,
        case__in=cases_for(user).filter(status__in=DECIDABLE_STATUSES).values("pk"),
    )
    if kind is not None:
        requests = requests.filter(kind=kind)
    return requests.select_related("case", "case__category", "case__area", "requested_by").order_by(
        "requested_at", "id"
    )


def get_request_for(user: User | AnonymousUser, request_id: int) -> CaseRequest:
    """One request (any status) on a case `user` may read, or CaseNotFound."""
    request = (
        CaseRequest.objects.filter(pk=request_id, case__in=cases_for(user).values("pk"))
        .select_related("requested_by")
        .first()
    )
    if request is None:
        raise CaseNotFound(details={"request": request_id})
    return request


def pending_requests_of(case: Case) -> dict[str, CaseRequest]:
    """The undecided requests of a case the caller already may read, by kind (one of each at most)."""
    requests = case.requests.filter(status=CaseRequest.Status.PENDING).select_related("requested_by")
    return {request.kind: request for request in requests.order_by("-requested_at", "-id")}
