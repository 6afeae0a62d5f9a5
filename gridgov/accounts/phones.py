"""Proving a phone number with an SMS code (短信验证码): resident sign-up and sign-in by code.

    request_phone_code     a new 6-digit code for a number (limits below); the older one stops working
    resend_phone_code      the same, for the number of an earlier code
    sign_up_resident       code + display name + password → a resident account holding the number
    sign_in_with_phone_code  code → the account holding the number

Only a keyed hash of a code is stored (HMAC with a key derived from SECRET_KEY and a salt per
code), never the code. Limits: a code lives 10 minutes and survives 5 wrong tries; a number gets
at most one code a minute and 10 in 24 hours, whatever the purpose.

Sending: accounts sits left of notifications, so nothing here imports it. The caller passes
`send(phone, text, dedupe_key)` (the web pages pass notifications' send_outbound). It is called
inside the action's transaction, so a refused request sends nothing, and send_outbound sends only
after the commit.

A wrong code is counted even though the action then fails: the count commits, the error is
raised after. Every other refusal changes nothing.
"""

import hmac
import math
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import ClassVar

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.actions import create_user, grant_membership
from gridgov.accounts.models import PhoneCode, PhoneCodePurpose, PhoneCodeStatus, Role, User
from gridgov.accounts.phone_numbers import keyed_digest, normalize_mobile, phone_digest
from gridgov.core.audit import record_audit_event
from gridgov.core.clock import now
from gridgov.core.crypto import decrypt_text, encrypt_text, mask_contact
from gridgov.core.errors import DomainError, InvalidInput

CODE_LIFETIME = timedelta(minutes=10)
MAX_WRONG_ATTEMPTS = 5
RESEND_INTERVAL = timedelta(seconds=60)
DAILY_WINDOW = timedelta(hours=24)
MAX_CODES_PER_DAY = 10

SUBJECT = "accounts.phonecode"
ACTOR_LABEL = "sms code"

# send(phone, text, dedupe_key): hands one text to an outbound channel.
SendText = Callable[[str, str, str], object]


# ── errors ──────────────────────────────────────────────────────────────────────────────────


class PhoneInvalid(InvalidInput):
    code = "phone_invalid"
    default_message = _("Enter a mainland mobile number: 11 digits starting with 1.")


class PhoneCodeTooSoon(InvalidInput):
    code = "phone_code_too_soon"
    http_status: ClassVar[int] = 429
    default_message = _("A code was sent to this number less than a minute ago. Wait a minute and try again.")


class PhoneCodeDailyLimit(InvalidInput):
    code = "phone_code_daily_limit"
    http_status: ClassVar[int] = 429
    default_message = _("Too many codes were sent to this number today. Try again tomorrow.")


class PhoneCodeWrong(InvalidInput):
    code = "phone_code_wrong"
    default_message = _("The code is wrong.")


class PhoneCodeExpired(InvalidInput):
    code = "phone_code_expired"
    default_message = _("The code has expired. Ask for a new one.")


class PhoneCodeUnusable(InvalidInput):
    """Used, replaced by a newer code, locked after wrong tries, or never issued."""

    code = "phone_code_unusable"
    default_message = _("This code can no longer be used. Ask for a new one.")


class PhoneTaken(InvalidInput):
    code = "phone_taken"
    http_status: ClassVar[int] = 409
    default_message = _("This phone number already has an account. Log in instead.")


class ResidentInvalid(InvalidInput):
    code = "resident_invalid"
    default_message = _("Enter a display name of at most 100 characters.")


class PasswordRejected(InvalidInput):
    code = "password_rejected"
    default_message = _("This password is not allowed.")


# ── codes ───────────────────────────────────────────────────────────────────────────────────


def hash_code(salt: str, code: str) -> str:
    return keyed_digest(f"{salt}:{code}", purpose="sms-code")


