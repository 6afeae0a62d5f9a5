"""Phone numbers proved by SMS code (gridgov/accounts/phones.py), their digest, and failed-login locks.

The actions take the sender as an argument; here it is a list that records what would be sent
(the web tests send through the real SMS adapter to a local HTTP gateway).
"""

import hashlib
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from pytest_django.fixtures import Settings

from gridgov.accounts.actions import create_user
from gridgov.accounts.logins import clear_failed_logins, record_failed_login
from gridgov.accounts.models import LoginThrottle, Membership, PhoneCode, PhoneCodePurpose, Role, User
from gridgov.accounts.phone_numbers import normalize_mobile, phone_digest
from gridgov.accounts.phones import (
    PasswordRejected,
    PhoneCodeDailyLimit,
    PhoneCodeExpired,
    PhoneCodeTooSoon,
    PhoneCodeUnusable,
    PhoneCodeWrong,
    PhoneInvalid,
    PhoneTaken,
    ResidentInvalid,
    request_phone_code,
    resend_phone_code,
    sign_in_with_phone_code,
    sign_up_resident,
)
from gridgov.accounts.queries import find_user_by_phone, login_locked_until, own_phone_number, roles_of
from gridgov.core.crypto import decrypt_text
from gridgov.core.models import AuditEvent

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
PHONE = "13812345678"
OTHER_PHONE = "13987654321"
PASSWORD = "grid-governance-2026"


@pytest.fixture(autouse=True)
def fast_passwords(settings: Settings) -> None:
    """The real login code with a cheap hasher: PBKDF2's million rounds would only slow the tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


class Outbox:
    """Stands in for notifications' send_outbound: records (phone, text, dedupe_key)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def __call__(self, phone: str, text: str, dedupe_key: str) -> None:
        self.sent.append((phone, text, dedupe_key))

    def last_code(self) -> str:
        match = re.search(r"(?<!\d)(\d{6})(?!\d)", self.sent[-1][1])
        assert match, self.sent[-1][1]
        return match.group(1)


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


def ask(
    outbox: Outbox, phone: str = PHONE, purpose: PhoneCodePurpose = PhoneCodePurpose.SIGN_UP
) -> PhoneCode:
    return request_phone_code(phone=phone, purpose=purpose, send=outbox)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# ── numbers and digests ─────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("19912345678", "19912345678"),
        ("12812345678", None),  # no mobile range starts with 12
        ("1381234567", None),  # 10 digits
        ("138123456789", None),  # 12 digits
        ("0571-87654321", None),  # a landline
        ("23812345678", None),
        ("", None),
        ("zhang@example.cn", None),
    ],
)
def test_mainland_mobile_numbers_are_normalised(typed: str, number: str | None) -> None:
    assert normalize_mobile(typed) == number


def test_the_phone_digest_is_keyed_and_ignores_how_the_number_was_typed(settings: Settings) -> None:
    digest = phone_digest(PHONE)
    assert len(digest) == 64
    assert phone_digest("+86 138-1234-5678") == digest
    assert phone_digest(OTHER_PHONE) != digest
    # Not a plain hash anyone could compute for every number.
    assert digest != hashlib.sha256(PHONE.encode()).hexdigest()
    assert phone_digest("0571-87654321") == ""
    settings.SECRET_KEY = "another-secret-key"
    assert phone_digest(PHONE) != digest


# ── sending codes ───────────────────────────────────────────────────────────────────────────


