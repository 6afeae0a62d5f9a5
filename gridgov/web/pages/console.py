"""Staff pages: the intake and dispatch console, the department inbox, and a case's detail page.

Every button posts to one endpoint (`act`) that calls the action function of gridgov.cases and
renders the case's row again; a refused action (any DomainError) shows its message in the row and
changes nothing, because the action raises before it writes. With htmx the row is swapped in
place; without JavaScript the same form posts normally and the page is shown again. The leader's
page (leader.py) shows its cases as rows of the same kind (panel "leader"), with the leader's
buttons: supervise, decide an extension or a suspension, resume.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.datastructures import MultiValueDict
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts.models import Membership, Role, User
from gridgov.accounts.queries import get_scope
from gridgov.areas.models import boundaries_left_out
from gridgov.cases import actions, lifecycle, timing
from gridgov.cases.errors import CaseInputInvalid, CaseNotFound
from gridgov.cases.lifecycle import Action
from gridgov.cases.models import Case, CaseRequest, CaseSource, CaseStatus, CaseTask, Light
from gridgov.cases.queries import (
    CaseFilters,
    SuggestedClass,
    cases_for,
    get_case_for,
    get_request_for,
    hot_issues_for,
    list_cases_for,
    pending_requests_of,
    roles_on_case,
    suggested_classes,
    tasks_of,
    timeline_of,
    visible_duplicates_of,
)
from gridgov.catalogue.models import CaseCategory, Department
from gridgov.catalogue.queries import list_categories, list_departments_for
from gridgov.core.area_codes import InvalidCode, scope_prefix
from gridgov.core.errors import DomainError

PAGE_SIZE = 50
QUEUE_STATUSES = (CaseStatus.REGISTERED, CaseStatus.REPORTED)
LIVE_TASK_STATUSES = (CaseTask.Status.PENDING, CaseTask.Status.SIGNED)
# The buttons each page offers, in this order; the detail page offers all of them.
QUEUE_ACTIONS = (
    Action.REGISTER,
    Action.DISPATCH,
    Action.WHISTLE,
    Action.MERGE,
    Action.ESCALATE,
    Action.VOID,
)
INBOX_ACTIONS = (Action.SIGN, Action.REPORT_DONE, Action.RETURN, Action.REQUEST_EXTENSION)
LEADER_ACTIONS = (Action.SUPERVISE, Action.DECIDE_EXTENSION, Action.DECIDE_SUSPENSION, Action.RESUME)
# 核查、结案、回访: check handled cases, close checked ones, record the resident's rating by phone.
CLOSING_ACTIONS = (Action.CHECK_PASS, Action.CHECK_FAIL, Action.CLOSE, Action.RATE)
CLOSING_STATUSES = (CaseStatus.HANDLED, CaseStatus.CHECKED, CaseStatus.CLOSED)
PANELS = ("queue", "inbox", "detail", "leader", "closing")
# The leader page's section a row came from (a slug), so a plain form post can go back to it.
SECTION = re.compile(r"[a-z_]{1,20}")
# Timeline labels of the actions (events the scheduler writes keep their code).
ACTION_LABELS = {
    Action.REPORT: gettext_lazy("reported"),
    Action.VERIFY: gettext_lazy("verified on site"),
    Action.REGISTER: gettext_lazy("registered"),
    Action.VOID: gettext_lazy("voided"),
    Action.MERGE: gettext_lazy("merged"),
    Action.ME_TOO: gettext_lazy("me too"),
    Action.HANDLE_LOCALLY: gettext_lazy("handled locally"),
    Action.DISPATCH: gettext_lazy("dispatched"),
    Action.WHISTLE: gettext_lazy("whistled departments in"),
    Action.SIGN: gettext_lazy("signed"),
    Action.RETURN: gettext_lazy("returned"),
    Action.REPORT_DONE: gettext_lazy("reported done"),
    Action.CHECK_PASS: gettext_lazy("check passed"),
    Action.CHECK_FAIL: gettext_lazy("check failed (rework)"),
    Action.CLOSE: gettext_lazy("closed"),
    Action.RATE: gettext_lazy("rated"),
    Action.REQUEST_EXTENSION: gettext_lazy("extension requested"),
    Action.DECIDE_EXTENSION: gettext_lazy("extension decided"),
    Action.REQUEST_SUSPENSION: gettext_lazy("suspension requested"),
    Action.DECIDE_SUSPENSION: gettext_lazy("suspension decided"),
    Action.RESUME: gettext_lazy("resumed"),
    Action.ESCALATE: gettext_lazy("escalated"),
    Action.SUPERVISE: gettext_lazy("supervised"),
}
STATUS_LABELS = dict(CaseStatus.choices)


View = Callable[..., HttpResponse]
STAFF_ROLES = frozenset(Role) - {Role.RESIDENT}


def members_only(roles: Iterable[str], refusal: Promise) -> Callable[[View], View]:
    """Logged in (else the login page) and holding one of `roles` (else 403 with `refusal`);
    a superuser always passes."""
    wanted = sorted(roles)

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            assert isinstance(user, User)
            if not (user.is_superuser or Membership.objects.filter(user=user, role__in=wanted).exists()):
                raise PermissionDenied(str(refusal))
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


staff_only = members_only(STAFF_ROLES, gettext_lazy("These pages are for staff."))


def user_of(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# ── rows ─────────────────────────────────────────────────────────────────────────────────────


@dataclass
class Row:
    """One case as a row of the queue or the inbox, with what the user may do to it."""

    case: Case
    panel: str
    allowed: list[str]
    duplicates: list[Case] = field(default_factory=list)
    proposal: list[Department] = field(default_factory=list)
    proposal_reason: str = ""
    departments: list[Department] = field(default_factory=list)
    categories: list[CaseCategory] = field(default_factory=list)
    # What the message classifier proposed at intake (top classes with category and department).
    suggestions: list[SuggestedClass] = field(default_factory=list)
    my_task: CaseTask | None = None
    # For a leader: the undecided requests by kind, where an approved extension would move the due
    # time, and the departments' tasks (who is responsible).
    requests: dict[str, CaseRequest] = field(default_factory=dict)
    extension_due: datetime | None = None
    tasks: list[CaseTask] = field(default_factory=list)
    section: str = ""
    error: str = ""
    notice: str = ""


def my_live_task(user: User, case: Case) -> CaseTask | None:
    departments = Membership.objects.filter(user=user, role=Role.DEPARTMENT_HANDLER).values("department_id")
    return (
        case.tasks.filter(department_id__in=departments, status__in=LIVE_TASK_STATUSES)
        .select_related("department")
        .order_by("id")
        .first()
    )


def build_row(
    user: User, case: Case, panel: str, *, error: str = "", notice: str = "", section: str = ""
) -> Row:
    offered = {
        "queue": QUEUE_ACTIONS,
        "inbox": INBOX_ACTIONS,
        "leader": LEADER_ACTIONS,
        "closing": CLOSING_ACTIONS,
        "detail": QUEUE_ACTIONS + INBOX_ACTIONS + LEADER_ACTIONS + CLOSING_ACTIONS,
    }[panel]
    permitted = set(lifecycle.allowed_actions(case.status, roles_on_case(user, case)))
    row = Row(case=case, panel=panel, allowed=[], error=error, notice=notice, section=section)
    if permitted & {Action.SIGN, Action.REPORT_DONE, Action.RETURN}:
        # The case's state allows these, but the user's own task decides: sign a pending task,
        # report a signed one done, return only a task of one's own department.
        row.my_task = my_live_task(user, case)
        task_status = row.my_task.status if row.my_task else None
        if task_status != CaseTask.Status.PENDING:
            permitted.discard(Action.SIGN)
        if task_status == CaseTask.Status.PENDING:
            permitted.discard(Action.REPORT_DONE)
        if task_status is None:
            permitted.discard(Action.RETURN)
    if permitted & {Action.DECIDE_EXTENSION, Action.DECIDE_SUSPENSION}:
        # A decision needs an undecided request of its kind.
        row.requests = pending_requests_of(case)
        if CaseRequest.Kind.EXTENSION not in row.requests:
            permitted.discard(Action.DECIDE_EXTENSION)
        if CaseRequest.Kind.SUSPENSION not in row.requests:
            permitted.discard(Action.DECIDE_SUSPENSION)
        extension = row.requests.get(CaseRequest.Kind.EXTENSION)
        if extension is not None and case.due_at is not None and case.limit_started_at is not None:
            row.extension_due = timing.extend_due(case.due_at, float(extension.extra_hours or 0))
    if panel == "leader":
        row.tasks = [
            task
            for task in tasks_of(case)
            if task.status not in (CaseTask.Status.RETURNED, CaseTask.Status.CANCELLED)
        ]
    row.allowed = [action.value for action in offered if action in permitted]
    if panel != "inbox" and case.status in QUEUE_STATUSES:
        row.duplicates = visible_duplicates_of(user, case)
    if not row.duplicates and Action.MERGE in row.allowed:
        row.allowed.remove(Action.MERGE)  # merge needs a suggested duplicate to merge into
    if Action.DISPATCH in row.allowed or Action.WHISTLE in row.allowed:
        proposal = actions.propose_dispatch(case)
        row.proposal_reason = proposal.reason
        row.departments = list(
            list_departments_for(
                get_scope(user),
                serving_area_code=case.handling_area_id or case.area_id or None,
                is_active=True,
            )
        )
        by_id = {d.pk: d for d in row.departments}
        missing = [pk for pk in proposal.department_ids if pk not in by_id]
        by_id.update({d.pk: d for d in Department.objects.filter(pk__in=missing)})
        row.proposal = [by_id[pk] for pk in proposal.department_ids if pk in by_id]
    if Action.REGISTER in row.allowed and case.category_id is None:
        row.categories = list(list_categories(depth=2))
    if case.class_suggestion and (Action.REGISTER in row.allowed or Action.DISPATCH in row.allowed):
        row.suggestions = suggested_classes(case)
    return row


# ── pages ────────────────────────────────────────────────────────────────────────────────────


def clean_filters(query: QueryDict) -> dict[str, str]:
    values = {key: query.get(key, "").strip() for key in ("area", "source", "category", "light", "status")}
    if values["source"] not in CaseSource.values:
        values["source"] = ""
    if values["light"] not in [value for value in Light.values if value]:
        values["light"] = ""
    if values["status"] not in QUEUE_STATUSES:
        values["status"] = ""
    values["area"] = area_filter(values["area"])
    return values


def area_filter(text: str) -> str:
    """A full area code, or a prefix of one padded to the 12-digit code it stands for
    (330102002 → 330102002000, the street); anything else is ignored."""
    if not text.isdigit():
        return ""
    code = text.ljust(12, "0") if len(text) < 12 else text
    try:
        scope_prefix(code)
    except InvalidCode:
        return ""
    return code


@require_GET
@staff_only
def queue(request: HttpRequest) -> HttpResponse:
    """受理派遣台: reported and registered cases in the user's scope, newest first."""
    user = user_of(request)
    chosen = clean_filters(request.GET)
    filters = CaseFilters(
        status=[chosen["status"]] if chosen["status"] else list(QUEUE_STATUSES),
        source=chosen["source"] or None,
        category=chosen["category"].upper() or None,
        area=chosen["area"] or None,
        light=chosen["light"] or None,
    )
    cases = (
        list_cases_for(user, filters)
        .select_related("handling_area")
        .defer(*boundaries_left_out("handling_area"))
    )
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [build_row(user, case, "queue") for case in page.object_list]
    kept = request.GET.copy()
    kept.pop("page", None)
    return render(
        request,
        "web/console/queue.html",
        {
            "rows": rows,
            "page": page,
            "chosen": chosen,
            "kept_query": kept.urlencode(),
            "sources": CaseSource.choices,
            "lights": [(value, label) for value, label in Light.choices if value],
            "statuses": [(s.value, s.label) for s in QUEUE_STATUSES],
        },
    )


