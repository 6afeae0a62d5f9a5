"""Read-only admin views of cases: every change goes through the actions (API and pages)."""

from django.contrib import admin
from django.http import HttpRequest

from gridgov.cases.models import Case, CaseEvent, CaseRequest, CaseTask


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class CaseEventInline(admin.TabularInline[CaseEvent, Case]):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ("occurred_at", "action", "from_status", "to_status", "actor_label", "department", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class CaseTaskInline(admin.TabularInline[CaseTask, Case]):
    model = CaseTask
    extra = 0
    can_delete = False
    fields = ("department", "status", "is_whistle", "sign_due_at", "due_at", "signed_at", "done_at", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "title",
        "status",
        "source",
        "category",
        "area",
        "level",
        "light",
        "reported_at",
    ]
    list_filter = ["status", "source", "level", "light", "is_overdue"]
    search_fields = ["number", "title", "address"]
    date_hierarchy = "reported_at"
    exclude = ["reporter_contact_encrypted"]
    inlines = [CaseTaskInline, CaseEventInline]
    list_select_related = ["category", "area"]


@admin.register(CaseRequest)
class CaseRequestAdmin(ReadOnlyAdmin):
    list_display = ["case", "kind", "status", "extra_hours", "requested_at", "decided_at"]
    list_filter = ["kind", "status"]
