from django.contrib import admin
from django.http import HttpRequest

from gridgov.core.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """Read-only: the audit trail is never edited."""

    list_display = ["occurred_at", "action", "subject_type", "subject_id", "actor_label"]
    list_filter = ["action", "subject_type"]
    search_fields = ["subject_id", "actor_label", "action"]
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