@require_GET
@staff_only
def inbox(request: HttpRequest) -> HttpResponse:
    """部门待办: cases with a pending or signed task of the user's departments."""
    user = user_of(request)
    departments = Membership.objects.filter(user=user, role=Role.DEPARTMENT_HANDLER).values("department_id")
    live = CaseTask.objects.filter(department_id__in=departments, status__in=LIVE_TASK_STATUSES)
    cases = (
        cases_for(user)
        .filter(pk__in=live.values("case_id"))
        .select_related("category", "area")
        .defer(*boundaries_left_out("area"))
        .order_by("due_at", "-reported_at", "-id")
    )
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [build_row(user, case, "inbox") for case in page.object_list]
    return render(request, "web/console/inbox.html", {"rows": rows, "page": page})


@require_GET
@staff_only
def closing(request: HttpRequest) -> HttpResponse:
    """核查结案回访: handled cases to check, checked ones to close, closed ones to call back."""
    user = user_of(request)
    chosen = request.GET.get("status", "")
    statuses = [chosen] if chosen in CLOSING_STATUSES else list(CLOSING_STATUSES)
    cases = (
        cases_for(user)
        .filter(status__in=statuses)
        .select_related("category", "area")
        .defer(*boundaries_left_out("area"))
        .order_by("status", "due_at", "-reported_at", "-id")
    )
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [build_row(user, case, "closing") for case in page.object_list]
    kept = request.GET.copy()
    kept.pop("page", None)
    return render(
        request,
        "web/console/closing.html",
        {
            "rows": rows,
            "page": page,
            "chosen": chosen if chosen in CLOSING_STATUSES else "",
            "statuses": [(status.value, status.label) for status in CLOSING_STATUSES],
            "kept_query": kept.urlencode(),
        },
    )


