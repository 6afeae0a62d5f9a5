"""The one Open311 write: a POSTed service request becomes a case reported through the open311 channel.

`submit_service_request` checks everything first and writes nothing when it refuses. It then calls
`gridgov.cases.actions.report_case` (numbering, locating, the `report` case event, duplicates,
notifications) and, in the same transaction, appends an `open311_received` case event with what the
client sent that has no case field: the raw attribute answers, device_id, account_id, media_url,
address_id, the point as sent (WGS-84) and the prefix of the API key used.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from math import isfinite
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from gridgov.accounts.models import ApiToken
from gridgov.cases.actions import Report, locate_report, record_event, report_case
from gridgov.cases.models import Case, CaseSource
from gridgov.catalogue.models import CaseCategory
from gridgov.core.coordinates import WGS84
from gridgov.core.mapping import point_to_storage
from gridgov.open311.attributes import Answers, attributes_for_service, parse_answers
from gridgov.open311.errors import LocationOutside, Open311InputInvalid
from gridgov.open311.queries import INTAKE_EVENT, get_service

# GeoReport v2 limits the description to 4,000 characters.
MAX_DESCRIPTION = 4000
MAX_IDEMPOTENCY_KEY = 80
# The case stores one contact, encrypted, and shows it masked in at most 40 characters.
MAX_CONTACT = 40
AREA_CODE = re.compile(r"\d{12}(?:\d{3}){0,2}")
PHONE = re.compile(r"\+?[0-9][0-9 -]{4,19}")
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]+")


@dataclass
class ServiceRequestForm:
    """The POST requests parameters as sent (strings; empty means absent), attributes by code."""

    service_code: str = ""
    lat: str = ""
    long: str = ""
    address_string: str = ""
    address_id: str = ""
    email: str = ""
    device_id: str = ""
    account_id: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    description: str = ""
    media_url: str = ""
    attributes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # The Idempotency-Key header: a client's retry of the same request carries the same key.
    idempotency_key: str = ""


@dataclass
class SubmitResult:
    case: Case
    created: bool
    duplicates: list[Case]
    account_id: str


def submit_service_request(form: ServiceRequestForm, *, token: ApiToken) -> SubmitResult:
    """Take in a GeoReport v2 service request as an open311 report (受理) by the token's user."""
    missing = []
    if not form.service_code.strip():
        missing.append(gettext("service_code: required"))
    if not (form.lat.strip() or form.long.strip() or form.address_string.strip() or form.address_id.strip()):
        missing.append(gettext("a location is required: lat and long, address_string or address_id"))
    if missing:
        raise Open311InputInvalid(details={"problems": missing})
    service = get_service(form.service_code)
    problems: list[str] = []
    point = _point(form, problems)
    address = form.address_string.strip()
    if len(address) > 200:
        problems.append(gettext("address_string: at most 200 characters"))
    address_id = form.address_id.strip()
    if address_id and not AREA_CODE.fullmatch(address_id):
        problems.append(gettext("address_id: an area code of 12, 15 or 18 digits"))
    description = form.description.strip()
    if len(description) > MAX_DESCRIPTION:
        problems.append(gettext("description: at most %(count)d characters") % {"count": MAX_DESCRIPTION})
    contact = _contact(form, problems)
    name = _name(form, problems)
    for label, value in (("device_id", form.device_id), ("account_id", form.account_id)):
        if len(value.strip()) > 100:
            problems.append(gettext("%(field)s: at most 100 characters") % {"field": label})
    media_url = form.media_url.strip()
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            problems.append(gettext("media_url: an http or https URL"))
        if len(media_url) > 500:
            problems.append(gettext("media_url: at most 500 characters"))
    key = form.idempotency_key.strip()
    if key and (len(key) > MAX_IDEMPOTENCY_KEY or not IDEMPOTENCY_KEY.fullmatch(key)):
        problems.append(
            gettext("Idempotency-Key: 1 to %(count)d visible ASCII characters")
            % {"count": MAX_IDEMPOTENCY_KEY}
        )
    answers = parse_answers(form.attributes, attributes_for_service(service.code))
    problems.extend(answers.problems)
    if problems:
        raise Open311InputInvalid(details={"problems": problems})

    lon, lat = _stored_point(point)
    report = Report(
        source=CaseSource.OPEN311,
        title=_title(service, description),
        description=_description(description, answers),
        category_code=service.code,
        lon=lon,
        lat=lat,
        address=address,
        area_code=address_id or None,
        is_urgent=answers.is_urgent,
        reporter_name=name,
        reporter_contact=contact,
        # Keys are per account, so two clients that both count from 1 never share a case.
        idempotency_key=f"u{token.user_id}:{key}" if key else "",
        # The key's account files the report; it is not the resident (who cannot log in here).
        reporter_is_actor=False,
    )
    if locate_report(report) is None:
        raise LocationOutside(
            details={"lat": form.lat, "long": form.long, "address_string": address, "address_id": address_id}
        )
    with transaction.atomic():
        result = report_case(report, actor=token.user)
        if result.created:
            data: dict[str, Any] = {
                "service_code": service.code,
                "attributes": answers.values,
                "device_id": form.device_id.strip(),
                "account_id": form.account_id.strip(),
                "media_url": media_url,
                "address_id": address_id,
                "wgs84": list(point) if point else None,
                "api_key_prefix": token.prefix,
            }
            record_event(
                result.case, INTAKE_EVENT, result.case.status, result.case.status, token.user, data=data
            )
    return SubmitResult(result.case, result.created, result.duplicates, form.account_id.strip())


