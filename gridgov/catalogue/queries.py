"""Reads of the catalogue.

Categories and functions are public reference data: every signed-in user may read them (a resident
picks a category when reporting), so their reads take no scope. Departments are scoped: see
`departments_for`.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import Count, Max, Prefetch, Q, QuerySet

from gridgov.accounts.scope import Scope
from gridgov.areas.models import Area, boundaries_left_out
from gridgov.catalogue.calendar import DEFAULT_PERIODS, Period, TimeUnit, WorkingCalendar
from gridgov.catalogue.errors import CategoryNotFound, DepartmentNotFound
from gridgov.catalogue.models import (
    RESPONSE_LEVEL_ORDER,
    CaseCategory,
    Department,
    DepartmentFunction,
    HolidayDate,
    HolidayKind,
    MatterResponsibility,
    MatterRule,
    ResponseLevel,
    Step,
    WorkingPeriod,
)
from gridgov.core.area_codes import InvalidCode, ancestor_codes

# ------------------------------------------------------------------------------------------ categories


def list_functions() -> QuerySet[DepartmentFunction]:
    return DepartmentFunction.objects.order_by("position", "code")


def list_categories(
    *,
    scheme: str | None = None,
    parent_code: str | None = None,
    depth: int | None = None,
    q: str | None = None,
    include_inactive: bool = False,
) -> QuerySet[CaseCategory]:
    """Categories in code order; `q` matches a part of the name or the start of the code."""
    categories = CaseCategory.objects.select_related("parent").prefetch_related(
        Prefetch("functions", queryset=DepartmentFunction.objects.order_by("position", "code"))
    )
    if not include_inactive:
        categories = categories.filter(is_active=True)
    if scheme:
        categories = categories.filter(scheme=scheme)
    if parent_code is not None:
        categories = categories.filter(parent=get_category(parent_code))
    if depth is not None:
        categories = categories.filter(depth=depth)
    if q:
        text = q.strip()
        categories = categories.filter(Q(name__contains=text) | Q(code__startswith=text.upper()))
    return categories.order_by("code")


def get_category(code: str) -> CaseCategory:
    category = (
        CaseCategory.objects.select_related("parent")
        .prefetch_related(
            Prefetch("functions", queryset=DepartmentFunction.objects.order_by("position", "code"))
        )
        .filter(code=code.strip().upper())
        .first()
    )
    if category is None:
        raise CategoryNotFound(details={"code": code})
    return category


def category_ancestors(category: CaseCategory) -> list[CaseCategory]:
    """From the root (大类 / level 1) down to the category's parent."""
    codes = [category.code[:length] for length in range(3, len(category.code), 2)]
    by_code = {c.code: c for c in CaseCategory.objects.filter(code__in=codes)}
    return [by_code[code] for code in codes if code in by_code]


def category_children(category: CaseCategory) -> QuerySet[CaseCategory]:
    return category.children.filter(is_active=True).order_by("code")


def responsible_functions(category: CaseCategory) -> list[DepartmentFunction]:
    """The functions that answer for `category`: its own, else those of its nearest ancestor that has some.

    This is what routing asks: which kind of department handles a 私搭乱建 or a 城乡规划 complaint.
    """
    chain = [category, *reversed(category_ancestors(category))]
    for node in chain:
        functions = list(node.functions.order_by("position", "code"))
        if functions:
            return functions
    return []


# ----------------------------------------------------------------------------------------- departments


def _prefix_area_code(prefix: str) -> str:
    """The code of the area a scope prefix stands for (330102001 → 330102001000)."""
    return prefix if len(prefix) >= 12 else prefix.ljust(12, "0")


def _enclosing_codes(scope: Scope) -> set[str]:
    """Codes of the areas that strictly contain one of the scope's areas (its district, city …)."""
    codes: set[str] = set()
    for prefix in scope.area_prefixes:
        try:
            codes.update(ancestor_codes(_prefix_area_code(prefix)))
        except InvalidCode:
            continue
    return codes


def served_areas_without_boundaries() -> Prefetch[Any]:
    """The departments' served areas (streets, districts) without their boundaries, which no
    department page draws (areas.models.boundaries_left_out says why)."""
    return Prefetch("served_areas", queryset=Area.objects.defer("boundary"))


