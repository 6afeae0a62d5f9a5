"""Reads of field work. Each takes the caller and returns only what the caller may see.

A grid worker sees the visits and patrols of their grid, a grid leader or community worker those
of their area (through gridgov.accounts.queries.get_scope); anything else is "not found".
"""

from dataclasses import dataclass
from uuid import UUID

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from gridgov.accounts.models import Membership, Role, User
from gridgov.accounts.queries import get_scope
from gridgov.areas.models import Area, boundaries_left_out
from gridgov.cases.lifecycle import Action, allowed_actions
from gridgov.cases.models import Case, CaseEvent, CaseStatus, CaseTask
from gridgov.cases.queries import cases_for, roles_on_case
from gridgov.gridwork.errors import GridNotFound, NoGridGiven, NotGridStaff, PatrolNotFound
from gridgov.gridwork.models import HouseholdVisit, Patrol

FIELD_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_WORKER})
# What a grid worker does to a case in the field, in the order the page offers it.
FIELD_ACTIONS = (
    Action.VERIFY,
    Action.HANDLE_LOCALLY,
    Action.REPORT_DONE,
    Action.CHECK_PASS,
    Action.CHECK_FAIL,
)
TASK_LIMIT = 100
MAP_CASE_LIMIT = 500
LIVE_TASK_STATUSES = (CaseTask.Status.PENDING, CaseTask.Status.SIGNED)


# ── who works where ──────────────────────────────────────────────────────────────────────────


def field_area_codes(user: User | AnonymousUser) -> list[str]:
    """The areas where `user` holds a field role (grid worker, grid leader, community worker)."""
    if not user.is_authenticated:
        return []
    return sorted(
        set(
            Membership.objects.filter(user_id=user.pk, role__in=list(FIELD_ROLES), area__isnull=False)
            .values_list("area_id", flat=True)
            .distinct()
        )
    )


def is_field_staff(user: User | AnonymousUser) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return bool(getattr(user, "is_superuser", False)) or bool(field_area_codes(user))


def require_field_staff(user: User | AnonymousUser) -> User:
    if not is_field_staff(user):
        raise NotGridStaff()
    assert isinstance(user, User)
    return user


def home_areas_of(user: User | AnonymousUser) -> list[Area]:
    """The field areas of `user`, grids first, for the page's map and the default area."""
    return list(Area.objects.filter(code__in=field_area_codes(user)).order_by("-level", "code"))


def field_area_for(user: User, area_code: str | None) -> Area:
    """The area a visit or a patrol belongs to: the one named (inside the caller's scope), else
    the caller's only field area."""
    if area_code:
        area = Area.objects.filter(pk=area_code).first()
        if area is None or not get_scope(user).covers_code(area.code):
            raise GridNotFound(details={"area": area_code})
        return area
    codes = field_area_codes(user)
    if len(codes) != 1:
        raise NoGridGiven(details={"areas": codes})
    return Area.objects.get(pk=codes[0])


# ── visits and patrols ───────────────────────────────────────────────────────────────────────


def visits_for(user: User | AnonymousUser) -> QuerySet[HouseholdVisit]:
    if not user.is_authenticated:
        return HouseholdVisit.objects.none()
    scope = get_scope(user)
    if scope.is_global:
        return HouseholdVisit.objects.all()
    if not scope.area_prefixes:
        return HouseholdVisit.objects.none()
    return HouseholdVisit.objects.filter(scope.area_q("area__code"))


def list_visits_for(user: User | AnonymousUser, *, worker: User | None = None) -> QuerySet[HouseholdVisit]:
    visits = visits_for(user)
    if worker is not None:
        visits = visits.filter(worker=worker)
    return (
        visits.select_related("area", "worker", "case")
        .defer(*boundaries_left_out("area"))
        .order_by("-visited_at", "-id")
    )


def patrols_for(user: User | AnonymousUser) -> QuerySet[Patrol]:
    if not user.is_authenticated:
        return Patrol.objects.none()
    scope = get_scope(user)
    if scope.is_global:
        return Patrol.objects.all()
    if not scope.area_prefixes:
        return Patrol.objects.none()
    return Patrol.objects.filter(scope.area_q("area__code"))


