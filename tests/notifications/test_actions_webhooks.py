"""Outbound webhooks against a real HTTP receiver on 127.0.0.1.

transaction=True: deliver_due_webhooks refuses to run inside a transaction (its POSTs must not hold
one open), and these tests exercise the real commits of publish, claim and outcome.
"""

import hashlib
import hmac
import json
import socket
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError

from gridgov.core.models import AuditEvent
from gridgov.notifications.actions import (
    create_webhook_endpoint,
    deliver_due_webhooks,
    publish_event,
    retry_webhook_deliveries,
)
from gridgov.notifications.errors import WebhookEndpointInvalid, WebhookEventInvalid
from gridgov.notifications.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from gridgov.notifications.retry import MAX_ATTEMPTS
from gridgov.notifications.signing import verify_signature
from tests.notifications.conftest import Received, Receiver

pytestmark = pytest.mark.django_db(transaction=True)

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
EVENT_ID = "8c2ad3a2-8e4f-4a4b-9d36-4f8a0c5b7e11"
PAYLOAD = {"case_id": 42, "title": "井盖缺失", "area": "330102001051"}


def endpoint_for(receiver: Receiver, name: str = "city-brain", **extra: Any) -> WebhookEndpoint:
    return create_webhook_endpoint(
        name=name,
        url=receiver.url("/hooks/gridgov"),
        secret="s3cret-" + name,
        actor_label="tests",
        **extra,
    )


def test_a_delivery_carries_a_signature_the_receiver_verifies(receiver: Receiver) -> None:
    endpoint = endpoint_for(receiver)
    with time_machine.travel(START, tick=False):
        with transaction.atomic():
            [queued] = publish_event("case.created", PAYLOAD, event_id=EVENT_ID)
        assert receiver.requests == []  # publishing sends nothing
        report = deliver_due_webhooks()
    assert report.as_dict() == {"delivered": 1, "retrying": 0, "failed": 0, "skipped": 0}

    [request] = receiver.requests
    timestamp = str(int(START.timestamp()))
    assert request.path == "/hooks/gridgov"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Gridgov-Event"] == "case.created"
    assert request.headers["X-Gridgov-Delivery"] == EVENT_ID
    assert request.headers["X-Gridgov-Timestamp"] == timestamp == "1772413200"
    assert request.json() == {
        "id": EVENT_ID,
        "type": "case.created",
        "created_at": "2026-03-02T01:00:00+00:00",
        "data": PAYLOAD,
    }
    signature = request.headers["X-Gridgov-Signature"]
    assert verify_signature("s3cret-city-brain", timestamp, request.body, signature)
    assert not verify_signature("another secret", timestamp, request.body, signature)
    # Computed here the way a receiver in any language would.
    expected = hmac.new(b"s3cret-city-brain", f"{timestamp}.".encode() + request.body, hashlib.sha256)
    assert signature == "sha256=" + expected.hexdigest()

    delivery = WebhookDelivery.objects.get(pk=queued.pk)
    assert (delivery.endpoint, delivery.status, delivery.attempts) == (endpoint, DeliveryStatus.DELIVERED, 1)
    assert (delivery.delivered_at, delivery.last_attempt_at, delivery.next_attempt_at) == (START, START, None)
    assert (delivery.last_status_code, delivery.last_error) == (200, "")
    assert deliver_due_webhooks().as_dict() == {"delivered": 0, "retrying": 0, "failed": 0, "skipped": 0}
    assert len(receiver.requests) == 1