def departments_for(scope: Scope) -> QuerySet[Department]:
    """The departments `scope` may read.

    - a global scope: all of them;
    - an area scope: those serving an area inside the scope, or an area enclosing part of it (a grid
      worker sees their street's and district's departments, not another district's), and those
      owned by an area inside the scope;
    - a department member: their own departments.
    """
    if scope.is_global:
        return Department.objects.all()
    served = Department.served_areas.through.objects
    condition = Q(pk__in=sorted(scope.department_ids))
    if scope.area_prefixes:
        inside = served.filter(scope.area_q("area__code")).values("department_id")
        enclosing = served.filter(area_id__in=sorted(_enclosing_codes(scope))).values("department_id")
        condition |= Q(pk__in=inside) | Q(pk__in=enclosing) | scope.area_q("area__code")
    return Department.objects.filter(condition)


def list_departments_for(
    scope: Scope,
    *,
    function_code: str | None = None,
    serving_area_code: str | None = None,
    name_contains: str | None = None,
    is_active: bool | None = None,
) -> QuerySet[Department]:
    """Departments in scope. `serving_area_code` keeps those that serve that area or one enclosing it."""
    departments = departments_for(scope)
    if function_code:
        departments = departments.filter(function__code=function_code)
    if serving_area_code:
        try:
            codes = [*ancestor_codes(serving_area_code), serving_area_code]
        except InvalidCode:
            codes = [serving_area_code]
        served = Department.served_areas.through.objects.filter(area_id__in=codes).values("department_id")
        departments = departments.filter(pk__in=served)
    if name_contains:
        departments = departments.filter(name__contains=name_contains.strip())
    if is_active is not None:
        departments = departments.filter(is_active=is_active)
    return (
        departments.select_related("function", "area")
        .defer(*boundaries_left_out("area"))
        .prefetch_related(served_areas_without_boundaries())
        .order_by("area_id", "function__position", "code")
    )


def get_department_for(scope: Scope, department_id: int) -> Department:
    """One department, or DepartmentNotFound when missing or outside the scope (the caller cannot tell)."""
    department = (
        departments_for(scope)
        .select_related("function", "area")
        .defer(*boundaries_left_out("area"))
        .prefetch_related(served_areas_without_boundaries())
        .filter(pk=department_id)
        .first()
    )
    if department is None:
        raise DepartmentNotFound(details={"id": department_id})
    return department


# ------------------------------------------------------------------------------------ working calendar

# (version, calendar) of the last calendar this process built; see current_calendar.
_calendar_cache: tuple[tuple[object, ...], WorkingCalendar] | None = None


def calendar_version() -> tuple[object, ...]:
    """Changes whenever a holiday or a working period is added, edited or deleted.

    Actions and the admin move `updated_at` on every edit; a deletion changes the count, an
    addition the count and the highest id.
    """
    stamps = {"count": Count("id"), "last_id": Max("id"), "latest": Max("updated_at")}
    holidays = HolidayDate.objects.aggregate(**stamps)
    periods = WorkingPeriod.objects.aggregate(**stamps)
    return (*holidays.values(), *periods.values())


def build_calendar() -> WorkingCalendar:
    """The working calendar as the database holds it now (no cache)."""
    holidays: set[date] = set()
    makeup_workdays: set[date] = set()
    for day, kind in HolidayDate.objects.values_list("date", "kind"):
        (makeup_workdays if kind == HolidayKind.MAKEUP_WORKDAY else holidays).add(day)
    rows = WorkingPeriod.objects.values_list("start_time", "end_time")
    periods = tuple(Period(start, end) for start, end in rows)
    return WorkingCalendar(
        periods=periods or DEFAULT_PERIODS,
        holidays=frozenset(holidays),
        makeup_workdays=frozenset(makeup_workdays),
    )


def current_calendar() -> WorkingCalendar:
    """The working calendar, rebuilt only when `calendar_version()` moved (two small reads per call).

    Public reference data: no scope. Without working periods in the database the default day
    (08:30–12:00, 13:30–17:30) applies.
    """
    global _calendar_cache
    version = calendar_version()
    cached = _calendar_cache
    if cached is not None and cached[0] == version:
        return cached[1]
    calendar = build_calendar()
    _calendar_cache = (version, calendar)
    return calendar


