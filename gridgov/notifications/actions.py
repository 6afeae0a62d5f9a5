"""Every write of the notifications domain: inbox messages, webhook deliveries, outbound texts.

Domains to the right (deadlines, cases) call these from their own actions:

- `notify_users` and `publish_event` write inside the caller's transaction, so a rolled-back action
  leaves no message and publishes no event. Their rows are the record; nothing is sent yet.
- `deliver_due_webhooks` (manage.py deliver_webhooks) sends the due webhook deliveries. It refuses
  to run inside a transaction: a network call must never hold a database transaction open.
- `send_outbound` logs a text and sends it through a channel after the commit.

What is audited: each call that puts messages in inboxes, publishes an event or sends a text (one
line per call, not per recipient), a delivery given up, an operator's retry and every endpoint
change. Read marks and delivery attempts are not: their columns (read_at, attempts, last_error)
are the record.
"""

import json
import logging
import re
import secrets
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.transaction import TransactionManagementError

from gridgov.accounts.models import User
from gridgov.core.audit import new_audit_event, record_audit_event, record_audit_events
from gridgov.core.clock import now
from gridgov.core.inserts import insert_all
from gridgov.notifications.channels import OutboundChannel, SendResult, get_channel
from gridgov.notifications.errors import (
    InboxMessageNotFound,
    NotificationInvalid,
    WebhookEndpointInvalid,
    WebhookEventInvalid,
)
from gridgov.notifications.events import bad_event_patterns, is_event_type
from gridgov.notifications.models import (
    DeliveryStatus,
    InboxMessage,
    MessageKind,
    OutboundMessage,
    OutboundStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from gridgov.notifications.privacy import mask_recipient, redact_phones
from gridgov.notifications.queries import due_deliveries, endpoints_for_event, inbox_for
from gridgov.notifications.retry import MAX_ATTEMPTS, backoff_delay
from gridgov.notifications.signing import webhook_body, webhook_headers
from gridgov.notifications.transport import PostResult, post_json

logger = logging.getLogger(__name__)

ACTOR_LABEL = "notifications"
# How long a claimed delivery is hidden from other sweepers while its POST is under way (on top of
# the request timeout). A sweeper that dies mid-POST leaves it due again after this: at-least-once
# delivery, which receivers absorb by deduplicating on the event id.
CLAIM_LEASE = timedelta(minutes=5)

# ------------------------------------------------------------------------------------------- inbox


def _check_notification(kind: str, title: str, link: str, dedupe_key: str) -> MessageKind:
    if kind not in MessageKind.values:
        raise NotificationInvalid(details={"kind": kind, "reason": "unknown kind"})
    if not title.strip():
        raise NotificationInvalid(details={"reason": "empty title"})
    if len(title.strip()) > 200:  # InboxMessage.title's max_length
        raise NotificationInvalid(details={"reason": "title too long"})
    # Only paths inside gridgov: the inbox renders the link, so "//evil.example" or "javascript:"
    # would be an open redirect or worse.
    if link and (not link.startswith("/") or link.startswith("//") or len(link) > 500):
        raise NotificationInvalid(details={"link": link[:100], "reason": "must be a path such as /cases/42/"})
    if len(dedupe_key) > 200:
        raise NotificationInvalid(details={"reason": "dedupe_key too long"})
    return MessageKind(kind)


@dataclass(frozen=True)
class Notice:
    """One inbox notification for notify_many: the arguments of a notify_users call, with the
    recipients as ids of active users."""

    recipient_ids: Collection[int]
    kind: str
    title: str
    body: str
    subject_type: str = ""
    subject_id: str = ""
    link: str = ""
    dedupe_key: str = ""


def notify_users(
    users: Iterable[User],
    *,
    kind: str,
    title: str,
    body: str,
    subject_type: str = "",
    subject_id: str = "",
    link: str = "",
    dedupe_key: str = "",
) -> int:
    """Put one message in the inbox of each active user; with a dedupe_key never twice per user and key.

    Returns how many messages were created: 0 when every recipient already has the key's message
    (a retried sweep), and then nothing is written at all.
    """
    notice = Notice(
        recipient_ids={user.pk for user in users if user.is_active},
        kind=kind,
        title=title,
        body=body,
        subject_type=subject_type,
        subject_id=subject_id,
        link=link,
        dedupe_key=dedupe_key,
    )
    return notify_many([notice])[0]


def _already_notified(keys: Collection[str], recipient_ids: Collection[int]) -> set[tuple[int, str]]:
    """The (recipient, key) pairs among these that already have their message."""
    if not keys:
        return set()
    # The repeated "not empty" is the unique index's own condition: SQLite uses a partial index
    # only when the query states it, and otherwise read every message of the recipient (256 ms
    # for a busy department at a million cases, docs/performance.md).
    return set(
        InboxMessage.objects.filter(dedupe_key__in=keys, recipient_id__in=recipient_ids)
        .exclude(dedupe_key="")
        .values_list("recipient_id", "dedupe_key")
    )


def notify_many(notices: Sequence[Notice]) -> list[int]:
    """notify_users for each notice, with one read and one write for them all (the deadline
    sweeper's batches); returns how many messages each notice created.

    Every notice is checked before anything is written. A notice whose dedupe key a recipient
    already has (or got from an earlier notice of the same call) creates nothing for that
    recipient; a notice that creates nothing writes no audit line.
    """
    kinds = [_check_notification(n.kind, n.title, n.link, n.dedupe_key) for n in notices]
    recipients = [sorted(set(n.recipient_ids)) for n in notices]
    if not any(recipients):
        return [0] * len(notices)
    moment = now()
    with transaction.atomic():
        keys = {n.dedupe_key for n, ids in zip(notices, recipients, strict=True) if n.dedupe_key and ids}
        taken = _already_notified(
            keys, {pk for n, ids in zip(notices, recipients, strict=True) if n.dedupe_key for pk in ids}
        )
        wanted: list[list[int]] = []
        keyed: list[InboxMessage] = []
        plain: list[InboxMessage] = []
        for notice, kind, ids in zip(notices, kinds, recipients, strict=True):
            if notice.dedupe_key:
                ids = [pk for pk in ids if (pk, notice.dedupe_key) not in taken]
                taken.update((pk, notice.dedupe_key) for pk in ids)
            wanted.append(ids)
            (keyed if notice.dedupe_key else plain).extend(
                InboxMessage(
                    recipient_id=pk,
                    kind=kind,
                    title=notice.title.strip(),
                    body=notice.body,
                    subject_type=notice.subject_type,
                    subject_id=str(notice.subject_id),
                    link=notice.link,
                    dedupe_key=notice.dedupe_key,
                    created_at=moment,
                )
                for pk in ids
            )
        made = {(m.recipient_id, m.dedupe_key) for m in keyed}
        try:
            if keyed:
                with transaction.atomic():
                    insert_all(keyed)
        except IntegrityError:
            # A concurrent sweep inserted the same (recipient, key) after the check above: the
            # unique constraint makes that row a skipped insert instead of a second message. Our
            # rows are the ones stamped with our moment.
            for message in keyed:
                message.pk, message._state.adding = None, True
            InboxMessage.objects.bulk_create(keyed, ignore_conflicts=True)
            made = set(
                InboxMessage.objects.filter(
                    dedupe_key__in={m.dedupe_key for m in keyed},
                    recipient_id__in={m.recipient_id for m in keyed},
                    created_at=moment,
                )
                .exclude(dedupe_key="")
                .values_list("recipient_id", "dedupe_key")
            )
        insert_all(plain)
        counts, audits = [], []
        for notice, kind, ids in zip(notices, kinds, wanted, strict=True):
            created = [pk for pk in ids if (pk, notice.dedupe_key) in made] if notice.dedupe_key else ids
            counts.append(len(created))
            if created:
                audits.append(
                    new_audit_event(
                        action="notify_users",
                        subject_type=notice.subject_type or "notifications.inboxmessage",
                        subject_id=str(notice.subject_id),
                        actor_label=ACTOR_LABEL,
                        data={
                            "kind": kind.value,
                            "title": notice.title.strip(),
                            "recipient_ids": sorted(created),
                            "dedupe_key": notice.dedupe_key,
                        },
                        at=moment,
                    )
                )
        record_audit_events(audits)
    return counts


def mark_read(user: User, message_ids: Iterable[int]) -> int:
    """Mark some of `user`'s own messages read; any id that is not theirs refuses the whole request.

    Returns how many were unread before. Marking a read message again changes nothing.
    """
    ids = sorted({int(pk) for pk in message_ids})
    with transaction.atomic():
        own = set(inbox_for(user).filter(pk__in=ids).values_list("pk", flat=True))
        missing = [pk for pk in ids if pk not in own]
        if missing:
            raise InboxMessageNotFound(details={"ids": missing})
        return InboxMessage.objects.filter(pk__in=ids, read_at__isnull=True).update(read_at=now())


def mark_all_read(user: User) -> int:
    """Mark every unread message of `user` read; returns how many there were."""
    with transaction.atomic():
        return inbox_for(user, unread_only=True).update(read_at=now())


# ---------------------------------------------------------------------------------------- webhooks


def _check_payload(payload: Any) -> Any:
    """`payload` as it will be stored and sent: plain JSON, with datetimes, dates, decimals and UUIDs as
    strings (Django's JSON encoder) and tuples as lists; WebhookEventInvalid if it cannot be JSON."""
    if not isinstance(payload, dict):
        raise WebhookEventInvalid(details={"reason": "the payload must be a JSON object (a dict)"})
    try:
        return json.loads(json.dumps(payload, cls=DjangoJSONEncoder, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise WebhookEventInvalid(details={"reason": f"the payload is not JSON: {error}"}) from error


def _check_event_id(event_id: str | None) -> str:
    if event_id is None:
        return str(uuid.uuid4())
    try:
        return str(uuid.UUID(str(event_id)))
    except ValueError as error:
        raise WebhookEventInvalid(
            details={"event_id": str(event_id)[:100], "reason": "not a UUID"}
        ) from error


def publish_event(
    event_type: str, payload: dict[str, Any], *, event_id: str | None = None
) -> list[WebhookDelivery]:
    """Queue `event_type` with `payload` for every active endpoint that subscribes to it.

    Runs in the caller's transaction: a rollback publishes nothing. Idempotent per (endpoint,
    event_id): publishing the same event id again adds deliveries only for endpoints that lack one,
    and keeps the first payload. Returns the event's deliveries to the matching endpoints, by
    endpoint; nothing is sent here (see deliver_due_webhooks).
    """
    if not is_event_type(event_type):
        raise WebhookEventInvalid(
            details={"event_type": str(event_type)[:100], "reason": "not an event type"}
        )
    data = _check_payload(payload)
    event_id = _check_event_id(event_id)
    with transaction.atomic():
        endpoints = endpoints_for_event(event_type)
        if not endpoints:
            return []
        existing = set(
            WebhookDelivery.objects.filter(event_id=event_id, endpoint__in=endpoints).values_list(
                "endpoint_id", flat=True
            )
        )
        moment = now()
        new = [
            WebhookDelivery(
                endpoint=endpoint,
                event_type=event_type,
                event_id=event_id,
                payload=data,
                status=DeliveryStatus.PENDING,
                next_attempt_at=moment,
                created_at=moment,
            )
            for endpoint in endpoints
            if endpoint.pk not in existing
        ]
        if new:
            # ignore_conflicts: a concurrent publish of the same id loses quietly to the first.
            WebhookDelivery.objects.bulk_create(new, ignore_conflicts=True)
            record_audit_event(
                action="publish_event",
                subject_type="notifications.event",
                subject_id=event_id,
                actor_label=ACTOR_LABEL,
                data={"event_type": event_type, "endpoint_ids": [d.endpoint.pk for d in new]},
            )
        return list(
            WebhookDelivery.objects.filter(event_id=event_id, endpoint__in=endpoints)
            .select_related("endpoint")
            .order_by("endpoint_id")
        )


@dataclass
class DeliveryReport:
    """What one deliver_due_webhooks pass did."""

    delivered: int = 0
    retrying: int = 0  # failed this time, tried again later
    failed: int = 0  # failed for the last time: given up
    skipped: int = 0  # claimed by another sweeper between listing and claiming

    @property
    def attempted(self) -> int:
        return self.delivered + self.retrying + self.failed

    def as_dict(self) -> dict[str, int]:
        return {
            "delivered": self.delivered,
            "retrying": self.retrying,
            "failed": self.failed,
            "skipped": self.skipped,
        }


@dataclass(frozen=True)
class _Claim:
    delivery_id: int
    claimed_at: datetime
    url: str
    body: bytes
    headers: dict[str, str]


def deliver_due_webhooks(
    *, limit: int = 100, timeout: float = 5.0, delivery_ids: Collection[int] | None = None
) -> DeliveryReport:
    """Send up to `limit` due pending deliveries (only `delivery_ids` when given) and record each outcome.

    2xx → delivered; anything else or a network error → tried again after the backoff
    (retry.backoff_delay) until the MAX_ATTEMPTS-th failure gives up. Each delivery is claimed in
    one short transaction and its outcome recorded in another; the POST happens between them,
    outside any transaction, so this must not be called inside one.
    """
    if transaction.get_connection().in_atomic_block:
        raise TransactionManagementError(
            "deliver_due_webhooks makes network calls and must not run inside a database transaction"
        )
    report = DeliveryReport()
    ids = list(due_deliveries(now(), delivery_ids=delivery_ids).values_list("pk", flat=True)[:limit])
    for delivery_id in ids:
        claim = _claim_delivery(delivery_id, timeout)
        if claim is None:
            report.skipped += 1
            continue
        result = post_json(claim.url, claim.body, claim.headers, timeout=timeout)
        outcome = _record_attempt(claim, result)
        if outcome is None:
            report.skipped += 1
        elif outcome == DeliveryStatus.DELIVERED:
            report.delivered += 1
        elif outcome == DeliveryStatus.FAILED:
            report.failed += 1
        else:
            report.retrying += 1
    return report


def _claim_delivery(delivery_id: int, timeout: float) -> _Claim | None:
    """Take one due delivery for this sweeper: count the attempt and hide it behind a lease."""
    with transaction.atomic():
        moment = now()
        # skip_locked: on PostgreSQL a row another sweeper is claiming right now is skipped, not
        # waited for. SQLite has no row locks (Django leaves the clause out); its IMMEDIATE
        # transactions run one claim at a time, and the lease below makes a claim exclusive.
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(
                pk=delivery_id,
                status=DeliveryStatus.PENDING,
                next_attempt_at__lte=moment,
                endpoint__is_active=True,
            )
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.last_attempt_at = moment
        delivery.next_attempt_at = moment + CLAIM_LEASE + timedelta(seconds=timeout)
        delivery.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at"])
    body = webhook_body(
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        created_at=delivery.created_at,
        payload=delivery.payload,
    )
    headers = webhook_headers(
        secret=delivery.endpoint.secret,
        event_type=delivery.event_type,
        event_id=delivery.event_id,
        timestamp=int(moment.timestamp()),
        body=body,
    )
    return _Claim(delivery.pk, moment, delivery.endpoint.url, body, headers)


def _record_attempt(claim: _Claim, result: PostResult) -> DeliveryStatus | None:
    """Write the outcome of a claimed attempt; None if the claim was lost (its lease ran out)."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().filter(pk=claim.delivery_id).first()
        if delivery is None or delivery.last_attempt_at != claim.claimed_at:
            return None
        moment = now()
        delivery.last_status_code = result.status
        if result.ok:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = moment
            delivery.next_attempt_at = None
            delivery.last_error = ""
        else:
            delivery.last_error = result.describe()
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
                record_audit_event(
                    action="give_up_webhook_delivery",
                    subject_type="notifications.webhookdelivery",
                    subject_id=str(delivery.pk),
                    actor_label=ACTOR_LABEL,
                    data={
                        "endpoint_id": delivery.endpoint_id,
                        "event_id": delivery.event_id,
                        "attempts": delivery.attempts,
                        "last_error": delivery.last_error,
                    },
                )
            else:
                delivery.next_attempt_at = moment + backoff_delay(delivery.attempts)
        delivery.save(
            update_fields=["status", "delivered_at", "next_attempt_at", "last_status_code", "last_error"]
        )
        return DeliveryStatus(delivery.status)


def retry_webhook_deliveries(delivery_ids: Iterable[int], *, actor: Any = None, actor_label: str = "") -> int:
    """Make pending or given-up deliveries due now; the next deliver_webhooks pass sends them.

    A given-up delivery gets one more attempt: if that fails too it is given up again. Delivered
    ones are left alone. Returns how many were rescheduled.
    """
    ids = sorted({int(pk) for pk in delivery_ids})
    with transaction.atomic():
        retried = list(
            WebhookDelivery.objects.filter(
                pk__in=ids, status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED]
            ).values_list("pk", flat=True)
        )
        if not retried:
            return 0
        WebhookDelivery.objects.filter(pk__in=retried).update(
            status=DeliveryStatus.PENDING, next_attempt_at=now()
        )
        record_audit_event(
            action="retry_webhook_deliveries",
            subject_type="notifications.webhookdelivery",
            actor=actor,
            actor_label=actor_label,
            data={"delivery_ids": retried},
        )
    return len(retried)


ENDPOINT_FIELDS = ("name", "url", "secret", "event_types", "is_active")


def save_webhook_endpoint(
    endpoint: WebhookEndpoint, *, actor: Any = None, actor_label: str = ""
) -> WebhookEndpoint:
    """Create or change a webhook endpoint; an empty secret gets a generated one. Audited without it."""
    problems = bad_event_patterns(endpoint.event_types)
    if problems:
        raise WebhookEndpointInvalid(details={"event_types": problems})
    if not re.match(r"https?://", endpoint.url or ""):
        raise WebhookEndpointInvalid(details={"url": "must be an http:// or https:// URL"})
    if not endpoint.secret:
        endpoint.secret = secrets.token_urlsafe(32)
    try:
        endpoint.full_clean()
    except ValidationError as error:
        raise WebhookEndpointInvalid(details={"errors": error.message_dict}) from error
    with transaction.atomic():
        before = WebhookEndpoint.objects.filter(pk=endpoint.pk).first() if endpoint.pk else None
        changed = [f for f in ENDPOINT_FIELDS if before is None or getattr(before, f) != getattr(endpoint, f)]
        if before is not None and not changed:
            return endpoint
        endpoint.updated_at = now()
        endpoint.save()
        record_audit_event(
            action="create_webhook_endpoint" if before is None else "change_webhook_endpoint",
            subject_type="notifications.webhookendpoint",
            subject_id=str(endpoint.pk),
            actor=actor,
            actor_label=actor_label,
            data={
                "changed": changed,
                # The secret itself never goes into the audit trail; only that it changed.
                **{f: getattr(endpoint, f) for f in changed if f != "secret"},
            },
        )
    return endpoint


def create_webhook_endpoint(
    *,
    name: str,
    url: str,
    secret: str = "",
    event_types: Iterable[str] = (),
    is_active: bool = True,
    actor: Any = None,
    actor_label: str = "",
) -> WebhookEndpoint:
    """Register a receiver of webhooks; an empty secret gets a generated one."""
    endpoint = WebhookEndpoint(
        name=name, url=url, secret=secret, event_types=list(event_types), is_active=is_active
    )
    return save_webhook_endpoint(endpoint, actor=actor, actor_label=actor_label)


# ---------------------------------------------------------------------------------- outbound texts


def send_outbound(channel_name: str, recipient: str, text: str, *, dedupe_key: str = "") -> OutboundMessage:
    """Log a text to `recipient` through the channel `channel_name` and send it after the commit.

    Idempotent per (channel, dedupe_key): a second call with the same key returns the first
    message and sends nothing. Outside a transaction the text is sent before this returns and the
    returned row shows the outcome; inside one it is sent once the caller commits, never if it
    rolls back. Only the masked recipient is stored.
    """
    if not text.strip():
        raise NotificationInvalid(details={"reason": "empty text"})
    if len(dedupe_key) > 200:
        raise NotificationInvalid(details={"reason": "dedupe_key too long"})
    channel = get_channel(channel_name)
    masked = mask_recipient(recipient)
    with transaction.atomic():
        if dedupe_key:
            existing = OutboundMessage.objects.filter(channel=channel_name, dedupe_key=dedupe_key).first()
            if existing is not None:
                return existing
        try:
            # A savepoint, so that losing a race on the key leaves the caller's transaction usable.
            with transaction.atomic():
                message = OutboundMessage.objects.create(
                    channel=channel_name,
                    recipient_masked=masked,
                    text=text,
                    status=OutboundStatus.PENDING,
                    dedupe_key=dedupe_key,
                )
        except IntegrityError:
            return OutboundMessage.objects.get(channel=channel_name, dedupe_key=dedupe_key)
        record_audit_event(
            action="send_outbound",
            subject_type="notifications.outboundmessage",
            subject_id=str(message.pk),
            actor_label=ACTOR_LABEL,
            data={"channel": channel_name, "recipient": masked, "dedupe_key": dedupe_key},
        )
        transaction.on_commit(partial(_send_outbound_now, message, channel, recipient))
    return message


def _send_outbound_now(message: OutboundMessage, channel: OutboundChannel, recipient: str) -> None:
    """After the commit: the network call, then the outcome in its own transaction."""
    try:
        result = channel.send(recipient, message.text)
    except Exception as error:
        # Broad on purpose: this runs after the caller's commit, so a bug in an adapter must
        # become a failed row, not an exception in whatever request committed.
        logger.exception("outbound channel %s raised", message.channel)
        result = SendResult(
            ok=False, recipient=message.recipient_masked, error=f"{type(error).__name__}: {error}"
        )
    with transaction.atomic():
        message.status = OutboundStatus.SENT if result.ok else OutboundStatus.FAILED
        message.error = redact_phones(result.error)[:2000]
        message.sent_at = now() if result.ok else None
        message.save(update_fields=["status", "error", "sent_at"])
    if not result.ok:
        logger.warning("outbound %s to %s failed: %s", message.channel, result.recipient, message.error)
