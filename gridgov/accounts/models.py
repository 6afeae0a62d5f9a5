"""Users, their roles, and their memberships in areas and departments.

A membership gives a user one role in one area (and its subtree) or one department. A user's
data scope is the union of their memberships; see gridgov/accounts/scope.py.
"""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

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

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

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
