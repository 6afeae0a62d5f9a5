"""What gridgov tells people and machines: the staff inbox, outbound webhooks, SMS/DingTalk messages.

Every table here is written only by `actions.py`. The inbox and the outbound log are records of what
was said to whom; webhook deliveries are an outbox (发件箱): a business action writes the delivery row
in its own transaction, and `deliver_due_webhooks` sends it afterwards, so a rolled-back action
publishes nothing and a receiver that is down gets the event later.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.clock import now
from gridgov.core.models import TimestampedModel


class MessageKind(models.TextChoices):
    NEW_TASK = "new_task", _("new task")  # 新任务
    WARNING = "warning", _("warning (yellow light)")  # 预警（黄灯）
    OVERDUE = "overdue", _("overdue")  # 超期（红灯）
    SUPERVISION = "supervision", _("supervision")  # 督办
    RETURNED = "returned", _("returned")  # 回退
    INFO = "info", _("information")  # 通知


class InboxMessage(models.Model):
    """One message in one staff member's in-app inbox (站内消息)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="inbox_messages",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MessageKind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    # What the message is about, as "<app>.<model>" and its key ("cases.case", "42"): domains to the
    # right of this one name their rows without this domain importing them.
    subject_type = models.CharField(_("subject type"), max_length=80, blank=True)
    subject_id = models.CharField(_("subject id"), max_length=80, blank=True)
    # A path inside gridgov ("/cases/42/"), never an absolute URL: the inbox renders it as a link.
    link = models.CharField(_("link"), max_length=500, blank=True)
    # Set by sweeps that may run twice ("overdue:case:42:2026-03-01"): one message per recipient and key.
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=now, editable=False)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbox message")
        verbose_name_plural = _("inbox messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The inbox page: one recipient's messages, newest first.
            models.Index(fields=["recipient", "-created_at", "-id"], name="inbox_recipient_newest"),
            # The unread badge on every page: a small partial index, unread rows only.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="inbox_unread"),
        ]
        constraints = [
            # A retried sweep must never notify twice; messages without a key are never deduplicated.
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="inbox_unique_dedupe_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.title}"


class WebhookEndpoint(TimestampedModel):
    """A receiver of signed event POSTs (see docs/notifications.md for the signature scheme)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    url = models.URLField(_("URL"), max_length=500)
    # Shared with the receiver, which checks X-Gridgov-Signature with it; never sent over the wire.
    secret = models.CharField(
        _("secret"), max_length=200, blank=True, help_text=_("Leave empty to have one generated.")
    )
    # Event types to send ("case.created", or "case.*" for a family); an empty list means every event.
    event_types = models.JSONField(
        _("event types"),
        default=list,
        blank=True,
        help_text=_('A JSON list such as ["case.created", "case.*"]; empty means every event.'),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed (gave up)")


class WebhookDelivery(models.Model):
    """One event for one endpoint, and where its delivery stands."""

    # Deleting an endpoint deletes its history; the admin deactivates endpoints instead.
    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(_("event type"), max_length=100)
    # The receiver's idempotency key (X-Gridgov-Delivery): every attempt of one event sends the same id.
    event_id = models.CharField(_("event id"), max_length=36)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Null once delivered or given up. While an attempt is under way it holds the claim's lease end.
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=now, editable=False)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last status code"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweeper's question: which pending deliveries are due?
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhook_delivery_due",
            ),
        ]
        constraints = [
            # publish_event is idempotent: the same event id reaches an endpoint once.
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_delivery_unique_event"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} → {self.endpoint_id}"


class OutboundStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class OutboundMessage(models.Model):
    """One text sent (or tried) through an outbound channel: SMS, DingTalk, console.

    Only the masked recipient is kept (138****1234): the log must not become a phone book.
    """

    channel = models.CharField(_("channel"), max_length=40)
    recipient_masked = models.CharField(_("recipient (masked)"), max_length=100, blank=True)
    text = models.TextField(_("text"))
    status = models.CharField(
        _("status"), max_length=12, choices=OutboundStatus.choices, default=OutboundStatus.PENDING
    )
    error = models.TextField(_("error"), blank=True)
    # One send per channel and key ("overdue-sms:case:42:user:7"), however often the caller retries.
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=now, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="outbound_unique_dedupe_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.recipient_masked}"