def list_patrols_for(user: User | AnonymousUser, *, worker: User | None = None) -> QuerySet[Patrol]:
    patrols = patrols_for(user)
    if worker is not None:
        patrols = patrols.filter(worker=worker)
    return (
        patrols.select_related("area", "worker")
        .defer(*boundaries_left_out("area"))
        .order_by("-started_at", "-id")
    )


def get_patrol_for(user: User | AnonymousUser, patrol_id: int) -> Patrol:
    patrol = (
        patrols_for(user)
        .select_related("area", "worker")
        .defer(*boundaries_left_out("area"))
        .filter(pk=patrol_id)
        .first()
    )
    if patrol is None:
        raise PatrolNotFound(details={"patrol": patrol_id})
    return patrol


def own_patrol(user: User, client_id: UUID) -> Patrol:
    """The caller's own patrol by the id the phone gave it (nobody else may add to it)."""
    patrol = Patrol.objects.filter(worker=user, client_id=client_id).first()
    if patrol is None:
        raise PatrolNotFound(details={"patrol": str(client_id)})
    return patrol


def running_patrol_of(user: User) -> Patrol | None:
    return Patrol.objects.filter(worker=user, ended_at__isnull=True).order_by("-started_at").first()


# ── cases in the field ───────────────────────────────────────────────────────────────────────


@dataclass
class FieldTask:
    """A case waiting for the caller's 核实 (verify), local handling or 核查 (check)."""

    case: Case
    actions: list[str]


def task_candidates(user: User) -> QuerySet[Case]:
    """Cases that may need the caller in the field, before the transition table decides:
    public reports not yet verified in the caller's area, cases the caller's own area handles
    (registered, or in progress without a department), and handled cases waiting for the check."""
    scope = get_scope(user)
    in_area = scope.area_q("area__code")
    handled_here = scope.area_q("handling_area__code")
    verified = CaseEvent.objects.filter(case=OuterRef("pk"), action=Action.VERIFY)
    department_task = CaseTask.objects.filter(case=OuterRef("pk"), status__in=LIVE_TASK_STATUSES)
    wanted = (
        (Q(status=CaseStatus.REPORTED) & in_area & ~Q(Exists(verified)))
        | (Q(status=CaseStatus.REGISTERED) & handled_here)
        | (Q(status=CaseStatus.IN_PROGRESS) & handled_here & ~Q(Exists(department_task)))
        | (Q(status=CaseStatus.HANDLED) & in_area)
    )
    return (
        cases_for(user)
        .filter(wanted)
        .select_related("category", "area", "handling_area")
        .defer(*boundaries_left_out("area", "handling_area"))
    )


def field_tasks_for(user: User | AnonymousUser) -> list[FieldTask]:
    """The caller's field tasks, the most urgent first (earliest due time, then oldest report)."""
    if not is_field_staff(user):
        return []
    assert isinstance(user, User)
    # Cases without a running limit (reported, waiting) after those with one, on both databases.
    candidates = task_candidates(user).order_by(F("due_at").asc(nulls_last=True), "reported_at", "id")
    tasks = []
    for case in candidates[:TASK_LIMIT]:
        permitted = set(allowed_actions(case.status, roles_on_case(user, case)))
        offered = [action.value for action in FIELD_ACTIONS if action in permitted]
        if offered:
            tasks.append(FieldTask(case, offered))
    return tasks


def map_cases_for(user: User | AnonymousUser) -> list[Case]:
    """Open cases with a position in the caller's areas, for the map's markers."""
    if not user.is_authenticated:
        return []
    scope = get_scope(user)
    cases = cases_for(user).filter(
        status__in=[
            CaseStatus.REPORTED,
            CaseStatus.REGISTERED,
            CaseStatus.DISPATCHED,
            CaseStatus.IN_PROGRESS,
            CaseStatus.HANDLED,
            CaseStatus.CHECKED,
            CaseStatus.SUSPENDED,
        ],
        lon__isnull=False,
        lat__isnull=False,
    )
    if not scope.is_global:
        cases = cases.filter(scope.area_q("area__code"))
    return list(cases.select_related("category").order_by("-reported_at", "-id")[:MAP_CASE_LIMIT])
