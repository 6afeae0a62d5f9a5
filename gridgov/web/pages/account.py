"""Logging in and out, resident sign-up with a phone number, and sign-in by SMS code.

    /login/              password login (user name, or the phone number of a resident account)
    /logout/             POST only
    /signup/             phone number → an SMS code → /signup/confirm/: code, name, password
    /login/sms/          phone number → an SMS code → /login/sms/confirm/: code
    …/resend/            POST: a new code for the same number (limits in gridgov/accounts/phones.py)

After logging in a user goes to `next` when it is a safe path on this site, else to the page of
their main role (HOME_PAGES). The code step remembers which code it waits for in the session (the
code's row id, never the code or the number).

SMS: codes go out through the notifications domain's "sms" channel. Without a gateway
(GRIDGOV_SMS_GATEWAY_URL unset) a demo (GRIDGOV_DEBUG) sends through the "console" channel
instead, which only logs, and the page says where to read the code (Administration → Outbound
messages); in production the page says texts cannot be sent and nothing is recorded.
"""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from gridgov.accounts.logins import clear_failed_logins, record_failed_login
from gridgov.accounts.models import PhoneCodePurpose, Role, User
from gridgov.accounts.phone_numbers import normalize_mobile
from gridgov.accounts.phones import (
    PasswordRejected,
    PhoneCodeExpired,
    PhoneCodeUnusable,
    PhoneCodeWrong,
    ResidentInvalid,
    request_phone_code,
    resend_phone_code,
    sign_in_with_phone_code,
    sign_up_resident,
)
from gridgov.accounts.queries import find_user_by_phone, login_locked_until, roles_of
from gridgov.core.errors import DomainError
from gridgov.notifications.actions import send_outbound
from gridgov.notifications.errors import ChannelNotConfigured

# Where each role starts, first match wins; anyone else (a resident) starts at RESIDENT_HOME_PAGE.
HOME_PAGES: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_WORKER}), "/grid/"),
    (frozenset({Role.INTAKE_CLERK, Role.DISPATCHER}), "/console/"),
    (frozenset({Role.DEPARTMENT_HANDLER}), "/inbox/"),
    (frozenset({Role.LEADER}), "/leader/"),
    (frozenset({Role.ADMINISTRATOR}), "/admin/"),
)
RESIDENT_HOME_PAGE = "/me/cases/"
NEXT_SESSION_KEY = "gridgov_account_next"


def home_page_for(user: Any) -> str:
    """The page a user lands on after logging in: that of their main role."""
    roles = set(roles_of(user))
    if user.is_superuser:
        roles.add(Role.ADMINISTRATOR)
    for opened_by, url in HOME_PAGES:
        if roles & opened_by:
            return url
    return RESIDENT_HOME_PAGE


def safe_next(request: HttpRequest, value: str | None) -> str:
    """`value` when it is a path on this site (no other host, no scheme tricks), else ""."""
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


# ── password login ──────────────────────────────────────────────────────────────────────────


