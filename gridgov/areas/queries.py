"""Reads of the area tree. Every read takes the caller's scope and never returns what lies outside."""

from django.db.models import QuerySet

from gridgov.accounts.scope import Scope
from gridgov.areas import geometry
from gridgov.areas.errors import AreaNotFound, PointInvalid
from gridgov.areas.models import Area
from gridgov.core.area_codes import InvalidCode, ancestor_codes


def areas_for(scope: Scope) -> QuerySet[Area]:
    """The areas `scope` may read."""
    return Area.objects.filter(scope.area_q("code"))


def get_area_for(scope: Scope, code: str) -> Area:
    """One area, or AreaNotFound when missing or outside the scope (the caller cannot tell which)."""
    if not scope.covers_code(code):
        raise AreaNotFound(details={"code": code})
    area = Area.objects.filter(code=code).select_related("parent").first()
    if area is None:
        raise AreaNotFound(details={"code": code})
    return area


def list_areas_for(
    scope: Scope,
    *,
    level: str | None = None,
    parent_code: str | None = None,
    name_contains: str | None = None,
) -> QuerySet[Area]:
    areas = areas_for(scope)
    if parent_code is not None:
        areas = areas.filter(parent_id=get_area_for(scope, parent_code).code)
    if level:
        areas = areas.filter(level=level)
    if name_contains:
        areas = areas.filter(name__contains=name_contains)
    return areas.order_by("code")


def ancestors_of(area: Area) -> list[Area]:
    """The chain from the root down to `area`'s parent (names of enclosing areas are public)."""
    try:
        codes = ancestor_codes(area.code)
    except InvalidCode:
        codes = []
    by_code = {a.code: a for a in Area.objects.filter(code__in=codes)}
    return [by_code[c] for c in codes if c in by_code]


def locate_for(scope: Scope, lon: float, lat: float) -> Area | None:
    """The smallest area inside `scope` that contains the point, or None."""
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise PointInvalid(details={"lon": lon, "lat": lat})
    for code in geometry.containing_area_codes(lon, lat):
        if scope.covers_code(code):
            return Area.objects.get(code=code)
    return None
