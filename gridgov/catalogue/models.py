"""Departments, their functions, and the case categories they answer for.

A *function* (职能) is what a department does, the same in every district: 住建, 生态环境, 交通 ….
A *department* is one concrete unit with a function in one area: 上城区住房和城乡建设局.
Categories map to functions, so the same catalogue routes to the right unit in every district.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.models import TimestampedModel


class DepartmentFunction(TimestampedModel):
    """A function (职能) such as 住房和城乡建设, the same in every district (data/functions.csv)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    # Appended to an area's name to name that area's unit: 上城区 + 住房和城乡建设局.
    unit_suffix = models.CharField(
        _("unit name suffix"),
        max_length=40,
        blank=True,
        help_text=_("Appended to a district's name to name its department, e.g. 住房和城乡建设局."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("department function")
        verbose_name_plural = _("department functions")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class Department(TimestampedModel):
    """A functional department (职能部门) or responsible unit (责任单位).

    `area` is the level that owns the department (a district's 住建局, a street's 城管中队);
    `served_areas` are the areas whose cases it handles, usually that same area.
    """

    # District units made by create_district_departments are coded "<6-digit district>-<function>".
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    function = models.ForeignKey(
        DepartmentFunction,
        verbose_name=_("function"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="departments",
    )
    area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("owning area"),
        on_delete=models.PROTECT,
        related_name="departments",
    )
    served_areas = models.ManyToManyField(
        "areas.Area", verbose_name=_("served areas"), related_name="serving_departments", blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["area_id", "code"]

    def __str__(self) -> str:
        return self.name


class CategoryScheme(models.TextChoices):
    # 数字城管 GB/T 30428.2 / CJ/T 214: 事件 (events) and 部件 (components), 大类 + 小类.
    URBAN_EVENT = "event", _("urban management event (事件)")
    URBAN_COMPONENT = "component", _("urban management component (部件)")
    # The citizen-message classes of the 12345 / 网络问政 taxonomy, three levels.
    CITIZEN_MESSAGE = "message", _("citizen message class (诉求分类)")


class CaseCategory(TimestampedModel):
    """One node of a category tree. Codes: scheme letter + two digits per level.

    事件 E01 市容环境 → E0101 私搭乱建; 部件 C01 公用设施 → C0101 上水井盖;
    citizen messages M01 城乡建设 → M0101 安全生产 → M010101 事故处理.
    """

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=60)
    scheme = models.CharField(_("scheme"), max_length=12, choices=CategoryScheme.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # 1 for 大类 / level-1 classes, 2 for 小类 / level-2, 3 for level-3 message classes.
    depth = models.PositiveSmallIntegerField(_("depth"))
    # Empty means "as the parent": routing takes the nearest ancestor's functions.
    functions = models.ManyToManyField(
        DepartmentFunction,
        verbose_name=_("responsible functions"),
        related_name="categories",
        blank=True,
    )
    is_public = models.BooleanField(
        _("public"), default=True, help_text=_("Residents may choose it when they report.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("case category")
        verbose_name_plural = _("case categories")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name_in_parent"),
            # NULL parents never clash in a unique constraint, so roots need their own.
            models.UniqueConstraint(
                fields=["scheme", "name"],
                condition=models.Q(parent__isnull=True),
                name="category_unique_root_name_in_scheme",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