class LoginForm(AuthenticationForm):
    """Django's login form, taking a resident's phone number as their login name and counting failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy("The phone number or user name and the password do not match."),
        "locked": gettext_lazy(
            "Too many failed logins with this name. Wait 15 minutes, or sign in with an SMS code."
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = gettext_lazy("Phone number or user name")
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["password"].label = gettext_lazy("Password")

    def clean(self) -> dict[str, Any]:
        login_name = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if login_name and password:
            if login_locked_until(login_name) is not None:
                raise ValidationError(self.error_messages["locked"], code="locked")
            username = login_name
            if normalize_mobile(login_name):
                holder = find_user_by_phone(login_name)
                username = holder.get_username() if holder is not None else login_name
            self.user_cache = authenticate(self.request, username=username, password=password)
            if self.user_cache is None:
                record_failed_login(login_name)
                raise ValidationError(self.error_messages["invalid_login"], code="invalid_login")
            self.confirm_login_allowed(self.user_cache)
            clear_failed_logins(login_name)
        return self.cleaned_data


class LoginPage(LoginView):
    template_name = "web/account/login.html"
    form_class = LoginForm

    def get_default_redirect_url(self) -> str:
        return home_page_for(self.request.user)


class LogoutPage(LogoutView):
    """POST only (Django's LogoutView refuses GET): a link could log people out."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.success(request, _("You have logged out."))
        return response


# ── phone number and SMS code ───────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Flow:
    """One of the two code flows: sign-up or sign-in."""

    purpose: PhoneCodePurpose
    session_key: str
    start: str
    confirm: str
    resend: str


SIGN_UP = Flow(
    PhoneCodePurpose.SIGN_UP, "gridgov_signup_code", "web:signup", "web:signup_confirm", "web:signup_resend"
)
SIGN_IN = Flow(
    PhoneCodePurpose.SIGN_IN,
    "gridgov_signin_code",
    "web:login_sms",
    "web:login_sms_confirm",
    "web:login_sms_resend",
)


class CodeSender:
    """Hands a code's text to the "sms" channel; in a demo without a gateway, to "console"."""

    def __init__(self) -> None:
        self.demo = False

    def __call__(self, phone: str, text: str, dedupe_key: str) -> None:
        try:
            send_outbound("sms", phone, text, dedupe_key=dedupe_key)
        except ChannelNotConfigured:
            if not settings.DEBUG:
                raise
            send_outbound("console", phone, text, dedupe_key=dedupe_key)
            self.demo = True


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("Mobile phone number"),
        max_length=20,
        help_text=gettext_lazy(
            "A mainland mobile number: 11 digits starting with 1. We send a 6-digit code to it."
        ),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "numeric"}),
    )

    def clean_phone(self) -> str:
        phone = normalize_mobile(self.cleaned_data["phone"])
        if phone is None:
            raise ValidationError(gettext_lazy("Enter a mainland mobile number: 11 digits starting with 1."))
        return phone


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from the text message"),
        max_length=6,
        min_length=6,
        error_messages={
            "min_length": gettext_lazy("The code is 6 digits."),
            "max_length": gettext_lazy("The code is 6 digits."),
        },
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]{6}"}
        ),
    )

    def clean_code(self) -> str:
        code = str(self.cleaned_data["code"]).strip()
        if not code.isdigit():
            raise ValidationError(gettext_lazy("The code is 6 digits."))
        return code


