"""The command centre's cockpit (数字驾驶舱): one full-screen page and its live feed of new cases.

/cockpit/?area=CODE    the page: tiles, the map of the area's children coloured by open or overdue
                       cases (click to drill down), 30-day charts, hot spots and the live feed. The
                       figures come from gridgov.cockpit.queries; the page's script refreshes them
                       from /api/v1/cockpit/overview every minute.
/cockpit/events/       server-sent events (text/event-stream): one `case` event per new case in the
                       area, `id:` the case id, so a browser that reconnects sends Last-Event-ID and
                       gets exactly the cases after it. A stream polls the database every few seconds,
                       sends a comment line when it has been quiet for a while (proxies keep it open)
                       and ends after a minute, so a synchronous worker is never held for long; the
                       browser reconnects after `retry:`.

Leaders, dispatchers and administrators (and superusers) open them; other accounts get 403.
"""

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_GET

from gridgov.accounts.models import Membership, Role, User
from gridgov.accounts.queries import get_scope
from gridgov.accounts.scope import Scope
from gridgov.areas.models import Area, AreaLevel
from gridgov.cases import lifecycle
from gridgov.cockpit import queries
from gridgov.cockpit.errors import CockpitAreaNotFound
from gridgov.core.clock import now, to_local

COCKPIT_ROLES = frozenset({Role.LEADER, Role.DISPATCHER, Role.ADMINISTRATOR})
REFRESH_SECONDS = 60
# The stream's timing; settings may change them (tests make a stream last a fraction of a second).
STREAM_SECONDS = 60
POLL_SECONDS = 2.0
HEARTBEAT_SECONDS = 15.0
RETRY_MILLISECONDS = 3000

LEVEL_LABELS = dict(AreaLevel.choices)
# The tiles, their definitions (shown as the tile's description) and how the value is written.
TILES: tuple[tuple[str, Any, Any], ...] = (
    (
        "intake_today",
        gettext_lazy("Today's intake"),
        gettext_lazy("Cases reported today (Beijing time) through any channel."),
    ),
    (
        "open_now",
        pgettext_lazy("cockpit", "Open"),
        gettext_lazy("Cases now open: not closed, rated, voided or merged."),
    ),
    (
        "overdue_now",
        pgettext_lazy("cockpit", "Overdue"),
        gettext_lazy("Open cases whose time limit has run out (red light), now."),
    ),
    ("closed_today", gettext_lazy("Closed today"), gettext_lazy("Cases closed today.")),
    (
        "on_time_closure_rate",
        gettext_lazy("On-time closure rate"),
        gettext_lazy(
            "Last 30 days: cases closed without ever running out of time, divided by the cases closed"
            " or overdue in those days (as in the evaluation)."
        ),
    ),
    (
        "satisfaction_rate",
        gettext_lazy("Satisfaction rate"),
        gettext_lazy("Last 30 days: satisfied ratings divided by all ratings (as in the evaluation)."),
    ),
)