def _point(form: ServiceRequestForm, problems: list[str]) -> tuple[float, float] | None:
    """(long, lat) as sent, on WGS-84, or None when no point was sent."""
    lat_text, lon_text = form.lat.strip(), form.long.strip()
    if not lat_text and not lon_text:
        return None
    if not lat_text or not lon_text:
        problems.append(gettext("lat and long: give both, or neither"))
        return None
    try:
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        problems.append(gettext("lat and long: decimal degrees"))
        return None
    if not (isfinite(lat) and isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        problems.append(gettext("lat and long: out of range"))
        return None
    return lon, lat


def _stored_point(point: tuple[float, float] | None) -> tuple[float | None, float | None]:
    """The point in the coordinate system of the stored boundaries (GCJ-02 for maps of China)."""
    if point is None:
        return None, None
    return point_to_storage(*point, WGS84)


def _contact(form: ServiceRequestForm, problems: list[str]) -> str:
    """The phone, else the email: the case keeps one contact, encrypted (个人信息保护法)."""
    phone, email = form.phone.strip(), form.email.strip()
    if phone and not PHONE.fullmatch(phone):
        problems.append(gettext("phone: digits, spaces, dashes and a leading +"))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(gettext("email: not an email address"))
    contact = phone or email
    if len(contact) > MAX_CONTACT:
        problems.append(gettext("email: at most %(count)d characters") % {"count": MAX_CONTACT})
    return contact


def _name(form: ServiceRequestForm, problems: list[str]) -> str:
    """姓 then 名 for Chinese names; "first last" for names in Latin letters."""
    first, last = form.first_name.strip(), form.last_name.strip()
    if len(first) > 30 or len(last) > 30:
        problems.append(gettext("first_name and last_name: at most 30 characters each"))
    if (first + last).isascii():
        return f"{first} {last}".strip()
    return f"{last}{first}"


def _title(service: CaseCategory, description: str) -> str:
    """The category name and the start of the description's first line: what a queue shows."""
    first_line = description.splitlines()[0].strip() if description else ""
    if not first_line:
        return service.name
    if len(first_line) > 60:
        first_line = first_line[:59] + "…"
    return f"{service.name}：{first_line}"


def _description(description: str, answers: Answers) -> str:
    # Stored text is read by staff, so its labels are in the site's language, not the client's.
    with translation.override(settings.LANGUAGE_CODE):
        lines = answers.description_lines()
    return "\n\n".join(part for part in (description, "\n".join(lines)) if part)