def test_a_failed_delivery_is_retried_after_the_backoff_and_delivered_once(receiver: Receiver) -> None:
    endpoint_for(receiver)
    receiver.reply((500, b"database down"), (200, b"ok"))
    with time_machine.travel(START, tick=False):
        [delivery] = publish_event("case.created", PAYLOAD, event_id=EVENT_ID)
        assert deliver_due_webhooks().as_dict() == {"delivered": 0, "retrying": 1, "failed": 0, "skipped": 0}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.last_error == "HTTP 500: database down"
    assert delivery.next_attempt_at == START + timedelta(minutes=1)

    with time_machine.travel(START + timedelta(seconds=59), tick=False):
        assert deliver_due_webhooks().attempted == 0
    assert len(receiver.requests) == 1

    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        assert deliver_due_webhooks().as_dict() == {"delivered": 1, "retrying": 0, "failed": 0, "skipped": 0}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        "delivered",
        2,
        200,
        "",
    )
    assert delivery.delivered_at == START + timedelta(minutes=1)

    first, second = receiver.requests
    assert first.body == second.body  # the same event, byte for byte
    assert first.headers["X-Gridgov-Delivery"] == second.headers["X-Gridgov-Delivery"] == EVENT_ID
    assert (first.headers["X-Gridgov-Timestamp"], second.headers["X-Gridgov-Timestamp"]) == (
        "1772413200",
        "1772413260",
    )
    with time_machine.travel(START + timedelta(days=1), tick=False):
        assert deliver_due_webhooks().attempted == 0
    assert len(receiver.requests) == 2


def test_a_delivery_is_given_up_after_max_attempts(receiver: Receiver) -> None:
    endpoint_for(receiver)
    receiver.default = (503, b"")
    with time_machine.travel(START, tick=False):
        [delivery] = publish_event("case.created", PAYLOAD, event_id=EVENT_ID)
    moment = START
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with time_machine.travel(moment, tick=False):
            report = deliver_due_webhooks()
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert report.as_dict() == {"delivered": 0, "retrying": 1, "failed": 0, "skipped": 0}
            assert delivery.next_attempt_at is not None
            waits.append(int((delivery.next_attempt_at - moment).total_seconds() // 60))
            moment = delivery.next_attempt_at
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360]
    assert report.as_dict() == {"delivered": 0, "retrying": 0, "failed": 1, "skipped": 0}
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 12, None)
    assert (delivery.last_status_code, delivery.last_error) == (503, "HTTP 503")
    assert moment == START + timedelta(minutes=1231)
    assert len(receiver.requests) == MAX_ATTEMPTS
    [audit] = AuditEvent.objects.filter(action="give_up_webhook_delivery")
    assert (audit.subject_id, audit.data["attempts"], audit.data["event_id"]) == (
        str(delivery.pk),
        12,
        EVENT_ID,
    )

    with time_machine.travel(moment + timedelta(days=7), tick=False):
        assert deliver_due_webhooks().attempted == 0
    assert len(receiver.requests) == MAX_ATTEMPTS


def test_an_operator_retries_a_given_up_delivery(receiver: Receiver) -> None:
    endpoint_for(receiver)
    [delivery] = publish_event("case.created", PAYLOAD, event_id=EVENT_ID)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status="failed", attempts=MAX_ATTEMPTS, next_attempt_at=None
    )
    with time_machine.travel(START, tick=False):
        assert retry_webhook_deliveries([delivery.pk], actor_label="tests") == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at) == ("pending", START)
    with time_machine.travel(START + timedelta(seconds=5), tick=False):
        assert deliver_due_webhooks().delivered == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", MAX_ATTEMPTS + 1)
    assert retry_webhook_deliveries([delivery.pk]) == 0  # delivered ones stay delivered
    [audit] = AuditEvent.objects.filter(action="retry_webhook_deliveries")
    assert (audit.actor_label, audit.data) == ("tests", {"delivery_ids": [delivery.pk]})


def test_a_network_error_is_retried(receiver: Receiver) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    create_webhook_endpoint(name="gone", url=f"http://127.0.0.1:{port}/hook", secret="x", actor_label="tests")
    with time_machine.travel(START, tick=False):
        [delivery] = publish_event("case.created", PAYLOAD)
        assert deliver_due_webhooks(timeout=2.0).retrying == 1
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code, delivery.next_attempt_at) == (
        1,
        None,
        START + timedelta(minutes=1),
    )
    assert delivery.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"


