"""Open311 GeoReport v2 over HTTP: every document against the spec's schema and XML names, every
refusal as the spec's error array that writes nothing, and what the public may and may not see."""

import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.functional import Promise

from gridgov.accounts.actions import issue_api_token, revoke_api_token
from gridgov.accounts.models import ApiToken
from gridgov.cases import actions as case_actions
from gridgov.cases.models import Case, CaseEvent
from gridgov.catalogue.models import CaseCategory, CategoryScheme
from gridgov.core.clock import now
from gridgov.core.models import AuditEvent
from gridgov.open311.attributes import LANDMARK
from gridgov.open311.dates import format_w3c
from tests.cases.conftest import World
from tests.open311.conftest import BASE, GRID_A_GCJ, GRID_A_WGS, Open311, children, valid, xml_root

REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


def written() -> tuple[int, int, int]:
    """What a refused request must leave alone."""
    return Case.objects.count(), CaseEvent.objects.count(), AuditEvent.objects.count()


def is_empty(parent: ET.Element, tag: str) -> bool:
    """The element is there, without text: how the XML says null."""
    element = parent.find(tag)
    return element is not None and element.text is None and len(element) == 0


def zh(text: Any) -> str:
    """The Chinese of a source string (lazy or plain), as the site renders it by default."""
    with translation.override("zh-hans"):
        return str(text) if isinstance(text, Promise) else translation.gettext(text)


# ------------------------------------------------------------------------------------------ discovery


