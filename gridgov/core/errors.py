"""Typed domain errors.

    DomainError                 code, HTTP status, translatable message, optional details
    ├── NotFound                404: missing, or outside the caller's data scope (never tell which)
    ├── PermissionDenied        403: the caller may see the object but not do this
    └── InvalidInput            400: the request itself is wrong

Domains subclass these in their own `errors.py`. The API renders every DomainError as
`{"code": ..., "message": ..., "details": ...}` with its status (config/api.py).
"""

from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 400
    default_message: ClassVar[str | Promise] = _("The request could not be carried out.")

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        if code is not None:
            self.code = code  # type: ignore[misc]
        self.details = details or {}
        super().__init__(str(self.message))

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": str(self.message)}
        if self.details:
            body["details"] = self.details
        return body


class NotFound(DomainError):
    code = "not_found"
    http_status = 404
    default_message = _("Not found.")


class PermissionDenied(DomainError):
    code = "permission_denied"
    http_status = 403
    default_message = _("You are not allowed to do this.")


class InvalidInput(DomainError):
    code = "invalid_input"
    http_status = 400
    default_message = _("The input is not valid.")


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    http_status = 401
    default_message = _("Log in first.")
