from collections.abc import Mapping
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.queries import get_scope
from gridgov.areas.actions import AREA_SHEET_COLUMNS, BOUNDARY_FIELDS, import_areas
from gridgov.areas.models import Area
from gridgov.core.spreadsheets import ImportReport, SheetData, SpreadsheetModelAdmin

# Written only by the import actions: editing them by hand would desynchronise the locate index.
DERIVED_FIELDS = (*BOUNDARY_FIELDS[1:], "updated_at")


@admin.register(Area)
class AreaAdmin(SpreadsheetModelAdmin[Area]):
    """Names and households may be corrected here; codes, levels and boundaries come from imports
    (`import_divisions`, `import_boundaries`, or Excel: code, name, level, parent, households), so
    that the audit trail and locate index stay right."""

    list_display = ["code", "name", "level", "parent", "boundary_source", "area_km2", "households"]
    list_filter = ["level", "boundary_source"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
    exclude = ["boundary"]
    list_per_page = 50
    show_full_result_count = False

    spreadsheet_columns = AREA_SHEET_COLUMNS
    spreadsheet_name = "areas"
    spreadsheet_notes = (
        _("Boundaries are not edited in Excel: they come from boundary imports and stay as they are."),
        _("An import never deletes an area."),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Area | None = None) -> tuple[str, ...]:
        if obj is None:
            return DERIVED_FIELDS
        return ("code", "level", "parent", *DERIVED_FIELDS)

    def has_import_permission(self, request: HttpRequest) -> bool:
        return get_scope(request.user).is_global

    def has_delete_permission(self, request: HttpRequest, obj: Area | None = None) -> bool:
        # Areas are never deleted: cases, events and evaluations keep naming them
        # (evaluation reads a street's events by the list of its area codes).
        return False

    def spreadsheet_queryset(self, queryset: QuerySet[Area]) -> QuerySet[Area]:
        # Never load the boundaries, which can be megabytes per district.
        return queryset.select_related(None).only("code", "name", "level", "parent", "households")

    def spreadsheet_row(self, obj: Area) -> Mapping[str, Any]:
        return {
            "code": obj.code,
            "name": obj.name,
            "level": obj.level,
            "parent_code": obj.parent_id or "",
            "households": obj.households,
        }

    def import_spreadsheet(self, request: HttpRequest, sheet: SheetData, file_name: str) -> ImportReport:
        return import_areas(
            sheet.rows, known_problems=sheet.problems, actor=request.user, file_name=file_name
        )
