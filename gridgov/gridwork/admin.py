"""Read-only admin lists of field work: visits and patrols are written from the phone only."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from gridgov.gridwork.models import HouseholdVisit, Patrol, PatrolPoint


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(HouseholdVisit)
class HouseholdVisitAdmin(ReadOnlyAdmin):
    list_display = ["visited_at", "household", "purpose", "follow_up_needed", "area", "worker", "case"]
    list_filter = ["purpose", "follow_up_needed"]
    search_fields = ["household", "notes", "area__code", "worker__username"]
    date_hierarchy = "visited_at"
    list_select_related = ["area", "worker", "case"]


class PatrolPointInline(admin.TabularInline[PatrolPoint, Patrol]):
    model = PatrolPoint
    extra = 0
    can_delete = False
    fields = ("recorded_at", "lon", "lat", "accuracy_m")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Patrol)
class PatrolAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "ended_at", "worker", "area", "distance_m", "point_count"]
    search_fields = ["area__code", "worker__username"]
    date_hierarchy = "started_at"
    list_select_related = ["area", "worker"]
    inlines = [PatrolPointInline]
