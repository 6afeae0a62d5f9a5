from django.utils.translation import gettext_lazy as _

from gridgov.core.errors import InvalidInput, NotFound, PermissionDenied


class NotGridStaff(PermissionDenied):
    code = "not_grid_staff"
    default_message = _("Only grid workers, grid leaders and community workers do field work.")


class GridNotFound(NotFound):
    code = "grid_not_found"
    default_message = _("No such grid, or it is outside your data scope.")


class NoGridGiven(InvalidInput):
    code = "grid_required"
    default_message = _("You work in more than one area (or in none): say which grid this was in.")


class VisitInvalid(InvalidInput):
    code = "visit_invalid"
    default_message = _("The visit log is not valid.")


class PatrolNotFound(NotFound):
    code = "patrol_not_found"
    default_message = _("No such patrol of yours.")


class PatrolInvalid(InvalidInput):
    code = "patrol_invalid"
    default_message = _("The patrol data are not valid.")


class GridReportInvalid(InvalidInput):
    code = "grid_report_invalid"
    default_message = _("The report is not valid.")
