"""The webhook wire format and signatures, and the DingTalk robot signature. No database.

Webhooks (our scheme, documented for receivers in docs/notifications.md): the body is
{"id", "type", "created_at", "data"} as compact UTF-8 JSON, and

    X-Gridgov-Timestamp: 1767225600
    X-Gridgov-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{raw body}")>

Signing the timestamp with the body lets a receiver refuse old requests replayed by someone who
captured one. DingTalk (钉钉自定义机器人, "加签" security setting) signs f"{timestamp_ms}\\n{secret}"
with the secret and expects the base64 of it, URL-encoded, as `sign`.
"""

import base64
import hashlib
import hmac
import json
import urllib.parse
from datetime import datetime
from typing import Any

SIGNATURE_PREFIX = "sha256="


def _as_bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


def sign_webhook(secret: str, timestamp: str | int, body: bytes | str) -> str:
    """The X-Gridgov-Signature header value for `body` sent at `timestamp` (unix seconds)."""
    message = str(timestamp).encode("ascii") + b"." + _as_bytes(body)
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify_signature(secret: str, timestamp: str | int, body: bytes | str, signature: str) -> bool:
    """Whether `signature` (the X-Gridgov-Signature header) signs `body` and `timestamp` with `secret`.

    Compares in constant time. Checking that the timestamp is recent (we suggest five minutes) and
    that the X-Gridgov-Delivery id is new is the receiver's part.
    """
    if not signature.startswith(SIGNATURE_PREFIX):
        return False
    return hmac.compare_digest(sign_webhook(secret, timestamp, body), signature)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The URL-encoded `sign` query parameter of a DingTalk robot request made at `timestamp_ms`."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), string_to_sign, hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def webhook_body(*, event_id: str, event_type: str, created_at: datetime, payload: Any) -> bytes:
    """The JSON body of a webhook POST: {"id", "type", "created_at", "data"}, UTF-8, compact.

    Built the same way on every attempt, so a receiver sees the same bytes for the same event.
    """
    document = {"id": event_id, "type": event_type, "created_at": created_at.isoformat(), "data": payload}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def webhook_headers(
    *, secret: str, event_type: str, event_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The headers of a webhook POST besides Content-Type (which the transport sets)."""
    return {
        "X-Gridgov-Event": event_type,
        "X-Gridgov-Delivery": event_id,
        "X-Gridgov-Timestamp": str(timestamp),
        "X-Gridgov-Signature": sign_webhook(secret, timestamp, body),
    }
