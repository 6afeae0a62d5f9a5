"""The GeoReport v2 documents as ordered dicts, ready for render.py to write as JSON or XML.

This is where our data meet the spec's field names, and where "public" is decided field by field:
a request never shows the reporter's name or contact, and free text only where the reporter wrote
it for publication (docs/open311.md, "What the public sees").
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.translation import gettext

from gridgov.cases.models import OPEN_STATUSES, Case, CaseSource, CaseStatus
from gridgov.catalogue.models import CaseCategory
from gridgov.core.coordinates import WGS84
from gridgov.core.mapping import point_from_storage
from gridgov.open311.actions import SubmitResult
from gridgov.open311.attributes import Attribute
from gridgov.open311.dates import format_w3c

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ("application/json", "text/xml")
Document = dict[str, Any]


def discovery(base_url: str, changeset: datetime | None) -> Document:
    stamp = format_w3c(changeset)
    return {
        "changeset": stamp,
        "contact": getattr(settings, "GRIDGOV_OPEN311_CONTACT", "")
        or gettext("The administrator of this gridgov site."),
        "key_service": getattr(settings, "GRIDGOV_OPEN311_KEY_SERVICE", "")
        or gettext(
            "An administrator issues an API key (an API token of a staff account) in the admin pages; "
            "send it as api_key when you POST requests."
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base_url,
                "changeset": stamp,
                "type": "production",
                "formats": list(FORMATS),
            }
        ],
    }


def _path(category: CaseCategory) -> list[str]:
    """Names from the root down to the category (select_related reaches two levels up)."""
    names = [category.name]
    parent = category.parent
    while parent is not None:
        names.insert(0, parent.name)
        parent = parent.parent
    return names


def service(category: CaseCategory, attributes: Sequence[Attribute]) -> Document:
    path = _path(category)
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": f"{category.get_scheme_display()}: {' / '.join(path)}",
        "metadata": bool(attributes),
        "type": "realtime",
        "keywords": ", ".join(path[:-1]),
        "group": category.parent.name if category.parent else "",
    }


def service_definition(category: CaseCategory, attributes: Sequence[Attribute]) -> Document:
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": attribute.variable,
                "code": attribute.code,
                "datatype": attribute.datatype,
                "required": attribute.required,
                "datatype_description": str(attribute.datatype_description),
                "order": attribute.order,
                "description": str(attribute.description),
                **(
                    {"values": [{"key": value.key, "name": str(value.name)} for value in attribute.values]}
                    if attribute.values
                    else {}
                ),
            }
            for attribute in sorted(attributes, key=lambda attribute: attribute.order)
        ],
    }


def status_of(case: Case) -> str:
    """GeoReport has two states: every open step of the closed loop is "open", the rest "closed"."""
    return "open" if case.status in OPEN_STATUSES else "closed"


def _status_notes(case: Case) -> str:
    if case.status == CaseStatus.MERGED and case.merged_into is not None:
        return gettext("Merged into request %(number)s, the same problem reported earlier.") % {
            "number": case.merged_into.number
        }
    if case.status == CaseStatus.VOIDED:
        return gettext("Not accepted as a case.")
    return str(CaseStatus(case.status).label)


def _service_notice(case: Case) -> str:
    if case.status == CaseStatus.MERGED and case.merged_into is not None:
        return gettext("Follow request %(number)s instead.") % {"number": case.merged_into.number}
    return ""


def _agency(case: Case) -> str:
    """The departments of the live tasks (吹哨 sends several), else the area that handles it (属地)."""
    departments = [task.department.name for task in getattr(case, "live_tasks", [])]
    if departments:
        return "、".join(dict.fromkeys(departments))
    return case.handling_area.name if case.handling_area else ""


def _intake(case: Case) -> dict[str, Any]:
    events = getattr(case, "open311_events", [])
    return dict(events[0].data) if events else {}


def _published_point(case: Case, *, is_exact: bool) -> tuple[float | None, float | None]:
    """The point on WGS-84 (the spec's datum); rounded to 0.001° (about 100 m) unless `is_exact`."""
    if case.lon is None or case.lat is None:
        return None, None
    lon, lat = point_from_storage(case.lon, case.lat, WGS84)
    digits = 6 if is_exact else 3
    return round(lon, digits), round(lat, digits)


def request(case: Case) -> Document:
    assert case.category is not None  # queries list only cases of public categories
    intake = _intake(case)
    # What an Open311 client sent was written for a public API and is republished as sent. A
    # hotline caller's or a grid worker's words and addresses may name people or homes: those
    # cases show the grid's name as their address, their point to about 100 m, and no text.
    # A voided report is not republished at all.
    is_published_as_sent = case.source == CaseSource.OPEN311 and case.status != CaseStatus.VOIDED
    area_name = case.area.name if case.area else ""
    lon, lat = _published_point(case, is_exact=is_published_as_sent)
    return {
        "service_request_id": case.number,
        "status": status_of(case),
        "status_notes": _status_notes(case),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": case.description if is_published_as_sent else "",
        "agency_responsible": _agency(case),
        "service_notice": _service_notice(case),
        "requested_datetime": format_w3c(case.reported_at),
        "updated_datetime": format_w3c(
            case.closed_at if status_of(case) == "closed" and case.closed_at else case.updated_at
        ),
        "expected_datetime": format_w3c(case.due_at),
        "address": (case.address or area_name) if is_published_as_sent else area_name,
        "address_id": case.area_id,
        "zipcode": None,
        "lat": lat,
        "long": lon,
        "media_url": (intake.get("media_url") or None) if is_published_as_sent else None,
    }


def submit_notice(result: SubmitResult) -> str:
    notice = gettext(
        "Received as %(number)s. An intake clerk checks it, then registers it as a case or says why not."
    ) % {"number": result.case.number}
    if result.duplicates:
        notice += " " + gettext("It may be the same problem as %(numbers)s; if so they are merged.") % {
            "numbers": ", ".join(case.number for case in result.duplicates)
        }
    return notice


def submit_response(result: SubmitResult) -> list[Document]:
    return [
        {
            "service_request_id": result.case.number,
            "service_notice": submit_notice(result),
            "account_id": result.account_id or None,
        }
    ]


def errors(items: Sequence[tuple[int, str]]) -> list[Document]:
    return [{"code": code, "description": description} for code, description in items]
