from django.utils.translation import gettext_lazy as _

from gridgov.core.errors import InvalidInput, NotFound


class AreaNotFound(NotFound):
    code = "area_not_found"
    default_message = _("No such area, or it is outside your data scope.")


class PointInvalid(InvalidInput):
    code = "point_invalid"
    default_message = _("The point is not a valid longitude and latitude.")


class GeometryInvalid(InvalidInput):
    code = "geometry_invalid"
    default_message = _("The boundary is not a valid GeoJSON polygon or multipolygon.")


class AreaRowInvalid(InvalidInput):
    """An area row given to an upsert breaks a code rule; `details["problems"]` lists each row."""

    code = "area_row_invalid"
    default_message = _("Some area rows are not valid; nothing was changed.")


class AreaParentMissing(InvalidInput):
    """A row names a parent that is neither in the database nor earlier in the same batch."""

    code = "area_parent_missing"
    default_message = _("Some areas name a parent that does not exist; nothing was changed.")


class DivisionImportInvalid(InvalidInput):
    """`details["problems"]` holds one {file, line, reason} per bad row; nothing was imported."""

    code = "division_import_invalid"
    default_message = _("The division files have bad rows; nothing was imported.")


class BoundaryImportInvalid(InvalidInput):
    """`details["problems"]` holds one {index, code, reason} per bad feature; nothing was imported."""

    code = "boundary_import_invalid"
    default_message = _("The boundary file has bad features; nothing was imported.")


class MapViewInvalid(InvalidInput):
    code = "map_view_invalid"
    default_message = _(
        "The map view is not valid: bbox is west,south,east,north in degrees and zoom 0 to 22."
    )
