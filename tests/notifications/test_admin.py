"""Admin pages: logs are read-only, endpoints save through the action, deliveries can be retried."""

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from gridgov.accounts.actions import create_user
from gridgov.accounts.models import User
from gridgov.core.models import AuditEvent
from gridgov.notifications.actions import create_webhook_endpoint, notify_users, publish_event, send_outbound
from gridgov.notifications.models import InboxMessage, WebhookDelivery, WebhookEndpoint

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
SECRET = "whsec-0123456789-abcd"


@pytest.fixture
def admin_client(db: None, client_for: Callable[[User], Client]) -> Client:
    root = create_user(username="root", password=None, is_staff=True, is_superuser=True, actor_label="tests")
    client = client_for(root)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def rows(admin_client: Client) -> dict[str, object]:
    alice = User.objects.get(username="root")
    notify_users([alice], kind="supervision", title="督办：路灯不亮", body="请尽快处理")
    endpoint = create_webhook_endpoint(
        name="city-brain", url="https://hooks.example.org/gridgov", secret=SECRET, actor_label="tests"
    )
    [delivery] = publish_event("case.created", {"case_id": 42})
    send_outbound("null", "13812341234", "测试短信")
    return {"message": InboxMessage.objects.get(), "endpoint": endpoint, "delivery": delivery}


@pytest.mark.parametrize(
    "name",
    [
        "notifications_inboxmessage_changelist",
        "notifications_webhookendpoint_changelist",
        "notifications_webhookendpoint_add",
        "notifications_webhookdelivery_changelist",
        "notifications_outboundmessage_changelist",
    ],
)
def test_pages_render(admin_client: Client, rows: dict[str, object], name: str) -> None:
    assert admin_client.get(reverse(f"admin:{name}")).status_code == 200


def test_logs_are_read_only(admin_client: Client, rows: dict[str, object]) -> None:
    for model in ("inboxmessage", "webhookdelivery", "outboundmessage"):
        assert admin_client.get(reverse(f"admin:notifications_{model}_add")).status_code == 403
    delivery = rows["delivery"]
    assert isinstance(delivery, WebhookDelivery)
    page = admin_client.get(reverse("admin:notifications_webhookdelivery_change", args=[delivery.pk]))
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()


def test_the_endpoint_list_masks_the_secret(admin_client: Client, rows: dict[str, object]) -> None:
    page = admin_client.get(reverse("admin:notifications_webhookendpoint_changelist")).content.decode()
    assert "****abcd" in page
    assert SECRET not in page
    assert "all events" in page


def test_adding_an_endpoint_goes_through_the_action(admin_client: Client) -> None:
    response = admin_client.post(
        reverse("admin:notifications_webhookendpoint_add"),
        {
            "name": "duty-system",
            "url": "https://duty.example.org/hook",
            "secret": "",
            "event_types": '["case.*"]',
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    endpoint = WebhookEndpoint.objects.get(name="duty-system")
    assert (endpoint.url, endpoint.event_types, endpoint.is_active) == (
        "https://duty.example.org/hook",
        ["case.*"],
        True,
    )
    assert len(endpoint.secret) == 43  # generated
    audit = AuditEvent.objects.get(action="create_webhook_endpoint", subject_id=str(endpoint.pk))
    assert audit.actor_label == "root"
    assert endpoint.secret not in str(audit.data)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"event_types": '["Case Created"]'}, "not an event type or family: &#x27;Case Created&#x27;"),
        ({"url": "ftp://duty.example.org/hook"}, "Use an http:// or https:// URL."),
    ],
)
def test_a_bad_endpoint_is_refused_by_the_form(
    admin_client: Client, changes: dict[str, str], error: str
) -> None:
    data = {
        "name": "duty-system",
        "url": "https://duty.example.org/hook",
        "secret": "s",
        "event_types": "[]",
        **changes,
    }
    response = admin_client.post(reverse("admin:notifications_webhookendpoint_add"), data)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert WebhookEndpoint.objects.count() == 0


def test_changing_an_endpoint_is_audited(admin_client: Client, rows: dict[str, object]) -> None:
    endpoint = rows["endpoint"]
    assert isinstance(endpoint, WebhookEndpoint)
    response = admin_client.post(
        reverse("admin:notifications_webhookendpoint_change", args=[endpoint.pk]),
        {
            "name": "city-brain",
            "url": "https://hooks.example.org/gridgov",
            "secret": SECRET,
            "event_types": "[]",
        },
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    audit = AuditEvent.objects.get(action="change_webhook_endpoint")
    assert audit.data == {"changed": ["is_active"], "is_active": False}


def test_retry_now(admin_client: Client, rows: dict[str, object]) -> None:
    delivery = rows["delivery"]
    assert isinstance(delivery, WebhookDelivery)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed", next_attempt_at=None, attempts=12)
    with time_machine.travel(START, tick=False):
        response = admin_client.post(
            reverse("admin:notifications_webhookdelivery_changelist"),
            {"action": "retry_now", "_selected_action": [delivery.pk]},
            follow=True,
        )
    assert response.status_code == 200
    assert "1 delivery is due now; the next deliver_webhooks pass sends it." in response.content.decode()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at, delivery.attempts) == ("pending", START, 12)
    audit = AuditEvent.objects.get(action="retry_webhook_deliveries")
    assert (audit.actor_label, audit.data) == ("root", {"delivery_ids": [delivery.pk]})
