"""Every write to users, memberships and tokens."""

import secrets
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.errors import MembershipInvalid
from gridgov.accounts.models import DEPARTMENT_ROLES, ApiToken, Membership, Role, User
from gridgov.accounts.queries import hash_token_secret
from gridgov.core.audit import record_audit_event
from gridgov.core.clock import now
from gridgov.core.spreadsheets import (
    CellProblem,
    Column,
    ColumnKind,
    ImportReport,
    SheetRow,
    raise_for_problems,
    record_import,
)


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


# -------------------------------------------------------- spreadsheet imports (admin: 从 Excel 导入)
#
# Passwords are never imported: a new user gets an unusable password, and an administrator sets one
# (or the user signs in another way) before the account can log in. Imports never delete a user or
# a membership, check every row before writing, and write nothing when the file is as stored.

USERNAME_MAX = User._meta.get_field("username").max_length or 150
DISPLAY_NAME_MAX = User._meta.get_field("display_name").max_length or 100

USER_SHEET_COLUMNS: tuple[Column, ...] = (
    Column(
        "username",
        User._meta.get_field("username").verbose_name,
        gettext_lazy("The login name: letters, digits and @ . + - _. A new name creates a user."),
        required=True,
        allow_blank=False,
    ),
    Column(
        "display_name",
        User._meta.get_field("display_name").verbose_name,
        gettext_lazy("The name shown to others, e.g. 张三."),
    ),
    Column(
        "is_active",
        User._meta.get_field("is_active").verbose_name,
        gettext_lazy("Whether the user may log in. Empty: yes for a new user, unchanged for a known one."),
        kind=ColumnKind.BOOLEAN,
    ),
)

MEMBERSHIP_SHEET_COLUMNS: tuple[Column, ...] = (
    Column(
        "username",
        User._meta.get_field("username").verbose_name,
        gettext_lazy("The user's login name; the user must exist (import users first)."),
        required=True,
        allow_blank=False,
    ),
    Column(
        "role",
        Membership._meta.get_field("role").verbose_name,
        "",
        kind=ColumnKind.CHOICE,
        choices=tuple(Role.choices),
        required=True,
        allow_blank=False,
    ),
    Column(
        "area_code",
        gettext_lazy("area code"),
        gettext_lazy(
            "The code of the area the role covers; needed for every role but resident, administrator "
            "and department handler. An administrator without an area administers everything."
        ),
        required=True,
    ),
    Column(
        "department_code",
        gettext_lazy("department code"),
        gettext_lazy("The code of the department, for a department handler only."),
        required=True,
    ),
)


def _username_problems(number: int, username: str) -> list[CellProblem]:
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        return [
            CellProblem(
                number, "username", _("A login name holds only letters, digits and @ . + - _ (no spaces).")
            )
        ]
    if len(username) > USERNAME_MAX:
        return [CellProblem(number, "username", _("Longer than %(max)d characters.") % {"max": USERNAME_MAX})]
    return []


def import_users(
    rows: Sequence[SheetRow],
    *,
    known_problems: Sequence[CellProblem] = (),
    actor: Any = None,
    actor_label: str = "",
    file_name: str = "",
) -> ImportReport:
    """Create and update users from spreadsheet rows, matched by login name (audit: import_users).

    New users get an unusable password (create_user with password None). The display name and
    whether the user is active are updated; an empty active cell keeps it. The importing user
    cannot deactivate themselves. All-or-nothing, idempotent, never deletes.
    """
    problems = list(known_problems)
    seen: dict[str, int] = {}
    actor_name = (
        actor.get_username() if actor is not None and getattr(actor, "is_authenticated", False) else None
    )
    for row in rows:
        number, values = row.number, row.values
        username = values["username"]
        problems += _username_problems(number, username)
        if username in seen:
            problems.append(
                CellProblem(
                    number,
                    "username",
                    _("%(key)s is also on row %(row)d.") % {"key": username, "row": seen[username]},
                )
            )
        seen.setdefault(username, number)
        if len(values.get("display_name", "")) > DISPLAY_NAME_MAX:
            problems.append(
                CellProblem(
                    number, "display_name", _("Longer than %(max)d characters.") % {"max": DISPLAY_NAME_MAX}
                )
            )
        if username == actor_name and values.get("is_active") is False:
            problems.append(CellProblem(number, "is_active", _("You cannot deactivate your own account.")))
    raise_for_problems(problems)
    created: list[str] = []
    updated: dict[str, dict[str, list[Any]]] = {}
    with transaction.atomic():
        existing = {
            user.username: user
            for user in User.objects.filter(
                username__in=[row.values["username"] for row in rows]
            ).select_for_update()
        }
        for row in rows:
            values = row.values
            user = existing.get(values["username"])
            if user is None:
                user = create_user(
                    username=values["username"],
                    password=None,
                    display_name=values.get("display_name", ""),
                    actor=actor,
                    actor_label=actor_label,
                )
                if values.get("is_active") is False:
                    user.is_active = False
                    user.save(update_fields=["is_active"])
                existing[user.username] = user
                created.append(user.username)
                continue
            wanted: dict[str, Any] = {}
            if "display_name" in values:
                wanted["display_name"] = values["display_name"]
            if values.get("is_active") is not None:
                wanted["is_active"] = values["is_active"]
            changes = {
                name: [getattr(user, name), value]
                for name, value in wanted.items()
                if getattr(user, name) != value
            }
            if changes:
                for name, (_old, value) in changes.items():
                    setattr(user, name, value)
                user.save(update_fields=list(changes))
                updated[user.username] = changes
        report = record_import(
            "import_users",
            "accounts.user",
            rows=len(rows),
            created=created,
            updated=updated,
            file_name=file_name,
            actor=actor,
            actor_label=actor_label,
        )
    return report


