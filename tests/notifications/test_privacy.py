"""Phone numbers are masked wherever they are stored or logged."""

import pytest

from gridgov.notifications.privacy import is_phone_number, mask_phone, mask_recipient, redact_phones


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812341234", "138****1234"),
        (" 13812341234 ", "138****1234"),
        ("138-1234-1234", "138****1234"),
        ("+8613812341234", "+86138****1234"),
        ("+86 13812341234", "+86 138****1234"),
        ("057187654321", "057*****4321"),
        ("+14155550123", "+141****0123"),
        ("12345", "***45"),
        ("12", "**"),
        ("", ""),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("recipient", "masked"),
    [("13812341234", "138****1234"), ("ops-group", "ops-group"), ("", ""), ("manager01", "manager01")],
)
def test_mask_recipient_masks_only_phone_numbers(recipient: str, masked: str) -> None:
    assert mask_recipient(recipient) == masked


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("invalid phone 13812341234", "invalid phone 138****1234"),
        ("to +8613812341234 and 15900001111.", "to +86138****1234 and 159****1111."),
        ("order 213812341234 is not a phone", "order 213812341234 is not a phone"),
        ("no numbers", "no numbers"),
    ],
)
def test_redact_phones(text: str, redacted: str) -> None:
    assert redact_phones(text) == redacted


@pytest.mark.parametrize(
    ("value", "valid"),
    [("13812341234", True), ("+8613812341234", True), ("138 1234", False), ("abc", False), ("", False)],
)
def test_is_phone_number(value: str, valid: bool) -> None:
    assert is_phone_number(value) is valid