def test_a_code_is_sent_and_only_its_keyed_hash_is_kept(clock: object, outbox: Outbox) -> None:
    row = ask(outbox, "138 1234 5678")
    [(phone, text, key)] = outbox.sent
    code = outbox.last_code()
    assert (phone, key) == (PHONE, f"phone-code:{row.pk}")
    assert text == (
        f"[gridgov] Your verification code is {code}. It is valid for 10 minutes. Do not tell it to anyone."
    )
    row.refresh_from_db()
    assert (row.purpose, row.status, row.wrong_attempts, row.created_at, row.expires_at) == (
        "sign_up",
        "pending",
        0,
        START,
        START + timedelta(minutes=10),
    )
    assert (row.phone_masked, row.phone_digest, decrypt_text(row.phone_encrypted)) == (
        "138****5678",
        phone_digest(PHONE),
        PHONE,
    )
    stored = json.dumps(list(PhoneCode.objects.values()), default=str) + json.dumps(
        list(AuditEvent.objects.values("data"))
    )
    assert code not in stored
    assert PHONE not in stored
    [audit] = AuditEvent.objects.filter(action="request_phone_code")
    assert (audit.subject_type, audit.subject_id, audit.data) == (
        "accounts.phonecode",
        str(row.pk),
        {"purpose": "sign_up", "phone": "138****5678", "sent": True},
    )


def test_a_number_that_is_not_a_mainland_mobile_is_refused(outbox: Outbox) -> None:
    with pytest.raises(PhoneInvalid):
        ask(outbox, "0571-87654321")
    assert (outbox.sent, PhoneCode.objects.count(), AuditEvent.objects.count()) == ([], 0, 0)


def test_a_send_that_fails_records_nothing(outbox: Outbox) -> None:
    def broken(phone: str, text: str, dedupe_key: str) -> None:
        raise RuntimeError("gateway adapter missing")

    with pytest.raises(RuntimeError):
        request_phone_code(phone=PHONE, purpose=PhoneCodePurpose.SIGN_UP, send=broken)
    assert (PhoneCode.objects.count(), AuditEvent.objects.filter(action="request_phone_code").count()) == (
        0,
        0,
    )
    ask(outbox)  # and the refused attempt did not count against the one-a-minute limit
    assert len(outbox.sent) == 1


def test_one_code_a_minute_and_ten_a_day_per_number(clock: time_machine.Traveller, outbox: Outbox) -> None:
    ask(outbox)
    clock.shift(timedelta(seconds=30))
    with pytest.raises(PhoneCodeTooSoon) as too_soon:
        ask(outbox)
    assert too_soon.value.details == {"retry_after_seconds": 30}
    assert too_soon.value.http_status == 429
    # The limit is per number, whatever the purpose.
    with pytest.raises(PhoneCodeTooSoon):
        ask(outbox, purpose=PhoneCodePurpose.SIGN_IN)
    ask(outbox, OTHER_PHONE)  # another number is not held up
    assert PhoneCode.objects.filter(phone_digest=phone_digest(PHONE)).count() == 1
    for _ in range(9):
        clock.shift(timedelta(seconds=60))
        ask(outbox)
    assert PhoneCode.objects.filter(phone_digest=phone_digest(PHONE)).count() == 10
    clock.shift(timedelta(hours=1))
    with pytest.raises(PhoneCodeDailyLimit):
        ask(outbox)
    assert PhoneCode.objects.filter(phone_digest=phone_digest(PHONE)).count() == 10
    assert len(outbox.sent) == 11  # ten to PHONE, one to OTHER_PHONE
    # 24 hours after the first code, one more may go.
    clock.move_to(START + timedelta(hours=24, seconds=1))
    ask(outbox)
    assert len(outbox.sent) == 12


def test_a_new_code_replaces_the_older_one(clock: time_machine.Traveller, outbox: Outbox) -> None:
    first = ask(outbox)
    first_code = outbox.last_code()
    clock.shift(timedelta(seconds=61))
    second = resend_phone_code(code_id=first.pk, send=outbox)
    assert outbox.sent[-1][0] == PHONE and second.pk != first.pk
    with pytest.raises(PhoneCodeUnusable):
        sign_up_resident(code_id=first.pk, code=first_code, display_name="张三", password=PASSWORD)
    first.refresh_from_db()
    assert first.status == "superseded"
    user = sign_up_resident(
        code_id=second.pk, code=outbox.last_code(), display_name="张三", password=PASSWORD
    )
    assert user.phone_digest == phone_digest(PHONE)


# ── signing up ──────────────────────────────────────────────────────────────────────────────