def test_a_redirect_is_a_failure_and_not_followed(receiver: Receiver) -> None:
    endpoint_for(receiver)
    receiver.reply(lambda request: (302, b""))
    with time_machine.travel(START, tick=False):
        [delivery] = publish_event("case.created", PAYLOAD)
        assert deliver_due_webhooks().retrying == 1
    delivery.refresh_from_db()
    assert (delivery.last_status_code, delivery.last_error) == (302, "HTTP 302")
    assert len(receiver.requests) == 1


def test_a_rolled_back_action_publishes_nothing(receiver: Receiver) -> None:
    endpoint_for(receiver)
    with pytest.raises(RuntimeError), transaction.atomic():
        publish_event("case.created", PAYLOAD, event_id=EVENT_ID)
        raise RuntimeError("the case action failed after publishing")
    assert WebhookDelivery.objects.count() == 0
    assert AuditEvent.objects.filter(action="publish_event").count() == 0
    assert deliver_due_webhooks().attempted == 0
    assert receiver.requests == []


def test_publishing_the_same_event_id_again_adds_nothing(receiver: Receiver) -> None:
    first = endpoint_for(receiver, "first")
    [a] = publish_event("case.created", PAYLOAD, event_id=EVENT_ID)
    [again] = publish_event("case.created", {"changed": True}, event_id=EVENT_ID.upper())
    assert (again.pk, again.payload) == (a.pk, PAYLOAD)  # the first payload is kept
    second = endpoint_for(receiver, "second")
    deliveries = publish_event("case.created", PAYLOAD, event_id=EVENT_ID)
    assert [(d.endpoint, d.event_id) for d in deliveries] == [(first, EVENT_ID), (second, EVENT_ID)]
    assert deliveries[0].pk == a.pk
    assert WebhookDelivery.objects.count() == 2
    assert [
        e.data["endpoint_ids"] for e in AuditEvent.objects.filter(action="publish_event").order_by("id")
    ] == [
        [first.pk],
        [second.pk],
    ]
    assert deliver_due_webhooks().delivered == 2
    assert sorted(r.headers["X-Gridgov-Signature"][:7] for r in receiver.requests) == ["sha256=", "sha256="]


def test_endpoints_get_the_event_types_they_subscribe_to(receiver: Receiver) -> None:
    family = endpoint_for(receiver, "cases", event_types=["case.*"])
    endpoint_for(receiver, "deadlines", event_types=["deadline.warning"])
    everything = endpoint_for(receiver, "everything")
    endpoint_for(receiver, "switched-off", is_active=False)
    deliveries = publish_event("case.created", PAYLOAD)
    assert [d.endpoint for d in deliveries] == [family, everything]
    assert publish_event("area.renamed", {}) == [
        WebhookDelivery.objects.get(endpoint=everything, event_type="area.renamed")
    ]


def test_an_endpoint_switched_off_after_publishing_keeps_its_deliveries_waiting(receiver: Receiver) -> None:
    endpoint = endpoint_for(receiver)
    [delivery] = publish_event("case.created", PAYLOAD)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    assert deliver_due_webhooks().attempted == 0
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == "pending"
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=True)
    assert deliver_due_webhooks().delivered == 1


@pytest.mark.parametrize(
    ("event_type", "payload", "event_id", "details"),
    [
        ("Case Created", {}, None, {"event_type": "Case Created", "reason": "not an event type"}),
        ("case.created", [1, 2], None, {"reason": "the payload must be a JSON object (a dict)"}),
        ("case.created", {"photo": b"\x89PNG"}, None, None),
        ("case.created", {"x": float("nan")}, None, None),
        ("case.created", {}, "not-a-uuid", {"event_id": "not-a-uuid", "reason": "not a UUID"}),
    ],
)
def test_invalid_events_are_refused(
    receiver: Receiver, event_type: str, payload: object, event_id: str | None, details: dict[str, str] | None
) -> None:
    endpoint_for(receiver)
    with pytest.raises(WebhookEventInvalid) as raised:
        publish_event(event_type, payload, event_id=event_id)  # type: ignore[arg-type]
    if details is not None:
        assert raised.value.details == details
    else:
        assert raised.value.details["reason"].startswith("the payload is not JSON")
    assert WebhookDelivery.objects.count() == 0


