"""The resident pages in a real browser (chromium through Playwright) against the live server."""

from typing import Any

import pytest
from django.utils import translation

from gridgov.cases.models import Case
from tests.cases.conftest import GRID_B, World

pytestmark = pytest.mark.django_db(transaction=True)


def click_on_map(page: Any, lon: float, lat: float) -> None:
    """A real mouse click on the map at the screen position of (lon, lat)."""
    point = page.evaluate(
        "([lat, lon]) => { const p = window.gridgovReportMap.latLngToContainerPoint([lat, lon]);"
        " return {x: p.x, y: p.y}; }",
        [lat, lon],
    )
    page.locator("#report-map").click(position=point)


def test_a_visitor_reports_with_a_map_pin_and_lands_on_the_tracking_page(
    world: World, live_server: Any, page: Any, screenshot: Any
) -> None:
    page.goto(f"{live_server.url}/report/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    with translation.override("zh-hans"):
        heading = translation.gettext("Report a problem")
    page.get_by_role("heading", level=1, name=heading).wait_for()
    assert page.locator("#id_category option", has_text="暴露垃圾").count() == 1
    # No tile server configured: the map draws no tile layer at all.
    assert page.locator("#report-map .leaflet-tile").count() == 0
    screenshot(page, "resident-report")

    page.fill("#id_title", "井盖缺失")
    page.fill("#id_description", "路口的井盖不见了，很危险")
    page.select_option("#id_category", "E0102")
    click_on_map(page, 120.125, 30.205)  # inside grid B's square
    lon, lat = float(page.input_value("#id_lon")), float(page.input_value("#id_lat"))
    assert lon == pytest.approx(120.125, abs=0.0005) and lat == pytest.approx(30.205, abs=0.0005)
    page.locator(".report-pin").wait_for()  # the pin is drawn
    page.fill("#id_reporter_contact", "13900001111")
    page.locator("button[type=submit]").click()

    page.wait_for_url(f"{live_server.url}/track/**")
    number = page.locator("#case-number").inner_text().strip()
    case = Case.objects.get(number=number)
    assert (case.area_id, case.title, case.source, case.category and case.category.code) == (
        GRID_B,
        "井盖缺失",
        "web",
        "E0102",
    )
    assert (case.lon, case.lat) == (lon, lat)
    assert page.url == f"{live_server.url}/track/{number}/"
    assert page.get_by_role("heading", level=1, name="井盖缺失").is_visible()
    assert "清波门社区第2网格" in page.locator(".facts").inner_text()
    assert "13900001111" not in page.content()
    screenshot(page, "resident-track")


def test_the_map_pin_is_reachable_from_the_keyboard(world: World, live_server: Any, page: Any) -> None:
    page.goto(f"{live_server.url}/report/")
    page.locator("#pin-centre").focus()
    page.keyboard.press("Enter")
    assert page.input_value("#id_lon") != "" and page.input_value("#id_lat") != ""
    page.locator("#pin-clear").focus()
    page.keyboard.press("Enter")
    assert page.input_value("#id_lon") == ""


def test_the_report_map_draws_boundaries_and_names_with_no_tile_server(
    world: World, live_server: Any, page: Any
) -> None:
    outside: list[str] = []
    page.on(
        "request",
        lambda request: None if request.url.startswith(live_server.url) else outside.append(request.url),
    )
    page.goto(f"{live_server.url}/report/")
    page.wait_for_function("document.getElementById('report-map').dataset.areasLoaded > 0")
    labels = page.locator("#report-map .area-label").all_inner_texts()
    # The page fits the map to the whole tree: the view shows streets or communities, named.
    level = page.locator("#report-map").get_attribute("data-areas-level")
    expected = {
        "street": {"清波街道", "湖滨街道"},
        "community": {"清波门社区", "东坡路社区"},
        "grid": {"清波门社区第1网格", "清波门社区第2网格", "东坡路社区第1网格"},
    }
    assert level in expected and expected[level] & set(labels), (level, labels)
    assert page.locator("#report-map path.leaflet-interactive").count() >= 1
    assert page.locator("#report-map .leaflet-tile").count() == 0
    assert outside == []