def test_discovery_in_json_and_xml(open311: Open311) -> None:
    response = open311.get("discovery.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    document = valid("discovery", response.json())
    changed = CaseCategory.objects.order_by("-updated_at").first()
    assert changed is not None
    assert document["changeset"] == format_w3c(changed.updated_at)
    assert document["endpoints"] == [
        {
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": "http://testserver/open311/v2",
            "changeset": document["changeset"],
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }
    ]

    response = open311.get("discovery.xml")
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = xml_root(response.content, "discovery")
    assert children(root) == ["changeset", "contact", "key_service", "endpoints"]
    endpoint = root.find("endpoints/endpoint")
    assert endpoint is not None
    assert children(endpoint) == ["specification", "url", "changeset", "type", "formats"]
    assert [f.text for f in endpoint.iterfind("formats/format")] == ["application/json", "text/xml"]


# ------------------------------------------------------------------------------------------ services


def public_leaf_codes() -> list[str]:
    """Computed independently of the view: public, active categories without an active child."""
    categories = list(CaseCategory.objects.all())
    parents_with_active_child = {c.parent_id for c in categories if c.is_active and c.parent_id}
    order = [CategoryScheme.URBAN_EVENT, CategoryScheme.URBAN_COMPONENT, CategoryScheme.CITIZEN_MESSAGE]
    leaves = [c for c in categories if c.is_public and c.is_active and c.pk not in parents_with_active_child]
    return [c.code for c in sorted(leaves, key=lambda c: (order.index(CategoryScheme(c.scheme)), c.code))]


def test_services_are_the_public_active_leaf_categories(open311: Open311) -> None:
    CaseCategory.objects.filter(code="E0103").update(is_public=False)
    CaseCategory.objects.filter(code="E0104").update(is_active=False)
    with CaptureQueriesContext(connection) as queries:
        response = open311.get("services.json")
    assert response.status_code == 200
    assert len(queries) == 1
    services = valid("services", response.json())
    codes = [service["service_code"] for service in services]
    assert codes == public_leaf_codes()
    assert len(codes) > 500
    assert {"E0103", "E0104", "E01", "M01", "M0101"}.isdisjoint(codes)
    assert codes[0].startswith("E") and codes[-1].startswith("M")
    by_code = {service["service_code"]: service for service in services}
    assert by_code["E0102"] == {
        "service_code": "E0102",
        "service_name": "暴露垃圾",
        "description": f"{zh(CategoryScheme.URBAN_EVENT.label)}: 市容环境 / 暴露垃圾",
        "metadata": True,
        "type": "realtime",
        "keywords": "市容环境",
        "group": "市容环境",
    }
    assert by_code["M010101"] == {
        "service_code": "M010101",
        "service_name": "事故处理",
        "description": f"{zh(CategoryScheme.CITIZEN_MESSAGE.label)}: 城乡建设 / 安全生产 / 事故处理",
        "metadata": True,
        "type": "realtime",
        "keywords": "城乡建设, 安全生产",
        "group": "安全生产",
    }


def test_services_in_xml(open311: Open311) -> None:
    root = xml_root(open311.get("services.xml").content, "services")
    services = list(root)
    assert {element.tag for element in services} == {"service"}
    assert [s.findtext("service_code") for s in services] == public_leaf_codes()
    first = services[0]
    assert children(first) == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert (first.findtext("metadata"), first.findtext("type")) == ("true", "realtime")


def test_service_definition_in_json_and_xml(open311: Open311) -> None:
    document = valid("service-definition", open311.get("services/E0102.json", lang="en").json())
    assert document["service_code"] == "E0102"
    urgent, landmark, observed_at = document["attributes"]
    assert urgent == {
        "variable": True,
        "code": "urgent",
        "datatype": "singlevaluelist",
        "required": False,
        "datatype_description": "Choose yes or no.",
        "order": 1,
        "description": (
            "Is anyone or anything in immediate danger (an open manhole, a burst pipe, a fallen wire)?"
        ),
        "values": [{"key": "yes", "name": "yes"}, {"key": "no", "name": "no"}],
    }
    assert (landmark["code"], landmark["datatype"], landmark["order"]) == ("landmark", "string", 2)
    assert (observed_at["code"], observed_at["datatype"], observed_at["order"]) == (
        "observed_at",
        "datetime",
        3,
    )

    root = xml_root(open311.get("services/E0102.xml").content, "service_definition")
    assert children(root) == ["service_code", "attributes"]
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == ["urgent", "landmark", "observed_at"]
    assert children(attributes[0]) == [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values",
    ]
    assert [(v.findtext("key"), children(v)) for v in attributes[0].iterfind("values/value")] == [
        ("yes", ["key", "name"]),
        ("no", ["key", "name"]),
    ]
    assert attributes[1].find("values") is None


@pytest.mark.parametrize("code", ["X9999", "E01", "E0103"])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_or_non_public_service_is_a_404(open311: Open311, code: str, fmt: str) -> None:
    CaseCategory.objects.filter(code="E0103").update(is_public=False)
    response = open311.get(f"services/{code}.{fmt}")
    assert response.status_code == 404
    assert_errors(response, fmt, 404)


# ------------------------------------------------------------------------------------------ errors


def assert_errors(response: Any, fmt: str, status: int) -> list[str]:
    """The spec's error array in `fmt`; returns the descriptions."""
    assert response.status_code == status
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        errors = valid("errors", response.json())
        assert {error["code"] for error in errors} == {status}
        return [error["description"] for error in errors]
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = xml_root(response.content, "errors")
    assert {child.tag for child in root} == {"error"}
    assert all(children(error) == ["code", "description"] for error in root)
    assert {error.findtext("code") for error in root} == {str(status)}
    return [error.findtext("description") or "" for error in root]


def valid_fields(open311: Open311, **extra: Any) -> dict[str, Any]:
    lon, lat = GRID_A_WGS
    return {"api_key": open311.api_key, "service_code": "E0102", "lat": lat, "long": lon, **extra}


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("change", "status", "expected"),
    [
        ({"api_key": None}, 403, ["A valid api_key is required to create a service request."]),
        ({"api_key": "ggv_not-a-key"}, 403, ["A valid api_key is required to create a service request."]),
        ({"api_key": ""}, 403, ["A valid api_key is required to create a service request."]),
        ({"service_code": "X9999"}, 404, ["No such service_code. (service_code: X9999)"]),
        ({"service_code": "E01"}, 404, ["No such service_code. (service_code: E01)"]),
        ({"service_code": None}, 400, ["The request parameters are not valid. service_code: required"]),
        (
            {"lat": None, "long": None},
            400,
            [
                "The request parameters are not valid. "
                "a location is required: lat and long, address_string or address_id"
            ],
        ),
        (
            {"service_code": "", "lat": "", "long": ""},
            400,
            [
                "The request parameters are not valid. service_code: required",
                "The request parameters are not valid. "
                "a location is required: lat and long, address_string or address_id",
            ],
        ),
        ({"long": None}, 400, ["The request parameters are not valid. lat and long: give both, or neither"]),
        ({"lat": "north"}, 400, ["The request parameters are not valid. lat and long: decimal degrees"]),
        ({"lat": "95"}, 400, ["The request parameters are not valid. lat and long: out of range"]),
        (
            {"attribute[urgent]": "maybe", "attribute[colour]": "red"},
            400,
            [
                "The request parameters are not valid. attribute[colour]: no such attribute for this service",
                "The request parameters are not valid. attribute[urgent]: one of yes, no",
            ],
        ),
        (
            {"description": "x" * 4001},
            400,
            ["The request parameters are not valid. description: at most 4000 characters"],
        ),
        (
            {"media_url": "ftp://x.org/a.jpg"},
            400,
            ["The request parameters are not valid. media_url: an http or https URL"],
        ),
        (
            {"email": "not-an-email"},
            400,
            ["The request parameters are not valid. email: not an email address"],
        ),
        (
            {"address_id": "abc"},
            400,
            ["The request parameters are not valid. address_id: an area code of 12, 15 or 18 digits"],
        ),
        # Beijing: outside every area of this server.
        (
            {"lat": "39.9", "long": "116.4"},
            400,
            ["The location is not inside any area this server covers. (lat: 39.9; long: 116.4)"],
        ),
    ],
)
def test_a_refused_post_is_a_spec_error_and_writes_nothing(
    open311: Open311, fmt: str, change: dict[str, Any], status: int, expected: list[str]
) -> None:
    fields = valid_fields(open311)
    for name, value in change.items():
        if value is None:
            fields.pop(name)
        else:
            fields[name] = value
    before = written()
    response = open311.post(fmt, **fields, lang="en")
    assert assert_errors(response, fmt, status) == expected
    assert written() == before


