"""API authentication: the browser session (with CSRF) for pages, a bearer token for machines."""

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from gridgov.accounts.queries import find_active_token


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = find_active_token(token)
        if api_token is None:
            return None
        request.user = api_token.user
        return api_token.user


class SessionAuth(NinjaSessionAuth):
    """Django's session, CSRF-checked for unsafe methods (ninja's default)."""


# The token first: ninja's session auth refuses an unsafe request without a CSRF token outright
# (403) instead of passing to the next method, so a machine sending only its bearer token would be
# refused. A request without an Authorization header falls through to the session, CSRF-checked;
# a cross-site page cannot set that header, so trying the token first opens nothing.
api_auth: list[APIKeyCookie | HttpBearer] = [BearerTokenAuth(), SessionAuth()]


def anyone(request: HttpRequest) -> Any:
    """Lets an anonymous caller through; the endpoint decides what the public may read."""
    return "public"


# For the few endpoints that serve public data: a session or token still identifies the caller.
api_auth_or_public: list[Any] = [*api_auth, anyone]
