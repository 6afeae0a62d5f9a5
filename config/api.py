"""The JSON API at /api/v1/: mounts every domain router and renders domain errors."""

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from gridgov.accounts.api import router as accounts_router
from gridgov.accounts.auth import api_auth
from gridgov.areas.api import router as areas_router
from gridgov.cases.api import router as cases_router
from gridgov.catalogue.api import router as catalogue_router
from gridgov.cockpit.api import router as cockpit_router
from gridgov.core.errors import DomainError, InvalidInput, NotAuthenticated
from gridgov.evaluation.api import router as evaluation_router
from gridgov.gridwork.api import router as gridwork_router
from gridgov.notifications.api import router as notifications_router

api = NinjaAPI(
    title="gridgov API",
    version="1",
    description="Grid-based grassroots governance. Errors are JSON: {code, message, details}.",
    urls_namespace="api-v1",
    auth=api_auth,
)


@api.exception_handler(DomainError)
def render_domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    return api.create_response(request, error.as_dict(), status=error.http_status)


@api.exception_handler(AuthenticationError)
def render_authentication_error(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    return render_domain_error(request, NotAuthenticated())


@api.exception_handler(ValidationError)
def render_validation_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
    body = {
        "code": "invalid_input",
        "message": str(InvalidInput.default_message),
        "details": {"errors": error.errors},
    }
    return api.create_response(request, body, status=422)


api.add_router("/accounts/", accounts_router)
api.add_router("/areas/", areas_router)
api.add_router("/catalogue/", catalogue_router)
api.add_router("/notifications/", notifications_router)
api.add_router("/cases/", cases_router)
api.add_router("/evaluation/", evaluation_router)
api.add_router("/gridwork/", gridwork_router)
api.add_router("/cockpit/", cockpit_router)