def test_signing_up_makes_a_resident_holding_the_number(clock: object, outbox: Outbox) -> None:
    row = ask(outbox)
    user = sign_up_resident(code_id=row.pk, code=outbox.last_code(), display_name=" 张三 ", password=PASSWORD)
    user.refresh_from_db()
    assert (user.display_name, user.phone_masked, user.phone_digest, user.phone_verified_at) == (
        "张三",
        "138****5678",
        phone_digest(PHONE),
        START,
    )
    assert decrypt_text(user.phone_encrypted) == PHONE
    assert own_phone_number(user) == PHONE
    assert user.check_password(PASSWORD) and not user.is_staff and not user.is_superuser
    assert list(Membership.objects.filter(user=user).values_list("role", "area_id", "department_id")) == [
        (Role.RESIDENT, None, None)
    ]
    assert roles_of(user) == ["resident"]
    assert find_user_by_phone("+86 138 1234 5678") == user
    row.refresh_from_db()
    assert (row.status, row.used_at) == ("used", START)
    [audit] = AuditEvent.objects.filter(action="sign_up_resident")
    assert (audit.actor, audit.subject_id, audit.data) == (
        user,
        str(user.pk),
        {"phone": "138****5678", "phone_code": row.pk},
    )
    # A used code does not work twice.
    with pytest.raises(PhoneCodeUnusable):
        sign_up_resident(code_id=row.pk, code=outbox.last_code(), display_name="李四", password=PASSWORD)
    assert User.objects.count() == 1


def test_a_code_expires_after_ten_minutes(clock: time_machine.Traveller, outbox: Outbox) -> None:
    row = ask(outbox)
    clock.shift(timedelta(minutes=10))
    with pytest.raises(PhoneCodeExpired):
        sign_up_resident(code_id=row.pk, code=outbox.last_code(), display_name="张三", password=PASSWORD)
    assert not User.objects.exists()
    row = ask(outbox)
    clock.shift(timedelta(minutes=9, seconds=59))
    sign_up_resident(code_id=row.pk, code=outbox.last_code(), display_name="张三", password=PASSWORD)
    assert User.objects.count() == 1


def test_five_wrong_codes_lock_the_code(clock: object, outbox: Outbox) -> None:
    row = ask(outbox)
    code = outbox.last_code()
    for left in (4, 3, 2, 1):
        with pytest.raises(PhoneCodeWrong) as error:
            sign_up_resident(code_id=row.pk, code=wrong(code), display_name="张三", password=PASSWORD)
        assert error.value.details == {"attempts_left": left}
    with pytest.raises(PhoneCodeUnusable):
        sign_up_resident(code_id=row.pk, code=wrong(code), display_name="张三", password=PASSWORD)
    # Even the right code no longer works.
    with pytest.raises(PhoneCodeUnusable):
        sign_up_resident(code_id=row.pk, code=code, display_name="张三", password=PASSWORD)
    row.refresh_from_db()
    assert (row.status, row.wrong_attempts) == ("locked", 5)
    assert not User.objects.exists()
    audits = AuditEvent.objects.filter(action="wrong_phone_code").order_by("id")
    assert [a.data for a in audits] == [{"wrong_attempts": n, "locked": n == 5} for n in range(1, 6)]


def test_one_number_makes_one_account(clock: time_machine.Traveller, outbox: Outbox) -> None:
    row = ask(outbox)
    first = sign_up_resident(code_id=row.pk, code=outbox.last_code(), display_name="张三", password=PASSWORD)
    clock.shift(timedelta(minutes=2))
    again = ask(outbox, "+86 13812345678")
    with pytest.raises(PhoneTaken):
        sign_up_resident(code_id=again.pk, code=outbox.last_code(), display_name="冒名", password=PASSWORD)
    assert list(User.objects.all()) == [first]
    again.refresh_from_db()
    assert again.status == "pending"


