"""The grid worker's page (网格员): my grid on a map, report what I see, my tasks, household visits
and patrols, on a phone that is often offline.

One page, `/grid/`, with five panels. Reports, visits and patrol positions go through a client-side
outbox (static/web/grid.js) to the field-work API, so they survive a missing network; the page and
its static files are cached by a service worker served from `/grid/sw.js`. The forms also post
here without JavaScript (`report`, `visit`), and the task buttons (核实, local handling, 核查) post
here always: they change a shared case and need the network.
"""

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Min
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.datastructures import MultiValueDict
from django.utils.dateparse import parse_datetime
from django.utils.timezone import make_aware
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts.models import User
from gridgov.areas.models import Area
from gridgov.cases import actions as case_actions
from gridgov.cases.errors import CaseInputInvalid
from gridgov.cases.lifecycle import Action
from gridgov.catalogue.queries import list_categories
from gridgov.core.clock import LOCAL_TIMEZONE, now, to_local
from gridgov.core.errors import DomainError
from gridgov.gridwork import actions
from gridgov.gridwork.models import VisitPurpose
from gridgov.gridwork.queries import (
    field_tasks_for,
    home_areas_of,
    is_field_staff,
    list_patrols_for,
    list_visits_for,
    map_cases_for,
)

RECENT_VISITS = 20
RECENT_PATROLS = 5
TASK_ACTIONS = ("verify", "handle_locally", "report_done", "check")
# Static files the page needs offline; the service worker caches them (and the page itself).
OFFLINE_FILES = (
    "web/site.css",
    "web/grid.css",
    "web/grid.js",
    "web/map.js",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet/leaflet.js",
    "vendor/htmx/htmx.min.js",
)
# Bump when the service worker's own logic changes (the file list is hashed on its own).
SERVICE_WORKER_REVISION = "1"
# Texts the page's script shows, translated here so that the script needs no catalogue.
SCRIPT_TEXTS = {
    "savedOnPhone": gettext_lazy("Saved on the phone, will be sent when the network is back."),
    "sending": gettext_lazy("Sending…"),
    "sentCase": gettext_lazy("Sent: case number %(number)s"),
    "sentVisit": gettext_lazy("Visit log sent"),
    "rejected": gettext_lazy("Refused by the server: %(message)s"),
    "loginAgain": gettext_lazy(
        "The server did not accept your login: open this page again while online (log in if asked). "
        "The items stay on the phone."
    ),
    "offline": gettext_lazy("Offline"),
    "online": gettext_lazy("Online"),
    "waiting": gettext_lazy("waiting"),
    "discard": gettext_lazy("Discard"),
    "report": gettext_lazy("Report"),
    "visit": gettext_lazy("Visit"),
    "patrolStart": gettext_lazy("Patrol started"),
    "patrolPoints": gettext_lazy("Patrol positions: %(count)s"),
    "patrolEnd": gettext_lazy("Patrol ended"),
    "gpsAsking": gettext_lazy("Finding your position…"),
    "gpsFound": gettext_lazy("Position found (±%(accuracy)s m)"),
    "gpsFailed": gettext_lazy("No position: %(message)s"),
    "gpsNone": gettext_lazy("No position yet."),
    "pinSet": gettext_lazy("Pin put on the map"),
    "needsNetwork": gettext_lazy("This needs the network; try again when you are online."),
    "onPatrol": gettext_lazy("On patrol since %(time)s"),
    "notOnPatrol": gettext_lazy("Not on patrol."),
    "needDescription": gettext_lazy("Choose a category or describe the problem."),
    "needHousehold": gettext_lazy("Say which household you visited."),
    "storageFailed": gettext_lazy("The phone could not save this: %(message)s"),
    "myPosition": gettext_lazy("You are here"),
}


