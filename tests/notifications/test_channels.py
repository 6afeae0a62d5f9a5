"""The SMS gateway and DingTalk robot adapters against local servers, and building channels from settings."""

import base64
import hashlib
import hmac
import json
import logging
import time
from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest
import time_machine
from pytest_django.fixtures import Settings

from gridgov.notifications.channels import (
    ConsoleChannel,
    DingTalkRobot,
    HttpSmsGateway,
    NullChannel,
    SendResult,
    get_channel,
)
from gridgov.notifications.errors import ChannelNotConfigured, ChannelUnknown
from tests.notifications.conftest import Received, Receiver

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
SECRET = "SECa1b2c3d4e5f60718293a4b5c6d7e8f9"
TOKEN = "0123456789abcdef"


def dingtalk(request: Received) -> tuple[int, object]:
    """What DingTalk's robot endpoint checks for a robot with the "加签" security setting."""
    query = parse_qs(request.query)
    if query.get("access_token") != [TOKEN]:
        return 200, {"errcode": 300001, "errmsg": "token is not exist"}
    try:
        timestamp, sign = query["timestamp"][0], query["sign"][0]
    except KeyError:
        return 200, {"errcode": 310000, "errmsg": "sign not match"}
    # DingTalk refuses a timestamp more than an hour from its own clock.
    if abs(int(timestamp) - int(time.time() * 1000)) > 3600 * 1000:
        return 200, {"errcode": 310000, "errmsg": "timestamp invalid"}
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    if sign != expected:  # parse_qs has URL-decoded it, as DingTalk does
        return 200, {"errcode": 310000, "errmsg": "sign not match"}
    message = request.json()
    if message.get("msgtype") != "text" or not message.get("text", {}).get("content"):
        return 200, {"errcode": 40035, "errmsg": "missing parameter"}
    return 200, {"errcode": 0, "errmsg": "ok"}


def robot(receiver: Receiver, secret: str = SECRET) -> DingTalkRobot:
    return DingTalkRobot(receiver.url(f"/robot/send?access_token={TOKEN}"), secret, timeout=2.0)


def test_dingtalk_robot_signs_as_dingtalk_checks(receiver: Receiver) -> None:
    receiver.default = dingtalk
    with time_machine.travel(START, tick=False):
        result = robot(receiver).send("13812341234", "超期预警：井盖缺失（案件 42）")
    assert result == SendResult(ok=True, recipient="138****1234", status_code=200)
    [request] = receiver.requests
    assert request.path == "/robot/send"
    query = parse_qs(request.query)
    assert query["timestamp"] == ["1772413200000"]
    assert request.query.startswith(f"access_token={TOKEN}&timestamp=1772413200000&sign=")
    assert request.query.endswith("%3D")  # the base64 "=" is URL-encoded
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {
        "msgtype": "text",
        "text": {"content": "超期预警：井盖缺失（案件 42）"},
        "at": {"atMobiles": ["13812341234"], "isAtAll": False},
    }


def test_dingtalk_errcode_is_a_failure_with_its_errmsg(receiver: Receiver) -> None:
    receiver.default = dingtalk
    result = robot(receiver, secret="SECwrong").send("", "测试")
    assert result == SendResult(
        ok=False, recipient="", error="errcode 310000: sign not match", status_code=200
    )
    assert "at" not in receiver.requests[0].json()


def test_dingtalk_refuses_an_old_timestamp(receiver: Receiver) -> None:
    receiver.default = dingtalk
    with time_machine.travel(START, tick=False):
        url = robot(receiver).signed_url(int(START.timestamp() * 1000) - 3601 * 1000)
    stale = DingTalkRobot(url, "", timeout=2.0)  # an empty secret adds no parameters of its own
    with time_machine.travel(START, tick=False):
        result = stale.send("", "测试")
    assert result.error == "errcode 310000: timestamp invalid"


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ((500, b"internal error"), "HTTP 500: internal error"),
        ((200, b"<html>proxy login</html>"), "not a DingTalk answer: HTTP 200: <html>proxy login</html>"),
        (
            (200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}),
            "errcode 130101: send too fast, exceed 20 times per minute",
        ),
    ],
)
def test_dingtalk_failures(receiver: Receiver, answer: tuple[int, object], error: str) -> None:
    receiver.default = answer
    result = robot(receiver).send("", "测试")
    assert (result.ok, result.error) == (False, error)


