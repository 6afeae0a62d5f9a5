from django.utils.translation import gettext_lazy as _

from gridgov.core.errors import InvalidInput


class DeadlineInvalid(InvalidInput):
    """A deadline that cannot be scheduled (no kind, a naive time); `details` says what is wrong."""

    code = "deadline_invalid"
    default_message = _("This deadline cannot be scheduled.")
