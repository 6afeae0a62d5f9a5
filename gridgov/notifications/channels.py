"""Outbound text channels behind one interface: an SMS gateway, a DingTalk robot, console and null.

    channel = get_channel("sms")
    result = channel.send("13812341234", "您有一件超期案件：…")
    result.ok, result.recipient  # True, "138****1234"

Callers in other domains use `actions.send_outbound`, which logs the message and sends after the
commit; the adapters here only talk to the network. Settings (docs/notifications.md):

    GRIDGOV_SMS_GATEWAY_URL, GRIDGOV_SMS_API_KEY          → channel "sms"
    GRIDGOV_DINGTALK_WEBHOOK_URL, GRIDGOV_DINGTALK_SECRET → channel "dingtalk"
    GRIDGOV_NOTIFICATION_CHANNELS = {"name": {"backend": "sms" | "dingtalk" | "console" | "null", …}}
    GRIDGOV_NOTIFICATION_TIMEOUT  (seconds, default 5)
"""

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings

from gridgov.core.clock import now
from gridgov.notifications.errors import ChannelNotConfigured, ChannelUnknown
from gridgov.notifications.privacy import is_phone_number, mask_phone, mask_recipient, redact_phones
from gridgov.notifications.signing import dingtalk_sign
from gridgov.notifications.transport import post_json

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class SendResult:
    """The outcome of one send. `recipient` is always masked, so a result can be logged as it is."""

    ok: bool
    recipient: str
    error: str = ""
    status_code: int | None = None


class OutboundChannel(Protocol):
    def send(self, recipient: str, text: str) -> SendResult: ...


