"""Admin pages for the catalogue: plain reference data, edited here directly by administrators.

Bulk loading goes through `manage.py load_catalogue` (actions.load_catalogue), which audits it.
"""

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gridgov.catalogue.models import CaseCategory, Department, DepartmentFunction


@admin.register(DepartmentFunction)
class DepartmentFunctionAdmin(admin.ModelAdmin[DepartmentFunction]):
    list_display = ["code", "name", "unit_suffix", "position", "department_count", "category_count"]
    search_fields = ["code", "name"]
    ordering = ["position", "code"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DepartmentFunction]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                department_count=Count("departments", distinct=True),
                category_count=Count("categories", distinct=True),
            )
        )

    @admin.display(description=_("departments"), ordering="department_count")
    def department_count(self, function: DepartmentFunction) -> int:
        return function.department_count  # type: ignore[attr-defined]

    @admin.display(description=_("categories"), ordering="category_count")
    def category_count(self, function: DepartmentFunction) -> int:
        return function.category_count  # type: ignore[attr-defined]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    list_display = ["code", "name", "function", "area", "served_area_names", "is_active"]
    list_filter = ["is_active", "function", "area__level"]
    list_select_related = ["function", "area"]
    search_fields = ["code", "name", "area__name", "area__code"]
    autocomplete_fields = ["area", "served_areas", "function"]
    fields = ["code", "name", "function", "area", "served_areas", "is_active"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Department]:
        return super().get_queryset(request).prefetch_related("served_areas")

    @admin.display(description=_("served areas"))
    def served_area_names(self, department: Department) -> str:
        return ", ".join(area.name for area in department.served_areas.all())


class CategoryChildInline(admin.TabularInline[CaseCategory, CaseCategory]):
    model = CaseCategory
    fk_name = "parent"
    fields = ["code", "name", "depth", "is_public", "is_active"]
    readonly_fields = ["code", "name", "depth"]
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = _("child category")
    verbose_name_plural = _("child categories")

    def has_add_permission(self, request: HttpRequest, obj: CaseCategory | None = None) -> bool:
        return False


@admin.register(CaseCategory)
class CaseCategoryAdmin(admin.ModelAdmin[CaseCategory]):
    list_display = [
        "code",
        "indented_name",
        "scheme",
        "depth",
        "parent",
        "function_names",
        "is_public",
        "is_active",
    ]
    list_display_links = ["code", "indented_name"]
    list_filter = ["scheme", "depth", "is_public", "is_active", "functions"]
    list_select_related = ["parent"]
    search_fields = ["code", "name", "parent__name"]
    autocomplete_fields = ["parent", "functions"]
    ordering = ["code"]
    list_per_page = 200
    inlines = [CategoryChildInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseCategory]:
        return super().get_queryset(request).prefetch_related("functions")

    @admin.display(description=_("name"), ordering="name")
    def indented_name(self, category: CaseCategory) -> str:
        # A tree in a flat list: children indented under their parent (codes sort parents first).
        return "\u3000" * (category.depth - 1) + category.name

    @admin.display(description=_("responsible functions"))
    def function_names(self, category: CaseCategory) -> str:
        return ", ".join(function.name for function in category.functions.all())
