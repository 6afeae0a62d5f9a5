from django.utils.translation import gettext_lazy as _

from gridgov.core.errors import InvalidInput, NotFound


class MembershipInvalid(InvalidInput):
    code = "membership_invalid"
    default_message = _("This membership is not valid.")


class UserNotFound(NotFound):
    code = "user_not_found"
    default_message = _("No such user.")


class TokenInvalid(InvalidInput):
    code = "token_invalid"
    default_message = _("This API token is not valid.")
