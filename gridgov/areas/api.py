from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from gridgov.accounts.auth import api_auth_or_public
from gridgov.accounts.queries import get_scope
from gridgov.accounts.scope import Scope
from gridgov.areas.models import Area, AreaLevel
from gridgov.areas.queries import (
    ancestors_of,
    get_area_for,
    list_areas_for,
    locate_for,
    map_layer_for,
    parse_map_view,
)
from gridgov.areas.schemas import AreaDetailOut, AreaFeature, AreaOut, AreaRef, LocateOut

router = Router(tags=["areas"])


class AreaFilters(Schema):
    level: AreaLevel | None = None
    parent: str | None = None
    q: str | None = None


def area_out(area: Area) -> AreaOut:
    return AreaOut.from_orm(area)


def area_ref(area: Area) -> AreaRef:
    return AreaRef(code=area.code, name=area.name, level=area.level)


@router.get("/", response=list[AreaOut], summary="Areas in the caller's scope")
@paginate(LimitOffsetPagination)
def list_areas(request: HttpRequest, filters: Query[AreaFilters]) -> list[AreaOut]:
    areas = list_areas_for(
        get_scope(request.user),
        level=filters.level,
        parent_code=filters.parent,
        name_contains=filters.q,
    ).defer("boundary")
    return areas  # type: ignore[return-value]


@router.get("/locate", response=LocateOut, summary="The smallest area in scope containing a point")
def locate(request: HttpRequest, lon: float, lat: float) -> LocateOut:
    area = locate_for(get_scope(request.user), lon, lat)
    if area is None:
        return LocateOut(found=False, area=None, ancestors=[])
    return LocateOut(found=True, area=area_ref(area), ancestors=[area_ref(a) for a in ancestors_of(area)])


@router.get(
    "/map",
    auth=api_auth_or_public,
    summary="The areas a map view shows, as GeoJSON simplified for its zoom",
    description=(
        "bbox=west,south,east,north in degrees and zoom as in Leaflet. Without level the level follows "
        "the zoom (≤10 district, 11–12 street, 13–14 community, ≥15 grid); parent keeps the areas under "
        "one area. At most 2,500 features; `truncated` says more matched. Coordinates are in "
        "GRIDGOV_COORDINATE_SYSTEM. Boundaries are public: a visitor or a resident gets every area, "
        "staff get the areas of their scope."
    ),
)
def area_map(
    request: HttpRequest, bbox: str, zoom: int, level: AreaLevel | None = None, parent: str | None = None
) -> HttpResponse:
    scope = get_scope(request.user)
    if scope.is_empty:  # a visitor or a resident: the public map
        scope = Scope.everything()
    layer = map_layer_for(scope, parse_map_view(bbox, zoom), level=level, parent_code=parent)
    return HttpResponse(layer.as_json(), content_type="application/json")


@router.get("/{code}", response=AreaDetailOut, summary="One area")
def get_area(request: HttpRequest, code: str) -> AreaDetailOut:
    area = get_area_for(get_scope(request.user), code)
    # The detail schema reads these two from the object like every other field.
    area.ancestors = [area_ref(a) for a in ancestors_of(area)]  # type: ignore[attr-defined]
    area.children_count = area.children.count()  # type: ignore[attr-defined]
    return AreaDetailOut.from_orm(area)


@router.get("/{code}/boundary", response=AreaFeature, summary="One area's boundary as a GeoJSON Feature")
def get_boundary(request: HttpRequest, code: str) -> AreaFeature:
    area = get_area_for(get_scope(request.user), code)
    return AreaFeature(
        geometry=area.boundary,
        properties={
            "code": area.code,
            "name": area.name,
            "level": area.level,
            "boundary_source": area.boundary_source,
        },
    )
