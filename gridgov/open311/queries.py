"""Reads behind the Open311 endpoints: the public service list, public requests, API keys.

GeoReport v2 lets anyone read services and requests without a key, so these reads take no user:
they return only what is public by nature. Which cases and which of their fields that is, is
decided here and in documents.py (docs/open311.md, "What the public sees").
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Max, Prefetch, QuerySet

from gridgov.accounts.models import ApiToken
from gridgov.accounts.queries import find_active_token
from gridgov.areas.models import boundaries_left_out
from gridgov.cases.models import OPEN_STATUSES, Case, CaseEvent, CaseStatus, CaseTask
from gridgov.catalogue.models import CaseCategory, CategoryScheme
from gridgov.open311.errors import ApiKeyInvalid, ServiceNotFound, ServiceRequestNotFound

# The case event every Open311 intake appends, holding what the client sent beyond the case fields.
INTAKE_EVENT = "open311_received"
# GeoReport v2: "the default query returns … the first 1000 results".
MAX_REQUESTS = 1000
# The urban 事件 and 部件 first, then the citizen-message classes.
SCHEME_ORDER = (CategoryScheme.URBAN_EVENT, CategoryScheme.URBAN_COMPONENT, CategoryScheme.CITIZEN_MESSAGE)
# A voided report (no problem found, abusive, not ours) is not republished in lists; asked for by
# its number it still answers, as closed, so the client that sent it learns what became of it.
CLOSED_STATUSES = frozenset({CaseStatus.CLOSED, CaseStatus.RATED, CaseStatus.MERGED})


# ------------------------------------------------------------------------------------------ services


def _services() -> QuerySet[CaseCategory]:
    """Public, active leaf categories: what a resident may choose when reporting (see docs/open311.md)."""
    return (
        CaseCategory.objects.filter(is_public=True, is_active=True, scheme__in=SCHEME_ORDER)
        .exclude(children__is_active=True)
        .select_related("parent", "parent__parent")
    )


def list_services() -> list[CaseCategory]:
    services = list(_services().order_by("code"))
    services.sort(key=lambda category: SCHEME_ORDER.index(CategoryScheme(category.scheme)))
    return services


def get_service(code: str) -> CaseCategory:
    service = _services().filter(code=code.strip().upper()).first() if code.strip() else None
    if service is None:
        raise ServiceNotFound(details={"service_code": code})
    return service


def services_changed_at() -> datetime | None:
    """When the public catalogue last changed: the discovery document's changeset."""
    changed: datetime | None = CaseCategory.objects.aggregate(latest=Max("updated_at"))["latest"]
    return changed


# ------------------------------------------------------------------------------------------ requests


@dataclass(frozen=True)
class RequestFilters:
    """GET requests parameters; `numbers` overrides everything else (GeoReport v2)."""

    start: datetime
    end: datetime
    numbers: Sequence[str] = ()
    service_codes: Sequence[str] = ()
    # "open", "closed"; empty means both.
    statuses: Sequence[str] = ()


def _public_requests() -> QuerySet[Case]:
    live_tasks = (
        CaseTask.objects.exclude(status__in=[CaseTask.Status.RETURNED, CaseTask.Status.CANCELLED])
        .select_related("department")
        .order_by("id")
    )
    intake = CaseEvent.objects.filter(action=INTAKE_EVENT).order_by("id")
    return (
        Case.objects.filter(category__isnull=False, category__is_public=True)
        .select_related("category", "area", "handling_area", "merged_into")
        .defer(*boundaries_left_out("area", "handling_area"))
        .prefetch_related(
            Prefetch("tasks", queryset=live_tasks, to_attr="live_tasks"),
            Prefetch("events", queryset=intake, to_attr="open311_events"),
        )
        .order_by("-reported_at", "-id")
    )


def list_public_requests(filters: RequestFilters) -> list[Case]:
    """At most MAX_REQUESTS public cases, newest first: three queries whatever their number."""
    cases = _public_requests()
    if filters.numbers:
        return list(cases.filter(number__in=list(filters.numbers)[:MAX_REQUESTS])[:MAX_REQUESTS])
    cases = cases.filter(reported_at__gte=filters.start, reported_at__lte=filters.end)
    statuses: set[str] = set()
    if not filters.statuses or "open" in filters.statuses:
        statuses |= OPEN_STATUSES
    if not filters.statuses or "closed" in filters.statuses:
        statuses |= CLOSED_STATUSES
    cases = cases.filter(status__in=sorted(statuses))
    if filters.service_codes:
        cases = cases.filter(category__code__in=list(filters.service_codes))
    return list(cases[:MAX_REQUESTS])


def get_public_request(number: str) -> Case:
    case = _public_requests().filter(number=number).first()
    if case is None:
        raise ServiceRequestNotFound(details={"service_request_id": number})
    return case


# ------------------------------------------------------------------------------------------ api keys


def token_for_api_key(secret: str) -> ApiToken:
    """The active API token whose secret is `secret` (GeoReport's api_key), else a 403."""
    token = find_active_token(secret) if secret else None
    if token is None:
        raise ApiKeyInvalid()
    return token