def test_a_revoked_key_is_refused(open311: Open311) -> None:
    token = ApiToken.objects.get()
    revoke_api_token(token=token)
    before = written()
    assert_errors(open311.post(**valid_fields(open311)), "json", 403)
    assert written() == before


def test_an_unknown_request_is_a_404(open311: Open311) -> None:
    for fmt in ("json", "xml"):
        response = open311.get(f"requests/330102-20260101-999999.{fmt}", lang="en")
        assert assert_errors(response, fmt, 404) == [
            "No such service_request_id. (service_request_id: 330102-20260101-999999)"
        ]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "pending"}, "status: open, closed or both, comma separated"),
        ({"start_date": "last week"}, "start_date: a W3C datetime such as 2026-11-22T00:00:00+08:00"),
        (
            {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
            "start_date to end_date: from 0 to 90 days",
        ),
        (
            {"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
            "start_date to end_date: from 0 to 90 days",
        ),
    ],
)
def test_bad_request_filters_are_a_400(
    open311: Open311, fmt: str, params: dict[str, str], expected: str
) -> None:
    response = open311.get(f"requests.{fmt}", lang="en", **params)
    assert assert_errors(response, fmt, 400) == [f"The request parameters are not valid. {expected}"]


def test_other_methods_are_refused_with_a_spec_error(open311: Open311) -> None:
    response = open311.client.put(f"{BASE}/requests.json")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"
    assert [error["code"] for error in response.json()] == [405]


def test_jurisdiction_id_is_checked_when_the_server_names_one(open311: Open311, settings: Any) -> None:
    assert open311.get("services/E0102.json", jurisdiction_id="anything").status_code == 200
    settings.GRIDGOV_OPEN311_JURISDICTION = "330102"
    assert open311.get("services/E0102.json", jurisdiction_id="330102").status_code == 200
    assert open311.get("services/E0102.json").status_code == 200
    assert open311.get("services/E0102.json", jurisdiction_id="").status_code == 200
    response = open311.get("services/E0102.json", jurisdiction_id="110101", lang="en")
    assert assert_errors(response, "json", 404) == ["No such jurisdiction_id. (jurisdiction_id: 110101)"]


# ------------------------------------------------------------------------------------------ POST


