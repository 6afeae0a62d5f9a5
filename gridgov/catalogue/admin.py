from django.contrib import admin

from gridgov.catalogue.models import CaseCategory, Department, DepartmentFunction


@admin.register(DepartmentFunction)
class DepartmentFunctionAdmin(admin.ModelAdmin[DepartmentFunction]):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    list_display = ["code", "name", "function", "area", "is_active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["area", "served_areas", "function"]


@admin.register(CaseCategory)
class CaseCategoryAdmin(admin.ModelAdmin[CaseCategory]):
    list_display = ["code", "name", "scheme", "depth", "parent", "is_public", "is_active"]
    list_filter = ["scheme", "depth"]
    search_fields = ["code", "name"]
