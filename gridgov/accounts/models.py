"""Users, their roles, and their memberships in areas and departments.

A membership gives a user one role in one area (and its subtree) or one department. A user's
data scope is the union of their memberships; see gridgov/accounts/scope.py.
"""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.clock import now
from gridgov.core.models import TimestampedModel


class Role(models.TextChoices):
    RESIDENT = "resident", _("resident")  # 居民
    GRID_WORKER = "grid_worker", _("grid worker")  # 网格员
    GRID_LEADER = "grid_leader", _("grid leader")  # 网格长
    COMMUNITY_WORKER = "community_worker", _("community worker")  # 社工
    INTAKE_CLERK = "intake_clerk", _("intake clerk")  # 受理员
    DISPATCHER = "dispatcher", _("dispatcher")  # 派遣员
    DEPARTMENT_HANDLER = "department_handler", _("department handler")  # 专业部门处置人员
    LEADER = "leader", _("leader")  # 值班长 / 领导
    ADMINISTRATOR = "administrator", _("administrator")  # 系统管理员


# Roles whose membership must name a department; every other staff role names an area.
DEPARTMENT_ROLES = frozenset({Role.DEPARTMENT_HANDLER})
# A resident needs no membership at all; an administrator may have one area to limit them.
ROLES_WITHOUT_SCOPE = frozenset({Role.RESIDENT})


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    # A mainland mobile number the user proved by an SMS code (gridgov/accounts/phones.py): stored
    # encrypted, shown masked, and found by its keyed digest (gridgov/accounts/phone_numbers.py),
    # which also links the cases reported with that number to this account.
    phone_encrypted = models.TextField(_("phone (encrypted)"), blank=True)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True)
    phone_digest = models.CharField(_("phone digest"), max_length=64, blank=True)
    phone_verified_at = models.DateTimeField(_("phone verified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # One account per phone number; also the index that finds a user by number.
            models.UniqueConstraint(
                fields=["phone_digest"], condition=~Q(phone_digest=""), name="user_unique_phone"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username


class Membership(TimestampedModel):
    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    department = models.ForeignKey(
        "catalogue.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                name="membership_area_or_department",
                condition=Q(area__isnull=True) | Q(department__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        place = self.department or self.area or "—"
        return f"{self.user} · {self.get_role_display()} · {place}"


class ApiToken(TimestampedModel):
    """A machine's credential for the API. Only a hash of the secret is stored."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    # The first characters of the secret, so a leaked token can be found and revoked.
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    secret_hash = models.CharField(_("secret hash"), max_length=64, unique=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class PhoneCodePurpose(models.TextChoices):
    SIGN_UP = "sign_up", _("sign up")
    SIGN_IN = "sign_in", _("sign in")


class PhoneCodeStatus(models.TextChoices):
    PENDING = "pending", _("waiting to be entered")
    USED = "used", _("used")
    SUPERSEDED = "superseded", _("replaced by a newer code")
    LOCKED = "locked", _("too many wrong attempts")


class PhoneCode(models.Model):
    """One SMS code sent to a phone number (短信验证码). Only a keyed hash of the code is kept.

    Rows stay after use: the per-number sending limits count them.
    """

    purpose = models.CharField(_("purpose"), max_length=10, choices=PhoneCodePurpose.choices)
    phone_digest = models.CharField(_("phone digest"), max_length=64)
    # The number, for the account it creates and for "send again"; nothing else reads it.
    phone_encrypted = models.TextField(_("phone (encrypted)"))
    phone_masked = models.CharField(_("phone"), max_length=20)
    salt = models.CharField(_("salt"), max_length=32)
    code_hash = models.CharField(_("code hash"), max_length=64)
    status = models.CharField(
        _("status"), max_length=12, choices=PhoneCodeStatus.choices, default=PhoneCodeStatus.PENDING
    )
    wrong_attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), default=now, editable=False)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SMS code")
        verbose_name_plural = _("SMS codes")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sending limits: the codes sent to one number recently.
            models.Index(fields=["phone_digest", "created_at"], name="phonecode_number_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.phone_masked} · {self.get_purpose_display()} · {self.get_status_display()}"


class LoginThrottle(models.Model):
    """Failed password logins for one login name, to lock it for a while after too many."""

    # A keyed digest of the name as typed (lower-cased; a phone number in its 11-digit form), so
    # the table holds no names or numbers in clear.
    login_digest = models.CharField(_("login digest"), max_length=64, unique=True)
    failures = models.PositiveSmallIntegerField(_("failures"), default=0)
    first_failure_at = models.DateTimeField(_("first failure at"))
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("login throttle")
        verbose_name_plural = _("login throttles")

    def __str__(self) -> str:
        return f"{self.login_digest[:12]}… · {self.failures}"
