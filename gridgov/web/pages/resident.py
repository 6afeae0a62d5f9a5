"""Resident pages: report a problem, track a case by its number, say "me too", rate, my cases.

The report page starts with the one-sentence box (一句话办事, gridgov/cases/intake.py): the
resident says where and what in one sentence, sees what was understood, and confirms it or answers
the one question asked; the full form below stays for everything else.

Tracking by number needs no login: in 12345 practice the number is printed on receipts and read
out on the phone, so it is not a secret. The public page therefore shows only what any passer-by
may know: number, title, status, grid name and the steps in plain words. It never shows the
reporter's name or contact, staff names or notes (notes may quote people), and for a voided case
not even its text.
"""

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Max, Min
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts.queries import own_phone_number
from gridgov.areas.models import Area, boundaries_left_out
from gridgov.cases.actions import Report, ReportResult, add_me_too, rate_case, report_case
from gridgov.cases.errors import PhotoInvalid
from gridgov.cases.intake import SentenceResult, file_sentence, understand_sentence
from gridgov.cases.models import OPEN_STATUSES, Case, CaseEvent, CaseSource, CaseStatus
from gridgov.cases.queries import cases_reported_by, is_reporter, timeline_of
from gridgov.core.errors import DomainError
from gridgov.web.forms import RateForm, ReportForm, TrackForm

# The status of a case as a resident understands it.
STATUS_WORDS: dict[str, Any] = {
    CaseStatus.REPORTED: gettext_lazy("Received, waiting to be registered"),
    CaseStatus.REGISTERED: gettext_lazy("Registered, waiting to be sent to a department"),
    CaseStatus.DISPATCHED: gettext_lazy("Sent to a department, waiting for it to sign for it"),
    CaseStatus.IN_PROGRESS: gettext_lazy("Being handled"),
    CaseStatus.HANDLED: gettext_lazy("Handled, waiting for the on-site check"),
    CaseStatus.CHECKED: gettext_lazy("Checked on site, about to be closed"),
    CaseStatus.CLOSED: gettext_lazy("Closed, waiting for the reporter's rating"),
    CaseStatus.RATED: gettext_lazy("Closed and rated"),
    CaseStatus.SUSPENDED: gettext_lazy("On hold: it cannot be solved for now"),
    CaseStatus.VOIDED: gettext_lazy("Not accepted"),
    CaseStatus.MERGED: gettext_lazy("Merged into another report of the same problem"),
}

# One plain sentence per public step; internal events (warnings, missed supervision) are left out.
EVENT_WORDS: dict[str, Any] = {
    "report": pgettext_lazy("case timeline", "Received"),
    "verify": pgettext_lazy("case timeline", "Checked on site that the problem is real"),
    "register": pgettext_lazy("case timeline", "Registered"),
    "void": pgettext_lazy("case timeline", "Not accepted"),
    "me_too": pgettext_lazy("case timeline", "One more resident reported the same problem"),
    "handle_locally": pgettext_lazy("case timeline", "The grid or community is handling it itself"),
    "whistle": pgettext_lazy("case timeline", "Several departments were called in"),
    "return": pgettext_lazy("case timeline", "Returned by the department, to be sent again"),
    "report_done": pgettext_lazy("case timeline", "Handled"),
    "check_pass": pgettext_lazy("case timeline", "Check passed"),
    "check_fail": pgettext_lazy("case timeline", "Check failed: sent back for more work"),
    "close": pgettext_lazy("case timeline", "Closed"),
    "request_extension": pgettext_lazy("case timeline", "The department asked for more time"),
    "decide_extension": pgettext_lazy("case timeline", "The request for more time was decided"),
    "request_suspension": pgettext_lazy("case timeline", "The department asked to put it on hold"),
    "decide_suspension": pgettext_lazy("case timeline", "The request to put it on hold was decided"),
    "resume": pgettext_lazy("case timeline", "Work on it resumed"),
    "escalate": pgettext_lazy("case timeline", "Passed up to the next level"),
    "supervise": pgettext_lazy("case timeline", "A leader is supervising it"),
    "overdue": pgettext_lazy("case timeline", "The time limit passed"),
}


def event_sentence(event: CaseEvent) -> str | None:
    """The plain sentence for one case event, or None when the public does not see it."""
    if event.action in ("dispatch", "sign"):
        name = event.department.name if event.department else ""
        if event.action == "dispatch":
            return (
                pgettext("case timeline", "Sent to %(department)s") % {"department": name}
                if name
                else pgettext("case timeline", "Sent to a department")
            )
        return (
            pgettext("case timeline", "%(department)s signed for it") % {"department": name}
            if name
            else pgettext("case timeline", "The department signed for it")
        )
    if event.action == "rate":
        rating = event.data.get("rating")
        if event.data.get("satisfied"):
            return pgettext("case timeline", "Rated %(rating)s of 5: satisfied") % {"rating": rating}
        return pgettext("case timeline", "Rated %(rating)s of 5: not satisfied, opened again") % {
            "rating": rating
        }
    if event.action == "merge":
        return pgettext("case timeline", "Merged into case %(number)s") % {
            "number": event.data.get("into", "")
        }
    words = EVENT_WORDS.get(event.action)
    return str(words) if words is not None else None