def field_staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in (else the login page) and a grid worker, grid leader or community worker (else 403)."""

    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_field_staff(request.user):
            raise PermissionDenied(_("This page is for grid workers, grid leaders and community workers."))
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def user_of(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# ── the page ─────────────────────────────────────────────────────────────────────────────────


def bounds_of(areas: list[Area]) -> list[float] | None:
    """[west, south, east, north] around the worker's areas (or every area, for a superuser)."""
    rows = Area.objects.filter(pk__in=[a.pk for a in areas]) if areas else Area.objects.all()
    box = rows.filter(boundary__isnull=False).aggregate(
        west=Min("min_lon"), south=Min("min_lat"), east=Max("max_lon"), north=Max("max_lat")
    )
    values = [box["west"], box["south"], box["east"], box["north"]]
    return [float(v) for v in values] if all(v is not None for v in values) else None


def category_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """The 数字城管 events and components (小类) under their 大类, for the report's select."""
    groups: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    for category in list_categories(depth=2).filter(scheme__in=["event", "component"]):
        parent = category.parent
        label = f"{parent.code} {parent.name}" if parent else ""
        groups.setdefault(label, (label, []))[1].append((category.code, category.name))
    return list(groups.values())


def page_data(user: User, areas: list[Area]) -> dict[str, Any]:
    """What the page's script reads (written into the page as JSON)."""
    return {
        "user": user.pk,
        "bounds": bounds_of(areas),
        "areaLevel": areas[0].level if areas else "grid",
        "homeCodes": [a.code for a in areas],
        "cases": [
            {
                "lon": case.lon,
                "lat": case.lat,
                "light": case.light,
                "label": f"{case.number} {case.title}",
                "url": reverse("web:console-case", args=[case.pk]),
            }
            for case in map_cases_for(user)
        ],
        "api": {
            "reports": "/api/v1/gridwork/reports",
            "visits": "/api/v1/gridwork/visits",
            "patrols": "/api/v1/gridwork/patrols",
        },
        "serviceWorker": reverse("web:grid-sw"),
        "scope": reverse("web:grid"),
        "texts": {key: str(text) for key, text in SCRIPT_TEXTS.items()},
    }


