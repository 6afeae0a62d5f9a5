"""Admin pages for the catalogue: plain reference data, edited here directly by administrators.

Bulk loading goes through `manage.py load_catalogue` (actions.load_catalogue), which audits it.
Departments, categories, matter rules, time limits and holidays also go to and from Excel: each
list has "Export to Excel" and "Import from Excel" (actions.import_departments and the like).
"""

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from django import forms
from django.contrib import admin
from django.db.models import Count, Model, QuerySet
from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.queries import get_scope
from gridgov.catalogue.actions import (
    CATEGORY_SHEET_COLUMNS,
    DEPARTMENT_SHEET_COLUMNS,
    HOLIDAY_SHEET_COLUMNS,
    LEVEL_COLUMNS,
    MATTER_SHEET_COLUMNS,
    SPREADSHEET_SELF_HANDLED,
    TIME_LIMIT_SHEET_COLUMNS,
    import_categories,
    import_departments,
    import_holidays,
    import_matter_rules,
    import_time_limits,
)
from gridgov.catalogue.models import (
    CaseCategory,
    Department,
    DepartmentFunction,
    HolidayDate,
    MatterResponsibility,
    MatterRule,
    TimeLimit,
    WorkingPeriod,
)
from gridgov.core.clock import now
from gridgov.core.spreadsheets import (
    Column,
    ImportReport,
    ReferenceSheet,
    SheetData,
    SpreadsheetModelAdmin,
    join_list,
)

_M = TypeVar("_M", bound=Model)


class CatalogueSpreadsheetAdmin(SpreadsheetModelAdmin[_M]):
    def has_import_permission(self, request: HttpRequest) -> bool:
        # Superusers and administrators without an area: the only global scopes.
        return get_scope(request.user).is_global


def functions_sheet() -> ReferenceSheet:
    """The function codes the department, category and matter sheets refer to, with their names."""
    return ReferenceSheet(
        title=_("department functions"),
        columns=(
            Column("code", DepartmentFunction._meta.get_field("code").verbose_name),
            Column("name", DepartmentFunction._meta.get_field("name").verbose_name),
        ),
        rows=tuple(
            {"code": code, "name": name}
            for code, name in DepartmentFunction.objects.values_list("code", "name")
        ),
    )


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
class DepartmentAdmin(CatalogueSpreadsheetAdmin[Department]):
    list_display = ["code", "name", "function", "area", "served_area_names", "is_active"]
    list_filter = ["is_active", "function", "area__level"]
    list_select_related = ["function", "area"]
    search_fields = ["code", "name", "area__name", "area__code"]
    autocomplete_fields = ["area", "served_areas", "function"]
    fields = ["code", "name", "function", "area", "served_areas", "is_active"]

    spreadsheet_columns = DEPARTMENT_SHEET_COLUMNS
    spreadsheet_name = "departments"
    spreadsheet_notes = (_("An import never deletes a department; deactivate it instead."),)

    def spreadsheet_queryset(self, queryset: QuerySet[Department]) -> QuerySet[Department]:
        return queryset.select_related("function").prefetch_related("served_areas")

    def spreadsheet_reference_sheets(self) -> Sequence[ReferenceSheet]:
        return (functions_sheet(),)

    def spreadsheet_row(self, obj: Department) -> Mapping[str, Any]:
        return {
            "code": obj.code,
            "name": obj.name,
            "function": obj.function.code if obj.function else "",
            "area_code": obj.area_id,
            "served_area_codes": join_list(sorted(area.code for area in obj.served_areas.all())),
            "is_active": obj.is_active,
        }

    def import_spreadsheet(self, request: HttpRequest, sheet: SheetData, file_name: str) -> ImportReport:
        return import_departments(
            sheet.rows, known_problems=sheet.problems, actor=request.user, file_name=file_name
        )

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
class CaseCategoryAdmin(CatalogueSpreadsheetAdmin[CaseCategory]):
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

    spreadsheet_columns = CATEGORY_SHEET_COLUMNS
    spreadsheet_name = "categories"
    spreadsheet_notes = (
        _("An import never deletes a category; deactivate it instead."),
        _("Categories named in the catalogue data files are reset to them by manage.py load_catalogue."),
    )

    def spreadsheet_queryset(self, queryset: QuerySet[CaseCategory]) -> QuerySet[CaseCategory]:
        return queryset.prefetch_related("functions")

    def spreadsheet_reference_sheets(self) -> Sequence[ReferenceSheet]:
        return (functions_sheet(),)

    def spreadsheet_row(self, obj: CaseCategory) -> Mapping[str, Any]:
        functions = sorted(obj.functions.all(), key=lambda function: (function.position, function.code))
        return {
            "code": obj.code,
            "name": obj.name,
            "scheme": obj.scheme,
            "parent_code": obj.code[:-2] if obj.depth > 1 else "",
            "functions": join_list(function.code for function in functions),
            "is_public": obj.is_public,
            "is_active": obj.is_active,
        }

    def import_spreadsheet(self, request: HttpRequest, sheet: SheetData, file_name: str) -> ImportReport:
        return import_categories(
            sheet.rows, known_problems=sheet.problems, actor=request.user, file_name=file_name
        )


