"""Reads of the catalogue.

Categories and functions are public reference data: every signed-in user may read them (a resident
picks a category when reporting), so their reads take no scope. Departments are scoped: see
`departments_for`.
"""

from django.db.models import Prefetch, Q, QuerySet

from gridgov.accounts.scope import Scope
from gridgov.catalogue.errors import CategoryNotFound, DepartmentNotFound
from gridgov.catalogue.models import CaseCategory, Department, DepartmentFunction
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
        .prefetch_related("served_areas")
        .order_by("area_id", "function__position", "code")
    )


def get_department_for(scope: Scope, department_id: int) -> Department:
    """One department, or DepartmentNotFound when missing or outside the scope (the caller cannot tell)."""
    department = (
        departments_for(scope)
        .select_related("function", "area")
        .prefetch_related("served_areas")
        .filter(pk=department_id)
        .first()
    )
    if department is None:
        raise DepartmentNotFound(details={"id": department_id})
    return department
