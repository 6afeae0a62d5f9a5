"""Errors of the JSON API: one shape, a stable code, a translated message."""

from collections.abc import Callable

from django.test import Client

from gridgov.accounts.models import Role, User
from gridgov.areas.models import Area


def test_validation_errors_are_json_with_a_stable_code(
    small_tree: dict[str, Area], make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    client = client_for(make_user("leader", Role.LEADER, small_tree["district"]))
    response = client.get("/api/v1/areas/locate?lon=east&lat=30.2")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_input"
    assert body["message"] == "输入无效。"
    assert body["details"]["errors"][0]["loc"] == ["query", "lon"]
    english = client.get("/api/v1/areas/locate?lon=east&lat=30.2&lang=en").json()
    assert english["message"] == "The input is not valid."


def test_domain_errors_render_with_their_status_and_details(
    small_tree: dict[str, Area], make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    client = client_for(make_user("leader", Role.LEADER, small_tree["district"]))
    response = client.get("/api/v1/areas/locate?lon=200&lat=30.2&lang=en")
    assert response.status_code == 400
    assert response.json() == {
        "code": "point_invalid",
        "message": "The point is not a valid longitude and latitude.",
        "details": {"lon": 200.0, "lat": 30.2},
    }
