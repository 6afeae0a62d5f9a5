"""send_outbound: logged with a masked recipient, sent after the commit, idempotent by dedupe key.

transaction=True: the send waits for the real commit (transaction.on_commit).
"""

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import transaction
from pytest_django.fixtures import Settings

from gridgov.core.models import AuditEvent
from gridgov.notifications.actions import send_outbound
from gridgov.notifications.channels import BACKENDS, SendResult
from gridgov.notifications.errors import ChannelNotConfigured, ChannelUnknown, NotificationInvalid
from gridgov.notifications.models import OutboundMessage
from tests.notifications.conftest import Receiver

pytestmark = pytest.mark.django_db(transaction=True)

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
PHONE = "13812341234"


@pytest.fixture
def sms(receiver: Receiver, settings: Settings) -> Receiver:
    settings.GRIDGOV_SMS_GATEWAY_URL = receiver.url("/sms")
    settings.GRIDGOV_SMS_API_KEY = "key-123"
    return receiver


def test_a_text_is_sent_and_logged_with_the_phone_masked(sms: Receiver) -> None:
    with time_machine.travel(START, tick=False):
        message = send_outbound("sms", PHONE, "【网格治理】案件 42 已超期", dedupe_key="overdue:42:user:7")
    assert (message.status, message.recipient_masked, message.sent_at, message.error) == (
        "sent",
        "138****1234",
        START,
        "",
    )
    [request] = sms.requests
    assert request.json() == {"phone": PHONE, "text": "【网格治理】案件 42 已超期"}
    row = OutboundMessage.objects.get()
    assert (row.channel, row.status, row.dedupe_key, row.sent_at) == (
        "sms",
        "sent",
        "overdue:42:user:7",
        START,
    )
    [audit] = AuditEvent.objects.filter(action="send_outbound")
    assert audit.data == {"channel": "sms", "recipient": "138****1234", "dedupe_key": "overdue:42:user:7"}
    # The full number is stored nowhere.
    stored = json.dumps(list(OutboundMessage.objects.values()), default=str) + json.dumps(
        list(AuditEvent.objects.values("data"))
    )
    assert PHONE not in stored


def test_the_same_key_sends_once(sms: Receiver) -> None:
    first = send_outbound("sms", PHONE, "第一次", dedupe_key="k1")
    again = send_outbound("sms", PHONE, "第二次", dedupe_key="k1")
    assert again.pk == first.pk
    assert again.text == "第一次"
    assert len(sms.requests) == 1
    send_outbound("sms", PHONE, "另一个键", dedupe_key="k2")
    send_outbound("sms", PHONE, "无键")
    send_outbound("sms", PHONE, "无键")
    assert len(sms.requests) == 4
    assert OutboundMessage.objects.count() == 4


def test_inside_a_transaction_the_text_waits_for_the_commit(sms: Receiver) -> None:
    with transaction.atomic():
        message = send_outbound("sms", PHONE, "提交后发送")
        assert (message.status, sms.requests) == ("pending", [])
    assert len(sms.requests) == 1
    assert OutboundMessage.objects.get().status == "sent"


def test_a_rolled_back_action_sends_nothing(sms: Receiver) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        send_outbound("sms", PHONE, "不应发送", dedupe_key="k")
        raise RuntimeError("the case action failed")
    assert sms.requests == []
    assert OutboundMessage.objects.count() == 0
    assert AuditEvent.objects.filter(action="send_outbound").count() == 0


def test_a_gateway_failure_is_logged_masked(sms: Receiver) -> None:
    sms.default = (502, f"upstream refused {PHONE}".encode())
    message = send_outbound("sms", PHONE, "text")
    assert (message.status, message.sent_at) == ("failed", None)
    assert message.error == "HTTP 502: upstream refused 138****1234"
    assert OutboundMessage.objects.get().error == "HTTP 502: upstream refused 138****1234"


def test_an_adapter_that_raises_leaves_a_failed_row(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Exploding:
        def send(self, recipient: str, text: str) -> SendResult:
            raise KeyError("template")

    monkeypatch.setitem(BACKENDS, "exploding", lambda name, options, timeout: Exploding())
    settings.GRIDGOV_NOTIFICATION_CHANNELS = {"wechat": {"backend": "exploding"}}
    message = send_outbound("wechat", PHONE, "text")
    assert (message.status, message.error, message.recipient_masked) == (
        "failed",
        "KeyError: 'template'",
        "138****1234",
    )


def test_refused_sends_write_nothing() -> None:
    with pytest.raises(ChannelUnknown):
        send_outbound("pager", PHONE, "text")
    with pytest.raises(ChannelNotConfigured):
        send_outbound("sms", PHONE, "text")
    with pytest.raises(NotificationInvalid):
        send_outbound("console", PHONE, "  ")
    assert OutboundMessage.objects.count() == 0
    assert AuditEvent.objects.filter(action="send_outbound").count() == 0


def test_the_console_channel_for_development(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="gridgov.notifications.channels"):
        message = send_outbound("console", PHONE, "开发环境")
    assert (message.channel, message.status, message.recipient_masked) == ("console", "sent", "138****1234")
    assert caplog.messages == ["[console] to 138****1234: 开发环境"]
