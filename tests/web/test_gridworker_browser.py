"""The grid worker's page in a real browser (chromium through Playwright) against the live server:
offline reports wait on the phone and arrive exactly once when the network is back."""

import uuid
from typing import Any

import pytest

from gridgov.cases import actions as case_actions
from gridgov.cases.models import Case
from gridgov.gridwork import actions
from gridgov.gridwork.models import HouseholdVisit, Patrol, PatrolPoint
from tests.cases.conftest import GRID_A, World
from tests.gridwork.conftest import GPS_IN_GRID_A, IN_GRID_A
from tests.web.conftest import log_in as log_context_in

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page: Any, world: World, live_server: Any, name: str = "grid_worker") -> None:
    """Log the page in as one of the world's users."""
    log_context_in(page.context, world.users[name], live_server.url)


def allow_gps(page: Any, live_server: Any, lon: float, lat: float, accuracy: float = 8) -> None:
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": accuracy})


def waiting(page: Any) -> int:
    return int(page.locator("#outbox").get_attribute("data-waiting"))


def open_grid_page(page: Any, world: World, live_server: Any) -> None:
    log_in(page, world, live_server)
    allow_gps(page, live_server, *GPS_IN_GRID_A)
    page.goto(f"{live_server.url}/grid/")
    page.locator("#net-status.on").wait_for()
    # The service worker installed and took the page over (its scope covers /grid/).
    page.wait_for_function(
        "navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=15_000
    )


def report(page: Any, description: str, waiting_after: int, category: str = "E0102") -> None:
    page.locator("#tab-report").click()
    page.select_option("#report-category", category)
    page.fill("#report-description", description)
    page.locator("#report-gps").click()
    page.wait_for_function("document.querySelector('#report-lon').value !== ''")
    page.locator("#report-submit").click()
    page.locator("#report-status.waiting").wait_for()
    page.wait_for_function(f"document.querySelector('#outbox').dataset.waiting === '{waiting_after}'")


def test_reports_made_offline_wait_on_the_phone_and_arrive_once_online(
    world: World, live_server: Any, page: Any, screenshot: Any
) -> None:
    open_grid_page(page, world, live_server)
    before = set(Case.objects.values_list("pk", flat=True))

    page.context.set_offline(True)
    page.locator("#net-status.off").wait_for()
    report(page, "离线上报一：路边垃圾堆积", waiting_after=1)
    report(page, "离线上报二：井盖松动", waiting_after=2)
    assert waiting(page) == 2
    assert page.locator("#outbox-count").inner_text() == "2"
    assert page.locator("#outbox-items li.waiting").count() == 2
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "grid-report")
    assert set(Case.objects.values_list("pk", flat=True)) == before  # nothing reached the server

    page.context.set_offline(False)
    page.wait_for_function("document.querySelector('#outbox').dataset.waiting === '0'", timeout=20_000)
    new = Case.objects.exclude(pk__in=before)
    assert sorted(new.values_list("description", flat=True)) == [
        "离线上报一：路边垃圾堆积",
        "离线上报二：井盖松动",
    ]
    for case in new:
        assert (case.area_id, case.source, case.status, case.reporter) == (
            GRID_A,
            "grid_patrol",
            "registered",
            world.users["grid_worker"],
        )
        # The phone's WGS-84 position, converted on the server to the stored system.
        assert (case.lon, case.lat) == pytest.approx(IN_GRID_A, abs=1e-5)
    numbers = set(new.values_list("number", flat=True))
    sent = page.locator("#outbox-sent").inner_text()
    assert all(number in sent for number in numbers)
    # Back online, nothing is sent twice however often the outbox runs.
    page.evaluate("window.gridgovGridPage.flush(true)")
    assert Case.objects.exclude(pk__in=before).count() == 2


def test_a_report_resent_after_a_lost_answer_makes_one_case(
    world: World, live_server: Any, page: Any
) -> None:
    """The same queued item posted twice, as a phone does when the first answer never arrived."""
    open_grid_page(page, world, live_server)
    key = str(uuid.uuid4())
    statuses = page.evaluate(
        """async (key) => {
            const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
            const send = () => {
                const form = new FormData();
                form.append("client_id", key);
                form.append("category", "E0102");
                form.append("description", "同一条上报发了两次");
                return fetch("/api/v1/gridwork/reports", {method: "POST", body: form,
                    headers: {"X-CSRFToken": token}, credentials: "same-origin"});
            };
            const first = await send();
            const second = await send();
            const numbers = [(await first.json()).case.number, (await second.json()).case.number];
            return [first.status, second.status, ...numbers];
        }""",
        key,
    )
    assert statuses[:2] == [201, 200]
    assert statuses[2] == statuses[3]
    assert Case.objects.filter(description="同一条上报发了两次").count() == 1


