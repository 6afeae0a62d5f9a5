"""Deadline rows, read-only: the sweeper writes them (actions.fire_due_deadlines), nobody edits them."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gridgov.deadlines.models import FAILED_OUTCOME, OPEN, Deadline


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Deadline]) -> list[tuple[str, str]]:
        return [
            ("open", str(_("open"))),
            ("retrying", str(_("open, failed before"))),
            ("fired", str(_("fired"))),
            ("failed", str(_("given up"))),
            ("cancelled", str(_("cancelled"))),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Deadline]) -> QuerySet[Deadline]:
        match self.value():
            case "open":
                return queryset.filter(OPEN)
            case "retrying":
                return queryset.filter(OPEN, attempts__gt=0)
            case "fired":
                return queryset.filter(fired_at__isnull=False).exclude(outcome=FAILED_OUTCOME)
            case "failed":
                return queryset.filter(fired_at__isnull=False, outcome=FAILED_OUTCOME)
            case "cancelled":
                return queryset.filter(cancelled_at__isnull=False)
        return queryset


@admin.register(Deadline)
class DeadlineAdmin(admin.ModelAdmin[Deadline]):
    list_display = [
        "id",
        "kind",
        "subject_type",
        "subject_id",
        "due_at",
        "fired_at",
        "cancelled_at",
        "attempts",
        "outcome",
    ]
    list_filter = [StateFilter, "kind", "subject_type", ("due_at", admin.DateFieldListFilter)]
    search_fields = ["subject_id", "kind", "outcome"]
    date_hierarchy = "due_at"
    ordering = ["-due_at", "-id"]
    list_per_page = 100
    readonly_fields = [field.name for field in Deadline._meta.get_fields()]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Deadline | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Deadline | None = None) -> bool:
        return False
