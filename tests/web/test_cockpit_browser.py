"""The cockpit in a real browser (chromium through Playwright) against the live server: the tiles
against the database, a case reported meanwhile arriving in the live feed, and a drill-down."""

import os
from collections.abc import Iterator
from typing import Any

import pytest

from gridgov.areas.actions import AreaRow, upsert_areas
from gridgov.areas.models import BoundarySource
from gridgov.cases import actions
from gridgov.cases.models import OPEN_STATUSES, Case
from gridgov.core.area_codes import Level
from tests.cases.conftest import World
from tests.web.conftest import SCREENSHOTS, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def box(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def town(world: World, settings: Any) -> World:
    """The world's grids with boundaries drawn round their streets and communities, and some cases."""
    # Short streams: the browser reconnects every few seconds with Last-Event-ID (the resume path).
    settings.GRIDGOV_COCKPIT_STREAM_SECONDS = 4
    settings.GRIDGOV_COCKPIT_POLL_SECONDS = 0.3
    settings.GRIDGOV_COCKPIT_HEARTBEAT_SECONDS = 1
    upsert_areas(
        [
            AreaRow(
                "330102001000",
                "清波街道",
                Level.STREET,
                "330102000000",
                box(120.095, 30.195, 120.135, 30.215),
            ),
            AreaRow(
                "330102001051",
                "清波门社区",
                Level.COMMUNITY,
                "330102001000",
                box(120.095, 30.195, 120.135, 30.215),
            ),
            AreaRow(
                "330102002000",
                "湖滨街道",
                Level.STREET,
                "330102000000",
                box(120.137, 30.195, 120.155, 30.215),
            ),
            AreaRow(
                "330102002001",
                "东坡路社区",
                Level.COMMUNITY,
                "330102002000",
                box(120.137, 30.195, 120.155, 30.215),
            ),
        ],
        actor_label="tests",
        boundary_source=BoundarySource.IMPORTED,
    )
    closed = world.report(title="垃圾桶满溢")["id"]
    world.act("clerk", closed, "register", {"category": "E0102"})
    world.act(
        "dispatcher", closed, "dispatch", {"department_ids": [world.departments["urban-management"].pk]}
    )
    world.act("handler", closed, "sign")
    world.client("handler").post(f"/api/v1/cases/{closed}/done", {"note": "已清运"})
    world.act("grid_worker", closed, "check", {"passed": True})
    world.act("leader", closed, "close")
    world.act("resident", closed, "rate", {"rating": 5, "satisfied": True})
    dispatched = world.report(title="井盖松动", lon=120.106, lat=30.206)["id"]
    world.act("clerk", dispatched, "register", {"category": "C0101"})
    world.act(
        "dispatcher", dispatched, "dispatch", {"department_ids": [world.departments["urban-management"].pk]}
    )
    world.report(title="路灯不亮", lon=120.125, lat=30.205)
    world.report(title="占道经营", lon=120.126, lat=30.206)
    world.report(title="噪音扰民", lon=120.145, lat=30.205)  # the other street
    return world


@pytest.fixture
def cockpit(browser: Any, live_server: Any, town: World) -> Iterator[Any]:
    """The leader's cockpit on a 1280×800 screen, logged in."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    log_in(context, town.users["leader"], live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/cockpit/")
    page.wait_for_selector("#cockpit-map[data-areas-loaded]")
    yield page
    context.close()


def tile(page: Any, key: str) -> str:
    return str(page.locator(f'[data-kpi="{key}"] [data-value]').inner_text()).strip()


def figures_of(prefix: str) -> dict[str, str]:
    cases = Case.objects.filter(area__code__startswith=prefix)
    return {
        "intake_today": str(cases.count()),  # every case of this test was reported today
        "open_now": str(cases.filter(status__in=OPEN_STATUSES).count()),
        "overdue_now": str(cases.filter(status__in=OPEN_STATUSES, light="red").count()),
    }


def test_the_cockpit_shows_the_databases_figures_the_live_feed_and_drills_down(
    cockpit: Any, live_server: Any, screenshot: Any
) -> None:
    page = cockpit
    district = figures_of("330102")
    assert {key: tile(page, key) for key in district} == district
    assert tile(page, "satisfaction_rate") == "100.0%"  # one rating, satisfied
    assert page.locator("#cockpit-crumbs [aria-current=page]").inner_text() == "上城区"
    assert int(page.locator("#cockpit-map").get_attribute("data-areas-loaded")) == 2  # the two streets
    page.wait_for_function("document.querySelector('#chart-trend canvas') !== null")

    # A case reported now, through the real action, appears at the top of the live feed.
    page.locator("#feed-status[data-state=live]").wait_for()
    new = actions.report_case(
        actions.Report(source="hotline", title="消防通道被占", lon=120.107, lat=30.204), actor=None
    ).case
    arrived = page.locator(f'#cockpit-feed li[data-id="{new.pk}"]')
    arrived.wait_for()
    assert new.number in arrived.inner_text()
    assert page.locator("#cockpit-feed li").first.get_attribute("data-id") == str(new.pk)
    page.wait_for_function(
        "n => document.querySelector('[data-kpi=intake_today] [data-value]').textContent.trim() === n",
        arg=figures_of("330102")["intake_today"],
        timeout=20_000,
    )

    # Drill down: click inside 清波街道 on the map.
    point = page.evaluate(
        "([lat, lon]) => { const p = window.gridgovCockpit.map().latLngToContainerPoint([lat, lon]);"
        " return {x: p.x, y: p.y}; }",
        [30.2, 120.115],
    )
    page.locator("#cockpit-map").click(position=point)
    page.locator("#cockpit-crumbs [aria-current=page]", has_text="清波街道").wait_for()
    assert page.locator("#cockpit-crumbs a").all_inner_texts() == ["上城区"]
    street = figures_of("330102001")
    page.wait_for_function(
        "n => document.querySelector('[data-kpi=intake_today] [data-value]').textContent.trim() === n",
        arg=street["intake_today"],
    )
    assert {key: tile(page, key) for key in street} == street
    assert street["intake_today"] != figures_of("330102")["intake_today"]
    assert page.url.endswith("/cockpit/?area=330102001000")
    page.wait_for_function("document.querySelector('#cockpit-map').dataset.areasLevel === 'community'")
    assert "噪音扰民" not in page.locator("#cockpit-feed").inner_text()  # the feed follows the area

    # Back up through the breadcrumb.
    page.locator("#cockpit-crumbs a", has_text="上城区").click()
    page.locator("#cockpit-crumbs [aria-current=page]", has_text="上城区").wait_for()
    page.wait_for_function(
        "n => document.querySelector('[data-kpi=intake_today] [data-value]').textContent.trim() === n",
        arg=figures_of("330102")["intake_today"],
    )

    # Screenshots last: resizing the window moves the map.
    screenshot(page, "cockpit")
    if os.environ.get("GRIDGOV_SCREENSHOTS") == "1":
        page.set_viewport_size({"width": 1920, "height": 1080})
        page.wait_for_timeout(800)  # charts redraw on resize
        page.screenshot(path=str(SCREENSHOTS / "cockpit-1920.png"))


def test_the_map_can_be_driven_from_the_keyboard(cockpit: Any) -> None:
    page = cockpit
    page.locator("#cockpit-drill option", has_text="湖滨街道").wait_for(state="attached")
    page.locator("#cockpit-drill").focus()
    page.select_option("#cockpit-drill", label="湖滨街道")
    page.locator("#cockpit-crumbs [aria-current=page]", has_text="湖滨街道").wait_for()
    other = figures_of("330102002")
    page.wait_for_function(
        "n => document.querySelector('[data-kpi=open_now] [data-value]').textContent.trim() === n",
        arg=other["open_now"],
    )
    assert {key: tile(page, key) for key in other} == other
