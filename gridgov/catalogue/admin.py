"""Admin pages for the catalogue: plain reference data, edited here directly by administrators.

Bulk loading goes through `manage.py load_catalogue` (actions.load_catalogue), which audits it.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

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


# ------------------------------------------------------------------------------------ working calendar


class StampOnSaveMixin:
    """Moves `updated_at` on every admin save, so that queries.current_calendar() sees the change."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.updated_at = now()
        super().save_model(request, obj, form, change)  # type: ignore[misc]


@admin.register(HolidayDate)
class HolidayDateAdmin(StampOnSaveMixin, admin.ModelAdmin[HolidayDate]):
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
class MatterRuleAdmin(admin.ModelAdmin[MatterRule]):
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

    @admin.display(description=_("time limits"))
    def limit_summary(self, rule: MatterRule) -> str:
        return "; ".join(
            f"{limit.step}{'!' if limit.is_urgent else ''}{'@' + limit.level if limit.level else ''} "
            f"{format(limit.amount.normalize(), 'f')} {limit.get_unit_display()}"
            for limit in rule.time_limits.all()
        )


@admin.register(TimeLimit)
class TimeLimitAdmin(admin.ModelAdmin[TimeLimit]):
    """Every time limit of the matter table in one list, to compare categories."""

    list_display = ["rule", "step", "level", "is_urgent", "amount", "unit", "source"]
    list_filter = ["step", "unit", "is_urgent", "level", "rule__category__scheme"]
    list_select_related = ["rule__category"]
    search_fields = ["rule__category__code", "rule__category__name", "source"]
    autocomplete_fields = ["rule"]
    ordering = ["rule__category__code", "step", "level", "is_urgent"]
    list_per_page = 200
