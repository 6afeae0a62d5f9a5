from django.utils.translation import gettext_lazy as _

from gridgov.core.errors import InvalidInput, NotFound


class CockpitAreaNotFound(NotFound):
    """The area is missing or outside the caller's scope (the caller cannot tell which)."""

    code = "cockpit_area_not_found"
    default_message = _("No such area, or it is outside your data scope.")


class CockpitQueryInvalid(InvalidInput):
    code = "cockpit_query_invalid"
    default_message = _("The cockpit cannot answer this: check the level, the box and the numbers given.")
