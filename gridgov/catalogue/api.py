"""/api/v1/catalogue/: categories and functions (public reference data) and departments (scoped)."""

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from gridgov.accounts.queries import get_scope
from gridgov.catalogue.models import CategoryScheme
from gridgov.catalogue.queries import (
    get_category,
    get_department_for,
    list_categories,
    list_departments_for,
    list_functions,
)
from gridgov.catalogue.schemas import CategoryDetailOut, CategoryOut, DepartmentOut, FunctionOut

router = Router(tags=["catalogue"])


class CategoryFilters(Schema):
    scheme: CategoryScheme | None = None
    parent: str | None = Field(None, description="Code of the parent category: its children only.")
    depth: int | None = Field(None, ge=1, le=3)
    q: str | None = Field(None, description="Part of the name, or the start of the code.")
    include_inactive: bool = False


class DepartmentFilters(Schema):
    function: str | None = Field(None, description="Function code, e.g. housing.")
    area: str | None = Field(None, description="Area code: departments serving it or an area enclosing it.")
    q: str | None = Field(None, description="Part of the name.")
    active: bool | None = None


@router.get("/categories", response=list[CategoryOut], summary="Case categories")
@paginate(LimitOffsetPagination)
def list_categories_view(request: HttpRequest, filters: Query[CategoryFilters]) -> list[CategoryOut]:
    categories = list_categories(
        scheme=filters.scheme,
        parent_code=filters.parent,
        depth=filters.depth,
        q=filters.q,
        include_inactive=filters.include_inactive,
    )
    return categories  # type: ignore[return-value]


@router.get("/categories/{code}", response=CategoryDetailOut, summary="One case category")
def get_category_view(request: HttpRequest, code: str) -> CategoryDetailOut:
    return CategoryDetailOut.from_orm(get_category(code))


@router.get("/functions", response=list[FunctionOut], summary="Department functions (职能)")
def list_functions_view(request: HttpRequest) -> list[FunctionOut]:
    return [FunctionOut(code=f.code, name=f.name, unit_suffix=f.unit_suffix) for f in list_functions()]


@router.get("/departments", response=list[DepartmentOut], summary="Departments in the caller's scope")
@paginate(LimitOffsetPagination)
def list_departments_view(request: HttpRequest, filters: Query[DepartmentFilters]) -> list[DepartmentOut]:
    departments = list_departments_for(
        get_scope(request.user),
        function_code=filters.function,
        serving_area_code=filters.area,
        name_contains=filters.q,
        is_active=filters.active,
    )
    return departments  # type: ignore[return-value]


@router.get("/departments/{department_id}", response=DepartmentOut, summary="One department")
def get_department_view(request: HttpRequest, department_id: int) -> DepartmentOut:
    return DepartmentOut.from_orm(get_department_for(get_scope(request.user), department_id))