def test_a_bad_password_or_name_changes_nothing(clock: object, outbox: Outbox) -> None:
    row = ask(outbox)
    code = outbox.last_code()
    with pytest.raises(PasswordRejected):
        sign_up_resident(code_id=row.pk, code=code, display_name="张三", password="12345678")
    with pytest.raises(ResidentInvalid):
        sign_up_resident(code_id=row.pk, code=code, display_name="   ", password=PASSWORD)
    row.refresh_from_db()
    assert (row.status, row.wrong_attempts, User.objects.count()) == ("pending", 0, 0)
    sign_up_resident(code_id=row.pk, code=code, display_name="张三", password=PASSWORD)
    assert User.objects.count() == 1


# ── signing in by code ──────────────────────────────────────────────────────────────────────


def test_a_resident_signs_in_with_a_code(clock: time_machine.Traveller, outbox: Outbox) -> None:
    row = ask(outbox)
    resident = sign_up_resident(
        code_id=row.pk, code=outbox.last_code(), display_name="张三", password=PASSWORD
    )
    clock.shift(timedelta(minutes=1))
    sign_in = ask(outbox, purpose=PhoneCodePurpose.SIGN_IN)
    # A sign-up code is not a sign-in code.
    with pytest.raises(PhoneCodeUnusable):
        sign_in_with_phone_code(code_id=row.pk, code=outbox.last_code())
    with pytest.raises(PhoneCodeWrong):
        sign_in_with_phone_code(code_id=sign_in.pk, code=wrong(outbox.last_code()))
    assert sign_in_with_phone_code(code_id=sign_in.pk, code=outbox.last_code()) == resident
    assert AuditEvent.objects.filter(action="sign_in_with_phone_code", actor=resident).count() == 1


def test_a_number_without_an_account_gets_no_sign_in_text(outbox: Outbox) -> None:
    row = ask(outbox, OTHER_PHONE, PhoneCodePurpose.SIGN_IN)
    assert outbox.sent == []
    assert AuditEvent.objects.get(action="request_phone_code").data["sent"] is False
    # Whatever is typed (the code was never sent), nobody is signed in.
    with pytest.raises((PhoneCodeWrong, PhoneCodeUnusable)):
        sign_in_with_phone_code(code_id=row.pk, code="000000")


# ── failed logins ───────────────────────────────────────────────────────────────────────────


def test_ten_failed_logins_lock_a_name_for_15_minutes(clock: time_machine.Traveller) -> None:
    for _ in range(9):
        assert record_failed_login("Zhang") is None
    assert login_locked_until("zhang") is None
    assert record_failed_login("ZHANG ") == START + timedelta(minutes=15)
    assert login_locked_until("zhang") == START + timedelta(minutes=15)
    assert login_locked_until("li") is None
    [audit] = AuditEvent.objects.filter(action="lock_login")
    assert audit.data["failures"] == 10
    # The table holds no login names.
    assert "zhang" not in json.dumps(list(LoginThrottle.objects.values()), default=str).lower()
    clock.shift(timedelta(minutes=15))
    assert login_locked_until("zhang") is None
    # After the lock the count starts again.
    assert record_failed_login("zhang") is None
    assert LoginThrottle.objects.get().failures == 1


def test_failures_spread_over_more_than_15_minutes_do_not_lock(clock: time_machine.Traveller) -> None:
    for _ in range(9):
        record_failed_login("wang")
    clock.shift(timedelta(minutes=15))
    assert record_failed_login("wang") is None
    assert login_locked_until("wang") is None
    clear_failed_logins("wang")
    assert not LoginThrottle.objects.exists()


def test_a_phone_number_is_one_login_name_however_it_is_typed(clock: object) -> None:
    for typed in ["13812345678", "138 1234 5678", "+86 138-1234-5678"] * 4:
        record_failed_login(typed)
    assert login_locked_until("13812345678") is not None


def test_a_staff_account_has_no_phone_until_verified() -> None:
    staff = create_user(username="clerk", password=None, actor_label="tests")
    assert (own_phone_number(staff), staff.phone_digest, find_user_by_phone(PHONE)) == ("", "", None)
