"""Grid workers' field work: household visits (走访) and patrols (巡查) with their GPS track.

HouseholdVisit   one visit to a household, logged on the phone (often offline, sent later)
Patrol           one round of the grid, from start to end, with its length
└── PatrolPoint  one GPS position recorded during the patrol (storage coordinate system)

Every row the phone creates carries the UUID the phone gave it (`client_id`), unique per worker,
so a phone that sends the same item twice (the first answer was lost) stores it once.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.clock import now


class VisitPurpose(models.TextChoices):
    ROUTINE = "routine", _("routine visit")  # 日常走访
    ELDERLY_CARE = "elderly_care", _("elderly care")  # 关爱老人
    DISPUTE = "dispute", _("dispute mediation")  # 矛盾调解
    SAFETY = "safety", _("safety check")  # 安全检查
    OTHER = "other", _("other")


class HouseholdVisit(models.Model):
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="household_visits"
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("worker"),
        on_delete=models.PROTECT,
        related_name="household_visits",
    )
    # Free text until the registry (一标三实) exists: "3幢2单元401 王家" or an address.
    household = models.CharField(_("household or address"), max_length=200)
    visited_at = models.DateTimeField(_("visited at"), db_index=True)
    purpose = models.CharField(_("purpose"), max_length=16, choices=VisitPurpose.choices)
    notes = models.TextField(_("notes"), blank=True)
    follow_up_needed = models.BooleanField(_("follow-up needed"), default=False)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="household_visits",
    )
    client_id = models.UUIDField(_("phone's id"))
    recorded_at = models.DateTimeField(_("received at"), default=now)

    class Meta:
        verbose_name = _("household visit")
        verbose_name_plural = _("household visits")
        ordering = ["-visited_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["worker", "client_id"], name="visit_unique_client_id"),
        ]
        indexes = [models.Index(fields=["area", "visited_at"], name="visit_area_time")]

    def __str__(self) -> str:
        return f"{self.household} · {self.visited_at:%Y-%m-%d}"


class Patrol(models.Model):
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("worker"), on_delete=models.PROTECT, related_name="patrols"
    )
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="patrols"
    )
    client_id = models.UUIDField(_("phone's id"))
    started_at = models.DateTimeField(_("started at"), db_index=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # Computed from the points when the patrol ends (and again if late points arrive after it).
    distance_m = models.FloatField(_("distance (m)"), default=0)
    point_count = models.PositiveIntegerField(_("points"), default=0)

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["worker", "client_id"], name="patrol_unique_client_id"),
        ]
        indexes = [models.Index(fields=["area", "started_at"], name="patrol_area_time")]

    def __str__(self) -> str:
        return f"{self.worker} · {self.started_at:%Y-%m-%d %H:%M}"


class PatrolPoint(models.Model):
    patrol = models.ForeignKey(
        Patrol, verbose_name=_("patrol"), on_delete=models.CASCADE, related_name="points"
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    # In settings.GRIDGOV_COORDINATE_SYSTEM, like every stored point (converted from the phone's GPS).
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    accuracy_m = models.FloatField(_("accuracy (m)"), null=True, blank=True)

    class Meta:
        verbose_name = _("patrol point")
        verbose_name_plural = _("patrol points")
        ordering = ["recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["patrol", "recorded_at"], name="patrol_point_unique_time"),
        ]

    def __str__(self) -> str:
        return f"{self.recorded_at:%H:%M:%S} {self.lon:.6f},{self.lat:.6f}"
