from django.utils.translation import gettext_lazy as _

from gridgov.core.errors import InvalidInput, NotFound


class AreaNotFound(NotFound):
    code = "area_not_found"
    default_message = _("No such area, or it is outside your data scope.")


class PointInvalid(InvalidInput):
    code = "point_invalid"
    default_message = _("The point is not a valid longitude and latitude.")
