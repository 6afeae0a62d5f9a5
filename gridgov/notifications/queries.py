"""Reads of the inbox (always one user's own) and of the webhook tables (for the sweeper and actions).

The inbox has no data scope beyond "yours": a message belongs to its recipient, and anyone else's
is NotFound, never 403.
"""

from collections.abc import Collection
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from gridgov.accounts.models import User
from gridgov.notifications.errors import InboxMessageNotFound
from gridgov.notifications.events import pattern_matches
from gridgov.notifications.models import (
    DeliveryStatus,
    InboxMessage,
    MessageKind,
    WebhookDelivery,
    WebhookEndpoint,
)

# --------------------------------------------------------------------------------------------- inbox


def inbox_for(
    user: User | AnonymousUser, unread_only: bool = False, *, kind: MessageKind | str | None = None
) -> QuerySet[InboxMessage]:
    """`user`'s own messages, newest first; only the unread ones with `unread_only`."""
    if not user.is_authenticated:
        return InboxMessage.objects.none()
    messages = InboxMessage.objects.filter(recipient_id=user.pk)
    if unread_only:
        messages = messages.filter(read_at__isnull=True)
    if kind:
        messages = messages.filter(kind=kind)
    return messages.order_by("-created_at", "-id")


def unread_count(user: User | AnonymousUser) -> int:
    """How many of `user`'s messages are unread (the badge)."""
    return inbox_for(user, unread_only=True).count()


def get_message_for(user: User | AnonymousUser, message_id: int) -> InboxMessage:
    """One of `user`'s messages; InboxMessageNotFound when missing or someone else's."""
    message = inbox_for(user).filter(pk=message_id).first()
    if message is None:
        raise InboxMessageNotFound(details={"id": message_id})
    return message


# ------------------------------------------------------------------------------------------ webhooks


def endpoints_for_event(event_type: str) -> list[WebhookEndpoint]:
    """The active endpoints that subscribe to `event_type`, by id."""
    return [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(is_active=True).order_by("pk")
        if pattern_matches(endpoint.event_types or [], event_type)
    ]


def due_deliveries(
    moment: datetime, *, delivery_ids: Collection[int] | None = None
) -> QuerySet[WebhookDelivery]:
    """Pending deliveries to active endpoints whose next attempt is due at `moment`, oldest due first."""
    deliveries = WebhookDelivery.objects.filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lte=moment, endpoint__is_active=True
    )
    if delivery_ids is not None:
        deliveries = deliveries.filter(pk__in=list(delivery_ids))
    return deliveries.order_by("next_attempt_at", "pk")
