"""The cockpit API over HTTP: the same figures as the queries, for the caller's area only."""

from typing import Any

import pytest
from django.test import Client

from gridgov.accounts.queries import get_scope
from gridgov.areas.models import Area
from gridgov.cases.models import OPEN_STATUSES, Case
from gridgov.cockpit import queries
from gridgov.evaluation.indicators import as_float
from tests.cockpit.conftest import DISTRICT, NOW, OTHER_STREET
from tests.evaluation.conftest import COMMUNITY_A, STREET, Town

pytestmark = pytest.mark.usefixtures("at_now")


def client_of(month: Town, name: str) -> Client:
    client = Client()
    client.force_login(month.users[name])
    return client


def test_summary_defaults_to_the_callers_area_and_matches_the_tables(month: Town) -> None:
    response = client_of(month, "street_leader").get("/api/v1/cockpit/summary")
    assert response.status_code == 200
    body = response.json()
    street_cases = Case.objects.filter(area__code__startswith="330102001")
    assert body["area"] == {"code": STREET, "name": "清波街道", "level": "street"}
    assert body["open_now"] == street_cases.filter(status__in=OPEN_STATUSES).count()
    assert body["overdue_now"] == street_cases.filter(status__in=OPEN_STATUSES, light="red").count()
    expected = queries.summary(get_scope(month.users["street_leader"]), Area.objects.get(code=STREET), NOW)
    assert body["intake_today"] == expected.intake_today
    assert body["on_time_closure_rate"] == as_float(expected.on_time_closure_rate)
    assert body["day"] == "2026-11-20"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/cockpit/summary?area={code}",
        "/api/v1/cockpit/areas?parent={code}",
        "/api/v1/cockpit/trends?area={code}",
        "/api/v1/cockpit/categories?area={code}",
        "/api/v1/cockpit/sources?area={code}",
        "/api/v1/cockpit/hotspots?area={code}",
        "/api/v1/cockpit/feed?area={code}",
        "/api/v1/cockpit/overview?area={code}",
    ],
)
def test_a_street_leader_gets_404_for_the_other_street_and_the_district(month: Town, path: str) -> None:
    client = client_of(month, "street_leader")
    assert client.get(path.format(code=COMMUNITY_A)).status_code == 200
    for code in (OTHER_STREET, DISTRICT, "330102002001001"):
        response = client.get(path.format(code=code))
        assert (response.status_code, response.json()["code"]) == (404, "cockpit_area_not_found"), code


def test_area_figures_colour_the_communities_of_the_street(month: Town) -> None:
    body = client_of(month, "district_leader").get(f"/api/v1/cockpit/areas?parent={STREET}").json()
    assert body["level"] == "community"
    for item in body["items"]:
        open_cases = Case.objects.filter(area__code__startswith=item["code"][:12], status__in=OPEN_STATUSES)
        assert (item["open"], item["overdue"]) == (open_cases.count(), open_cases.filter(light="red").count())
    assert len(body["items"]) == 2


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("level=district", 400),
        ("level=planet", 400),
        ("bbox=1,2,3", 400),
        ("bbox=3,2,1,4", 400),
        ("level=grid", 200),
    ],
)
def test_bad_map_queries_are_refused(month: Town, query: str, status: int) -> None:
    response = client_of(month, "district_leader").get(f"/api/v1/cockpit/areas?parent={STREET}&{query}")
    assert response.status_code == status, response.content
    if status == 400:
        assert response.json()["code"] == "cockpit_query_invalid"


def test_the_feed_goes_on_from_the_last_id(month: Town) -> None:
    client = client_of(month, "street_leader")
    first = client.get("/api/v1/cockpit/feed?limit=3").json()
    newest = list(Case.objects.filter(area__code__startswith="330102001").order_by("-id")[:3])
    assert [item["number"] for item in first["items"]] == [case.number for case in newest]
    assert first["last_id"] == newest[0].pk
    after = month.cases["P2"]
    page = client.get(f"/api/v1/cockpit/feed?after={after}&limit=2").json()
    expected = list(Case.objects.filter(area__code__startswith="330102001", pk__gt=after).order_by("id")[:2])
    assert [item["id"] for item in page["items"]] == [case.pk for case in reversed(expected)]
    assert page["last_id"] == expected[-1].pk
    assert client.get("/api/v1/cockpit/feed?limit=1000").status_code == 422


def test_overview_holds_every_panel(month: Town) -> None:
    body: dict[str, Any] = (
        client_of(month, "district_leader").get(f"/api/v1/cockpit/overview?area={STREET}").json()
    )
    assert [crumb["code"] for crumb in body["breadcrumb"]] == [DISTRICT, STREET]
    assert body["child_level"] == "community"
    assert len(body["trends"]) == 30
    assert sum(share["count"] for share in body["sources"]["items"]) == body["sources"]["total"] > 0
    assert (
        body["summary"]["open_now"]
        == Case.objects.filter(area__code__startswith="330102001", status__in=OPEN_STATUSES).count()
    )
    assert body["hot_spots"][0]["count"] >= body["hot_spots"][-1]["count"]


def test_anonymous_callers_are_refused(month: Town) -> None:
    assert Client().get("/api/v1/cockpit/summary").status_code == 401