def code_text(code: str) -> str:
    return gettext(
        "[gridgov] Your verification code is %(code)s. It is valid for %(minutes)s minutes. "
        "Do not tell it to anyone."
    ) % {"code": code, "minutes": int(CODE_LIFETIME.total_seconds() // 60)}


def request_phone_code(*, phone: str, purpose: PhoneCodePurpose, send: SendText) -> PhoneCode:
    """Send a new code to `phone` (for sign-in only when an active account holds the number)."""
    number = normalize_mobile(phone)
    if number is None:
        raise PhoneInvalid()
    return _issue_code(number, PhoneCodePurpose(purpose), send)


def resend_phone_code(*, code_id: int, send: SendText) -> PhoneCode:
    """A new code for the number and purpose of the code `code_id` (the "send again" button)."""
    earlier = PhoneCode.objects.filter(pk=code_id).first()
    if earlier is None:
        raise PhoneCodeUnusable()
    return _issue_code(decrypt_text(earlier.phone_encrypted), PhoneCodePurpose(earlier.purpose), send)


def _issue_code(number: str, purpose: PhoneCodePurpose, send: SendText) -> PhoneCode:
    digest = phone_digest(number)
    with transaction.atomic():
        moment = now()
        # Locks this number's recent codes, so two requests at once cannot both pass the limits
        # (SQLite's IMMEDIATE transactions already run one at a time).
        recent = list(
            PhoneCode.objects.select_for_update()
            .filter(phone_digest=digest, created_at__gt=moment - DAILY_WINDOW)
            .order_by("-created_at")
            .values_list("created_at", flat=True)
        )
        if recent and recent[0] > moment - RESEND_INTERVAL:
            wait = math.ceil((recent[0] + RESEND_INTERVAL - moment).total_seconds())
            raise PhoneCodeTooSoon(details={"retry_after_seconds": wait})
        if len(recent) >= MAX_CODES_PER_DAY:
            raise PhoneCodeDailyLimit(details={"limit": MAX_CODES_PER_DAY})
        PhoneCode.objects.filter(phone_digest=digest, purpose=purpose, status=PhoneCodeStatus.PENDING).update(
            status=PhoneCodeStatus.SUPERSEDED
        )
        code = f"{secrets.randbelow(1_000_000):06d}"
        salt = secrets.token_hex(16)
        row = PhoneCode.objects.create(
            purpose=purpose,
            phone_digest=digest,
            phone_encrypted=encrypt_text(number),
            phone_masked=mask_contact(number),
            salt=salt,
            code_hash=hash_code(salt, code),
            created_at=moment,
            expires_at=moment + CODE_LIFETIME,
        )
        # Sign-in: a number without an account gets no text, but the page says the same either
        # way, so it cannot be used to learn who has an account.
        deliver = (
            purpose == PhoneCodePurpose.SIGN_UP
            or User.objects.filter(phone_digest=digest, is_active=True).exists()
        )
        record_audit_event(
            action="request_phone_code",
            subject_type=SUBJECT,
            subject_id=str(row.pk),
            actor_label=ACTOR_LABEL,
            data={"purpose": purpose.value, "phone": row.phone_masked, "sent": deliver},
        )
        if deliver:
            send(number, code_text(code), f"phone-code:{row.pk}")
    return row


def _check_code(code_id: int, code: str, purpose: PhoneCodePurpose) -> PhoneCode | DomainError:
    """Inside the caller's transaction: the locked code row when `code` matches it; when it does
    not, the wrong try is counted and the error to raise after the commit is returned."""
    row = PhoneCode.objects.select_for_update().filter(pk=code_id, purpose=purpose).first()
    if row is None or row.status != PhoneCodeStatus.PENDING:
        raise PhoneCodeUnusable()
    if row.expires_at <= now():
        raise PhoneCodeExpired()
    if hmac.compare_digest(row.code_hash, hash_code(row.salt, code.strip())):
        return row
    row.wrong_attempts += 1
    if row.wrong_attempts >= MAX_WRONG_ATTEMPTS:
        row.status = PhoneCodeStatus.LOCKED
    row.save(update_fields=["wrong_attempts", "status"])
    record_audit_event(
        action="wrong_phone_code",
        subject_type=SUBJECT,
        subject_id=str(row.pk),
        actor_label=ACTOR_LABEL,
        data={"wrong_attempts": row.wrong_attempts, "locked": row.status == PhoneCodeStatus.LOCKED},
    )
    left = MAX_WRONG_ATTEMPTS - row.wrong_attempts
    if left == 0:
        return PhoneCodeUnusable(
            gettext("The code was wrong %(count)s times and no longer works. Ask for a new one.")
            % {"count": MAX_WRONG_ATTEMPTS}
        )
    return PhoneCodeWrong(
        gettext("The code is wrong. You can try %(left)s more times.") % {"left": left},
        details={"attempts_left": left},
    )


def _use_code(row: PhoneCode) -> None:
    row.status = PhoneCodeStatus.USED
    row.used_at = now()
    row.save(update_fields=["status", "used_at"])


def sign_up_resident(*, code_id: int, code: str, display_name: str, password: str) -> User:
    """A resident account holding the number the code `code_id` was sent to; one account per number."""
    name = display_name.strip()
    if not name or len(name) > 100:
        raise ResidentInvalid()
    try:
        validate_password(password, User(display_name=name))
    except ValidationError as error:
        raise PasswordRejected(" ".join(error.messages)) from error
    failure: DomainError | None = None
    try:
        with transaction.atomic():
            checked = _check_code(code_id, code, PhoneCodePurpose.SIGN_UP)
            if isinstance(checked, DomainError):
                failure = checked
            else:
                if User.objects.filter(phone_digest=checked.phone_digest).exists():
                    raise PhoneTaken()
                user = create_user(
                    username=f"resident-{secrets.token_hex(5)}",
                    password=password,
                    display_name=name,
                    actor_label=ACTOR_LABEL,
                )
                user.phone_encrypted = checked.phone_encrypted
                user.phone_masked = checked.phone_masked
                user.phone_digest = checked.phone_digest
                user.phone_verified_at = now()
                user.save(
                    update_fields=["phone_encrypted", "phone_masked", "phone_digest", "phone_verified_at"]
                )
                grant_membership(user=user, role=Role.RESIDENT, actor=user)
                _use_code(checked)
                record_audit_event(
                    action="sign_up_resident",
                    subject_type="accounts.user",
                    subject_id=str(user.pk),
                    actor=user,
                    data={"phone": checked.phone_masked, "phone_code": checked.pk},
                )
    except IntegrityError as error:
        # Two sign-ups with one number at the same moment: the unique phone digest lets one in.
        raise PhoneTaken() from error
    if failure is not None:
        raise failure
    return user


def sign_in_with_phone_code(*, code_id: int, code: str) -> User:
    """The active account holding the number the sign-in code `code_id` was sent to."""
    failure: DomainError | None = None
    with transaction.atomic():
        checked = _check_code(code_id, code, PhoneCodePurpose.SIGN_IN)
        if isinstance(checked, DomainError):
            failure = checked
        else:
            found = User.objects.filter(phone_digest=checked.phone_digest, is_active=True).first()
            if found is None:
                raise PhoneCodeUnusable()
            user = found
            _use_code(checked)
            record_audit_event(
                action="sign_in_with_phone_code",
                subject_type="accounts.user",
                subject_id=str(user.pk),
                actor=user,
                data={"phone": checked.phone_masked, "phone_code": checked.pk},
            )
    if failure is not None:
        raise failure
    return user
