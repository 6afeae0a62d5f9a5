"""Departments, their functions, and the case categories they answer for.

A *function* (职能) is what a department does, the same in every district: 住建, 生态环境, 交通 ….
A *department* is one concrete unit with a function in one area: 上城区住房和城乡建设局.
Categories map to functions, so the same catalogue routes to the right unit in every district.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.catalogue.calendar import TimeUnit
from gridgov.core.area_codes import Level
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


# ------------------------------------------------------------------------------ working calendar


class HolidayKind(models.TextChoices):
    HOLIDAY = "holiday", _("holiday (放假)")
    # A Saturday or Sunday worked to make a holiday longer (调休上班).
    MAKEUP_WORKDAY = "makeup_workday", _("make-up working day (调休上班)")


class HolidayDate(TimestampedModel):
    """One day off or one make-up working day of the working calendar (data/calendar-YYYY.csv).

    Every other day is a working day from Monday to Friday and a day off on the weekend.
    """

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=HolidayKind.choices)
    name = models.CharField(_("name"), max_length=60, help_text=_("The holiday it belongs to, e.g. 国庆节."))

    class Meta:
        verbose_name = _("holiday or make-up working day")
        verbose_name_plural = _("holidays and make-up working days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name} ({self.get_kind_display()})"


class WorkingPeriod(TimestampedModel):
    """One working period of every working day, in local time (Asia/Shanghai).

    With no row at all the calendar uses 08:30–12:00 and 13:30–17:30 (calendar.DEFAULT_PERIODS).
    """

    start_time = models.TimeField(_("start"))
    end_time = models.TimeField(_("end"))

    class Meta:
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")
        ordering = ["start_time"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_time__lt=models.F("end_time")),
                name="working_period_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start_time:%H:%M}–{self.end_time:%H:%M}"


# ---------------------------------------------------------------- matters (事项清单) and time limits


class ResponseLevel(models.TextChoices):
    """The four levels of the four-level response (四级响应); values are the area levels'."""

    GRID = Level.GRID.value, _("grid (网格)")
    COMMUNITY = Level.COMMUNITY.value, _("community (社区/村)")
    STREET = Level.STREET.value, _("street (街道/乡镇)")
    DISTRICT = Level.DISTRICT.value, _("district (区县)")


# From the lowest level up: a case starts at its category's normal level and climbs one at a time.
RESPONSE_LEVEL_ORDER: tuple[str, ...] = (
    ResponseLevel.GRID,
    ResponseLevel.COMMUNITY,
    ResponseLevel.STREET,
    ResponseLevel.DISTRICT,
)


class Step(models.TextChoices):
    """The steps of the closed loop that run against a time limit."""

    VERIFY = "verify", _("verify (核实)")
    REGISTER = "register", _("register (立案)")
    DISPATCH = "dispatch", _("dispatch (派遣)")
    SIGN = "sign", _("sign for (签收)")
    HANDLE = "handle", _("handle (处置)")
    CHECK = "check", _("check (核查)")
    CLOSE = "close", _("close (结案)")
    # 12345: the first contact with the caller (首次响应).
    RESPOND = "respond", _("respond (响应)")


class LimitUnit(models.TextChoices):
    """The units of calendar.TimeUnit, with their names."""

    WORKING_HOURS = TimeUnit.WORKING_HOURS.value, _("working hours (工作时)")
    WORKING_DAYS = TimeUnit.WORKING_DAYS.value, _("working days (工作日)")
    NATURAL_HOURS = TimeUnit.NATURAL_HOURS.value, _("natural hours (自然时)")
    NATURAL_DAYS = TimeUnit.NATURAL_DAYS.value, _("natural days (自然日)")


class MatterRule(TimestampedModel):
    """The matter-catalogue entry (事项) of one category: its normal level, urgency, duties and limits.

    Everything left empty is inherited from the nearest ancestor category's rule, then from the
    documented defaults (queries.rule_for, docs/time-limits.md).
    """

    category = models.OneToOneField(
        CaseCategory, verbose_name=_("category"), on_delete=models.CASCADE, related_name="matter_rule"
    )
    normal_level = models.CharField(
        _("normal level"),
        max_length=12,
        choices=ResponseLevel.choices,
        blank=True,
        help_text=_("The level that normally handles it. Empty: as the parent category."),
    )
    allows_urgent = models.BooleanField(
        _("may be urgent"),
        null=True,
        blank=True,
        help_text=_("Whether a case of this category may be marked urgent. Empty: as the parent category."),
    )

    class Meta:
        verbose_name = _("matter rule")
        verbose_name_plural = _("matter rules")
        ordering = ["category__code"]

    def __str__(self) -> str:
        return str(self.category)


class MatterResponsibility(TimestampedModel):
    """The function that answers for a matter at one level. No function: the level's own staff do."""

    rule = models.ForeignKey(
        MatterRule, verbose_name=_("matter rule"), on_delete=models.CASCADE, related_name="responsibilities"
    )
    level = models.CharField(_("level"), max_length=12, choices=ResponseLevel.choices)
    function = models.ForeignKey(
        DepartmentFunction,
        verbose_name=_("function"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="matter_responsibilities",
        help_text=_("Empty: the grid, community or street handles it itself (属地)."),
    )

    class Meta:
        verbose_name = _("matter responsibility")
        verbose_name_plural = _("matter responsibilities")
        ordering = ["rule_id", "level", "function__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "level", "function"], name="matter_responsibility_unique_function"
            ),
            # NULL functions never clash in a unique constraint, so "the level itself" needs its own.
            models.UniqueConstraint(
                fields=["rule", "level"],
                condition=models.Q(function__isnull=True),
                name="matter_responsibility_unique_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.level}: {self.function or '-'}"


class TimeLimit(TimestampedModel):
    """One time limit (时限) of a matter: step, level (empty: every level), urgency, amount and unit."""

    rule = models.ForeignKey(
        MatterRule, verbose_name=_("matter rule"), on_delete=models.CASCADE, related_name="time_limits"
    )
    step = models.CharField(_("step"), max_length=12, choices=Step.choices)
    level = models.CharField(
        _("level"),
        max_length=12,
        choices=ResponseLevel.choices,
        blank=True,
        help_text=_("Empty: at every level."),
    )
    is_urgent = models.BooleanField(_("urgent"), default=False)
    amount = models.DecimalField(_("amount"), max_digits=7, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=16, choices=LimitUnit.choices)
    source = models.CharField(
        _("source"), max_length=200, blank=True, help_text=_("Where the value comes from (a local rule).")
    )

    class Meta:
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        ordering = ["rule_id", "step", "level", "is_urgent"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "step", "level", "is_urgent"], name="time_limit_unique_step"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="time_limit_amount_positive"),
        ]

    def __str__(self) -> str:
        urgent = " !" if self.is_urgent else ""
        return f"{self.rule} {self.step}{urgent}: {format(self.amount.normalize(), 'f')} {self.unit}"
