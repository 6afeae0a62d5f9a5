"""Open311 errors. Each becomes the spec's error array: [{"code": <HTTP status>, "description": ...}]."""

from django.utils.translation import gettext_lazy as _

from gridgov.core.errors import InvalidInput, NotFound, PermissionDenied


class ApiKeyInvalid(PermissionDenied):
    code = "open311_api_key_invalid"
    default_message = _("A valid api_key is required to create a service request.")


class ServiceNotFound(NotFound):
    code = "open311_service_not_found"
    default_message = _("No such service_code.")


class ServiceRequestNotFound(NotFound):
    code = "open311_request_not_found"
    default_message = _("No such service_request_id.")


class JurisdictionNotFound(NotFound):
    code = "open311_jurisdiction_not_found"
    default_message = _("No such jurisdiction_id.")


class Open311InputInvalid(InvalidInput):
    """One or more problems with the parameters; `details["problems"]` lists each, one error element each."""

    code = "open311_input_invalid"
    default_message = _("The request parameters are not valid.")


class LocationOutside(InvalidInput):
    code = "open311_location_outside"
    default_message = _("The location is not inside any area this server covers.")
