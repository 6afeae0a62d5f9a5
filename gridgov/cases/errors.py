from django.utils.translation import gettext_lazy as _

from gridgov.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied


class CaseNotFound(NotFound):
    code = "case_not_found"
    default_message = _("No such case, or it is outside your data scope.")


class TransitionNotAllowed(DomainError):
    code = "transition_not_allowed"
    http_status = 409
    default_message = _("This action is not possible in the case's current state.")


class RoleNotAllowed(PermissionDenied):
    code = "role_not_allowed"
    default_message = _("Your role may not take this action.")


class CaseChangedMeanwhile(DomainError):
    code = "case_changed"
    http_status = 409
    default_message = _("Someone changed this case meanwhile; reload it and try again.")


class CaseInputInvalid(InvalidInput):
    code = "case_input_invalid"
    default_message = _("The case data are not valid.")


class PhotoInvalid(InvalidInput):
    code = "photo_invalid"
    default_message = _("The photo is not a JPEG, PNG or WebP image of at most 10 MB.")


class EscalationImpossible(DomainError):
    code = "escalation_impossible"
    http_status = 409
    default_message = _("The case is already handled at the district level; it cannot climb further.")
