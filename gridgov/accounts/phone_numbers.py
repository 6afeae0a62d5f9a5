"""Mainland mobile numbers: normalising, and the keyed digest that finds a number without storing it.

A phone number is stored encrypted (gridgov/core/crypto.py) and masked for display. To find the
account or the cases of a number without decrypting every row, a keyed digest sits beside it:
HMAC-SHA256 of the normalised number under a key derived from SECRET_KEY with HKDF. Without the
key the digest cannot be reversed by trying the 10^10 numbers, as a plain hash could. Changing
SECRET_KEY changes every digest: recompute them from the encrypted values (docs/web-accounts.md).

The same HKDF-derived keys, under other `info` labels, hash SMS codes and login names.
"""

import hashlib
import hmac
import re
from functools import cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

# 11 digits, 13x to 19x: every mainland mobile number range (工信部 number plan).
_MOBILE = re.compile(r"1[3-9]\d{9}")
# What people type around the digits: spaces, dashes, dots, brackets.
_SEPARATORS = re.compile(r"[\s\-.()（）]")
# +86, 0086 or 86 written before the 11 digits.
_COUNTRY_CODE = re.compile(r"^(?:\+86|0086|86)(?=\d{11}$)")


def normalize_mobile(value: str) -> str | None:
    """The 11 digits of a mainland mobile number (138 1234 5678, +86-13812345678 → 13812345678), or None."""
    digits = _COUNTRY_CODE.sub("", _SEPARATORS.sub("", value or ""))
    return digits if _MOBILE.fullmatch(digits) else None


@cache
def _derived_key(secret_key: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"gridgov-lookup-key", info=purpose).derive(
        secret_key.encode()
    )


def keyed_digest(value: str, *, purpose: str) -> str:
    """HMAC-SHA256 of `value` under the key for `purpose` (derived from SECRET_KEY), as 64 hex digits."""
    key = _derived_key(settings.SECRET_KEY, purpose.encode())
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def phone_digest(value: str) -> str:
    """The lookup digest of a mainland mobile number; "" for anything else (a landline, an email)."""
    phone = normalize_mobile(value)
    return keyed_digest(phone, purpose="phone-digest") if phone else ""
