from typing import ClassVar

from django.utils.translation import gettext_lazy as _

from gridgov.core.errors import DomainError, InvalidInput, NotFound


class InboxMessageNotFound(NotFound):
    """Missing, or someone else's message: the caller cannot tell which."""

    code = "inbox_message_not_found"
    default_message = _("No such message in your inbox.")


class NotificationInvalid(InvalidInput):
    code = "notification_invalid"
    default_message = _("This notification is not valid.")


class WebhookEventInvalid(InvalidInput):
    code = "webhook_event_invalid"
    default_message = _("This webhook event is not valid.")


class WebhookEndpointInvalid(InvalidInput):
    code = "webhook_endpoint_invalid"
    default_message = _("This webhook endpoint is not valid.")


class ChannelUnknown(InvalidInput):
    code = "channel_unknown"
    default_message = _("No such outbound channel.")


class ChannelNotConfigured(DomainError):
    """The channel is named but its settings are missing: an operator's task, not the caller's error."""

    code = "channel_not_configured"
    http_status: ClassVar[int] = 503
    default_message = _("This outbound channel is not configured.")