class HttpSmsGateway:
    """A generic JSON SMS gateway: POST {"phone": …, "text": …} with `Authorization: Bearer <api_key>`.

    Any 2xx answer is success. Most Chinese SMS providers sit behind such a gateway (or a small one
    the operator runs), since each provider's own API and template rules differ.
    """

    def __init__(self, base_url: str, api_key: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.base_url = base_url
        self.api_key = api_key
        self.timeout = timeout

    def send(self, recipient: str, text: str) -> SendResult:
        masked = mask_phone(recipient)
        if not is_phone_number(recipient):
            return SendResult(ok=False, recipient=masked, error="not a phone number")
        body = json.dumps({"phone": recipient.strip(), "text": text}, ensure_ascii=False).encode("utf-8")
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        result = post_json(self.base_url, body, headers, timeout=self.timeout)
        if result.ok:
            return SendResult(ok=True, recipient=masked, status_code=result.status)
        return SendResult(
            ok=False, recipient=masked, error=redact_phones(result.describe()), status_code=result.status
        )


class DingTalkRobot:
    """A DingTalk group's custom robot (自定义机器人) with the "加签" (signature) security setting.

    `webhook_url` is the robot's URL with its access_token. Each request appends `timestamp` (ms)
    and `sign`; DingTalk refuses a timestamp more than an hour away from its clock. A non-empty
    `recipient` is a mobile number to @-mention in the group (`at.atMobiles`). DingTalk answers
    HTTP 200 with {"errcode": 0, "errmsg": "ok"} on success and a non-zero errcode otherwise.
    """

    def __init__(self, webhook_url: str, secret: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.webhook_url = webhook_url
        self.secret = secret
        self.timeout = timeout

    def signed_url(self, timestamp_ms: int) -> str:
        if not self.secret:
            return self.webhook_url
        separator = "&" if "?" in self.webhook_url else "?"
        sign = dingtalk_sign(self.secret, timestamp_ms)
        return f"{self.webhook_url}{separator}timestamp={timestamp_ms}&sign={sign}"

    def send(self, recipient: str, text: str) -> SendResult:
        masked = mask_recipient(recipient)
        message: dict[str, Any] = {"msgtype": "text", "text": {"content": text}}
        if recipient.strip():
            message["at"] = {"atMobiles": [recipient.strip()], "isAtAll": False}
        body = json.dumps(message, ensure_ascii=False).encode("utf-8")
        timestamp_ms = int(now().timestamp() * 1000)
        result = post_json(self.signed_url(timestamp_ms), body, {}, timeout=self.timeout)
        if not result.ok:
            return SendResult(
                ok=False, recipient=masked, error=redact_phones(result.describe()), status_code=result.status
            )
        try:
            answer = json.loads(result.body)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            return SendResult(
                ok=False,
                recipient=masked,
                error=redact_phones(f"not a DingTalk answer: {result.describe()}"),
                status_code=result.status,
            )
        if answer.get("errcode") == 0:
            return SendResult(ok=True, recipient=masked, status_code=result.status)
        error = f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}"
        return SendResult(ok=False, recipient=masked, error=redact_phones(error), status_code=result.status)


class ConsoleChannel:
    """Development: writes the text to the log (logger gridgov.notifications.channels) and succeeds."""

    def __init__(self, name: str = "console") -> None:
        self.name = name

    def send(self, recipient: str, text: str) -> SendResult:
        masked = mask_recipient(recipient)
        logger.info("[%s] to %s: %s", self.name, masked, text)
        return SendResult(ok=True, recipient=masked)


class NullChannel:
    """Sends nothing and succeeds: for tests and for switching a channel off."""

    def send(self, recipient: str, text: str) -> SendResult:
        return SendResult(ok=True, recipient=mask_recipient(recipient))


def _required(name: str, options: dict[str, Any], key: str) -> str:
    value = options.get(key)
    if not value:
        raise ChannelNotConfigured(details={"channel": name, "missing": key})
    return str(value)


def _build_sms(name: str, options: dict[str, Any], timeout: float) -> OutboundChannel:
    return HttpSmsGateway(
        _required(name, options, "base_url"), str(options.get("api_key", "")), timeout=timeout
    )


def _build_dingtalk(name: str, options: dict[str, Any], timeout: float) -> OutboundChannel:
    return DingTalkRobot(
        _required(name, options, "webhook_url"), str(options.get("secret", "")), timeout=timeout
    )


BACKENDS: dict[str, Callable[[str, dict[str, Any], float], OutboundChannel]] = {
    "sms": _build_sms,
    "dingtalk": _build_dingtalk,
    "console": lambda name, options, timeout: ConsoleChannel(name),
    "null": lambda name, options, timeout: NullChannel(),
}
# Names that are channels once their settings are filled in; asking for them earlier is a
# configuration problem, not a typo.
WELL_KNOWN_CHANNELS = frozenset({"sms", "dingtalk"})


def channel_settings() -> dict[str, dict[str, Any]]:
    """Every configured channel by name: built-in console/null, sms and dingtalk from their own
    settings when set, then GRIDGOV_NOTIFICATION_CHANNELS, which wins."""
    channels: dict[str, dict[str, Any]] = {"console": {"backend": "console"}, "null": {"backend": "null"}}
    sms_url = getattr(settings, "GRIDGOV_SMS_GATEWAY_URL", "")
    if sms_url:
        channels["sms"] = {
            "backend": "sms",
            "base_url": sms_url,
            "api_key": getattr(settings, "GRIDGOV_SMS_API_KEY", ""),
        }
    dingtalk_url = getattr(settings, "GRIDGOV_DINGTALK_WEBHOOK_URL", "")
    if dingtalk_url:
        channels["dingtalk"] = {
            "backend": "dingtalk",
            "webhook_url": dingtalk_url,
            "secret": getattr(settings, "GRIDGOV_DINGTALK_SECRET", ""),
        }
    channels.update(getattr(settings, "GRIDGOV_NOTIFICATION_CHANNELS", None) or {})
    return channels


def get_channel(name: str) -> OutboundChannel:
    """The channel called `name`, built from the settings; ChannelUnknown or ChannelNotConfigured."""
    options = channel_settings().get(name)
    if options is None:
        if name in WELL_KNOWN_CHANNELS:
            raise ChannelNotConfigured(details={"channel": name})
        raise ChannelUnknown(details={"channel": name})
    builder = BACKENDS.get(str(options.get("backend", "")))
    if builder is None:
        raise ChannelNotConfigured(details={"channel": name, "backend": options.get("backend")})
    timeout = float(
        options.get("timeout", getattr(settings, "GRIDGOV_NOTIFICATION_TIMEOUT", DEFAULT_TIMEOUT))
    )
    return builder(name, options, timeout)