def test_a_post_becomes_a_reported_case_in_the_dispatchers_queue(open311: Open311, world: World) -> None:
    answer = open311.report(
        description="满地垃圾，无人清理\n已持续两天",
        first_name="三",
        last_name="张",
        phone="13812345678",
        email="zhang@example.com",
        device_id="device-42",
        account_id="acct-7",
        media_url="https://img.example.com/p/1.jpg",
        **{"attribute[urgent]": "yes", "attribute[landmark]": "河坊街 12 号路灯"},
    )
    case = Case.objects.get()
    assert answer["service_request_id"] == case.number
    assert answer["account_id"] == "acct-7"
    assert case.number in answer["service_notice"]
    assert (case.source, case.status, case.category.code if case.category else None) == (
        "open311",
        "reported",
        "E0102",
    )
    assert (case.area_id, case.handling_area_id) == ("330102001051001", "330102001051001")
    assert (case.lon, case.lat) == (
        pytest.approx(GRID_A_GCJ[0], abs=1e-9),
        pytest.approx(GRID_A_GCJ[1], abs=1e-9),
    )
    assert case.title == "暴露垃圾：满地垃圾，无人清理"
    assert case.description == f"满地垃圾，无人清理\n已持续两天\n\n{zh(LANDMARK.label)}: 河坊街 12 号路灯"
    assert case.is_urgent is True
    # The key's account files the report but is not the resident: it cannot follow or rate it.
    assert case.events.get(action="report").actor == world.users["clerk"]
    assert (case.reporter, case.reporter_name, case.reporter_contact_masked) == (
        None,
        "张三",
        "138****5678",
    )
    assert "13812345678" not in case.reporter_contact_encrypted
    token = ApiToken.objects.get()
    events = list(
        CaseEvent.objects.filter(case=case).order_by("id").values_list("action", "to_status", "actor", "data")
    )
    assert events == [
        ("report", "reported", world.users["clerk"].pk, {"source": "open311"}),
        (
            "open311_received",
            "reported",
            world.users["clerk"].pk,
            {
                "service_code": "E0102",
                "attributes": {"urgent": "yes", "landmark": "河坊街 12 号路灯"},
                "device_id": "device-42",
                "account_id": "acct-7",
                "media_url": "https://img.example.com/p/1.jpg",
                "address_id": "",
                "wgs84": [pytest.approx(GRID_A_WGS[0]), pytest.approx(GRID_A_WGS[1])],
                "api_key_prefix": token.prefix,
            },
        ),
    ]

    queue = world.client("dispatcher").get("/api/v1/cases/", {"status": "reported"})
    assert queue.status_code == 200, queue.content
    assert [(item["number"], item["source"]) for item in queue.json()["items"]] == [(case.number, "open311")]
    assert (
        world.client("other_grid_worker").get("/api/v1/cases/", {"status": "reported"}).json()["items"] == []
    )


def test_a_post_by_address_or_area_code_is_located_in_the_area_tree(open311: Open311) -> None:
    by_address = open311.report(lat="", long="", address_string="清波街道清波门社区河坊街口")
    by_area = open311.report(lat="", long="", address_id="330102002001001")
    assert Case.objects.get(number=by_address["service_request_id"]).area_id == "330102001051"
    case = Case.objects.get(number=by_area["service_request_id"])
    assert (case.area_id, case.lon, case.lat, case.address) == ("330102002001001", None, None, "")


def test_a_post_in_xml(open311: Open311) -> None:
    response = open311.post("xml", **valid_fields(open311))
    assert response.status_code == 200
    root = xml_root(response.content, "service_requests")
    (request,) = root
    assert request.tag == "request"
    assert children(request) == ["service_request_id", "service_notice", "account_id"]
    assert request.findtext("service_request_id") == Case.objects.get().number
    assert is_empty(request, "account_id")


