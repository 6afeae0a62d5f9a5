from django.contrib import admin
from django.http import HttpRequest

from gridgov.areas.actions import BOUNDARY_FIELDS
from gridgov.areas.models import Area

# Written only by the import actions: editing them by hand would desynchronise the locate index.
DERIVED_FIELDS = (*BOUNDARY_FIELDS[1:], "updated_at")


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin[Area]):
    """Names and households may be corrected here; codes, levels and boundaries come from imports
    (`import_divisions`, `import_boundaries`), so that the audit trail and locate index stay right."""

    list_display = ["code", "name", "level", "parent", "boundary_source", "area_km2", "households"]
    list_filter = ["level", "boundary_source"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
    exclude = ["boundary"]
    list_per_page = 50
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Area | None = None) -> tuple[str, ...]:
        if obj is None:
            return DERIVED_FIELDS
        return ("code", "level", "parent", *DERIVED_FIELDS)
