"""The project's URLs plus the notifications router at /api/v1/notifications/, as config/api.py will mount it.

Until the router is mounted in config/api.py, the API tests use this URLconf (pytest.mark.urls); it
renders errors with the project's own handlers, so responses are exactly those of the real API.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from config.api import render_authentication_error, render_domain_error, render_validation_error
from config.urls import urlpatterns as project_urlpatterns
from gridgov.accounts.auth import api_auth
from gridgov.core.errors import DomainError
from gridgov.notifications.api import router

api = NinjaAPI(
    title="notifications (tests)", version="1-tests", urls_namespace="notifications-tests", auth=api_auth
)


def domain_error(request: HttpRequest, error: Any) -> HttpResponse:
    return render_domain_error(request, error)


def authentication_error(request: HttpRequest, error: Any) -> HttpResponse:
    return render_authentication_error(request, error)


def validation_error(request: HttpRequest, error: Any) -> HttpResponse:
    return render_validation_error(request, error)


api.add_exception_handler(DomainError, domain_error)
api.add_exception_handler(AuthenticationError, authentication_error)
api.add_exception_handler(ValidationError, validation_error)
api.add_router("/", router)

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/notifications/", api.urls),
    *project_urlpatterns,
]
