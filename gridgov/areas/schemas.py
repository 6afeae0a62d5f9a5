from typing import Any

from ninja import Schema

from gridgov.areas.models import Area


class AreaRef(Schema):
    code: str
    name: str
    level: str


class AreaOut(Schema):
    code: str
    name: str
    level: str
    level_label: str
    parent_code: str | None
    boundary_source: str
    has_boundary: bool
    bbox: list[float] | None
    centre: list[float] | None
    area_km2: float | None
    households: int | None

    @staticmethod
    def resolve_level_label(area: Area) -> str:
        return str(area.get_level_display())

    @staticmethod
    def resolve_parent_code(area: Area) -> str | None:
        return area.parent_id

    @staticmethod
    def resolve_has_boundary(area: Area) -> bool:
        # min_lon is set exactly when a boundary is, and reading it does not load the polygon.
        return area.min_lon is not None

    @staticmethod
    def resolve_bbox(area: Area) -> list[float] | None:
        if area.min_lon is None:
            return None
        return [area.min_lon, area.min_lat, area.max_lon, area.max_lat]  # type: ignore[list-item]

    @staticmethod
    def resolve_centre(area: Area) -> list[float] | None:
        if area.centre_lon is None:
            return None
        return [area.centre_lon, area.centre_lat]  # type: ignore[list-item]


class AreaDetailOut(AreaOut):
    ancestors: list[AreaRef]
    children_count: int


class AreaFeature(Schema):
    type: str = "Feature"
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


class LocateOut(Schema):
    found: bool
    area: AreaRef | None
    ancestors: list[AreaRef]
