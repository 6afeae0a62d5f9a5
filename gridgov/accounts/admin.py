from collections.abc import Mapping
from typing import Any, TypeVar

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.actions import (
    MEMBERSHIP_SHEET_COLUMNS,
    USER_SHEET_COLUMNS,
    import_memberships,
    import_users,
)
from gridgov.accounts.models import ApiToken, Membership, User
from gridgov.accounts.queries import get_scope
from gridgov.core.spreadsheets import ImportReport, SheetData, SpreadsheetModelAdmin

_M = TypeVar("_M", bound=Model)


class AccountsSpreadsheetAdmin(SpreadsheetModelAdmin[_M]):
    def has_import_permission(self, request: HttpRequest) -> bool:
        # Superusers and administrators without an area: the only global scopes.
        return get_scope(request.user).is_global


class MembershipInline(admin.TabularInline[Membership, User]):
    model = Membership
    extra = 0
    autocomplete_fields = ["area", "department"]


@admin.register(User)
class UserAdmin(AccountsSpreadsheetAdmin[User], DjangoUserAdmin):
    list_display = ["username", "display_name", "is_active", "is_staff", "has_password", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser", "memberships__role"]
    search_fields = ["username", "display_name"]
    inlines = [MembershipInline]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Profile"), {"fields": ("display_name",)}),
    )

    spreadsheet_columns = USER_SHEET_COLUMNS
    spreadsheet_name = "users"
    spreadsheet_notes = (
        _(
            "Passwords are never imported. A new user gets no usable password: an administrator must "
            "set one on the user's page (“change password”) before the user can log in."
        ),
        _("Roles and areas are imported on the memberships page. An import never deletes a user."),
    )

    @admin.display(description=_("has a password"), boolean=True)
    def has_password(self, user: User) -> bool:
        return user.has_usable_password()

    def spreadsheet_row(self, obj: User) -> Mapping[str, Any]:
        return {"username": obj.username, "display_name": obj.display_name, "is_active": obj.is_active}

    def import_spreadsheet(self, request: HttpRequest, sheet: SheetData, file_name: str) -> ImportReport:
        return import_users(
            sheet.rows, known_problems=sheet.problems, actor=request.user, file_name=file_name
        )


@admin.register(Membership)
class MembershipAdmin(AccountsSpreadsheetAdmin[Membership]):
    list_display = ["user", "role", "area", "department"]
    list_filter = ["role", "area__level"]
    list_select_related = ["user", "area", "department"]
    search_fields = ["user__username", "user__display_name", "area__name", "area__code", "department__name"]
    autocomplete_fields = ["user", "area", "department"]

    spreadsheet_columns = MEMBERSHIP_SHEET_COLUMNS
    spreadsheet_name = "memberships"
    spreadsheet_notes = (
        _("An import only adds memberships: a row already held is unchanged, and none is removed."),
        _("Remove a membership in this list or on the user's page."),
    )

    def spreadsheet_queryset(self, queryset: QuerySet[Membership]) -> QuerySet[Membership]:
        return queryset.select_related("user", "department")

    def spreadsheet_row(self, obj: Membership) -> Mapping[str, Any]:
        return {
            "username": obj.user.username,
            "role": obj.role,
            "area_code": obj.area_id or "",
            "department_code": obj.department.code if obj.department else "",
        }

    def import_spreadsheet(self, request: HttpRequest, sheet: SheetData, file_name: str) -> ImportReport:
        return import_memberships(
            sheet.rows, known_problems=sheet.problems, actor=request.user, file_name=file_name
        )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    """Tokens are issued by `manage.py issue_api_token` (the secret is shown once); here they are
    only listed."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "name", "prefix", "secret_hash", "created_at", "last_used_at", "revoked_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
