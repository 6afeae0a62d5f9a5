"""The cockpit page and its event stream through Django's test client: who may open them, what the
page shows, and how the stream resumes and ends."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client, override_settings

from gridgov.accounts.models import Role, User
from gridgov.areas.models import Area
from gridgov.cases.models import OPEN_STATUSES, Case
from tests.cases.conftest import GRID_A, GRID_C, World

QUICK_STREAM = {
    "GRIDGOV_COCKPIT_STREAM_SECONDS": 0.3,
    "GRIDGOV_COCKPIT_POLL_SECONDS": 0.02,
    "GRIDGOV_COCKPIT_HEARTBEAT_SECONDS": 0.1,
}


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def tile(html: str, key: str) -> str:
    """The text of a tile's value in the page."""
    start = html.index(f'data-kpi="{key}"')
    value = html.index("data-value", start)
    return html[html.index(">", value) + 1 : html.index("</p>", value)].strip()


def read_stream(response: Any) -> str:
    return b"".join(response.streaming_content).decode()


def event_ids(text: str) -> list[int]:
    return [int(line[4:]) for line in text.splitlines() if line.startswith("id: ")]


def test_anonymous_visitors_go_to_the_login_page(db: None) -> None:
    for path in ("/cockpit/", "/cockpit/events/"):
        response = Client().get(path)
        assert response.status_code == 302 and "login" in response["Location"], path


@pytest.mark.parametrize("role", ["resident", "grid_worker", "community_worker", "clerk", "handler"])
def test_other_roles_are_refused(world: World, role: str) -> None:
    for path in ("/cockpit/", "/cockpit/events/"):
        assert world.client(role).get(path).status_code == 403, (role, path)


def test_leaders_dispatchers_administrators_and_superusers_open_it(
    world: World, make_user: Callable[..., User]
) -> None:
    admin = make_user("admin", Role.ADMINISTRATOR)
    superuser = make_user("root")
    superuser.is_superuser = True
    superuser.save()
    for client in (
        world.client("leader"),
        world.client("dispatcher"),
        logged_in(admin),
        logged_in(superuser),
    ):
        response = client.get("/cockpit/")
        assert response.status_code == 200
        assert 'id="cockpit-map"' in response.content.decode()


def test_the_tiles_show_the_figures_of_the_database(world: World) -> None:
    first = world.report(title="井盖缺失")
    world.report(title="路灯不亮", lon=120.145, lat=30.205)  # grid C, the other street
    world.act("clerk", first["id"], "register", {"category": "E0102"})
    html = world.client("leader").get("/cockpit/").content.decode()
    district = Case.objects.filter(area__code__startswith="330102")
    assert tile(html, "intake_today") == str(district.count())
    assert tile(html, "open_now") == str(district.filter(status__in=OPEN_STATUSES).count())
    assert tile(html, "overdue_now") == str(district.filter(light="red").count())
    assert tile(html, "on_time_closure_rate") == "—"  # nothing closed or overdue yet
    assert "井盖缺失" in html and "路灯不亮" in html
    # The street of grid A only: the case of grid C is not counted, nor listed.
    street = world.client("leader").get("/cockpit/?area=330102001000").content.decode()
    assert tile(street, "intake_today") == str(district.filter(area__code__startswith="330102001").count())
    assert "路灯不亮" not in street
    assert '<span aria-current="page">清波街道</span>' in street


def test_an_area_outside_the_scope_is_not_found(world: World, make_user: Callable[..., User]) -> None:
    street_leader = make_user("street-leader", Role.LEADER, Area.objects.get(code="330102001000"))
    client = logged_in(street_leader)
    assert client.get("/cockpit/").status_code == 200
    for code in ("330102002000", "330102000000", GRID_C, "nonsense"):
        assert client.get(f"/cockpit/?area={code}").status_code == 404, code
        assert client.get(f"/cockpit/events/?area={code}").status_code == 404, code


@pytest.fixture
def quick_stream() -> Iterator[None]:
    with override_settings(**QUICK_STREAM):
        yield


def test_the_stream_resumes_after_last_event_id_and_ends(world: World, quick_stream: None) -> None:
    ids = [world.report(title=f"第{n}件")["id"] for n in range(3)]
    response = world.client("leader").get("/cockpit/events/", HTTP_LAST_EVENT_ID=str(ids[0]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    assert response["Cache-Control"] == "no-cache"
    text = read_stream(response)  # returns: the stream ends by itself
    assert text.startswith("retry: ")
    assert event_ids(text) == ids[1:]
    assert text.count("event: case") == 2
    assert ": heartbeat" in text  # quiet after the two cases: comment lines keep proxies open
    second = Case.objects.get(pk=ids[1])
    assert f'"number": "{second.number}"' in text and '"title": "第1件"' in text


def test_last_event_id_wins_over_after_and_no_cursor_means_from_now(world: World, quick_stream: None) -> None:
    ids = [world.report(title=f"第{n}件")["id"] for n in range(3)]
    client = world.client("leader")
    assert event_ids(read_stream(client.get(f"/cockpit/events/?after={ids[0]}"))) == ids[1:]
    resumed = client.get(f"/cockpit/events/?after={ids[0]}", HTTP_LAST_EVENT_ID=str(ids[1]))
    assert event_ids(read_stream(resumed)) == ids[2:]
    assert event_ids(read_stream(client.get("/cockpit/events/"))) == []


def test_a_case_reported_while_the_stream_is_open_arrives_once(world: World, quick_stream: None) -> None:
    before = world.report(title="之前的")["id"]
    response: Any = world.client("leader").get("/cockpit/events/")
    chunks = iter(response.streaming_content)
    assert next(chunks).startswith(b"retry:")
    new = world.report(title="刚刚上报")["id"]
    rest = b"".join(chunks).decode()
    assert event_ids(rest) == [new] and before < new


def test_the_stream_keeps_to_the_area_and_the_scope(
    world: World, quick_stream: None, make_user: Callable[..., User]
) -> None:
    in_a = world.report(title="清波的")["id"]
    in_c = world.report(title="湖滨的", lon=120.145, lat=30.205)["id"]
    assert Case.objects.get(pk=in_c).area_id == GRID_C and Case.objects.get(pk=in_a).area_id == GRID_A
    leader = world.client("leader")
    assert event_ids(read_stream(leader.get("/cockpit/events/?after=0"))) == [in_a, in_c]
    assert event_ids(read_stream(leader.get("/cockpit/events/?after=0&area=330102001000"))) == [in_a]
    street_leader = make_user("street-leader", Role.LEADER, Area.objects.get(code="330102001000"))
    assert event_ids(read_stream(logged_in(street_leader).get("/cockpit/events/?after=0"))) == [in_a]