def test_the_idempotency_key_makes_a_retry_return_the_first_request(open311: Open311, world: World) -> None:
    fields = valid_fields(open311, description="井盖缺失", device_id="device-1")
    first = open311.post(headers={"Idempotency-Key": "order-1"}, **fields)
    before = written()
    retry = open311.post(headers={"Idempotency-Key": "order-1"}, **fields)
    assert retry.status_code == 200
    assert retry["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert valid("post-response", retry.json()) == first.json()
    assert written() == before
    assert Case.objects.get().idempotency_key == f"u{world.users['clerk'].pk}:order-1"

    # The same device sending the same text again without a key is a new report (possibly a duplicate).
    again = open311.post(**fields).json()[0]
    assert again["service_request_id"] != first.json()[0]["service_request_id"]
    assert first.json()[0]["service_request_id"] in again["service_notice"]

    # Another client's key "order-1" is its own.
    _token, other_key = issue_api_token(user=world.users["dispatcher"], name="other app")
    other = open311.post(headers={"Idempotency-Key": "order-1"}, **{**fields, "api_key": other_key}).json()[0]
    assert other["service_request_id"] not in {
        first.json()[0]["service_request_id"],
        again["service_request_id"],
    }
    assert Case.objects.count() == 3


def test_a_bad_idempotency_key_is_refused(open311: Open311) -> None:
    before = written()
    response = open311.post(headers={"Idempotency-Key": "x" * 81}, lang="en", **valid_fields(open311))
    assert assert_errors(response, "json", 400) == [
        "The request parameters are not valid. Idempotency-Key: 1 to 80 visible ASCII characters"
    ]
    assert written() == before


# ------------------------------------------------------------------------------------------ GET requests


def reported_on_the_web(world: World) -> Case:
    """A resident's web report with personal data, registered as 暴露垃圾."""
    report = case_actions.Report(
        source="web",
        title="垃圾桶满溢",
        description="张三家门口垃圾",
        address="河坊街 25 号 3 幢 501 室",
        lon=GRID_A_GCJ[0],
        lat=GRID_A_GCJ[1],
        reporter_name="张三",
        reporter_contact="13912345678",
    )
    case = case_actions.report_case(report, actor=world.users["resident"]).case
    return case_actions.register_case(case.pk, actor=world.users["clerk"], category_code="E0102")


def test_requests_show_public_fields_only(open311: Open311, world: World) -> None:
    number = open311.report(
        description="垃圾满溢",
        media_url="https://img.example.com/1.jpg",
        first_name="三",
        last_name="李",
        phone="13700000000",
    )["service_request_id"]
    web = reported_on_the_web(world)
    response = open311.get("requests.json")
    assert response.status_code == 200
    requests = valid("requests", response.json())
    assert [r["service_request_id"] for r in requests] == [web.number, number]
    content = response.content.decode()
    for personal in ("张三", "李三", "13912345678", "139****5678", "13700000000", "137****0000", "3 幢"):
        assert personal not in content
    ours = requests[1]
    case = Case.objects.get(number=number)
    assert ours == {
        "service_request_id": number,
        "status": "open",
        "status_notes": zh("reported"),
        "service_name": "暴露垃圾",
        "service_code": "E0102",
        "description": "垃圾满溢",
        "agency_responsible": "清波门社区第1网格",
        "service_notice": "",
        "requested_datetime": format_w3c(case.reported_at),
        "updated_datetime": format_w3c(case.updated_at),
        "expected_datetime": None,
        "address": "清波门社区第1网格",
        "address_id": "330102001051001",
        "zipcode": None,
        "lat": round(GRID_A_WGS[1], 6),
        "long": round(GRID_A_WGS[0], 6),
        "media_url": "https://img.example.com/1.jpg",
    }
    # A web report's text and address stay inside; its point is shown to about 100 m.
    web_request = requests[0]
    assert (web_request["description"], web_request["address"], web_request["status_notes"]) == (
        "",
        "清波门社区第1网格",
        zh("registered"),
    )
    assert (web_request["lat"], web_request["long"]) == (round(GRID_A_WGS[1], 3), round(GRID_A_WGS[0], 3))


def test_requests_in_xml_use_the_spec_names(open311: Open311) -> None:
    number = open311.report()["service_request_id"]
    root = xml_root(open311.get("requests.xml").content, "service_requests")
    (request,) = root
    assert request.tag == "request"
    assert children(request) == REQUEST_FIELDS
    assert request.findtext("service_request_id") == number
    assert request.findtext("status") == "open"
    assert is_empty(request, "zipcode")
    assert is_empty(request, "expected_datetime")

    one = xml_root(open311.get(f"requests/{number}.xml").content, "service_requests")
    assert [ET.tostring(e) for e in one] == [ET.tostring(request)]


def test_one_request_is_an_array_of_one(open311: Open311) -> None:
    number = open311.report()["service_request_id"]
    document = valid("requests", open311.get(f"requests/{number}.json").json())
    assert [r["service_request_id"] for r in document] == [number]


def test_dispatched_merged_and_voided_requests(open311: Open311, world: World) -> None:
    first = Case.objects.get(number=open311.report(description="第一次")["service_request_id"])
    duplicate = Case.objects.get(number=open311.report(description="又一次")["service_request_id"])
    voided = Case.objects.get(number=open311.report(description="测试")["service_request_id"])
    clerk, dispatcher = world.users["clerk"], world.users["dispatcher"]
    case_actions.register_case(first.pk, actor=clerk)
    department = world.departments["urban-management"]
    case_actions.dispatch_case(first.pk, actor=dispatcher, department_ids=[department.pk])
    case_actions.merge_case(duplicate.pk, into_case_id=first.pk, actor=clerk)
    case_actions.void_case(voided.pk, actor=clerk, reason="测试数据")
    first.refresh_from_db()
    duplicate.refresh_from_db()
    voided.refresh_from_db()

    listed = valid("requests", open311.get("requests.json").json())
    by_number = {r["service_request_id"]: r for r in listed}
    assert set(by_number) == {first.number, duplicate.number}  # a voided report is not republished
    dispatched = by_number[first.number]
    assert (dispatched["status"], dispatched["agency_responsible"]) == ("open", department.name)
    assert dispatched["expected_datetime"] == format_w3c(first.due_at)
    assert dispatched["expected_datetime"] is not None
    merged = by_number[duplicate.number]
    assert merged["status"] == "closed"
    assert merged["status_notes"] == zh(
        "Merged into request %(number)s, the same problem reported earlier."
    ) % {"number": first.number}
    assert merged["service_notice"] == zh("Follow request %(number)s instead.") % {"number": first.number}
    assert merged["updated_datetime"] == format_w3c(duplicate.closed_at)

    closed = valid("requests", open311.get("requests.json", status="closed").json())
    assert [r["service_request_id"] for r in closed] == [duplicate.number]
    opened = valid("requests", open311.get("requests.json", status="open").json())
    assert [r["service_request_id"] for r in opened] == [first.number]
    both = valid("requests", open311.get("requests.json", status="open,closed").json())
    assert [r["service_request_id"] for r in both] == [duplicate.number, first.number]

    # Asked for by number, a voided report answers as closed, without its text.
    (answer,) = valid("requests", open311.get(f"requests/{voided.number}.json").json())
    assert (answer["status"], answer["status_notes"], answer["description"]) == (
        "closed",
        zh("Not accepted as a case."),
        "",
    )
    ids = f"{voided.number},{first.number},nonsense"
    # service_request_id overrides every other parameter, even a bad one.
    picked = valid("requests", open311.get("requests.json", service_request_id=ids, status="bogus").json())
    assert [r["service_request_id"] for r in picked] == [voided.number, first.number]


def test_requests_filter_by_service_code_and_dates(open311: Open311) -> None:
    with time_machine.travel(now() - timedelta(days=100), tick=False):
        old = open311.report()["service_request_id"]
    garbage = open311.report()["service_request_id"]
    manhole = open311.report(service_code="E0101")["service_request_id"]

    def numbers(**params: Any) -> list[str]:
        return [
            r["service_request_id"] for r in valid("requests", open311.get("requests.json", **params).json())
        ]

    assert numbers() == [manhole, garbage]  # the last 90 days
    assert numbers(service_code="E0102") == [garbage]
    assert numbers(service_code="e0101,E0102") == [manhole, garbage]
    start = format_w3c(now() - timedelta(days=110))
    end = format_w3c(now() - timedelta(days=80))
    assert numbers(start_date=start, end_date=end) == [old]
    assert numbers(start_date=start) == [old]  # to 90 days after the start
    assert numbers(end_date=end) == [old]  # from 90 days before the end
    assert numbers(start_date=(now() - timedelta(days=1)).date().isoformat()) == [manhole, garbage]


def test_requests_cost_three_queries_however_many(open311: Open311, world: World) -> None:
    open311.report()
    with CaptureQueriesContext(connection) as one:
        assert len(open311.get("requests.json").json()) == 1
    for _ in range(4):
        open311.report()
    reported_on_the_web(world)
    with CaptureQueriesContext(connection) as six:
        assert len(open311.get("requests.json").json()) == 6
    assert len(one) == len(six) == 3


def test_reading_needs_no_key(world: World, open311: Open311) -> None:
    open311.report()
    anonymous = Client()
    assert anonymous.get(f"{BASE}/requests.json").status_code == 200
    assert anonymous.get(f"{BASE}/services.json").status_code == 200
