"""A real Open311 client (PyPI `georeport`) against a real running server (pytest-django's live_server).

The client reads; it has no POST, so a request is created with a plain form-encoded `requests.post`,
as every GeoReport client sends it. The new request must then show in the district dispatcher's
queue of the REST API, read over HTTP with the dispatcher's bearer token.
"""

import gc
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from georeport import GeoReport

from gridgov.accounts.actions import issue_api_token
from gridgov.cases.models import Case
from tests.cases.conftest import World
from tests.open311.conftest import GRID_A_WGS, valid

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 10


@pytest.fixture
def server(world: World, live_server: Any) -> Iterator[str]:
    """The live server's Open311 root, after the world is built.

    After the test, let the server's request threads end: each holds a database connection until its
    keep-alive socket closes, and PostgreSQL refuses to drop the test database while one is open.
    Client sockets kept alive by reference cycles (an HTTPError and its traceback) close on
    collection; then the threads are joined.
    """
    yield f"{live_server.url}/open311/v2"
    gc.collect()
    for thread in threading.enumerate():
        if thread.name.endswith("(process_request_thread)"):
            thread.join(timeout=10)


def post_request(base: str, api_key: str, fmt: str = "json", **fields: Any) -> requests.Response:
    lon, lat = GRID_A_WGS
    body = {
        "api_key": api_key,
        "service_code": "E0102",
        "lat": f"{lat:.7f}",
        "long": f"{lon:.7f}",
        "description": "垃圾桶满溢，气味很大",
        "attribute[urgent]": "no",
        "attribute[landmark]": "清波门公交站",
        **fields,
    }
    return requests.post(f"{base}/requests.{fmt}", data=body, timeout=TIMEOUT)


def test_georeport_client_reads_and_a_form_post_reaches_the_dispatcher(
    world: World, api_key: str, server: str, live_server: Any
) -> None:
    base = server
    client = GeoReport(base)

    services = valid("services", client.get_service_list())
    assert {"service_code": "E0102", "service_name": "暴露垃圾", "group": "市容环境"}.items() <= next(
        s for s in services if s["service_code"] == "E0102"
    ).items()
    definition = valid("service-definition", client.get_service_definition("E0102"))
    assert [a["code"] for a in definition["attributes"]] == ["urgent", "landmark", "observed_at"]
    assert valid("requests", client.get_service_requests()) == []

    response = post_request(base, api_key)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    (created,) = valid("post-response", response.json())
    number = created["service_request_id"]
    case = Case.objects.get(number=number)
    assert (case.source, case.status, case.area_id) == ("open311", "reported", "330102001051001")

    listed = valid("requests", client.get_service_requests())
    assert [r["service_request_id"] for r in listed] == [number]
    one = client.get_service_request(number)
    assert valid("requests", [one])[0]["status"] == "open"
    assert one["description"].startswith("垃圾桶满溢，气味很大")
    assert valid("requests", client.get_service_requests(service_request_id=number, status="closed")) == [one]
    assert client.get_service_requests(status="closed") == []

    _token, dispatcher_key = issue_api_token(user=world.users["dispatcher"], name="dispatcher console")
    queue = requests.get(
        f"{live_server.url}/api/v1/cases/",
        params={"status": "reported"},
        headers={"Authorization": f"Bearer {dispatcher_key}"},
        timeout=TIMEOUT,
    )
    assert queue.status_code == 200, queue.text
    assert [(item["number"], item["source"], item["status"]) for item in queue.json()["items"]] == [
        (number, "open311", "reported")
    ]


def test_georeport_client_reads_xml(api_key: str, server: str) -> None:
    base = server
    response = post_request(base, api_key, fmt="xml")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    number = Case.objects.get().number
    assert f"<service_request_id>{number}</service_request_id>" in response.text

    client = GeoReport(base, output_format="xml")
    services = client.get_service_list()
    e0102 = next(s for s in services if s["service_code"] == "E0102")
    assert (e0102["service_name"], e0102["metadata"], e0102["type"], e0102["group"]) == (
        "暴露垃圾",
        "true",
        "realtime",
        "市容环境",
    )
    definition = client.get_service_definition("E0102")
    attributes = definition["attributes"]["attribute"]
    assert [a["code"] for a in attributes] == ["urgent", "landmark", "observed_at"]
    assert [v["key"] for v in attributes[0]["values"]["value"]] == ["yes", "no"]
    # One request: xmltodict gives the element itself rather than a list of one.
    listed = client.get_service_requests()
    assert (listed["service_request_id"], listed["status"], listed["service_code"]) == (
        number,
        "open",
        "E0102",
    )
    assert client.get_service_request(number) == listed


def test_georeport_client_sees_spec_errors(api_key: str, server: str) -> None:
    base = server
    client = GeoReport(base)
    with pytest.raises(requests.HTTPError) as raised:
        client.get_service_definition("X9999")
    refused = raised.value.response
    assert refused is not None
    assert refused.status_code == 404
    valid("errors", refused.json())
    missing_key = post_request(base, "")
    assert missing_key.status_code == 403
    assert [error["code"] for error in valid("errors", missing_key.json())] == [403]
    nowhere = post_request(base, api_key, lat="", long="", fmt="xml")
    assert nowhere.status_code == 400
    assert "<errors><error><code>400</code>" in nowhere.text
    assert Case.objects.count() == 0
