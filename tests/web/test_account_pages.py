"""Log in and out, resident sign-up by SMS code, sign-in by code, and following cases by phone.

The SMS gateway is a real HTTP server on 127.0.0.1 (tests/notifications/conftest.py); the codes
are read from the requests it received. The texts go out after the commit, so the requests that
send them run inside django_capture_on_commit_callbacks(execute=True).
"""

import importlib
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.apps import apps as django_apps
from django.test import Client
from django.utils import translation
from django.utils.html import escape
from pytest_django.fixtures import Settings

from gridgov.accounts.actions import create_user, grant_membership
from gridgov.accounts.models import PhoneCode, Role, User
from gridgov.accounts.phone_numbers import phone_digest
from gridgov.cases.models import Case
from gridgov.notifications.models import OutboundMessage
from tests.cases.conftest import GRID_A, World
from tests.notifications.conftest import Receiver, receiver
from tests.web.test_resident_pages import close, report_form

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
PHONE = "13812345678"
OTHER_PHONE = "13987654321"
PASSWORD = "grid-governance-2026"
Capture = Callable[..., Any]


@pytest.fixture(autouse=True)
def fast_passwords(settings: Settings) -> None:
    """The real login code with a cheap hasher: PBKDF2's million rounds would only slow the tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def sms(receiver: Receiver, settings: Settings) -> Receiver:
    settings.GRIDGOV_SMS_GATEWAY_URL = receiver.url("/sms")
    settings.GRIDGOV_SMS_API_KEY = "gateway-key"
    return receiver


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def zh(text: str) -> str:
    """What the page shows for an English source string (the site default is Chinese)."""
    with translation.override("zh-hans"):
        return escape(translation.gettext(text))


def logged_in_user(client: Client) -> int | None:
    user_id = client.session.get("_auth_user_id")
    return int(user_id) if user_id is not None else None


def ask_code(client: Client, sms: Receiver, capture: Capture, url: str, phone: str) -> str:
    """POST the phone number to a code page and return the code the gateway was asked to send."""
    before = len(sms.requests)
    with capture(execute=True):
        response = client.post(url, {"phone": phone})
    assert response.status_code == 302, response.content.decode()
    assert len(sms.requests) == before + 1
    request = sms.requests[-1]
    assert request.headers["Authorization"] == "Bearer gateway-key"
    assert request.json()["phone"] == re.sub(r"\D", "", phone)[-11:]
    match = re.search(r"(?<!\d)(\d{6})(?!\d)", request.json()["text"])
    assert match, request.json()
    return match.group(1)


def sign_up(client: Client, sms: Receiver, capture: Capture, phone: str = PHONE, name: str = "张三") -> User:
    code = ask_code(client, sms, capture, "/signup/", phone)
    response = client.post(
        "/signup/confirm/", {"code": code, "display_name": name, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302, response.content.decode()
    user_id = logged_in_user(client)
    assert user_id is not None
    return User.objects.get(pk=user_id)


def staff_user(
    username: str, role: Role | None, area: str | None = None, department: int | None = None
) -> User:
    user = create_user(username=username, password=PASSWORD, actor_label="tests")
    if role is not None:
        grant_membership(user=user, role=role, area_code=area, department_id=department, actor_label="tests")
    return user


# ── password login ──────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("role", "area", "page"),
    [
        (Role.GRID_WORKER, GRID_A, "/grid/"),
        (Role.GRID_LEADER, GRID_A, "/grid/"),
        (Role.COMMUNITY_WORKER, "330102001051", "/grid/"),
        (Role.INTAKE_CLERK, "330102000000", "/console/"),
        (Role.DISPATCHER, "330102000000", "/console/"),
        (Role.DEPARTMENT_HANDLER, None, "/inbox/"),
        (Role.LEADER, "330102000000", "/leader/"),
        (Role.ADMINISTRATOR, None, "/admin/"),
        (None, None, "/me/cases/"),
    ],
)
def test_logging_in_leads_to_the_page_of_the_users_role(
    world: World, role: Role | None, area: str | None, page: str
) -> None:
    department = world.departments["urban-management"].pk if role == Role.DEPARTMENT_HANDLER else None
    user = staff_user("someone", role, area, department)
    client = Client()
    response = client.post("/login/", {"username": "someone", "password": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, page)
    assert logged_in_user(client) == user.pk


def test_the_first_role_in_the_order_wins_and_a_superuser_goes_to_the_admin(world: World) -> None:
    user = staff_user("both", Role.LEADER, "330102000000")
    grant_membership(user=user, role=Role.DISPATCHER, area_code="330102000000", actor_label="tests")
    assert Client().post("/login/", {"username": "both", "password": PASSWORD})["Location"] == "/console/"
    create_user(username="root", password=PASSWORD, is_staff=True, is_superuser=True, actor_label="tests")
    assert Client().post("/login/", {"username": "root", "password": PASSWORD})["Location"] == "/admin/"


def test_the_login_page_has_labelled_fields_and_the_other_ways_in(db: None) -> None:
    body = Client().get("/login/?next=/me/cases/").content.decode()
    assert '<label for="id_username">' in body and '<label for="id_password">' in body
    assert 'name="next" value="/me/cases/"' in body
    assert 'href="/signup/?next=/me/cases/"' in body
    assert 'href="/login/sms/?next=/me/cases/"' in body


def test_a_wrong_password_says_so_and_logs_nobody_in(db: None) -> None:
    staff_user("zhang", None)
    client = Client()
    response = client.post("/login/", {"username": "zhang", "password": "not-the-password"})
    assert response.status_code == 200
    body = response.content.decode()
    assert zh("The phone number or user name and the password do not match.") in body
    assert 'role="alert"' in body
    assert logged_in_user(client) is None


@pytest.mark.parametrize(
    ("next_url", "landing"),
    [
        ("/track/", "/track/"),
        ("/track/330102-20260302-000001/?x=1", "/track/330102-20260302-000001/?x=1"),
        ("https://evil.example/steal", "/me/cases/"),
        ("//evil.example/steal", "/me/cases/"),
        ("///evil.example/steal", "/me/cases/"),
        ("javascript:alert(1)", "/me/cases/"),
        ("\\\\evil.example", "/me/cases/"),
    ],
)
def test_next_is_followed_only_inside_the_site(db: None, next_url: str, landing: str) -> None:
    staff_user("zhang", None)
    response = Client().post("/login/", {"username": "zhang", "password": PASSWORD, "next": next_url})
    assert (response.status_code, response["Location"]) == (302, landing)


def test_logging_out_needs_a_post(db: None) -> None:
    user = staff_user("zhang", None)
    client = Client()
    client.force_login(user)
    assert client.get("/logout/").status_code == 405
    assert client.get("/me/cases/").status_code == 200
    response = client.post("/logout/", follow=True)
    assert response.redirect_chain == [("/login/", 302)]
    assert zh("You have logged out.") in response.content.decode()
    assert logged_in_user(client) is None
    assert client.get("/me/cases/")["Location"] == "/login/?next=/me/cases/"


def test_ten_failed_logins_lock_the_name_for_15_minutes(db: None, clock: time_machine.Traveller) -> None:
    user = staff_user("zhang", None)
    staff_user("li", None)
    for _ in range(10):
        response = Client().post("/login/", {"username": "zhang", "password": "guess"})
        assert zh("The phone number or user name and the password do not match.") in response.content.decode()
    client = Client()
    response = client.post("/login/", {"username": "Zhang", "password": PASSWORD})
    assert response.status_code == 200
    assert (
        zh("Too many failed logins with this name. Wait 15 minutes, or sign in with an SMS code.")
        in response.content.decode()
    )
    assert logged_in_user(client) is None
    # Other names are not locked.
    assert Client().post("/login/", {"username": "li", "password": PASSWORD}).status_code == 302
    clock.shift(timedelta(minutes=15))
    assert client.post("/login/", {"username": "zhang", "password": PASSWORD}).status_code == 302
    assert logged_in_user(client) == user.pk


# ── sign-up by SMS code ─────────────────────────────────────────────────────────────────────


def test_a_resident_signs_up_with_a_code_sent_through_the_sms_gateway(
    db: None, sms: Receiver, django_capture_on_commit_callbacks: Capture
) -> None:
    client = Client()
    assert client.get("/signup/").status_code == 200
    code = ask_code(client, sms, django_capture_on_commit_callbacks, "/signup/", "138 1234 5678")
    page = client.get("/signup/confirm/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "138****5678" in body and PHONE not in body and code not in body
    assert 'id="demo-note"' not in body
    assert OutboundMessage.objects.get().status == "sent"
    response = client.post(
        "/signup/confirm/",
        {"code": code, "display_name": "张三", "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    assert response.redirect_chain == [("/me/cases/", 302)]
    assert zh("Your account is ready. Next time, log in with your phone number and password.") in (
        response.content.decode()
    )
    user = User.objects.get()
    assert logged_in_user(client) == user.pk
    assert (user.display_name, user.phone_masked, user.phone_digest) == (
        "张三",
        "138****5678",
        phone_digest(PHONE),
    )
    # Next time: the phone number and the password, typed any usual way.
    again = Client()
    response = again.post("/login/", {"username": "+86 138-1234-5678", "password": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, "/me/cases/")
    assert logged_in_user(again) == user.pk


def test_sign_up_form_errors_create_nothing(
    db: None, sms: Receiver, django_capture_on_commit_callbacks: Capture
) -> None:
    client = Client()
    response = client.post("/signup/", {"phone": "0571-87654321"})
    assert response.status_code == 400
    assert zh("Enter a mainland mobile number: 11 digits starting with 1.") in response.content.decode()
    assert (PhoneCode.objects.count(), sms.requests) == (0, [])
    code = ask_code(client, sms, django_capture_on_commit_callbacks, "/signup/", PHONE)
    response = client.post(
        "/signup/confirm/",
        {"code": "12", "display_name": "张三", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 400
    assert zh("The code is 6 digits.") in response.content.decode()
    response = client.post(
        "/signup/confirm/",
        {"code": code, "display_name": "张三", "password1": PASSWORD, "password2": "other"},
    )
    assert response.status_code == 400
    assert zh("The two passwords are not the same.") in response.content.decode()
    response = client.post(
        "/signup/confirm/",
        {"code": code, "display_name": "张三", "password1": "12345678", "password2": "12345678"},
    )
    assert response.status_code == 400
    assert zh("This password is entirely numeric.") in response.content.decode()
    assert (User.objects.count(), PhoneCode.objects.get().wrong_attempts) == (0, 0)


def test_the_code_page_counts_wrong_codes_and_limits_sending_again(
    db: None, sms: Receiver, django_capture_on_commit_callbacks: Capture, clock: time_machine.Traveller
) -> None:
    client = Client()
    code = ask_code(client, sms, django_capture_on_commit_callbacks, "/signup/", PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    form = {"display_name": "张三", "password1": PASSWORD, "password2": PASSWORD}
    for left in (4, 3, 2, 1):
        response = client.post("/signup/confirm/", {"code": wrong, **form})
        assert response.status_code == 400
        assert (
            zh("The code is wrong. You can try %(left)s more times.") % {"left": left}
            in response.content.decode()
        )
    response = client.post("/signup/confirm/", {"code": wrong, **form})
    assert zh("The code was wrong %(count)s times and no longer works. Ask for a new one.") % {
        "count": 5
    } in (response.content.decode())
    response = client.post("/signup/confirm/", {"code": code, **form})
    assert response.status_code == 400
    assert not User.objects.exists()
    # "Send a new code" within the minute: refused, nothing sent.
    clock.shift(timedelta(seconds=30))
    response = client.post("/signup/resend/", follow=True)
    assert response.redirect_chain == [("/signup/confirm/", 302)]
    assert zh("A code was sent to this number less than a minute ago. Wait a minute and try again.") in (
        response.content.decode()
    )
    assert len(sms.requests) == 1
    clock.shift(timedelta(seconds=31))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/signup/resend/")
    assert len(sms.requests) == 2
    new_code = re.search(r"(?<!\d)(\d{6})(?!\d)", sms.requests[-1].json()["text"]).group(1)  # type: ignore[union-attr]
    response = client.post("/signup/confirm/", {"code": new_code, **form})
    assert (response.status_code, response["Location"]) == (302, "/me/cases/")


def test_an_expired_code_is_refused(
    db: None, sms: Receiver, django_capture_on_commit_callbacks: Capture, clock: time_machine.Traveller
) -> None:
    client = Client()
    code = ask_code(client, sms, django_capture_on_commit_callbacks, "/signup/", PHONE)
    clock.shift(timedelta(minutes=10))
    response = client.post(
        "/signup/confirm/",
        {"code": code, "display_name": "张三", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 400
    assert zh("The code has expired. Ask for a new one.") in response.content.decode()
    assert not User.objects.exists()


def test_the_same_phone_cannot_make_two_accounts(
    db: None, sms: Receiver, django_capture_on_commit_callbacks: Capture, clock: time_machine.Traveller
) -> None:
    first = sign_up(Client(), sms, django_capture_on_commit_callbacks)
    clock.shift(timedelta(minutes=2))
    client = Client()
    code = ask_code(client, sms, django_capture_on_commit_callbacks, "/signup/", PHONE)
    response = client.post(
        "/signup/confirm/",
        {"code": code, "display_name": "冒名", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 409
    assert zh("This phone number already has an account. Log in instead.") in response.content.decode()
    assert list(User.objects.all()) == [first]
    assert logged_in_user(client) is None


def test_a_demo_without_an_sms_gateway_says_where_the_code_is(
    db: None, settings: Settings, django_capture_on_commit_callbacks: Capture
) -> None:
    settings.DEBUG = True
    settings.GRIDGOV_SMS_GATEWAY_URL = ""
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/signup/", {"phone": PHONE}).status_code == 302
    message = OutboundMessage.objects.get()
    assert (message.channel, message.status, message.recipient_masked) == ("console", "sent", "138****5678")
    code = re.search(r"(?<!\d)(\d{6})(?!\d)", message.text).group(1)  # type: ignore[union-attr]
    body = client.get("/signup/confirm/").content.decode()
    assert 'id="demo-note"' in body
    assert code not in body
    response = client.post(
        "/signup/confirm/",
        {"code": code, "display_name": "张三", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302


def test_without_an_sms_gateway_in_production_nothing_is_sent_or_kept(db: None, settings: Settings) -> None:
    settings.DEBUG = False
    settings.GRIDGOV_SMS_GATEWAY_URL = ""
    response = Client().post("/signup/", {"phone": PHONE})
    assert response.status_code == 503
    assert (
        zh("Text messages cannot be sent at the moment. Please try again later.") in response.content.decode()
    )
    assert (PhoneCode.objects.count(), OutboundMessage.objects.count()) == (0, 0)


# ── sign-in by SMS code ─────────────────────────────────────────────────────────────────────


def test_a_resident_logs_in_with_a_code_and_lands_on_next(
    db: None, sms: Receiver, django_capture_on_commit_callbacks: Capture, clock: time_machine.Traveller
) -> None:
    resident = sign_up(Client(), sms, django_capture_on_commit_callbacks)
    clock.shift(timedelta(minutes=1))
    client = Client()
    code = ask_code(client, sms, django_capture_on_commit_callbacks, "/login/sms/?next=/track/", PHONE)
    response = client.post("/login/sms/confirm/", {"code": code})
    assert (response.status_code, response["Location"]) == (302, "/track/")
    assert logged_in_user(client) == resident.pk


def test_a_number_without_an_account_gets_no_text_and_the_page_does_not_tell(
    db: None, sms: Receiver, django_capture_on_commit_callbacks: Capture
) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/login/sms/", {"phone": OTHER_PHONE})
    assert (response.status_code, response["Location"]) == (302, "/login/sms/confirm/")
    assert sms.requests == []
    body = client.get("/login/sms/confirm/").content.decode()
    assert "139****4321" in body


def test_the_code_pages_send_back_to_the_start_without_a_code(db: None) -> None:
    assert Client().get("/signup/confirm/")["Location"] == "/signup/"
    assert Client().get("/login/sms/confirm/")["Location"] == "/login/sms/"
    assert Client().post("/signup/resend/")["Location"] == "/signup/"


# ── following cases by phone ────────────────────────────────────────────────────────────────


def report(client: Client, **fields: Any) -> Case:
    response = client.post("/report/", report_form(**fields))
    assert response.status_code == 302, response.content.decode()
    return Case.objects.get(number=response["Location"].split("/")[-2])


def test_an_anonymous_report_is_followed_and_rated_after_signing_up_with_its_phone(
    world: World, sms: Receiver, django_capture_on_commit_callbacks: Capture
) -> None:
    case = report(Client(), title="井盖缺失", reporter_contact="138 1234 5678")
    assert (case.reporter, case.reporter_contact_digest) == (None, phone_digest(PHONE))
    unkept = report(Client(), title="匿名举报", reporter_contact=PHONE, is_anonymous="on")
    assert unkept.reporter_contact_digest == ""
    someone_else = report(Client(), title="别人的", reporter_contact="13900002222")

    resident_client = Client()
    resident = sign_up(resident_client, sms, django_capture_on_commit_callbacks)
    body = resident_client.get("/me/cases/").content.decode()
    assert case.number in body
    assert unkept.number not in body and someone_else.number not in body

    stranger_client = Client()
    sign_up(stranger_client, sms, django_capture_on_commit_callbacks, phone=OTHER_PHONE, name="李四")
    assert case.number not in stranger_client.get("/me/cases/").content.decode()

    close(world, case)
    rate_url = f"/track/{case.number}/rate/"
    assert f'action="{rate_url}"' not in stranger_client.get(f"/track/{case.number}/").content.decode()
    assert stranger_client.post(rate_url, {"rating": "1", "satisfied": "no"}).status_code == 404
    case.refresh_from_db()
    assert (case.status, case.rating) == ("closed", None)

    assert f'action="{rate_url}"' in resident_client.get(f"/track/{case.number}/").content.decode()
    response = resident_client.post(rate_url, {"rating": "5", "satisfied": "yes", "comment": "修好了"})
    assert (response.status_code, response["Location"]) == (302, f"/track/{case.number}/")
    case.refresh_from_db()
    assert (case.status, case.rating, case.is_satisfied) == ("rated", 5, True)
    assert case.events.get(action="rate").actor == resident


def test_a_resident_with_a_phone_finds_the_report_form_filled_in(
    world: World, sms: Receiver, django_capture_on_commit_callbacks: Capture
) -> None:
    client = Client()
    resident = sign_up(client, sms, django_capture_on_commit_callbacks, name="王五")
    body = client.get("/report/").content.decode()
    assert f'value="{PHONE}"' in body and 'value="王五"' in body
    assert PHONE not in Client().get("/report/").content.decode()
    case = report(client, reporter_contact=PHONE, reporter_name="王五")
    assert (case.reporter, case.reporter_contact_digest) == (resident, phone_digest(PHONE))


def test_the_migration_fills_the_digest_of_earlier_reports(world: World) -> None:
    mobile = report(Client(), reporter_contact="+86 138 1234 5678")
    landline = report(Client(), reporter_contact="0571-87654321")
    none = report(Client(), reporter_contact="")
    Case.objects.update(reporter_contact_digest="")
    migration = importlib.import_module("gridgov.cases.migrations.0002_case_reporter_contact_digest")
    migration.fill_reporter_contact_digests(django_apps, None)
    digests = dict(Case.objects.values_list("pk", "reporter_contact_digest"))
    assert digests == {mobile.pk: phone_digest(PHONE), landline.pk: "", none.pk: ""}


# ── a real browser ──────────────────────────────────────────────────────────────────────────


@pytest.mark.django_db(transaction=True)
def test_logging_in_through_the_login_page_in_a_browser(live_server: Any, page: Any) -> None:
    create_user(username="zhang", password=PASSWORD, display_name="张三", actor_label="tests")
    page.goto(f"{live_server.url}/me/cases/")
    page.wait_for_url(f"{live_server.url}/login/?next=/me/cases/")
    page.fill("#id_username", "zhang")
    page.fill("#id_password", "not-the-password")
    page.locator("button[type=submit].primary").click()
    page.locator("#form-errors").wait_for()
    assert page.locator("#form-errors").get_attribute("role") == "alert"
    page.fill("#id_password", PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(f"{live_server.url}/me/cases/")
    with translation.override("zh-hans"):
        heading, logout = translation.gettext("My cases"), translation.gettext("Log out")
    assert page.get_by_role("heading", level=1, name=heading).is_visible()
    assert page.get_by_role("button", name=logout).is_visible()


__all__ = ["receiver"]