@require_GET
@staff_only
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    """A case for staff: fields, tasks, timeline and the buttons the user's roles allow."""
    user = user_of(request)
    try:
        case = get_case_for(user, case_id)
    except CaseNotFound as error:
        raise Http404(str(error.message)) from error
    return render(
        request,
        "web/console/detail.html",
        {
            "case": case,
            "row": build_row(user, case, "detail"),
            "tasks": list(tasks_of(case)),
            "events": [
                {
                    "event": event,
                    "label": ACTION_LABELS.get(event.action, event.action),  # type: ignore[call-overload]
                    "from": STATUS_LABELS.get(event.from_status, event.from_status),
                    "to": STATUS_LABELS.get(event.to_status, event.to_status),
                }
                for event in timeline_of(case)
            ],
            "photos": list(case.photos.order_by("uploaded_at", "id")),
        },
    )


# ── actions ──────────────────────────────────────────────────────────────────────────────────


def _int(value: str | None, name: str) -> int:
    try:
        return int(value or "")
    except ValueError as error:
        raise CaseInputInvalid(details={name: value}) from error


def _hours(value: str | None, name: str) -> float | None:
    """Optional working hours: empty is None; anything but a number is refused."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError as error:
        raise CaseInputInvalid(details={name: value}) from error


def _version(post: QueryDict) -> int | None:
    value = post.get("version")
    return int(value) if value and value.isdigit() else None


def _photos(files: MultiValueDict[str, Any], field_name: str = "photos") -> list[actions.PhotoUpload]:
    return [
        actions.PhotoUpload(upload.name or "photo", upload.read()) for upload in files.getlist(field_name)
    ]


def perform(action: str, case_id: int, user: User, post: QueryDict, files: MultiValueDict[str, Any]) -> str:
    """Call the action function; return the notice to show. DomainErrors pass through."""
    note = post.get("note", "")
    reason = post.get("reason", "")
    if action == Action.REGISTER:
        actions.register_case(
            case_id,
            actor=user,
            category_code=post.get("category") or None,
            note=note,
            expected_version=_version(post),
        )
        return _("Registered.")
    if action == Action.VOID:
        actions.void_case(case_id, actor=user, reason=reason, expected_version=_version(post))
        return _("Voided.")
    if action == Action.MERGE:
        actions.merge_case(case_id, into_case_id=_int(post.get("into"), "into"), actor=user, note=note)
        return _("Merged.")
    if action == Action.DISPATCH:
        department = post.get("department")
        actions.dispatch_case(
            case_id,
            actor=user,
            department_ids=[_int(department, "department")] if department else None,
            note=note,
            expected_version=_version(post),
        )
        return _("Dispatched.")
    if action == Action.WHISTLE:
        actions.whistle_case(
            case_id,
            actor=user,
            department_ids=[_int(value, "departments") for value in post.getlist("departments")],
            note=note,
            expected_version=_version(post),
        )
        return _("Departments called in.")
    if action == Action.ESCALATE:
        if not reason.strip():
            raise CaseInputInvalid(_("Give a reason."), details={"reason": "required"})
        actions.escalate_case(case_id, actor=user, reason=reason, expected_version=_version(post))
        return _("Escalated one level up.")
    if action == Action.SIGN:
        actions.sign_case(case_id, actor=user, note=note)
        return _("Signed.")
    if action == Action.REPORT_DONE:
        actions.report_done(
            case_id,
            actor=user,
            note=note,
            photos=_photos(files),
            before_photos=_photos(files, "before_photos"),
        )
        return _("Reported done.")
    if action == Action.RETURN:
        actions.return_case(case_id, actor=user, reason=reason)
        return _("Returned.")
    if action == Action.REQUEST_EXTENSION:
        hours = _int(post.get("extra_hours"), "extra_hours")
        actions.request_extension(case_id, actor=user, extra_hours=hours, reason=reason)
        return _("Extension requested; a leader decides.")
    if action == Action.SUPERVISE:
        actions.supervise_case(
            case_id,
            actor=user,
            instruction=post.get("instruction", ""),
            due_hours=_hours(post.get("due_hours"), "due_hours"),
        )
        return _("Supervised: the instruction was sent to whoever holds the case.")
    if action in (Action.DECIDE_EXTENSION, Action.DECIDE_SUSPENSION):
        return decide(Action(action), case_id, user, post)
    if action in (Action.CHECK_PASS, Action.CHECK_FAIL):
        passed = action == Action.CHECK_PASS
        actions.check_case(case_id, actor=user, passed=passed, note=note, photos=_photos(files))
        return (
            _("Check passed: the case can be closed.") if passed else _("Check failed: sent back for rework.")
        )
    if action == Action.CLOSE:
        actions.close_case(case_id, actor=user, note=note, expected_version=_version(post))
        return _("Closed: the resident may now rate it.")
    if action == Action.RATE:
        rating = _int(post.get("rating"), "rating")
        satisfied = post.get("satisfied", "")
        if satisfied not in ("yes", "no"):
            raise CaseInputInvalid(details={"satisfied": satisfied})
        actions.rate_case(case_id, actor=user, rating=rating, satisfied=satisfied == "yes", comment=note)
        return _("Rating recorded.")
    if action == Action.RESUME:
        actions.resume_case(case_id, actor=user, note=note)
        return _("Resumed: the clock runs again with the time that was left.")
    raise Http404


def decide(action: Action, case_id: int, user: User, post: QueryDict) -> str:
    """Approve or refuse the request the row showed (it must be this case's, of this kind)."""
    kind = CaseRequest.Kind.EXTENSION if action == Action.DECIDE_EXTENSION else CaseRequest.Kind.SUSPENSION
    decision = post.get("decision", "")
    if decision not in ("approve", "reject"):
        raise CaseInputInvalid(details={"decision": decision})
    request = get_request_for(user, _int(post.get("request"), "request"))
    if request.case_id != case_id or request.kind != kind:
        raise CaseInputInvalid(details={"request": request.pk})
    note = post.get("note", "")
    approve = decision == "approve"
    if not approve and not note.strip():
        raise CaseInputInvalid(_("Give a reason for refusing."), details={"note": "required"})
    actions.decide_request(request.pk, actor=user, approve=approve, note=note)
    if kind == CaseRequest.Kind.EXTENSION:
        return _("Extension approved: the due time moved.") if approve else _("Extension refused.")
    if approve:
        return _("Suspension approved: the case is suspended and its clock stopped.")
    return _("Suspension refused.")


ACTION_NAMES = {a.value for a in QUEUE_ACTIONS + INBOX_ACTIONS + LEADER_ACTIONS + CLOSING_ACTIONS}


@require_POST
@staff_only
def act(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    """POST one action on one case; answer the row again (htmx) or go back to the page."""
    if action not in ACTION_NAMES:
        raise Http404
    user = user_of(request)
    panel = request.POST.get("panel", "queue")
    panel = panel if panel in PANELS else "queue"
    section = request.POST.get("section", "")
    section = section if SECTION.fullmatch(section) else ""
    error = notice = ""
    try:
        notice = perform(action, case_id, user, request.POST, request.FILES)
    except DomainError as refused:
        error = str(refused.message)
    if panel == "detail" or not request.headers.get("HX-Request"):
        if error:
            messages.error(request, error)
        else:
            messages.success(request, notice)
        if panel == "leader":
            return HttpResponseRedirect(reverse("web:leader") + (f"?section={section}" if section else ""))
        target = {
            "queue": reverse("web:console-queue"),
            "inbox": reverse("web:console-inbox"),
            "closing": reverse("web:console-closing"),
            "detail": reverse("web:console-case", args=[case_id]),
        }[panel]
        return HttpResponseRedirect(target)
    try:
        case = get_case_for(user, case_id)
    except CaseNotFound as missing:
        return render(
            request,
            "web/console/_gone.html",
            {"case_id": case_id, "message": error or str(missing.message)},
            status=404 if error else 200,
        )
    row = build_row(user, case, panel, error=error, notice=notice, section=section)
    return render(request, "web/console/_row.html", {"row": row})


centre_only = members_only(lifecycle.CENTRE_STAFF, gettext_lazy("These pages are for the command centre."))
HOT_ISSUE_DAYS = (3, 7, 14, 30)


@require_GET
@centre_only
def hot_issues(request: HttpRequest) -> HttpResponse:
    """热点问题: clusters of cases about one concrete problem; each can become one coordinated case."""
    user = user_of(request)
    days = _int(request.GET.get("days") or "7", "days")
    if days not in HOT_ISSUE_DAYS:
        days = 7
    found = hot_issues_for(user, days=days, top=20)
    return render(
        request, "web/console/hot.html", {"found": found, "days": days, "day_choices": HOT_ISSUE_DAYS}
    )


@require_POST
@centre_only
def coordinate(request: HttpRequest) -> HttpResponse:
    """从办好一件到办好一类: the chosen cases of a hot issue become one coordinated case."""
    user = user_of(request)
    try:
        ids = [_int(value, "cases") for value in request.POST.getlist("cases")]
        result = actions.coordinate_cases(
            ids,
            actor=user,
            title=request.POST.get("title", ""),
            note=request.POST.get("note", ""),
            hot_issue=request.POST.get("issue", ""),
        )
    except DomainError as error:
        messages.error(request, str(error.message))
        return HttpResponseRedirect(reverse("web:console-hot"))
    messages.success(
        request,
        _("Coordinated case %(number)s: %(merged)d merged, %(related)d already with departments.")
        % {"number": result.lead.number, "merged": len(result.merged), "related": len(result.related)},
    )
    return HttpResponseRedirect(reverse("web:console-case", args=[result.lead.pk]))


urlpatterns = [
    path("console/", queue, name="console-queue"),
    path("console/hot/", hot_issues, name="console-hot"),
    path("console/hot/coordinate/", coordinate, name="console-hot-coordinate"),
    path("inbox/", inbox, name="console-inbox"),
    path("console/closing/", closing, name="console-closing"),
    path("console/cases/<int:case_id>/", case_detail, name="console-case"),
    path("console/cases/<int:case_id>/<slug:action>/", act, name="console-act"),
]
