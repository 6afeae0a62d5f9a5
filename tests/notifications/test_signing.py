"""The webhook signature, the wire format, and the DingTalk sign: checked against independent computations."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from urllib.parse import unquote_plus

import pytest

from gridgov.notifications.signing import (
    dingtalk_sign,
    sign_webhook,
    verify_signature,
    webhook_body,
    webhook_headers,
)

BODY = '{"id":"e1","data":{"title":"井盖缺失"}}'.encode()


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(b"s3cret", b"1767225600." + BODY, hashlib.sha256).hexdigest()
    assert sign_webhook("s3cret", 1767225600, BODY) == "sha256=" + expected
    assert sign_webhook("s3cret", "1767225600", BODY.decode()) == "sha256=" + expected


@pytest.mark.parametrize(
    ("secret", "timestamp", "body", "signature_of", "valid"),
    [
        ("s3cret", "1767225600", BODY, ("s3cret", "1767225600", BODY), True),
        ("s3cret", 1767225600, BODY.decode(), ("s3cret", "1767225600", BODY), True),
        ("wrong", "1767225600", BODY, ("s3cret", "1767225600", BODY), False),
        ("s3cret", "1767225601", BODY, ("s3cret", "1767225600", BODY), False),
        ("s3cret", "1767225600", BODY + b" ", ("s3cret", "1767225600", BODY), False),
    ],
)
def test_verify_signature(
    secret: str, timestamp: str | int, body: bytes | str, signature_of: tuple[str, str, bytes], valid: bool
) -> None:
    assert verify_signature(secret, timestamp, body, sign_webhook(*signature_of)) is valid


@pytest.mark.parametrize("signature", ["", "sha256=", "sha1=abc", "SHA256=" + "0" * 64, "sha256=zz"])
def test_malformed_signatures_are_refused(signature: str) -> None:
    assert verify_signature("s3cret", "1767225600", BODY, signature) is False


def test_webhook_body_and_headers() -> None:
    body = webhook_body(
        event_id="8c2ad3a2-8e4f-4a4b-9d36-4f8a0c5b7e11",
        event_type="case.created",
        created_at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
        payload={"case": 42, "title": "井盖缺失"},
    )
    assert (
        body
        == (
            '{"id":"8c2ad3a2-8e4f-4a4b-9d36-4f8a0c5b7e11","type":"case.created",'
            '"created_at":"2026-03-02T01:00:00+00:00","data":{"case":42,"title":"井盖缺失"}}'
        ).encode()
    )
    assert json.loads(body)["data"]["title"] == "井盖缺失"
    headers = webhook_headers(
        secret="s3cret", event_type="case.created", event_id="e1", timestamp=1772413200, body=body
    )
    assert headers == {
        "X-Gridgov-Event": "case.created",
        "X-Gridgov-Delivery": "e1",
        "X-Gridgov-Timestamp": "1772413200",
        "X-Gridgov-Signature": sign_webhook("s3cret", 1772413200, body),
    }


def test_dingtalk_sign_follows_the_dingtalk_recipe() -> None:
    # DingTalk's documented recipe: base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\n{secret}")),
    # then URL-encoded.
    secret = "SEC0123456789abcdef"
    timestamp = 1772413200000
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = dingtalk_sign(secret, timestamp)
    assert unquote_plus(sign) == base64.b64encode(digest).decode()
    assert sign.endswith("%3D")  # base64 of 32 bytes ends in "=", which must be encoded
    assert "+" not in sign and "/" not in sign
