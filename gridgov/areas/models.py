"""The area tree: province → city → district → street → community → grid → micro-grid."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.area_codes import Level
from gridgov.core.clock import now


class AreaLevel(models.TextChoices):
    PROVINCE = Level.PROVINCE.value, _("province")
    CITY = Level.CITY.value, _("city")
    DISTRICT = Level.DISTRICT.value, _("district / county")
    STREET = Level.STREET.value, _("street / town")
    COMMUNITY = Level.COMMUNITY.value, _("community / village")
    GRID = Level.GRID.value, _("grid")
    MICRO_GRID = Level.MICRO_GRID.value, _("micro-grid")


class BoundarySource(models.TextChoices):
    NONE = "", _("no boundary")
    IMPORTED = "imported", _("imported")
    # Demo grids and the streets and communities drawn around them are invented: no public street
    # or grid polygons exist. Every page that shows them must say so.
    GENERATED = "generated", _("generated for the demo")


class Area(models.Model):
    # The 统计用区划代码 (12 digits), grid (15) or micro-grid (18) code is the key: data scope is a
    # prefix of it, so it must never change once other rows refer to it.
    code = models.CharField(_("code"), max_length=18, primary_key=True)
    name = models.CharField(_("name"), max_length=100, db_index=True)
    level = models.CharField(_("level"), max_length=12, choices=AreaLevel.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # GeoJSON geometry (Polygon or MultiPolygon) in settings.GRIDGOV_COORDINATE_SYSTEM.
    boundary = models.JSONField(_("boundary"), null=True, blank=True)
    boundary_source = models.CharField(
        _("boundary source"), max_length=12, choices=BoundarySource.choices, blank=True, default=""
    )
    # The bounding box lets SQL pick the candidates for a viewport or a point before shapely looks.
    min_lon = models.FloatField(_("west"), null=True, blank=True)
    min_lat = models.FloatField(_("south"), null=True, blank=True)
    max_lon = models.FloatField(_("east"), null=True, blank=True)
    max_lat = models.FloatField(_("north"), null=True, blank=True)
    centre_lon = models.FloatField(_("centre longitude"), null=True, blank=True)
    centre_lat = models.FloatField(_("centre latitude"), null=True, blank=True)
    area_km2 = models.FloatField(_("area (km²)"), null=True, blank=True)
    households = models.PositiveIntegerField(_("households"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=now)

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["min_lon", "min_lat"], name="area_bbox_sw"),
            models.Index(fields=["parent", "code"], name="area_children"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


def boundaries_left_out(*relations: str) -> list[str]:
    """Arguments of `QuerySet.defer` that leave the boundary of each related area (`"area"`,
    `"case__area"`) unread where a query follows it with select_related.

    A district's or city's GeoJSON is tens to hundreds of kilobytes: read and parsed on every row
    that names the area, it cost 0.5 ms of the 3 ms of `GET /api/v1/accounts/me` (the operator's two
    memberships on Hangzhou). Only gridgov/areas draws boundaries, from its own queries.
    """
    return [f"{relation}__boundary" for relation in relations]


class BoundaryVersion(models.Model):
    """One row whose counter moves whenever any boundary changes.

    Each process keeps its locate index in memory and rebuilds it when this number differs from
    the one it was built at: one primary-key read per locate call instead of a table scan.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(default=now)

    class Meta:
        verbose_name = _("boundary version")
        verbose_name_plural = _("boundary version")

    def __str__(self) -> str:
        return f"v{self.version}"