class SignUpForm(CodeForm):
    display_name = forms.CharField(
        label=gettext_lazy("Your name"),
        max_length=100,
        help_text=gettext_lazy("Shown to you and to the staff handling your reports."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        help_text=gettext_lazy("At least 8 characters, not only digits, not a common password."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=gettext_lazy("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", gettext_lazy("The two passwords are not the same."))
        return data


# Which form field an action's error belongs to.
CODE_ERRORS = (PhoneCodeWrong, PhoneCodeExpired, PhoneCodeUnusable)


def remember_next(request: HttpRequest) -> None:
    """Keep a safe `next` across the steps of a code flow."""
    target = safe_next(request, request.GET.get("next") or request.POST.get("next"))
    if target:
        request.session[NEXT_SESSION_KEY] = target


def after_login(request: HttpRequest, user: User) -> HttpResponse:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    target = safe_next(request, request.session.pop(NEXT_SESSION_KEY, None)) or home_page_for(user)
    return redirect(target)


def phone_step(request: HttpRequest, flow: Flow) -> HttpResponse:
    remember_next(request)
    form = PhoneForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        sender = CodeSender()
        try:
            row = request_phone_code(phone=form.cleaned_data["phone"], purpose=flow.purpose, send=sender)
        except ChannelNotConfigured:
            form.add_error(None, _("Text messages cannot be sent at the moment. Please try again later."))
            status = 503
        except DomainError as error:
            form.add_error("phone", str(error.message))
            status = error.http_status
        else:
            request.session[flow.session_key] = {"id": row.pk, "phone": row.phone_masked, "demo": sender.demo}
            return redirect(flow.confirm)
    elif form.errors:
        status = 400
    context = {"form": form, "flow": flow, "signing_up": flow is SIGN_UP}
    return render(request, "web/account/phone.html", context, status=status)


def confirm_step(request: HttpRequest, flow: Flow) -> HttpResponse:
    pending = request.session.get(flow.session_key)
    if not pending:
        messages.info(request, _("Enter your phone number first to get a code."))
        return redirect(flow.start)
    form_class = SignUpForm if flow is SIGN_UP else CodeForm
    form = form_class(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if flow is SIGN_UP:
                user = sign_up_resident(
                    code_id=pending["id"],
                    code=data["code"],
                    display_name=data["display_name"],
                    password=data["password1"],
                )
            else:
                user = sign_in_with_phone_code(code_id=pending["id"], code=data["code"])
        except DomainError as error:
            field = (
                "code"
                if isinstance(error, CODE_ERRORS)
                else "password1"
                if isinstance(error, PasswordRejected)
                else "display_name"
                if isinstance(error, ResidentInvalid)
                else None
            )
            form.add_error(field, str(error.message))
            status = error.http_status
        else:
            del request.session[flow.session_key]
            if flow is SIGN_UP:
                messages.success(
                    request,
                    _("Your account is ready. Next time, log in with your phone number and password."),
                )
            return after_login(request, user)
    elif form.errors:
        status = 400
    context = {
        "form": form,
        "flow": flow,
        "signing_up": flow is SIGN_UP,
        "phone": pending["phone"],
        # Only a demo without an SMS gateway: where the code went. Never the code itself.
        "demo_note": settings.DEBUG and pending.get("demo"),
    }
    return render(request, "web/account/code.html", context, status=status)


def resend_step(request: HttpRequest, flow: Flow) -> HttpResponse:
    pending = request.session.get(flow.session_key)
    if not pending:
        return redirect(flow.start)
    sender = CodeSender()
    try:
        row = resend_phone_code(code_id=pending["id"], send=sender)
    except ChannelNotConfigured:
        messages.error(request, _("Text messages cannot be sent at the moment. Please try again later."))
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        request.session[flow.session_key] = {"id": row.pk, "phone": row.phone_masked, "demo": sender.demo}
        messages.success(request, _("A new code was sent. The earlier code no longer works."))
    return redirect(flow.confirm)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(home_page_for(request.user))
    return phone_step(request, SIGN_UP)


@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest) -> HttpResponse:
    return confirm_step(request, SIGN_UP)


@require_POST
def signup_resend(request: HttpRequest) -> HttpResponse:
    return resend_step(request, SIGN_UP)


@require_http_methods(["GET", "POST"])
def login_sms(request: HttpRequest) -> HttpResponse:
    return phone_step(request, SIGN_IN)


@require_http_methods(["GET", "POST"])
def login_sms_confirm(request: HttpRequest) -> HttpResponse:
    return confirm_step(request, SIGN_IN)


@require_POST
def login_sms_resend(request: HttpRequest) -> HttpResponse:
    return resend_step(request, SIGN_IN)


urlpatterns: list[URLPattern] = [
    path("login/", LoginPage.as_view(), name="login"),
    path("logout/", LogoutPage.as_view(next_page="web:login"), name="logout"),
    path("signup/", signup, name="signup"),
    path("signup/confirm/", signup_confirm, name="signup_confirm"),
    path("signup/resend/", signup_resend, name="signup_resend"),
    path("login/sms/", login_sms, name="login_sms"),
    path("login/sms/confirm/", login_sms_confirm, name="login_sms_confirm"),
    path("login/sms/resend/", login_sms_resend, name="login_sms_resend"),
]
