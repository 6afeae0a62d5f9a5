"""Admin pages: inbox messages, deliveries and outbound texts read-only; endpoints saved through an action.

Nothing here is deleted from the admin: an endpoint is switched off with "active", so that its
delivery history stays.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from gridgov.notifications.actions import retry_webhook_deliveries, save_webhook_endpoint
from gridgov.notifications.events import bad_event_patterns
from gridgov.notifications.models import InboxMessage, OutboundMessage, WebhookDelivery, WebhookEndpoint


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """A log: listed and shown, never added, changed or deleted by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadListFilter(admin.SimpleListFilter):
    title = _("read")
    parameter_name = "read"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("no", _("unread")), ("yes", _("read"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "no":
            return queryset.filter(read_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(read_at__isnull=False)
        return queryset


@admin.register(InboxMessage)
class InboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "subject_type", "subject_id", "read_at"]
    list_filter = ["kind", ReadListFilter]
    list_select_related = ["recipient"]
    search_fields = ["title", "recipient__username", "recipient__display_name", "subject_id"]
    date_hierarchy = "created_at"
    show_full_result_count = False


def mask_secret(secret: str) -> str:
    """Enough of a secret to tell two apart: its last four characters."""
    return "****" + secret[-4:] if len(secret) > 8 else "****"


class WebhookEndpointForm(forms.ModelForm[WebhookEndpoint]):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "secret", "event_types", "is_active"]

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        if not url.startswith(("http://", "https://")):
            raise forms.ValidationError(_("Use an http:// or https:// URL."))
        return url

    def clean_event_types(self) -> list[str]:
        patterns = self.cleaned_data["event_types"]
        if patterns is None:
            return []
        problems = bad_event_patterns(patterns)
        if problems:
            raise forms.ValidationError(problems)
        return list(patterns)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin[WebhookEndpoint]):
    form = WebhookEndpointForm
    list_display = ["name", "url", "event_type_list", "masked_secret", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "url"]
    readonly_fields = ["created_at", "updated_at"]

    @admin.display(description=_("event types"))
    def event_type_list(self, endpoint: WebhookEndpoint) -> str:
        return ", ".join(endpoint.event_types) if endpoint.event_types else str(_("all events"))

    @admin.display(description=_("secret"))
    def masked_secret(self, endpoint: WebhookEndpoint) -> str:
        return mask_secret(endpoint.secret)

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form: Any, change: bool) -> None:
        save_webhook_endpoint(obj, actor=request.user)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "endpoint",
        "event_type",
        "event_id",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "delivered_at",
    ]
    list_filter = ["status", "endpoint", "event_type"]
    list_select_related = ["endpoint"]
    search_fields = ["event_id", "event_type"]
    date_hierarchy = "created_at"
    actions = ["retry_now"]
    show_full_result_count = False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("notifications.change_webhookdelivery")

    @admin.action(description=_("Retry now"), permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = retry_webhook_deliveries(queryset.values_list("pk", flat=True), actor=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery is due now; the next deliver_webhooks pass sends it.",
                "%(count)d deliveries are due now; the next deliver_webhooks pass sends them.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "channel", "recipient_masked", "short_text", "status", "sent_at"]
    list_filter = ["channel", "status"]
    search_fields = ["recipient_masked", "text", "dedupe_key"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.display(description=_("text"))
    def short_text(self, message: OutboundMessage) -> str:
        return message.text if len(message.text) <= 60 else message.text[:59] + "…"
