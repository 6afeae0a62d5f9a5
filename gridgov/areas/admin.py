from django.contrib import admin

from gridgov.areas.models import Area


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin[Area]):
    list_display = ["code", "name", "level", "parent", "boundary_source", "area_km2", "households"]
    list_filter = ["level", "boundary_source"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
    exclude = ["boundary"]