def test_sms_gateway_posts_phone_and_text(receiver: Receiver) -> None:
    gateway = HttpSmsGateway(receiver.url("/sms/send"), "key-123", timeout=2.0)
    assert gateway.send("13812341234", "【网格治理】您有一件新任务") == SendResult(
        ok=True, recipient="138****1234", status_code=200
    )
    [request] = receiver.requests
    assert request.path == "/sms/send"
    assert request.headers["Authorization"] == "Bearer key-123"
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {"phone": "13812341234", "text": "【网格治理】您有一件新任务"}


def test_sms_gateway_failure_masks_the_phone(receiver: Receiver) -> None:
    receiver.default = (400, b'{"error": "13812341234 is on the blocklist"}')
    result = HttpSmsGateway(receiver.url("/sms/send"), "key-123").send("13812341234", "text")
    assert result == SendResult(
        ok=False,
        recipient="138****1234",
        error='HTTP 400: {"error": "138****1234 is on the blocklist"}',
        status_code=400,
    )


def test_sms_gateway_refuses_what_is_not_a_phone_number(receiver: Receiver) -> None:
    result = HttpSmsGateway(receiver.url("/sms/send"), "key").send("1381234123x", "text")
    assert result == SendResult(ok=False, recipient="138****123x", error="not a phone number")
    assert receiver.requests == []


def test_console_and_null_channels(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="gridgov.notifications.channels"):
        assert ConsoleChannel().send("13812341234", "您好") == SendResult(ok=True, recipient="138****1234")
    assert caplog.messages == ["[console] to 138****1234: 您好"]
    assert NullChannel().send("13812341234", "您好") == SendResult(ok=True, recipient="138****1234")


def test_channels_from_settings(settings: Settings) -> None:
    assert isinstance(get_channel("console"), ConsoleChannel)
    assert isinstance(get_channel("null"), NullChannel)
    with pytest.raises(ChannelNotConfigured) as raised:
        get_channel("sms")
    assert raised.value.details == {"channel": "sms"}
    assert raised.value.http_status == 503
    with pytest.raises(ChannelUnknown):
        get_channel("wechat")

    settings.GRIDGOV_SMS_GATEWAY_URL = "https://sms.example.org/send"
    settings.GRIDGOV_SMS_API_KEY = "key-123"
    settings.GRIDGOV_DINGTALK_WEBHOOK_URL = "https://oapi.dingtalk.com/robot/send?access_token=abc"
    settings.GRIDGOV_DINGTALK_SECRET = "SECxyz"
    settings.GRIDGOV_NOTIFICATION_TIMEOUT = 3
    sms = get_channel("sms")
    assert isinstance(sms, HttpSmsGateway)
    assert (sms.base_url, sms.api_key, sms.timeout) == ("https://sms.example.org/send", "key-123", 3.0)
    ding = get_channel("dingtalk")
    assert isinstance(ding, DingTalkRobot)
    assert (ding.webhook_url, ding.secret) == (
        "https://oapi.dingtalk.com/robot/send?access_token=abc",
        "SECxyz",
    )

    settings.GRIDGOV_NOTIFICATION_CHANNELS = {
        "sms": {"backend": "console"},  # a development machine: texts go to the log
        "duty-group": {
            "backend": "dingtalk",
            "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=d",
            "timeout": 1,
        },
        "broken": {"backend": "dingtalk"},
        "typo": {"backend": "smss"},
    }
    assert isinstance(get_channel("sms"), ConsoleChannel)
    duty = get_channel("duty-group")
    assert isinstance(duty, DingTalkRobot)
    assert (duty.secret, duty.timeout) == ("", 1.0)
    with pytest.raises(ChannelNotConfigured) as raised:
        get_channel("broken")
    assert raised.value.details == {"channel": "broken", "missing": "webhook_url"}
    with pytest.raises(ChannelNotConfigured) as raised:
        get_channel("typo")
    assert raised.value.details == {"channel": "typo", "backend": "smss"}
    assert json.dumps(raised.value.as_dict())
