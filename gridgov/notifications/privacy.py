"""Masking phone numbers for logs, results and the outbound log (138****1234). No database.

个人信息保护法: a notification log is not a reason to keep a phone book. Only masked numbers are
stored or logged; the full number lives only in the call that sends the text.
"""

import re

# Mainland mobile numbers inside free text (a gateway's error message may echo the number).
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(\+?86[- ]?)?(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_PHONE_LIKE = re.compile(r"^\+?[\d\- ]{7,20}$")


def mask_phone(phone: str) -> str:
    """Keep the first three and the last four digits: 13812341234 → 138****1234.

    A leading +86 country code is kept as it was written; numbers too short to keep seven digits
    visible keep only their last two.
    """
    text = phone.strip()
    prefix = ""
    if text.startswith("+"):
        match = re.match(r"\+86[- ]?", text)
        prefix = match.group(0) if match else "+"
        text = text[len(prefix) :]
    digits = re.sub(r"[\s-]", "", text)
    if len(digits) >= 8:
        return prefix + digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    if len(digits) > 2:
        return prefix + "*" * (len(digits) - 2) + digits[-2:]
    return prefix + "*" * len(digits)


def mask_recipient(recipient: str) -> str:
    """A phone number masked; any other recipient (a user id, a chat name) as it is."""
    return mask_phone(recipient) if _PHONE_LIKE.match(recipient.strip()) else recipient.strip()


def redact_phones(text: str) -> str:
    """`text` with every mainland mobile number in it masked."""
    return _MOBILE_IN_TEXT.sub(lambda m: (m.group(1) or "") + m.group(2) + "****" + m.group(4), text)


def is_phone_number(value: str) -> bool:
    """A phone number a gateway can take: digits, optionally with a leading + (E.164, 6 to 15 digits)."""
    return re.fullmatch(r"\+?\d{6,15}", value.strip()) is not None
