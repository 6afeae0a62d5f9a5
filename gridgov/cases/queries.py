"""Reads of cases. Each takes the caller and returns only what the caller may see."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from math import cos, radians
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models import Count, F, Max, Q, QuerySet

from gridgov.accounts.models import Membership, Role, User
from gridgov.accounts.queries import get_scope
from gridgov.accounts.scope import code_prefix_q
from gridgov.areas.models import boundaries_left_out
from gridgov.cases.errors import CaseNotFound
from gridgov.cases.models import OPEN_STATUSES, Case, CaseEvent, CaseRequest, CaseStatus, CaseTask, Light
from gridgov.catalogue.models import CaseCategory, CategoryScheme, Department
from gridgov.core.area_codes import Level, ancestor_codes, level_of, scope_prefix
from gridgov.core.clock import now
from gridgov.intelligence import interface as intelligence

AREA_ROLES = frozenset(Role) - {Role.RESIDENT, Role.DEPARTMENT_HANDLER}


def _reported_by(user: User) -> Q:
    """Reported by `user`: with their account, or with the phone number their account verified."""
    condition = Q(reporter_id=user.pk)
    digest = getattr(user, "phone_digest", "")
    if digest:
        condition |= Q(reporter_contact_digest=digest)
    return condition


def _reported_ids(user: User) -> QuerySet[Case, Any]:
    """The ids of the cases `user` reported (as _reported_by), each half through its own index.

    One IN list of a UNION rather than the OR: with the OR, SQLite walked every case in reported_at
    order (to skip the sort) whenever its statistics said a reporter has many cases, as they do when
    most cases have none (docs/performance.md, "What was changed").
    """
    ids = Case.objects.filter(reporter_id=user.pk).order_by().values("id")
    digest = getattr(user, "phone_digest", "")
    if digest:
        ids = ids.union(Case.objects.filter(reporter_contact_digest=digest).order_by().values("id"))
    return ids


def cases_reported_by(user: User | AnonymousUser) -> QuerySet[Case]:
    """The cases `user` reported (see is_reporter): the resident's "my cases"."""
    if not user.is_authenticated:
        return Case.objects.none()
    return Case.objects.filter(pk__in=_reported_ids(user))


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
    if not scope.area_prefixes and not scope.department_ids:
        return cases_reported_by(user)  # a resident
    # Staff: an OR with the scope's conditions (an IN list of a UNION there would keep PostgreSQL
    # from combining the indexes).
    condition = _reported_by(user)
    if scope.area_prefixes:
        condition |= scope.area_q("area__code") | scope.area_q("handling_area__code")
    if scope.department_ids:
        condition |= Q(
            pk__in=CaseTask.objects.filter(department_id__in=scope.department_ids).values("case_id")
        )
    return Case.objects.filter(condition)


def get_case_for(user: User | AnonymousUser, case_id: int) -> Case:
    case = (
        cases_for(user)
        .filter(pk=case_id)
        .select_related("category", "area", "handling_area")
        .defer(*boundaries_left_out("area", "handling_area"))
        .first()
    )
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
    return (
        cases.select_related("category", "area")
        .defer(*boundaries_left_out("area"))
        .order_by("-reported_at", "-id")
    )


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
    text: str = "",
    area_code: str | None = None,
) -> list[Case]:
    """Open cases within `window` before the report that are probably the same problem: of the
    same category within `radius_m` metres, or, by meaning, whose title and description read alike
    (text similarity at least DUPLICATE_TEXT_THRESHOLD) near the point or in the same community.

    Defaults: settings GRIDGOV_DUPLICATE_RADIUS_M and GRIDGOV_DUPLICATE_WINDOW_DAYS. Best first:
    the most similar text, then the nearest.
    """
    radius_m = radius_m if radius_m is not None else float(settings.GRIDGOV_DUPLICATE_RADIUS_M)
    window = window if window is not None else timedelta(days=float(settings.GRIDGOV_DUPLICATE_WINDOW_DAYS))
    has_point = lon is not None and lat is not None
    candidates = duplicate_candidates(
        category_id=category_id,
        lon=lon,
        lat=lat,
        reported_at=reported_at,
        radius_m=radius_m,
        window=window,
        text=text,
        area_code=area_code,
    )
    if candidates is None:
        return []
    if exclude_id is not None:
        candidates = candidates.exclude(pk=exclude_id)
    rows = list(candidates[:200])
    similarities = (
        intelligence.text_similarity(text, [f"{c.title}\n{c.description}" for c in rows])
        if text.strip()
        else [0.0] * len(rows)
    )
    scored: list[tuple[float, float, int, Case]] = []
    for case, similarity in zip(rows, similarities, strict=True):
        metres = (
            distance_m(lon, lat, case.lon, case.lat)  # type: ignore[arg-type]
            if has_point and case.lon is not None and case.lat is not None
            else None
        )
        near_enough = metres is not None and metres <= radius_m
        same_category = category_id is not None and case.category_id == category_id
        same_meaning = similarity >= intelligence.DUPLICATE_TEXT_THRESHOLD and (
            near_enough or metres is None or not has_point
        )
        if (same_category and near_enough) or same_meaning:
            scored.append((-similarity, metres if metres is not None else radius_m, case.pk, case))
    scored.sort(key=lambda entry: entry[:3])
    return [entry[3] for entry in scored[:limit]]