def _related_codes(field_name: str, codes: set[str], key: str) -> dict[str, Any]:
    """code → primary key of the areas or departments named (accounts sits left of both domains)."""
    model = Membership._meta.get_field(field_name).related_model
    if not codes:
        return {}
    return dict(model._default_manager.filter(**{f"{key}__in": sorted(codes)}).values_list(key, "pk"))  # type: ignore[union-attr]


def import_memberships(
    rows: Sequence[SheetRow],
    *,
    known_problems: Sequence[CellProblem] = (),
    actor: Any = None,
    actor_label: str = "",
    file_name: str = "",
) -> ImportReport:
    """Grant the memberships of spreadsheet rows (login name, role, area code or department code).

    A membership already held counts as unchanged; none is ever revoked here (revoke in the admin).
    The rules are grant_membership's: a department handler names a department and no area, every
    other role no department, and every role but resident and administrator an area. Each grant is
    audited (grant_membership) and the import once (import_memberships). All-or-nothing, idempotent.
    """
    problems = list(known_problems)
    users = {
        user.username: user
        for user in User.objects.filter(username__in=sorted({row.values["username"] for row in rows}))
    }
    areas = _related_codes(
        "area", {row.values["area_code"] for row in rows if row.values.get("area_code")}, "code"
    )
    departments = _related_codes(
        "department",
        {row.values["department_code"] for row in rows if row.values.get("department_code")},
        "code",
    )
    seen: dict[tuple[str, str, str, str], int] = {}
    for row in rows:
        number, values = row.number, row.values
        username, role = values["username"], values["role"]
        area, department = values.get("area_code", ""), values.get("department_code", "")
        if username not in users:
            problems.append(
                CellProblem(
                    number,
                    "username",
                    _("No user has the login name %(name)s; import the users first.") % {"name": username},
                )
            )
        if role in DEPARTMENT_ROLES:
            if not department:
                problems.append(CellProblem(number, "department_code", _("This role needs a department.")))
            if area:
                problems.append(
                    CellProblem(number, "area_code", _("This role takes a department, not an area."))
                )
        else:
            if department:
                problems.append(
                    CellProblem(number, "department_code", _("Only a department handler takes a department."))
                )
            if not area and role not in (Role.RESIDENT, Role.ADMINISTRATOR):
                problems.append(CellProblem(number, "area_code", _("This role needs an area.")))
        if area and area not in areas:
            problems.append(
                CellProblem(number, "area_code", _("No area has the code %(code)s.") % {"code": area})
            )
        if department and department not in departments:
            problems.append(
                CellProblem(
                    number,
                    "department_code",
                    _("No department has the code %(code)s.") % {"code": department},
                )
            )
        key = (username, role, area, department)
        if key in seen:
            problems.append(
                CellProblem(number, "", _("The same membership is also on row %(row)d.") % {"row": seen[key]})
            )
        seen.setdefault(key, number)
    raise_for_problems(problems)
    granted: list[dict[str, Any]] = []
    with transaction.atomic():
        held: set[tuple[int, str, str | None, int | None]] = set(
            Membership.objects.filter(user__in=list(users.values())).values_list(
                "user_id", "role", "area_id", "department_id"
            )
        )
        for row in rows:
            values = row.values
            user = users[values["username"]]
            area_code = values.get("area_code") or None
            department_id = departments[values["department_code"]] if values.get("department_code") else None
            if (user.pk, values["role"], area_code, department_id) in held:
                continue
            grant_membership(
                user=user,
                role=Role(values["role"]),
                area_code=area_code,
                department_id=department_id,
                actor=actor,
                actor_label=actor_label,
            )
            held.add((user.pk, values["role"], area_code, department_id))
            granted.append(
                {
                    "user": user.username,
                    "role": values["role"],
                    "area": area_code,
                    "department": values.get("department_code") or None,
                }
            )
        report = ImportReport(created=len(granted), unchanged=len(rows) - len(granted))
        if report.changed:
            record_audit_event(
                action="import_memberships",
                subject_type="accounts.membership",
                actor=actor,
                actor_label=actor_label,
                data={**report.as_dict(), "file": file_name, "granted": granted},
            )
    return report
