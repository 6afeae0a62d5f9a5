"""Reads about users, and the one function that says what a user may see."""

import hashlib
from datetime import datetime

from django.contrib.auth.models import AnonymousUser

from gridgov.accounts.models import ApiToken, LoginThrottle, Membership, Role, User
from gridgov.accounts.phone_numbers import keyed_digest, normalize_mobile, phone_digest
from gridgov.accounts.scope import Scope
from gridgov.core.clock import now
from gridgov.core.crypto import decrypt_text

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
        Membership.objects.filter(user=user)
        .select_related("area", "department")
        # The area's boundary stays unread (areas.models.boundaries_left_out, which accounts,
        # left of areas, cannot import).
        .defer("area__boundary")
        .order_by("role", "id")
    )


def hash_token_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def find_active_token(secret: str) -> ApiToken | None:
    return (
        ApiToken.objects.select_related("user")
        .filter(secret_hash=hash_token_secret(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


# ── phone numbers and logins (gridgov/accounts/phones.py, gridgov/accounts/logins.py) ──────────


def find_user_by_phone(phone: str) -> User | None:
    """The account holding the verified mainland mobile number `phone`, if any."""
    digest = phone_digest(phone)
    return User.objects.filter(phone_digest=digest).first() if digest else None


def own_phone_number(user: User | AnonymousUser) -> str:
    """The user's own verified phone number in full (to fill in their own forms), or ""."""
    if not user.is_authenticated:
        return ""
    try:
        return decrypt_text(getattr(user, "phone_encrypted", ""))
    except ValueError:  # encrypted under another key: the form is left empty, not broken
        return ""


def login_digest(login_name: str) -> str:
    """The key of a login name in the failed-login table: a phone number in its 11-digit form, any
    other name lower-cased, both as a keyed digest."""
    return keyed_digest(normalize_mobile(login_name) or login_name.strip().lower(), purpose="login-name")


def login_locked_until(login_name: str) -> datetime | None:
    """When the lock on `login_name` after too many failed logins ends; None when it is not locked."""
    locked_until = (
        LoginThrottle.objects.filter(login_digest=login_digest(login_name), locked_until__gt=now())
        .values_list("locked_until", flat=True)
        .first()
    )
    return locked_until