def list_holidays(year: int) -> QuerySet[HolidayDate]:
    return HolidayDate.objects.filter(date__range=(date(year, 1, 1), date(year, 12, 31))).order_by("date")


# ----------------------------------------------------------------------- matters and time limits


class Limit(NamedTuple):
    """A resolved time limit: `amount, unit = rule.limit("handle")`."""

    amount: Decimal
    unit: TimeUnit


DEFAULT_SOURCE = "default"
# When no rule on a category's chain says otherwise (docs/time-limits.md). A plausible table for
# a demo, not a standard: every value is meant to be set per city in matters.csv / time-limits.csv.
DEFAULT_NORMAL_LEVEL = ResponseLevel.STREET
DEFAULT_ALLOWS_URGENT = True
DEFAULT_LIMITS: dict[tuple[str, bool], Limit] = {
    (step, is_urgent): Limit(Decimal(amount), unit)
    for step, is_urgent, amount, unit in [
        (Step.VERIFY, False, "4", TimeUnit.WORKING_HOURS),
        (Step.VERIFY, True, "1", TimeUnit.NATURAL_HOURS),
        (Step.REGISTER, False, "1", TimeUnit.WORKING_DAYS),
        (Step.REGISTER, True, "1", TimeUnit.NATURAL_HOURS),
        (Step.DISPATCH, False, "1", TimeUnit.WORKING_DAYS),
        (Step.DISPATCH, True, "1", TimeUnit.NATURAL_HOURS),
        (Step.SIGN, False, "2", TimeUnit.WORKING_HOURS),
        (Step.SIGN, True, "1", TimeUnit.NATURAL_HOURS),
        (Step.HANDLE, False, "5", TimeUnit.WORKING_DAYS),
        (Step.HANDLE, True, "4", TimeUnit.WORKING_HOURS),
        (Step.CHECK, False, "1", TimeUnit.WORKING_DAYS),
        (Step.CHECK, True, "2", TimeUnit.WORKING_HOURS),
        (Step.CLOSE, False, "1", TimeUnit.WORKING_DAYS),
        (Step.CLOSE, True, "4", TimeUnit.WORKING_HOURS),
        (Step.RESPOND, False, "1", TimeUnit.WORKING_DAYS),
        (Step.RESPOND, True, "2", TimeUnit.NATURAL_HOURS),
    ]
}


@dataclass(frozen=True)
class ResolvedRule:
    """What the matter table says about one category, inheritance and defaults resolved.

    - `normal_level`: where a case of the category starts (grid, community, street, district).
    - `functions_by_level`: the function codes that answer for it at each level, in function order;
      an empty list means the level's own staff handle it (属地).
    - `limits`: (step, urgent) → (amount, unit) at any level; `level_limits`: (level, step, urgent) →
      (amount, unit) at that level. Both hold every step, urgent or not.
    - `sources`: (level or "", step, urgent) → the code of the category whose rule set the limit, or
      "default".
    """

    category_code: str
    normal_level: str
    allows_urgent: bool
    functions_by_level: dict[str, list[str]]
    limits: dict[tuple[str, bool], Limit]
    level_limits: dict[tuple[str, str, bool], Limit] = field(repr=False)
    sources: dict[tuple[str, str, bool], str] = field(repr=False)

    def limit(self, step: str, *, urgent: bool = False, level: str | None = None) -> Limit:
        """The limit of `step`; an urgent case of a category that may not be urgent gets the normal one."""
        is_urgent = urgent and self.allows_urgent
        if level:
            return self.level_limits[(level, step, is_urgent)]
        return self.limits[(step, is_urgent)]

    def due_at(
        self,
        calendar: WorkingCalendar,
        start: datetime,
        step: str,
        *,
        urgent: bool = False,
        level: str | None = None,
    ) -> datetime:
        """When `step`, started at `start`, runs out on `calendar` (aware UTC)."""
        limit = self.limit(step, urgent=urgent, level=level)
        return calendar.due_at(start, limit.amount, limit.unit)