def test_the_outbox_keeps_an_item_whose_answer_was_lost_and_the_retry_stores_it_once(
    world: World, live_server: Any, page: Any
) -> None:
    """The server stores the visit but the answer never reaches the phone: the item stays in the
    outbox, is sent again, and the server (idempotent on the UUID) keeps one visit."""
    open_grid_page(page, world, live_server)
    calls = {"count": 0}

    def lose_first_answer(route: Any) -> None:
        calls["count"] += 1
        if calls["count"] == 1:
            route.fetch()  # the server receives and stores it
            route.abort("connectionreset")  # ...and the answer is lost
        else:
            route.continue_()

    page.route("**/api/v1/gridwork/visits", lose_first_answer)
    page.locator("#tab-visits").click()
    page.fill("#visit-household", "5幢3单元202 李奶奶")
    page.select_option("#visit-purpose", "elderly_care")
    page.locator("#visit-submit").click()
    page.locator("#visit-status.waiting, #visit-status.ok").wait_for()
    # "Send now" until the outbox is empty (each call resolves when its round is over).
    for _attempt in range(5):
        page.evaluate("window.gridgovGridPage.flush(true)")
        if waiting(page) == 0:
            break
    # The item was sent again after the lost answer (it had stayed on the phone), and stored once.
    assert calls["count"] == 2
    assert waiting(page) == 0
    assert HouseholdVisit.objects.filter(household="5幢3单元202 李奶奶").count() == 1


def test_a_patrol_records_positions_and_its_length(world: World, live_server: Any, page: Any) -> None:
    open_grid_page(page, world, live_server)
    page.locator("#tab-patrol").click()
    page.locator("#patrol-start").click()
    page.locator("#patrol-box[data-running=true]").wait_for()
    lon, lat = GPS_IN_GRID_A
    for step in range(1, 4):  # walk north 30 m at a time
        page.context.set_geolocation(
            {"longitude": lon, "latitude": lat + step * 30 / 111_195.0, "accuracy": 5}
        )
        page.wait_for_function(f"document.querySelector('#patrol-points').textContent === '{step + 1}'")
    assert int(page.locator("#patrol-distance").inner_text()) == pytest.approx(90, abs=2)
    page.locator("#patrol-stop").click()
    ended = page.evaluate("JSON.parse(document.getElementById('grid-page-data').textContent).texts.patrolEnd")
    page.locator("#outbox-sent li", has_text=ended).wait_for(timeout=20_000)
    assert waiting(page) == 0
    patrol = Patrol.objects.get()
    assert patrol.ended_at is not None and patrol.area_id == GRID_A
    assert (patrol.point_count, PatrolPoint.objects.count()) == (4, 4)
    assert patrol.distance_m == pytest.approx(90, rel=0.02)


def test_the_page_opens_offline_from_the_service_workers_copy(
    world: World, live_server: Any, page: Any
) -> None:
    open_grid_page(page, world, live_server)
    page.context.set_offline(True)
    page.reload()
    page.locator("#net-status.off").wait_for()
    assert page.locator("#report-form").count() == 1
    assert page.evaluate("typeof window.L") == "object"  # Leaflet came from the cache too
    page.locator("#tab-visits").click()
    page.fill("#visit-household", "7幢1单元101")
    page.locator("#visit-submit").click()
    page.locator("#visit-list li.pending", has_text="7幢1单元101").wait_for()
    assert waiting(page) == 1
    page.context.set_offline(False)
    page.wait_for_function("document.querySelector('#outbox').dataset.waiting === '0'", timeout=20_000)
    assert HouseholdVisit.objects.get().household == "7幢1单元101"


def field_report(world: World, description: str, north_m: float = 0) -> int:
    lon, lat = GPS_IN_GRID_A
    report = actions.FieldReport(
        client_id=uuid.uuid4(),
        description=description,
        category_code="E0102",
        lon=lon + north_m / 96_000.0,
        lat=lat + north_m / 111_195.0,
    )
    return actions.report_from_field(report, actor=world.users["grid_worker"]).case.pk


def test_the_map_and_the_tasks_at_phone_size(
    world: World, live_server: Any, page: Any, screenshot: Any
) -> None:
    public = world.report(lon=IN_GRID_A[0] - 0.002, lat=IN_GRID_A[1] + 0.002, title="楼道堆放杂物")
    being_handled = field_report(world, "花坛边有建筑垃圾", north_m=-250)
    case_actions.handle_locally(being_handled, actor=world.users["grid_worker"])
    waiting_case = field_report(world, "垃圾桶满溢", north_m=300)
    open_grid_page(page, world, live_server)
    page.locator("#grid-map .leaflet-interactive").first.wait_for()
    assert page.locator("#grid-map path.leaflet-interactive").count() >= 3  # the boundary and markers
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "grid-map")

    page.locator("#tab-tasks").click()
    tasks = page.locator("#task-list > li.task")
    assert tasks.count() == 3
    for case_id in (public["id"], being_handled, waiting_case):
        page.locator(f"#task-{case_id}").wait_for()
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "grid-tasks")

    page.locator(f"#task-{public['id']} button[name=genuine][value=yes]").click()
    page.wait_for_url(f"{live_server.url}/grid/#tasks")
    assert Case.objects.get(pk=public["id"]).events.filter(action="verify").count() == 1
    assert page.locator(f"#task-{public['id']}").count() == 0
    assert page.locator("#tasks").is_visible()  # back on the tasks panel