def public_case(number: str) -> Case:
    """Any case by its number (see the module docstring for what the public page may show)."""
    case = (
        Case.objects.select_related("area", "category", "merged_into")
        .defer(*boundaries_left_out("area"))
        .filter(number=number)
        .first()
    )
    if case is None:
        raise Http404(_("No case has this number."))
    return case


def map_bounds() -> list[float] | None:
    """[west, south, east, north] of every area with a boundary, for the map's first view."""
    box = Area.objects.filter(boundary__isnull=False).aggregate(
        west=Min("min_lon"), south=Min("min_lat"), east=Max("max_lon"), north=Max("max_lat")
    )
    values = [box["west"], box["south"], box["east"], box["north"]]
    return [float(v) for v in values] if all(v is not None for v in values) else None


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    # A logged-in resident's own name and verified phone fill the follow-up fields.
    initial = (
        {
            "reporter_name": getattr(request.user, "display_name", ""),
            "reporter_contact": own_phone_number(request.user),
        }
        if request.user.is_authenticated
        else {}
    )
    form = ReportForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = report_case(
                Report(
                    source=CaseSource.WEB,
                    title=data["title"],
                    description=data["description"],
                    category_code=data["category"] or None,
                    lon=data["lon"],
                    lat=data["lat"],
                    address=data["address"],
                    reporter_name=data["reporter_name"],
                    reporter_contact=data["reporter_contact"],
                    is_anonymous=data["is_anonymous"],
                    photos=form.photos(),
                ),
                actor=request.user if request.user.is_authenticated else None,
            )
        except PhotoInvalid as error:
            form.add_error("photo", str(error.message))
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(
                request, _("Thank you. Your report was received. Keep the case number to follow it.")
            )
            return redirect("web:track_case", number=result.case.number)
    context = {
        "form": form,
        "bounds": map_bounds(),
        "sentence_form": SentenceForm(),
    }
    return render(request, "web/resident/report.html", context, status=400 if form.errors else 200)


# ── one sentence (一句话办事) ────────────────────────────────────────────────────────────────


class SentenceForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Say it in one sentence: where, and what is wrong"),
        max_length=500,
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "placeholder": gettext_lazy(
                    "For example: Dongxin street, Wangma community, building 3: the stairwell light "
                    "has been broken for a week"
                ),
            }
        ),
    )


def sentence_answers(request: HttpRequest) -> list[str]:
    """The answers given so far (hidden fields), then the one just typed."""
    answers = [a.strip()[:200] for a in request.POST.getlist("answers") if a.strip()][:5]
    typed = request.POST.get("answer", "").strip()[:200]
    return [*answers, typed] if typed else answers


def follow_up_initial(request: HttpRequest) -> dict[str, str]:
    if not request.user.is_authenticated:
        return {"reporter_name": "", "reporter_contact": ""}
    return {
        "reporter_name": getattr(request.user, "display_name", ""),
        "reporter_contact": own_phone_number(request.user),
    }


def sentence_response(
    request: HttpRequest, form: SentenceForm, result: SentenceResult | None, error: str = ""
) -> HttpResponse:
    """The result panel for htmx, or the whole report page with the panel filled in."""
    context: dict[str, Any] = {
        "sentence_form": form,
        "result": result,
        "error": error,
        "follow_up": follow_up_initial(request),
        # A retried confirmation (double click, reload) files one case: report_case keys on it.
        "idempotency_key": f"sentence-{uuid.uuid4().hex}",
    }
    if request.headers.get("HX-Request"):
        return render(request, "web/resident/_sentence_result.html", context)
    context.update({"form": ReportForm(initial=follow_up_initial(request)), "bounds": map_bounds()})
    return render(request, "web/resident/report.html", context, status=400 if error else 200)


@require_POST
def report_sentence(request: HttpRequest) -> HttpResponse:
    """Show what the sentence (and the answers so far) was understood to say; writes nothing."""
    form = SentenceForm(request.POST)
    if not form.is_valid():
        return sentence_response(request, form, None, error=_("Type or say one sentence first."))
    user = request.user if request.user.is_authenticated else None
    result = understand_sentence(
        form.cleaned_data["text"],
        actor=user,
        answers=sentence_answers(request),
    )
    return sentence_response(request, form, result)


