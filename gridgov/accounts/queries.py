"""Reads about users, and the one function that says what a user may see."""

import hashlib

from django.contrib.auth.models import AnonymousUser

from gridgov.accounts.models import ApiToken, Membership, Role, User
from gridgov.accounts.scope import Scope

# Roles whose membership of an area gives a data scope over that area's subtree.
AREA_SCOPED_ROLES = frozenset(Role) - {Role.RESIDENT, Role.DEPARTMENT_HANDLER}


def get_scope(user: User | AnonymousUser) -> Scope:
    """What `user` may read: every area-scoped query goes through this."""
    if not user.is_authenticated or not user.is_active:
        return Scope()
    cached: Scope | None = getattr(user, "_gridgov_scope", None)
    if cached is not None:
        return cached
    assert isinstance(user, User)
    if user.is_superuser:
        scope = Scope.everything()
    else:
        memberships = list(
            Membership.objects.filter(user=user).values_list("role", "area_id", "department_id")
        )
        if any(role == Role.ADMINISTRATOR and area is None for role, area, _ in memberships):
            scope = Scope.everything()
        else:
            scope = Scope.for_area_codes(
                [area for role, area, _ in memberships if area is not None and role in AREA_SCOPED_ROLES],
                [dept for _, _, dept in memberships if dept is not None],
            )
    user._gridgov_scope = scope  # type: ignore[attr-defined]
    return scope


def roles_of(user: User) -> list[str]:
    roles = sorted({role for role in Membership.objects.filter(user=user).values_list("role", flat=True)})
    return roles or [Role.RESIDENT.value]


def memberships_of(user: User) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user).select_related("area", "department").order_by("role", "id")
    )


def hash_token_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def find_active_token(secret: str) -> ApiToken | None:
    return (
        ApiToken.objects.select_related("user")
        .filter(secret_hash=hash_token_secret(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
