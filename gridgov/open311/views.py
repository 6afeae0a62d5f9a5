"""Open311 GeoReport v2 at /open311/v2/: discovery, services, service definitions, requests (GET and POST).

Each view parses the parameters, calls a query or the one action, and renders the spec's document
in the format the path's extension names. Every refusal is the spec's error array with 400, 403 or
404, in that same format. See docs/open311.md.
"""

import re
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt

from gridgov.core.clock import now
from gridgov.core.errors import DomainError
from gridgov.open311 import documents, queries
from gridgov.open311.actions import ServiceRequestForm, submit_service_request
from gridgov.open311.attributes import attributes_for_service
from gridgov.open311.dates import parse_w3c
from gridgov.open311.errors import JurisdictionNotFound, Open311InputInvalid
from gridgov.open311.render import render

# GeoReport v2: a date range "may not span more than 90 days"; no range means the last 90 days.
MAX_SPAN = timedelta(days=90)
ATTRIBUTE_FIELD = re.compile(r"attribute\[([^\]]+)\](\[\])?")
SPEC_STATUSES = (400, 403, 404)
View = Callable[..., HttpResponse]


def error_response(error: DomainError, fmt: str) -> HttpResponse:
    """The spec's error array; its code is the HTTP status, one error per problem found."""
    status = (
        error.http_status
        if error.http_status in SPEC_STATUSES
        else (403 if error.http_status == 401 else 400)
    )
    problems = error.details.get("problems") if isinstance(error, Open311InputInvalid) else None
    if problems:
        items = [(status, f"{error.message} {problem}") for problem in problems]
    else:
        details = "; ".join(
            f"{key}: {value}" for key, value in error.details.items() if value not in ("", None)
        )
        items = [(status, f"{error.message} ({details})" if details else str(error.message))]
    return render(documents.errors(items), fmt, root="errors", status=status)


def open311(view: View) -> View:
    """Render domain errors as spec errors, and check jurisdiction_id when this server names one."""

    @wraps(view)
    def wrapper(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
        try:
            check_jurisdiction(request)
            return view(request, fmt, **kwargs)
        except DomainError as error:
            return error_response(error, fmt)

    return wrapper


def param(data: QueryDict, name: str) -> str:
    """A parameter's value; an empty one is absent (GeoReport v2)."""
    return (data.get(name) or "").strip()


def check_jurisdiction(request: HttpRequest) -> None:
    """One server, one jurisdiction: jurisdiction_id may be left out; naming another one is a 404."""
    ours = getattr(settings, "GRIDGOV_OPEN311_JURISDICTION", "")
    given = param(request.GET, "jurisdiction_id") or param(request.POST, "jurisdiction_id")
    if ours and given and given != ours:
        raise JurisdictionNotFound(details={"jurisdiction_id": given})


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": "json"})).rsplit("/", 1)[0]


@open311
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    document = documents.discovery(base_url(request), queries.services_changed_at())
    return render(document, fmt, root="discovery")


@open311
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    items = [
        documents.service(category, attributes_for_service(category.code))
        for category in queries.list_services()
    ]
    return render(items, fmt, root="services")


@open311
def service_definition(request: HttpRequest, fmt: str, service_code: str) -> HttpResponse:
    category = queries.get_service(service_code)
    document = documents.service_definition(category, attributes_for_service(category.code))
    return render(document, fmt, root="service_definition")


@csrf_exempt
@open311
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return create_request(request, fmt)
    if request.method not in ("GET", "HEAD"):
        message = gettext("Use GET to read requests and POST to create one.")
        response = render(documents.errors([(405, message)]), fmt, root="errors", status=405)
        response["Allow"] = "GET, HEAD, POST"
        return response
    cases = queries.list_public_requests(request_filters(request.GET))
    return render([documents.request(case) for case in cases], fmt, root="service_requests")


def create_request(request: HttpRequest, fmt: str) -> HttpResponse:
    data = request.POST
    # The spec sends api_key in the form; some clients put it in the query string.
    token = queries.token_for_api_key(param(data, "api_key") or param(request.GET, "api_key"))
    attributes: dict[str, list[str]] = {}
    for name in data:
        match = ATTRIBUTE_FIELD.fullmatch(name)
        if match:
            attributes.setdefault(match.group(1), []).extend(data.getlist(name))
    form = ServiceRequestForm(
        **{name: param(data, name) for name in FORM_FIELDS},
        attributes=attributes,
        idempotency_key=request.headers.get("Idempotency-Key", ""),
    )
    result = submit_service_request(form, token=token)
    response = render(documents.submit_response(result), fmt, root="service_requests")
    if not result.created:
        # A retry with a key already used: the first request's answer, nothing new written.
        response["Idempotent-Replayed"] = "true"
    return response


FORM_FIELDS = (
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
)


def request_filters(data: QueryDict) -> queries.RequestFilters:
    problems = []
    numbers = [number.strip() for number in param(data, "service_request_id").split(",") if number.strip()]
    codes = [code.strip().upper() for code in param(data, "service_code").split(",") if code.strip()]
    statuses = [status.strip().lower() for status in param(data, "status").split(",") if status.strip()]
    if any(status not in ("open", "closed") for status in statuses):
        problems.append(gettext("status: open, closed or both, comma separated"))
    start = end = None
    for name in ("start_date", "end_date"):
        text = param(data, name)
        moment = parse_w3c(text) if text else None
        if text and moment is None:
            problems.append(
                gettext("%(name)s: a W3C datetime such as 2026-11-22T00:00:00+08:00") % {"name": name}
            )
        if name == "start_date":
            start = moment
        else:
            end = moment
    if start and end and not timedelta(0) <= end - start <= MAX_SPAN:
        problems.append(gettext("start_date to end_date: from 0 to 90 days"))
    if problems and not numbers:  # service_request_id overrides every other parameter
        raise Open311InputInvalid(details={"problems": problems})
    if start is None and end is None:
        end = now()
    if start is None:
        assert end is not None
        start = end - MAX_SPAN
    if end is None:
        end = start + MAX_SPAN
    return queries.RequestFilters(
        start=start, end=end, numbers=numbers, service_codes=codes, statuses=statuses
    )


@open311
def request_detail(request: HttpRequest, fmt: str, service_request_id: str) -> HttpResponse:
    """One request, as an array of one (GeoReport v2)."""
    case = queries.get_public_request(service_request_id)
    return render([documents.request(case)], fmt, root="service_requests")