# ------------------------------------------------------------------------------------ working calendar


class StampOnSaveMixin:
    """Moves `updated_at` on every admin save, so that queries.current_calendar() sees the change."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.updated_at = now()
        super().save_model(request, obj, form, change)  # type: ignore[misc]


@admin.register(HolidayDate)
class HolidayDateAdmin(StampOnSaveMixin, CatalogueSpreadsheetAdmin[HolidayDate]):
    """Holidays and make-up working days. Years with a data/calendar-YYYY.csv file are reloaded from it by
    `manage.py load_catalogue`; edit the file for those years."""

    list_display = ["date", "weekday", "kind", "name", "updated_at"]
    list_filter = ["kind", "name", ("date", admin.DateFieldListFilter)]
    search_fields = ["name"]
    date_hierarchy = "date"
    ordering = ["date"]
    fields = ["date", "kind", "name"]

    @admin.display(description=_("weekday"))
    def weekday(self, holiday: HolidayDate) -> str:
        return date_format(holiday.date, "l")

    spreadsheet_columns = HOLIDAY_SHEET_COLUMNS
    spreadsheet_name = "holidays"
    spreadsheet_notes = (
        _("An import never deletes a date; delete one in this list."),
        _(
            "Years with a calendar-YYYY.csv data file are reset to that file by manage.py load_catalogue: "
            "edit the file for those years."
        ),
    )

    def spreadsheet_row(self, obj: HolidayDate) -> Mapping[str, Any]:
        return {"date": obj.date, "kind": obj.kind, "name": obj.name}

    def import_spreadsheet(self, request: HttpRequest, sheet: SheetData, file_name: str) -> ImportReport:
        return import_holidays(
            sheet.rows, known_problems=sheet.problems, actor=request.user, file_name=file_name
        )


class WorkingPeriodForm(forms.ModelForm[WorkingPeriod]):
    class Meta:
        model = WorkingPeriod
        fields = ["start_time", "end_time"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if start is not None and end is not None:
            if start >= end:
                raise forms.ValidationError(_("A working period must end after it starts."))
            others = WorkingPeriod.objects.exclude(pk=self.instance.pk)
            if others.filter(start_time__lt=end, end_time__gt=start).exists():
                raise forms.ValidationError(_("This period overlaps another working period."))
        return cleaned


@admin.register(WorkingPeriod)
class WorkingPeriodAdmin(StampOnSaveMixin, admin.ModelAdmin[WorkingPeriod]):
    """The working periods of every working day; with none, 08:30–12:00 and 13:30–17:30 apply."""

    form = WorkingPeriodForm
    list_display = ["start_time", "end_time", "updated_at"]
    ordering = ["start_time"]


# ------------------------------------------------------------------------------ matters and time limits


class MatterResponsibilityInline(admin.TabularInline[MatterResponsibility, MatterRule]):
    model = MatterResponsibility
    fields = ["level", "function"]
    autocomplete_fields = ["function"]
    extra = 0


class TimeLimitInline(admin.TabularInline[TimeLimit, MatterRule]):
    model = TimeLimit
    fields = ["step", "level", "is_urgent", "amount", "unit", "source"]
    extra = 0


@admin.register(MatterRule)
class MatterRuleAdmin(CatalogueSpreadsheetAdmin[MatterRule]):
    """The matter table (事项清单): a category's normal level, duties by level and time limits.

    Empty fields inherit from the parent category's rule (queries.rule_for). Categories listed in
    data/matters.csv or data/time-limits.csv are reset to the files by `manage.py load_catalogue`.
    """

    list_display = ["category", "normal_level", "allows_urgent", "limit_summary", "updated_at"]
    list_filter = ["normal_level", "allows_urgent", "category__scheme", "category__depth"]
    list_select_related = ["category"]
    search_fields = ["category__code", "category__name"]
    autocomplete_fields = ["category"]
    ordering = ["category__code"]
    fields = ["category", "normal_level", "allows_urgent"]
    inlines = [MatterResponsibilityInline, TimeLimitInline]
    list_per_page = 200

    def get_queryset(self, request: HttpRequest) -> QuerySet[MatterRule]:
        return super().get_queryset(request).prefetch_related("time_limits")

    def save_model(self, request: HttpRequest, obj: MatterRule, form: Any, change: bool) -> None:
        obj.updated_at = now()
        super().save_model(request, obj, form, change)

    spreadsheet_columns = MATTER_SHEET_COLUMNS
    spreadsheet_name = "matter-rules"
    spreadsheet_notes = (
        _("Time limits are imported on the time limits page. An import never deletes a rule."),
        _("Categories named in matters.csv are reset to it by manage.py load_catalogue."),
    )

    def spreadsheet_queryset(self, queryset: QuerySet[MatterRule]) -> QuerySet[MatterRule]:
        return queryset.select_related("category").prefetch_related("responsibilities__function")

    def spreadsheet_reference_sheets(self) -> Sequence[ReferenceSheet]:
        return (functions_sheet(),)

    def spreadsheet_row(self, obj: MatterRule) -> Mapping[str, Any]:
        row: dict[str, Any] = {
            "category": obj.category.code,
            "normal_level": obj.normal_level,
            "allows_urgent": obj.allows_urgent,
        }
        # "The level itself" first, then the functions in their listed order.
        duties = sorted(
            obj.responsibilities.all(),
            key=lambda duty: (1, duty.function.position, duty.function.code) if duty.function else (0, 0, ""),
        )
        for level in LEVEL_COLUMNS:
            row[level] = join_list(
                duty.function.code if duty.function else str(SPREADSHEET_SELF_HANDLED)
                for duty in duties
                if duty.level == level
            )
        return row

    def import_spreadsheet(self, request: HttpRequest, sheet: SheetData, file_name: str) -> ImportReport:
        return import_matter_rules(
            sheet.rows, known_problems=sheet.problems, actor=request.user, file_name=file_name
        )

    @admin.display(description=_("time limits"))
    def limit_summary(self, rule: MatterRule) -> str:
        return "; ".join(
            f"{limit.step}{'!' if limit.is_urgent else ''}{'@' + limit.level if limit.level else ''} "
            f"{format(limit.amount.normalize(), 'f')} {limit.get_unit_display()}"
            for limit in rule.time_limits.all()
        )


@admin.register(TimeLimit)
class TimeLimitAdmin(CatalogueSpreadsheetAdmin[TimeLimit]):
    """Every time limit of the matter table in one list, to compare categories."""

    list_display = ["rule", "step", "level", "is_urgent", "amount", "unit", "source"]
    list_filter = ["step", "unit", "is_urgent", "level", "rule__category__scheme"]
    list_select_related = ["rule__category"]
    search_fields = ["rule__category__code", "rule__category__name", "source"]
    autocomplete_fields = ["rule"]
    ordering = ["rule__category__code", "step", "level", "is_urgent"]
    list_per_page = 200

    spreadsheet_columns = TIME_LIMIT_SHEET_COLUMNS
    spreadsheet_name = "time-limits"
    spreadsheet_notes = (
        _("A row is matched by category, step, level and urgency. An import never deletes a limit."),
        _("Categories named in time-limits.csv are reset to it by manage.py load_catalogue."),
    )

    def spreadsheet_queryset(self, queryset: QuerySet[TimeLimit]) -> QuerySet[TimeLimit]:
        return queryset.select_related("rule__category")

    def spreadsheet_row(self, obj: TimeLimit) -> Mapping[str, Any]:
        return {
            "category": obj.rule.category.code,
            "step": obj.step,
            "level": obj.level,
            "is_urgent": obj.is_urgent,
            "amount": obj.amount,
            "unit": obj.unit,
            "source": obj.source,
        }

    def import_spreadsheet(self, request: HttpRequest, sheet: SheetData, file_name: str) -> ImportReport:
        return import_time_limits(
            sheet.rows, known_problems=sheet.problems, actor=request.user, file_name=file_name
        )