def _category_chain(category: CaseCategory) -> list[CaseCategory]:
    """The category, then its parent, … up to the root, each with its functions prefetched."""
    codes = [category.code[:length] for length in range(len(category.code), 2, -2)]
    functions = Prefetch("functions", queryset=DepartmentFunction.objects.order_by("position", "code"))
    by_code = {c.code: c for c in CaseCategory.objects.filter(code__in=codes).prefetch_related(functions)}
    return [by_code[code] for code in codes if code in by_code]


def _chain_rules(chain: list[CaseCategory]) -> list[MatterRule]:
    """The matter rules of the chain's categories, nearest first, duties and limits prefetched."""
    if not chain:
        return []
    duties = MatterResponsibility.objects.select_related("function").order_by(
        "function__position", "function__code"
    )
    rules = {
        rule.category_id: rule
        for rule in MatterRule.objects.filter(category_id__in=[c.pk for c in chain]).prefetch_related(
            Prefetch("responsibilities", queryset=duties), "time_limits"
        )
    }
    return [rules[c.pk] for c in chain if c.pk in rules]


def rule_for(category: CaseCategory | str | None) -> ResolvedRule:
    """The resolved matter rule of a category (by object or code; CategoryNotFound when unknown).

    None (a case not yet classified) gets the defaults alone, with no responsible function.

    Each item comes from the category's own rule, else from the nearest ancestor's rule that sets
    it, else from the defaults: normal level street; urgent allowed; at grid and community level the
    level itself, at street and district level the category's responsible functions
    (`responsible_functions`); limits from DEFAULT_LIMITS. A limit for a level beats one for every
    level on the same rule, and any limit of a nearer category beats its ancestors'.
    """
    if isinstance(category, str):
        category = get_category(category)
    chain = _category_chain(category) if category is not None else []
    chain_rules = _chain_rules(chain)
    code_by_id = {c.pk: c.code for c in chain}

    normal_level = next((r.normal_level for r in chain_rules if r.normal_level), DEFAULT_NORMAL_LEVEL)
    allows_urgent = next((r.allows_urgent for r in chain_rules if r.allows_urgent is not None), None)
    inherited_functions = next(([f.code for f in c.functions.all()] for c in chain if c.functions.all()), [])
    functions_by_level: dict[str, list[str]] = {}
    territorial = (ResponseLevel.GRID, ResponseLevel.COMMUNITY)
    for level in RESPONSE_LEVEL_ORDER:
        for rule in chain_rules:
            duties = [duty for duty in rule.responsibilities.all() if duty.level == level]
            if duties:
                functions_by_level[level] = [d.function.code for d in duties if d.function is not None]
                break
        else:
            functions_by_level[level] = [] if level in territorial else list(inherited_functions)

    # Nearest rule first: (its category code, (level, step, urgent) → (amount, unit)), level "" for all.
    tables = [
        (
            code_by_id[rule.category_id],
            {
                (limit.level, limit.step, limit.is_urgent): (limit.amount, TimeUnit(limit.unit))
                for limit in rule.time_limits.all()
            },
        )
        for rule in chain_rules
    ]

    sources: dict[tuple[str, str, bool], str] = {}

    def resolve(level: str, step: str, is_urgent: bool) -> Limit:
        for code, table in tables:
            found = table.get((level, step, is_urgent)) if level else None
            found = found or table.get(("", step, is_urgent))
            if found is not None:
                sources[(level, step, is_urgent)] = code
                return Limit(*found)
        sources[(level, step, is_urgent)] = DEFAULT_SOURCE
        return DEFAULT_LIMITS[(step, is_urgent)]

    limits = {(step, urgent): resolve("", step, urgent) for step in Step.values for urgent in (False, True)}
    level_limits = {
        (level, step, urgent): resolve(level, step, urgent)
        for level in RESPONSE_LEVEL_ORDER
        for step in Step.values
        for urgent in (False, True)
    }
    return ResolvedRule(
        category_code=category.code if category is not None else "",
        normal_level=normal_level,
        allows_urgent=DEFAULT_ALLOWS_URGENT if allows_urgent is None else allows_urgent,
        functions_by_level=functions_by_level,
        limits=limits,
        level_limits=level_limits,
        sources=sources,
    )