def duplicate_candidates(
    *,
    category_id: int | None,
    lon: float | None,
    lat: float | None,
    reported_at: datetime,
    radius_m: float,
    window: timedelta,
    text: str,
    area_code: str | None,
) -> QuerySet[Case] | None:
    """The open cases of the window that find_duplicates weighs, newest first (None: no way to
    match): within the box of `radius_m` around the point (of the category, or of any category when
    there is a text), or, with a text, anywhere in the report's community."""
    has_point = lon is not None and lat is not None
    near = Q()
    if has_point:
        lat_degrees = radius_m / 111_320.0
        lon_degrees = radius_m / (111_320.0 * max(cos(radians(lat)), 0.01))  # type: ignore[arg-type]
        near = Q(
            lon__range=(lon - lon_degrees, lon + lon_degrees),  # type: ignore[operator]
            lat__range=(lat - lat_degrees, lat + lat_degrees),  # type: ignore[operator]
        )
    # Each way a case may match is read through its own index among the open cases only (a UNION
    # of ids): near the point by (status, lat, lon), in the community by (status, area). The OR of
    # them had SQLite read every open case of the window, in the whole installation, for every
    # report (docs/performance.md, "What was changed").
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES).order_by()
    ways: list[QuerySet[Case, Any]] = []
    if has_point and (text.strip() or category_id is not None):
        nearby = open_cases.filter(near)
        if not text.strip():
            nearby = nearby.filter(category_id=category_id)
        ways.append(nearby.values("id"))
    if text.strip() and area_code:
        # Any category in the community the report was located in (the area itself above it).
        ways.append(
            open_cases.filter(code_prefix_q("area__code", scope_prefix(community_of(area_code)))).values("id")
        )
    if not ways:
        return None
    candidate_ids = ways[0].union(*ways[1:]) if len(ways) > 1 else ways[0]
    return Case.objects.filter(
        pk__in=candidate_ids,
        reported_at__gte=reported_at - window,
        reported_at__lte=reported_at,
    ).order_by("-reported_at", "-id")