def test_payload_values_become_plain_json(receiver: Receiver) -> None:
    endpoint_for(receiver)
    [delivery] = publish_event(
        "case.closed",
        {"closed_at": datetime(2026, 3, 2, 1, 30, tzinfo=UTC), "score": Decimal("4.5"), "tags": ("a", "b")},
    )
    expected = {"closed_at": "2026-03-02T01:30:00Z", "score": "4.5", "tags": ["a", "b"]}
    assert delivery.payload == expected
    assert WebhookDelivery.objects.get(pk=delivery.pk).payload == expected


def test_delivering_inside_a_transaction_is_refused(receiver: Receiver) -> None:
    endpoint_for(receiver)
    publish_event("case.created", PAYLOAD)
    with transaction.atomic(), pytest.raises(TransactionManagementError):
        deliver_due_webhooks()
    assert receiver.requests == []


def test_a_second_sweeper_skips_a_delivery_that_is_being_sent(receiver: Receiver) -> None:
    """While the first sweeper waits for the receiver, a second pass finds nothing due to send."""
    endpoint_for(receiver)
    with time_machine.travel(START, tick=False):
        [delivery] = publish_event("case.created", PAYLOAD)
    seen: dict[str, object] = {}

    def second_sweeper(request: Received) -> tuple[int, bytes]:
        # Runs in the receiver's thread, with its own database connection, mid-POST.
        try:
            seen["report"] = deliver_due_webhooks().as_dict()
            seen["next_attempt_at"] = WebhookDelivery.objects.get(pk=delivery.pk).next_attempt_at
        finally:
            connection.close()
        return 200, b"ok"

    receiver.reply(second_sweeper)
    with time_machine.travel(START, tick=False):
        assert deliver_due_webhooks(timeout=5.0).delivered == 1
    assert seen["report"] == {"delivered": 0, "retrying": 0, "failed": 0, "skipped": 0}
    # The claim's lease: the timeout plus five minutes.
    assert seen["next_attempt_at"] == START + timedelta(minutes=5, seconds=5)
    assert len(receiver.requests) == 1


def test_endpoints_are_validated_and_audited_without_their_secret(receiver: Receiver) -> None:
    endpoint = create_webhook_endpoint(
        name="city-brain",
        url="https://hooks.example.org/gridgov",
        event_types=["case.*"],
        actor_label="tests",
    )
    assert len(endpoint.secret) == 43  # generated: 32 random bytes, URL-safe base64
    [audit] = AuditEvent.objects.filter(action="create_webhook_endpoint")
    assert audit.data == {
        "changed": ["name", "url", "secret", "event_types", "is_active"],
        "name": "city-brain",
        "url": "https://hooks.example.org/gridgov",
        "event_types": ["case.*"],
        "is_active": True,
    }
    assert endpoint.secret not in json.dumps(audit.data)
    with pytest.raises(WebhookEndpointInvalid) as raised:
        create_webhook_endpoint(name="bad", url="ftp://hooks.example.org/")
    assert raised.value.details == {"url": "must be an http:// or https:// URL"}
    with pytest.raises(WebhookEndpointInvalid) as raised:
        create_webhook_endpoint(name="bad", url="https://x.example/", event_types=["Case"])
    assert raised.value.details == {"event_types": ["not an event type or family: 'Case'"]}
    assert WebhookEndpoint.objects.count() == 1