def cockpit_only(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Logged in (else the login page) and a leader, dispatcher or administrator (else 403)."""

    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        assert isinstance(user, User)
        if not (user.is_superuser or Membership.objects.filter(user=user, role__in=COCKPIT_ROLES).exists()):
            raise PermissionDenied(_("The cockpit is for leaders, dispatchers and administrators."))
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def area_of(request: HttpRequest, scope: Scope) -> Area:
    try:
        return queries.get_cockpit_area(scope, request.GET.get("area") or None)
    except CockpitAreaNotFound as error:
        raise Http404(str(error.message)) from error


def percent(value: Any) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f}%"


def feed_item_json(item: queries.FeedItem) -> dict[str, Any]:
    local = to_local(item.reported_at)
    return {
        "id": item.id,
        "number": item.number,
        "title": item.title,
        "reported_at": item.reported_at.isoformat(),
        "time": f"{local:%H:%M}",
        "date": f"{local:%m-%d}",
        "area_code": item.area_code,
        "area_name": item.area_name,
        "category": item.category,
        "source": item.source,
        "source_label": item.source_label,
        "light": item.light,
        "lon": item.lon,
        "lat": item.lat,
        "url": reverse("web:console-case", args=[item.id]),
    }


def labels() -> dict[str, str]:
    """The words the page's script writes (charts, legend, feed), in the request's language."""
    return {
        "reported": pgettext("cockpit", "Reported"),
        "closed": pgettext("cockpit", "Closed"),
        "overdue": _("Overdue at day end"),
        "open": pgettext("cockpit", "Open"),
        "overdueNow": pgettext("cockpit", "Overdue"),
        "cases": _("cases"),
        "noData": _("No cases"),
        "noHotSpots": _("No cases in the last 7 days."),
        "mapError": _("The map could not be loaded."),
        "live": pgettext("cockpit", "Live"),
        "reconnecting": _("Reconnecting…"),
        "none": "—",
        "updated": _("figures of %(time)s"),
        "labelHint": _("the label under each name: open / overdue"),
        **{f"level_{key}": str(label) for key, label in LEVEL_LABELS.items()},
    }


@cockpit_only
@require_GET
def cockpit(request: HttpRequest) -> HttpResponse:
    """The cockpit of the area `?area=` (default: the user's own)."""
    user = request.user
    assert isinstance(user, User)
    scope = get_scope(user)
    area = area_of(request, scope)
    result = queries.overview(scope, area, now())
    feed = queries.latest_cases(scope, area)
    summary = result.summary
    values = {
        "intake_today": str(summary.intake_today),
        "open_now": str(summary.open_now),
        "overdue_now": str(summary.overdue_now),
        "closed_today": str(summary.closed_today),
        "on_time_closure_rate": percent(summary.on_time_closure_rate),
        "satisfaction_rate": percent(summary.satisfaction_rate),
    }
    details = {
        "on_time_closure_rate": f"{summary.closed_on_time}/{summary.due_for_closing}",
        "satisfaction_rate": f"{summary.satisfied}/{summary.ratings}",
    }
    tiles = [
        {
            "key": key,
            "label": label,
            "definition": definition,
            "value": values[key],
            "detail": details.get(key, ""),
        }
        for key, label, definition in TILES
    ]
    bounds = result.bounds
    setup = {
        "area": area.code,
        "areaName": area.name,
        "areaLevel": area.level,
        "parent": area.parent_id or "",
        "childLevel": result.child_level.value if result.child_level else None,
        "bounds": [bounds.west, bounds.south, bounds.east, bounds.north] if bounds else None,
        "api": "/api/v1/cockpit/",
        "page": reverse("web:cockpit"),
        "events": reverse("web:cockpit-events"),
        "lastId": max((item.id for item in feed), default=0),
        "refreshSeconds": REFRESH_SECONDS,
        "feed": [feed_item_json(item) for item in feed],
        "labels": labels(),
    }
    context = {
        "area": area,
        "area_level": LEVEL_LABELS.get(area.level, area.level),
        "breadcrumb": result.breadcrumb,
        "child_level": LEVEL_LABELS.get(result.child_level.value, "") if result.child_level else "",
        "tiles": tiles,
        "summary": summary,
        "hot_spots": result.hot_spots,
        "hot_issues": queries.hot_issues(user, area),
        "may_coordinate": may_coordinate(user),
        "feed": setup["feed"],
        "setup": setup,
        "local_now": to_local(now()),
    }
    return render(request, "web/cockpit/page.html", context)


def may_coordinate(user: User) -> bool:
    """Whether the user may turn a hot issue into one coordinated case (merging is theirs)."""
    return Membership.objects.filter(user=user, role__in=list(lifecycle.CENTRE_STAFF)).exists()


def parse_id(text: str | None) -> int | None:
    if text is None or not text.strip().isdigit():
        return None
    return int(text.strip())


def sse_event(event_id: int, name: str, data: dict[str, Any]) -> str:
    """One event; json.dumps escapes line breaks, so the data stays on one `data:` line."""
    return f"id: {event_id}\nevent: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def case_events(
    scope: Scope, area: Area, cursor: int, *, language: str, seconds: float, poll: float, heartbeat: float
) -> Iterator[str]:
    """The stream's lines: `retry:`, then a `case` event per new case, a comment when quiet."""
    started = last_sent = time.monotonic()
    yield f"retry: {RETRY_MILLISECONDS}\n\n"
    while True:
        with translation.override(language):
            items = queries.cases_after(scope, area, cursor)
            lines = [sse_event(item.id, "case", feed_item_json(item)) for item in items]
        if lines:
            cursor = items[-1].id
            last_sent = time.monotonic()
            yield "".join(lines)
        elif time.monotonic() - last_sent >= heartbeat:
            last_sent = time.monotonic()
            yield ": heartbeat\n\n"
        if time.monotonic() - started >= seconds:
            return
        time.sleep(poll)


@cockpit_only
@require_GET
def events(request: HttpRequest) -> HttpResponseBase:
    """New cases of the area as server-sent events, after Last-Event-ID (or `?after=`, else now)."""
    user = request.user
    assert isinstance(user, User)
    scope = get_scope(user)
    area = area_of(request, scope)
    cursor = parse_id(request.headers.get("Last-Event-ID"))
    if cursor is None:
        cursor = parse_id(request.GET.get("after"))
    if cursor is None:
        cursor = queries.latest_case_id(scope, area)
    stream = case_events(
        scope,
        area,
        cursor,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        seconds=float(getattr(settings, "GRIDGOV_COCKPIT_STREAM_SECONDS", STREAM_SECONDS)),
        poll=float(getattr(settings, "GRIDGOV_COCKPIT_POLL_SECONDS", POLL_SECONDS)),
        heartbeat=float(getattr(settings, "GRIDGOV_COCKPIT_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS)),
    )
    response = StreamingHttpResponse(stream, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


urlpatterns = [
    path("cockpit/", cockpit, name="cockpit"),
    path("cockpit/events/", events, name="cockpit-events"),
]