@require_GET
@field_staff_only
def grid_page(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    areas = home_areas_of(user)
    tasks = field_tasks_for(user)
    patrols = list(list_patrols_for(user, worker=user)[:RECENT_PATROLS])
    context = {
        "areas": areas,
        "tasks": tasks,
        "map_cases": map_cases_for(user),
        "categories": category_groups(),
        "purposes": VisitPurpose.choices,
        "visits": list(list_visits_for(user, worker=user)[:RECENT_VISITS]),
        "patrols": patrols,
        "now_local": to_local(now()).strftime("%Y-%m-%dT%H:%M"),
        "report_client_id": uuid.uuid4(),
        "visit_client_id": uuid.uuid4(),
        "page_data": page_data(user, areas),
    }
    response = render(request, "web/grid/page.html", context)
    # The page is personal: it may be kept by the phone's service worker, never by a proxy.
    response["Cache-Control"] = "private, no-cache"
    return response


def offline_files() -> tuple[list[str], str]:
    """The static URLs to cache and a version that changes whenever one of the files does."""
    digest = hashlib.sha256(SERVICE_WORKER_REVISION.encode())
    urls = []
    for name in OFFLINE_FILES:
        found = finders.find(name)
        if not found:
            continue  # e.g. front-end assets not installed: the page works without them
        urls.append(static(name))
        digest.update(name.encode() + Path(found).read_bytes())
    return urls, digest.hexdigest()[:16]


kept_offline_files = cache(offline_files)


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker script. Served from /grid/ so that its scope covers the page."""
    # The files never change while a production process runs; in development they may.
    urls, version = offline_files() if settings.DEBUG else kept_offline_files()
    response = render(
        request,
        "web/grid/sw.js",
        {"version": version, "files_json": json.dumps(urls), "page_url": reverse("web:grid")},
        content_type="application/javascript; charset=utf-8",
    )
    response["Service-Worker-Allowed"] = reverse("web:grid")
    response["Cache-Control"] = "no-cache"
    return response


# ── posts ────────────────────────────────────────────────────────────────────────────────────


def back_to(panel: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse('web:grid')}#{panel}")


def _float(value: str | None) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        return float(value)
    except ValueError as error:
        raise CaseInputInvalid(details={"point": value}) from error


def _photos(files: MultiValueDict[str, Any], name: str) -> list[case_actions.PhotoUpload]:
    return [case_actions.PhotoUpload(f.name or "photo", f.read()) for f in files.getlist(name) if f.size]


def _local_time(value: str | None) -> datetime | None:
    """A datetime-local field (Beijing time without a zone), or an ISO time with its zone."""
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        raise CaseInputInvalid(details={"visited_at": value})
    return parsed if parsed.tzinfo else make_aware(parsed, LOCAL_TIMEZONE)


@require_POST
@field_staff_only
def report(request: HttpRequest) -> HttpResponse:
    """The report form without JavaScript (with it, the page sends through its outbox)."""
    post = request.POST
    try:
        result = actions.report_from_field(
            actions.FieldReport(
                client_id=post.get("client_id", ""),
                description=post.get("description", ""),
                category_code=post.get("category") or None,
                lon=_float(post.get("lon")),
                lat=_float(post.get("lat")),
                system=post.get("system") or actions.GPS_SYSTEM,
                area_code=post.get("area_code") or None,
                photos=_photos(request.FILES, "photo"),
            ),
            actor=user_of(request),
        )
    except DomainError as refused:
        messages.error(request, str(refused.message))
    else:
        messages.success(request, _("Sent: case number %(number)s") % {"number": result.case.number})
    return back_to("report")


@require_POST
@field_staff_only
def visit(request: HttpRequest) -> HttpResponse:
    """The visit form without JavaScript."""
    post = request.POST
    try:
        actions.record_visit(
            actions.VisitInput(
                client_id=post.get("client_id", ""),
                household=post.get("household", ""),
                purpose=post.get("purpose", ""),
                visited_at=_local_time(post.get("visited_at")),
                notes=post.get("notes", ""),
                follow_up_needed=post.get("follow_up_needed") in ("on", "true", "1"),
                area_code=post.get("area_code") or None,
                case_number=post.get("case_number", ""),
            ),
            actor=user_of(request),
        )
    except DomainError as refused:
        messages.error(request, str(refused.message))
    else:
        messages.success(request, _("Visit log saved."))
    return back_to("visits")


def perform(action: str, case_id: int, user: User, post: QueryDict, files: MultiValueDict[str, Any]) -> str:
    note = post.get("note", "")
    if action == "verify":
        genuine = post.get("genuine")
        if genuine not in ("yes", "no"):
            raise CaseInputInvalid(_("Say whether the problem is real."), details={"genuine": genuine})
        case_actions.verify_case(case_id, actor=user, is_genuine=genuine == "yes", note=note)
        return _("Verified: the problem is real.") if genuine == "yes" else _("Verified: no such problem.")
    if action == Action.HANDLE_LOCALLY:
        case_actions.handle_locally(case_id, actor=user, note=note, expected_version=_version(post))
        return _("The grid handles it now; report it done when it is fixed.")
    if action == Action.REPORT_DONE:
        case_actions.report_done(case_id, actor=user, note=note, photos=_photos(files, "photos"))
        return _("Reported done; waiting for the check.")
    if action == "check":
        passed = post.get("passed")
        if passed not in ("yes", "no"):
            raise CaseInputInvalid(_("Say whether the check passed."), details={"passed": passed})
        case_actions.check_case(
            case_id, actor=user, passed=passed == "yes", note=note, photos=_photos(files, "photos")
        )
        return _("Check passed.") if passed == "yes" else _("Check failed: sent back for rework.")
    raise Http404


def _version(post: QueryDict) -> int | None:
    value = post.get("version")
    return int(value) if value and value.isdigit() else None


@require_POST
@field_staff_only
def act(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    """One task button (核实, local handling, report done, 核查) on one case."""
    if action not in TASK_ACTIONS:
        raise Http404
    try:
        notice = perform(action, case_id, user_of(request), request.POST, request.FILES)
    except DomainError as refused:
        messages.error(request, str(refused.message))
    else:
        messages.success(request, notice)
    return back_to("tasks")


urlpatterns = [
    path("grid/", grid_page, name="grid"),
    path("grid/sw.js", service_worker, name="grid-sw"),
    path("grid/report/", report, name="grid-report"),
    path("grid/visits/", visit, name="grid-visit"),
    path("grid/cases/<int:case_id>/<slug:action>/", act, name="grid-act"),
]
