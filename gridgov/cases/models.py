"""The closed loop's tables: cases, their append-only events, department tasks, requests, photos.

Case            one problem, from report to rating (案件 / 工单)
├── CaseEvent   every state change and every note, append-only (案件流转记录)
├── CaseTask    one per department a case is sent to; 吹哨 sends several (派遣单)
├── CaseRequest an extension (延期) or suspension (挂账) asked for and decided
└── CasePhoto   photos of the report, before and after handling, and of the check
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.clock import now


class CaseStatus(models.TextChoices):
    REPORTED = "reported", _("reported")  # 上报 / 待受理
    REGISTERED = "registered", _("registered")  # 已立案 / 待派遣
    DISPATCHED = "dispatched", _("dispatched")  # 已派遣 / 待签收
    IN_PROGRESS = "in_progress", _("in progress")  # 处置中
    HANDLED = "handled", _("handled")  # 已处置 / 待核查
    CHECKED = "checked", _("checked")  # 核查通过 / 待结案
    CLOSED = "closed", _("closed")  # 已结案 / 待评价
    RATED = "rated", _("rated")  # 已评价
    SUSPENDED = "suspended", _("suspended")  # 挂账
    VOIDED = "voided", _("voided")  # 作废
    MERGED = "merged", _("merged into another case")  # 合并


OPEN_STATUSES = frozenset(
    {
        CaseStatus.REPORTED,
        CaseStatus.REGISTERED,
        CaseStatus.DISPATCHED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.HANDLED,
        CaseStatus.CHECKED,
        CaseStatus.SUSPENDED,
    }
)


class CaseSource(models.TextChoices):
    HOTLINE = "hotline", _("12345 hotline")  # 12345 热线
    WEB = "web", _("web / QR code")  # 网页 / 扫码
    GRID_PATROL = "grid_patrol", _("grid patrol")  # 网格巡查
    SENSOR = "sensor", _("sensor (IoT)")  # 物联感知
    VIDEO_AI = "video_ai", _("video AI")  # 视频智能识别
    DRONE = "drone", _("drone")  # 无人机
    TRANSFER = "transfer", _("transfer from a higher level")  # 上级交办
    OPEN311 = "open311", _("Open311 client")
    HOT_ISSUE = "hot_issue", _("hot issue (coordinated case)")  # 热点问题并案：办好一类事


class HandlingLevel(models.TextChoices):
    """The four-level response (四级响应): where a case is handled, lowest first."""

    GRID = "grid", _("grid")
    COMMUNITY = "community", _("community")
    STREET = "street", _("street")
    DISTRICT = "district", _("district")


class Light(models.TextChoices):
    NONE = "", _("no running limit")
    GREEN = "green", _("green")
    YELLOW = "yellow", _("yellow")
    RED = "red", _("red")


class Case(models.Model):
    number = models.CharField(_("number"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("source"), max_length=16, choices=CaseSource.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.REPORTED, db_index=True
    )
    category = models.ForeignKey(
        "catalogue.CaseCategory",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    # The grid (or smallest area) where the problem is; scope checks use its code prefix.
    area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    level = models.CharField(
        _("handling level"), max_length=10, choices=HandlingLevel.choices, default=HandlingLevel.GRID
    )
    # The area at the handling level (the grid, its community, street or district): 属地.
    handling_area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("handling area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_cases",
    )
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_urgent = models.BooleanField(_("urgent"), default=False)

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reported_cases",
    )
    reporter_name = models.CharField(_("reporter name"), max_length=60, blank=True)
    reporter_contact_encrypted = models.TextField(_("reporter contact (encrypted)"), blank=True)
    reporter_contact_masked = models.CharField(_("reporter contact"), max_length=40, blank=True)
    # The keyed digest of the contact when it is a mainland mobile number (accounts.phone_numbers):
    # a resident whose verified phone has the same digest follows the case as its reporter.
    reporter_contact_digest = models.CharField(
        _("reporter contact digest"), max_length=64, blank=True, db_index=True
    )
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    # A machine's retry of the same report carries the same key: one case, never two.
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, blank=True)

    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    me_too_count = models.PositiveIntegerField(_("me too"), default=0)
    # What the message classifier proposed at intake (label, confidence, top classes) and the
    # version of the model that proposed it, so every suggestion can be traced and re-measured.
    class_suggestion = models.JSONField(_("class suggestion"), default=dict, blank=True)
    model_version = models.CharField(_("model version"), max_length=40, blank=True)

    # The running limit of the current step and its light (time limits live in deadline rows too).
    limit_started_at = models.DateTimeField(_("limit started at"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True, db_index=True)
    limit_unit = models.CharField(_("limit unit"), max_length=16, blank=True)
    light = models.CharField(_("light"), max_length=8, choices=Light.choices, blank=True, default="")
    is_overdue = models.BooleanField(_("overdue"), default=False)
    # Seconds of the limit left when the case was suspended (挂账 stops the clock).
    suspended_remaining_seconds = models.PositiveIntegerField(null=True, blank=True)
    supervision_count = models.PositiveIntegerField(_("supervisions"), default=0)
    rework_count = models.PositiveIntegerField(_("reworks"), default=0)
    reopen_count = models.PositiveIntegerField(_("reopened"), default=0)

    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    is_satisfied = models.BooleanField(_("satisfied"), null=True, blank=True)

    reported_at = models.DateTimeField(_("reported at"), default=now, db_index=True)
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=now)
    # Optimistic lock: every action increments it; a client that sends an older version is refused.
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-reported_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="case_unique_idempotency_key",
            ),
        ]
        indexes = [
            models.Index(fields=["area", "status"], name="case_area_status"),
            models.Index(fields=["status", "reported_at"], name="case_status_reported"),
            # The cockpit's "today's intake" and hot spots of an area (docs/cockpit.md).
            models.Index(fields=["area", "reported_at"], name="case_area_reported"),
            # Open cases of an area (the cockpit's "open now" reads only the open ones) and the cases
            # changed since a moment (evaluation's overdue-at-period-end candidates): issue 6.
            models.Index(fields=["status", "area"], name="case_status_area"),
            models.Index(fields=["updated_at"], name="case_updated"),
            # The duplicate check: open cases near a point (cases.queries.find_duplicates).
            models.Index(fields=["status", "lat", "lon"], name="case_status_point"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class CaseTask(models.Model):
    """The part of a case one department must do (派遣单); a whistle (吹哨) makes several."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting to be signed")
        SIGNED = "signed", _("signed, being handled")
        DONE = "done", _("done")
        RETURNED = "returned", _("returned")
        CANCELLED = "cancelled", _("cancelled")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="tasks")
    department = models.ForeignKey(
        "catalogue.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="case_tasks",
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    is_whistle = models.BooleanField(_("whistle"), default=False)
    sign_due_at = models.DateTimeField(_("sign due at"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=now)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("case task")
        verbose_name_plural = _("case tasks")
        ordering = ["id"]
        indexes = [models.Index(fields=["department", "status"], name="task_department_status")]

    def __str__(self) -> str:
        return f"{self.case.number} → {self.department}"


class CaseEvent(models.Model):
    """One append-only line of a case's history. Evaluation counts these, never the case row."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=32, db_index=True)
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("actor label"), max_length=150, blank=True)
    department = models.ForeignKey(
        "catalogue.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The area code the case belonged to at the time, so evaluation by area needs no join.
    area_code = models.CharField(_("area code"), max_length=18, blank=True)
    level = models.CharField(_("level"), max_length=10, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), default=now, db_index=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["action", "occurred_at"], name="event_action_time"),
            # Evaluation and cockpit counts of one action in one area over a period.
            models.Index(
                fields=["action", "area_code", "occurred_at"],
                name="event_action_area_time",
                # PostgreSQL answers an area prefix (LIKE '330102001%') from an index only with the
                # pattern operator class (unless the database collation is C); SQLite ignores it
                # and is given a range instead (accounts.scope.code_prefix_q).
                opclasses=["", "varchar_pattern_ops", ""],
            ),
            # A street's or a grid's events of a period; wider areas read the period by occurred_at
            # (accounts.scope.period_prefix_q).
            models.Index(
                fields=["area_code", "occurred_at"],
                name="event_area_time",
                opclasses=["varchar_pattern_ops", ""],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.from_status}→{self.to_status}"


class CaseRequest(models.Model):
    """An extension (延期) or suspension (挂账) a department asked for, and its decision."""

    class Kind(models.TextChoices):
        EXTENSION = "extension", _("extension")
        SUSPENSION = "suspension", _("suspension")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="requests")
    task = models.ForeignKey(
        CaseTask, verbose_name=_("task"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(_("reason"))
    extra_hours = models.PositiveIntegerField(_("extra working hours"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), default=now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        verbose_name = _("case request")
        verbose_name_plural = _("case requests")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.status}"


class CasePhoto(models.Model):
    class Kind(models.TextChoices):
        REPORT = "report", _("report")
        BEFORE = "before", _("before handling")
        AFTER = "after", _("after handling")
        CHECK = "check", _("check")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(
        CaseEvent,
        verbose_name=_("event"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="photos",
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    image = models.FileField(_("image"), upload_to="cases/%Y/%m/")
    content_type = models.CharField(_("content type"), max_length=40)
    size_bytes = models.PositiveIntegerField(_("size"))
    uploaded_at = models.DateTimeField(_("uploaded at"), default=now)

    class Meta:
        verbose_name = _("case photo")
        verbose_name_plural = _("case photos")

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class CaseCounter(models.Model):
    """The last number given per district and local day: 330102-20261122-000123."""

    district_code = models.CharField(max_length=6)
    day = models.DateField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["district_code", "day"], name="counter_unique_day")]

    def __str__(self) -> str:
        return f"{self.district_code}-{self.day:%Y%m%d}: {self.last_value}"