def community_of(area_code: str) -> str:
    """The code of the community containing `area_code` (a grid's parent), else the code itself."""
    codes = [*ancestor_codes(area_code), area_code]
    return next((code for code in reversed(codes) if level_of(code) == Level.COMMUNITY), area_code)


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
        text=f"{case.title}\n{case.description}",
        area_code=case.area_id,
    )
    if not found:
        return []  # most reports: no scope to read
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
    return (
        requests.select_related("case", "case__category", "case__area", "requested_by")
        .defer(*boundaries_left_out("case__area"))
        .order_by("requested_at", "id")
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


# ── the message classifier's view of a case (智能分拨) ─────────────────────────────────────────


def message_class_category(label: str) -> CaseCategory | None:
    """The first-level citizen-message category named like the classifier's label (M01 城乡建设)."""
    return CaseCategory.objects.filter(
        scheme=CategoryScheme.CITIZEN_MESSAGE, depth=1, name=label, is_active=True
    ).first()


def message_class_of(category: CaseCategory | None) -> str:
    """The first-level message class a category belongs to, "" for urban (事件/部件) categories."""
    while category is not None and category.scheme == CategoryScheme.CITIZEN_MESSAGE:
        if category.parent_id is None:
            return category.name
        category = category.parent
    return ""


def message_class_of_department(department: Department) -> str:
    """The one first-level message class whose responsible function the department has, if one."""
    if department.function_id is None:
        return ""
    names = list(
        CaseCategory.objects.filter(
            scheme=CategoryScheme.CITIZEN_MESSAGE, depth=1, functions=department.function_id
        ).values_list("name", flat=True)[:2]
    )
    return names[0] if len(names) == 1 else ""


@dataclass(frozen=True)
class SuggestedClass:
    label: str
    confidence: float
    category_code: str  # "" when the catalogue has no message class of that name
    department: str


def suggested_classes(case: Case) -> list[SuggestedClass]:
    """The top classes the classifier proposed at intake, each with its category and department."""
    top = (case.class_suggestion or {}).get("top") or []
    codes = dict(
        CaseCategory.objects.filter(
            scheme=CategoryScheme.CITIZEN_MESSAGE, depth=1, name__in=[label for label, _p in top]
        ).values_list("name", "code")
    )
    return [
        SuggestedClass(label, float(probability), codes.get(label, ""), intelligence.department_for(label))
        for label, probability in top
    ]


# ── hot issues (热点问题) among the cases a user can see ─────────────────────────────────────────


@dataclass(frozen=True)
class HotIssueCases:
    issue: intelligence.HotIssue
    cases: list[Case]  # the members, oldest first

    @property
    def open_cases(self) -> list[Case]:
        return [c for c in self.cases if c.status in OPEN_STATUSES and c.merged_into_id is None]


# Clustering is quadratic in the worst case: the most recent cases of the window are enough to
# see what is hot now (a district at 1,000 reports a day fills a 3-day window).
HOT_ISSUE_CASE_LIMIT = 3000
HOT_ISSUE_CACHE_SECONDS = 300


def hot_issues_for(
    user: User | AnonymousUser,
    *,
    within: str | None = None,
    days: float = 7,
    top: int = 10,
    min_cases: int = 3,
) -> list[HotIssueCases]:
    """The hottest issues among the cases `user` can see (in the area `within`, when given),
    reported in the last `days` days.

    Cases already merged count through the case they were merged into (its "me too"), voided
    ones not at all. Each case is one message: title and description, its reporter (or contact
    digest), its "me too" count as likes, its address or grid as the known place.
    """
    since = now() - timedelta(days=days)
    visible = cases_for(user)
    if within:
        visible = visible.filter(code_prefix_q("area__code", scope_prefix(within)))
    window = visible.filter(reported_at__gte=since, merged_into__isnull=True).exclude(
        status=CaseStatus.VOIDED
    )
    # Clustering costs up to seconds; its result is kept while the window's cases stay the same
    # (any new, changed or departed case changes the stamp) and at most HOT_ISSUE_CACHE_SECONDS.
    stamp = window.aggregate(count=Count("id"), changed=Max("updated_at"))
    changed = stamp["changed"].timestamp() if stamp["changed"] else 0
    key = "cases:hot-issues:" + ":".join(
        str(part) for part in (user.pk, within or "", days, top, min_cases, stamp["count"], changed)
    )
    found: list[tuple[intelligence.HotIssue, list[int]]] | None = cache.get(key)
    if found is None:
        rows = list(
            window.select_related("area")
            .defer(*boundaries_left_out("area"))
            .order_by("-reported_at", "-id")[:HOT_ISSUE_CASE_LIMIT]
        )
        messages = [
            intelligence.HotMessage(
                id=str(c.pk),
                title=c.title,
                body=c.description,
                created_at=c.reported_at,
                reporter=str(c.reporter_id or c.reporter_contact_digest or f"case-{c.pk}"),
                likes=c.me_too_count,
                place=c.address or (c.area.name if c.area else ""),
            )
            for c in rows
        ]
        issues = intelligence.find_hot_issues(messages, now=now(), window_days=days, min_messages=min_cases)
        found = [(issue, [int(i) for i in issue.message_ids]) for issue in issues[:top]]
        cache.set(key, found, HOT_ISSUE_CACHE_SECONDS)
    cases = Case.objects.in_bulk([pk for _issue, ids in found for pk in ids])
    return [
        HotIssueCases(
            issue, sorted((cases[pk] for pk in ids if pk in cases), key=lambda c: (c.reported_at, c.pk))
        )
        for issue, ids in found
    ]
