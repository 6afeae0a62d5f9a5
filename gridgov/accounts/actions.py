"""Every write to users, memberships and tokens."""

import secrets
from typing import Any

from django.db import transaction

from gridgov.accounts.errors import MembershipInvalid
from gridgov.accounts.models import DEPARTMENT_ROLES, ApiToken, Membership, Role, User
from gridgov.accounts.queries import hash_token_secret
from gridgov.core.audit import record_audit_event
from gridgov.core.clock import now


def create_user(
    *,
    username: str,
    password: str | None,
    display_name: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
    actor: Any = None,
    actor_label: str = "",
) -> User:
    """Create an account (a password of None makes an account that cannot log in yet)."""
    with transaction.atomic():
        user = User(
            username=username, display_name=display_name, is_staff=is_staff, is_superuser=is_superuser
        )
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        record_audit_event(
            action="create_user",
            subject_type="accounts.user",
            subject_id=str(user.pk),
            actor=actor,
            actor_label=actor_label,
            data={"username": username, "is_staff": is_staff, "is_superuser": is_superuser},
        )
    return user


def grant_membership(
    *,
    user: User,
    role: Role,
    area_code: str | None = None,
    department_id: int | None = None,
    actor: Any = None,
    actor_label: str = "",
) -> Membership:
    """Give `user` a role in an area or a department; granting the same twice changes nothing."""
    if role in DEPARTMENT_ROLES and (department_id is None or area_code is not None):
        raise MembershipInvalid(details={"role": role, "reason": "needs a department and no area"})
    if role not in DEPARTMENT_ROLES and department_id is not None:
        raise MembershipInvalid(details={"role": role, "reason": "takes an area, not a department"})
    if role not in DEPARTMENT_ROLES and role not in (Role.RESIDENT, Role.ADMINISTRATOR) and area_code is None:
        raise MembershipInvalid(details={"role": role, "reason": "needs an area"})
    # accounts sits left of areas and catalogue, so the related tables are reached via the model.
    area_model = Membership._meta.get_field("area").related_model
    department_model = Membership._meta.get_field("department").related_model
    if area_code is not None and not area_model._default_manager.filter(pk=area_code).exists():  # type: ignore[union-attr]
        raise MembershipInvalid(details={"area": area_code, "reason": "no such area"})
    if (
        department_id is not None and not department_model._default_manager.filter(pk=department_id).exists()  # type: ignore[union-attr]
    ):
        raise MembershipInvalid(details={"department": department_id, "reason": "no such department"})
    lookup: dict[str, object] = {
        "user": user,
        "role": role,
        "area_id": area_code,
        "department_id": department_id,
    }
    with transaction.atomic():
        existing = Membership.objects.filter(**lookup).first()
        if existing is not None:
            return existing
        membership = Membership.objects.create(
            user=user, role=role, area_id=area_code, department_id=department_id
        )
        record_audit_event(
            action="grant_membership",
            subject_type="accounts.user",
            subject_id=str(user.pk),
            actor=actor,
            actor_label=actor_label,
            data={"role": role, "area": area_code, "department": department_id},
        )
    return membership


def revoke_membership(*, membership: Membership, actor: Any = None, actor_label: str = "") -> None:
    with transaction.atomic():
        record_audit_event(
            action="revoke_membership",
            subject_type="accounts.user",
            subject_id=str(membership.user_id),
            actor=actor,
            actor_label=actor_label,
            data={
                "role": membership.role,
                "area": membership.area_id,
                "department": membership.department_id,
            },
        )
        membership.delete()


def issue_api_token(*, user: User, name: str, actor: Any = None) -> tuple[ApiToken, str]:
    """Create a token; the secret is returned once and never stored in clear."""
    secret = "ggv_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=secret[:12], secret_hash=hash_token_secret(secret)
        )
        record_audit_event(
            action="issue_api_token",
            subject_type="accounts.apitoken",
            subject_id=str(token.pk),
            actor=actor,
            data={"user": user.pk, "name": name},
        )
    return token, secret


def revoke_api_token(*, token: ApiToken, actor: Any = None) -> None:
    with transaction.atomic():
        token.revoked_at = now()
        token.save(update_fields=["revoked_at"])
        record_audit_event(
            action="revoke_api_token", subject_type="accounts.apitoken", subject_id=str(token.pk), actor=actor
        )
