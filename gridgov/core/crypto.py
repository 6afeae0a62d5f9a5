"""Personal data at rest: encryption and masking (个人信息保护法).

Phone and ID numbers are stored encrypted with Fernet (AES-128-CBC + HMAC-SHA256). The key comes
from GRIDGOV_FIELD_KEY (a Fernet key) or, when unset, is derived from SECRET_KEY with HKDF, so a
demo needs no extra setting. Rotating the key needs a re-encryption job (not built yet).
"""

import base64
import re
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


@cache
def _fernet() -> Fernet:
    configured = getattr(settings, "GRIDGOV_FIELD_KEY", "")
    if configured:
        return Fernet(configured.encode())
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"gridgov-field-key", info=b"fernet").derive(
        settings.SECRET_KEY.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_text(plain: str) -> str:
    if not plain:
        return ""
    return _fernet().encrypt(plain.encode()).decode()


def decrypt_text(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ValueError("cannot decrypt: wrong key or damaged value") from error


def mask_contact(value: str) -> str:
    """138****1234 for a mobile number; keep the first and last characters of anything else."""
    digits = re.sub(r"\D", "", value)
    if len(digits) == 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(value) <= 2:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 2) + value[-1]