@require_POST
def report_sentence_file(request: HttpRequest) -> HttpResponse:
    """File the understood sentence, then go to its tracking page; or ask the missing question."""
    form = SentenceForm(request.POST)
    if not form.is_valid():
        return sentence_response(request, form, None, error=_("Type or say one sentence first."))
    user = request.user if request.user.is_authenticated else None
    key = request.POST.get("idempotency_key", "")
    try:
        filed = file_sentence(
            form.cleaned_data["text"],
            actor=user,
            answers=sentence_answers(request),
            reporter_name=request.POST.get("reporter_name", "")[:60],
            reporter_contact=request.POST.get("reporter_contact", "")[:30],
            is_anonymous=request.POST.get("is_anonymous") == "on",
            idempotency_key=key if key.startswith("sentence-") and len(key) <= 100 else "",
            file_question=request.POST.get("file_question") == "1",
        )
    except DomainError as error:
        return sentence_response(request, form, None, error=str(error.message))
    if not isinstance(filed, ReportResult):
        return sentence_response(request, form, filed)
    messages.success(request, _("Thank you. Your report was received. Keep the case number to follow it."))
    target = reverse("web:track_case", args=[filed.case.number])
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


@require_GET
def track(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.GET or None)
    if request.GET and form.is_valid():
        number = form.cleaned_data["number"]
        if Case.objects.filter(number=number).exists():
            return redirect("web:track_case", number=number)
        form.add_error("number", _("No case has this number. Check it and try again."))
    return render(request, "web/resident/track_form.html", {"form": form})


def tracking_context(request: HttpRequest, case: Case, rate_form: RateForm | None = None) -> dict[str, Any]:
    user = request.user
    reporter = is_reporter(user, case)
    visible = case.status != CaseStatus.VOIDED
    steps = []
    if visible:
        for event in timeline_of(case):
            sentence = event_sentence(event)
            if sentence is not None:
                steps.append({"sentence": sentence, "at": event.occurred_at})
    is_open = case.status in OPEN_STATUSES and case.merged_into_id is None
    return {
        "case": case,
        "visible": visible,
        "status_words": STATUS_WORDS.get(case.status, case.get_status_display()),
        "steps": steps,
        "is_open": is_open,
        "is_reporter": reporter,
        "said_me_too": user.is_authenticated
        and CaseEvent.objects.filter(case=case, action="me_too", actor_id=user.pk).exists(),
        "rate_form": rate_form or (RateForm() if reporter and case.status == CaseStatus.CLOSED else None),
    }


@require_GET
def track_case(request: HttpRequest, number: str) -> HttpResponse:
    case = public_case(number)
    return render(request, "web/resident/track.html", tracking_context(request, case))


@login_required
@require_POST
def me_too(request: HttpRequest, number: str) -> HttpResponse:
    case = public_case(number)
    try:
        add_me_too(case.pk, actor=request.user)  # type: ignore[arg-type]
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _('Thank you: your "me too" was counted.'))
    return redirect("web:track_case", number=case.number)


@login_required
@require_POST
def rate(request: HttpRequest, number: str) -> HttpResponse:
    case = public_case(number)
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            rate_case(
                case.pk,
                actor=request.user,  # type: ignore[arg-type]
                rating=form.cleaned_data["rating"],
                satisfied=form.cleaned_data["satisfied"],
                comment=form.cleaned_data["comment"],
            )
        except DomainError as error:
            context = tracking_context(request, case)
            context["rate_error"] = str(error.message)
            return render(request, "web/resident/track.html", context, status=error.http_status)
        messages.success(request, _("Thank you for your rating."))
        return redirect("web:track_case", number=case.number)
    return render(request, "web/resident/track.html", tracking_context(request, case, form), status=400)


@login_required
@require_GET
def my_cases(request: HttpRequest) -> HttpResponse:
    # Reported with this account, or with the phone number it verified (docs/web-accounts.md).
    cases = cases_reported_by(request.user).select_related("area").defer(*boundaries_left_out("area"))
    cases = cases.order_by("-reported_at", "-id")
    rows = [{"case": case, "status_words": STATUS_WORDS.get(case.status, "")} for case in cases]
    return render(request, "web/resident/my_cases.html", {"rows": rows})


urlpatterns: list[URLPattern] = [
    path("report/", report, name="report"),
    path("report/sentence/", report_sentence, name="report_sentence"),
    path("report/sentence/file/", report_sentence_file, name="report_sentence_file"),
    path("track/", track, name="track"),
    path("track/<str:number>/", track_case, name="track_case"),
    path("track/<str:number>/me-too/", me_too, name="me_too"),
    path("track/<str:number>/rate/", rate, name="rate"),
    path("me/cases/", my_cases, name="my_cases"),
]
