"""Hot issues in chromium: the cockpit panel lists the issue, and the dispatcher turns it into one
coordinated case on /console/hot/ (issue 5, "from one case to one class of cases")."""

from typing import Any

import pytest

from gridgov.cases.models import Case, CaseSource, CaseStatus
from tests.cases.conftest import GRID_A
from tests.web.conftest import World, log_in

pytestmark = pytest.mark.django_db(transaction=True)

SAME_PROBLEM = (
    "清波门小区3幢楼道灯坏了",
    "清波门小区3幢楼道灯坏了好几天",
    "清波门小区3幢楼道的灯坏了没人修",
    "清波门小区3幢楼道灯坏了晚上很黑",
)


def test_a_hot_issue_is_shown_and_becomes_one_coordinated_case(
    browser: Any, live_server: Any, world: World, screenshot: Any
) -> None:
    ids = [
        world.report(title=title, lon=120.105 + index * 1e-4, lat=30.205)["id"]
        for index, title in enumerate(SAME_PROBLEM)
    ]
    other = world.report(title="东坡路菜场门口乱停车", lon=120.145, lat=30.205)["id"]

    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    log_in(context, world.users["dispatcher"], live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)

    page.goto(f"{live_server.url}/cockpit/")
    panel = page.locator("#cockpit-hotissues")
    # The known place of a case is its grid; the problem words come from the titles.
    assert "清波门社区第1网格 · 楼道灯" in panel.inner_text()
    assert "4 件" in panel.inner_text()

    page.goto(f"{live_server.url}/console/hot/")
    issue = page.locator("section.hot-issue").filter(has_text="楼道灯")
    boxes = issue.locator('input[name="cases"]')
    assert sorted(int(v) for v in boxes.evaluate_all("els => els.map(e => e.value)")) == sorted(ids)
    assert f'value="{other}"' not in issue.inner_html()
    screenshot(page, "console-hot-issues")
    issue.get_by_label("协同案件标题").fill("清波门小区3幢楼道灯集中整治")
    issue.get_by_role("button", name="并为一件协同办理").click()
    page.wait_for_url(f"{live_server.url}/console/cases/*/")

    lead = Case.objects.get(source=CaseSource.HOT_ISSUE)
    assert page.url.endswith(f"/console/cases/{lead.pk}/")
    assert lead.number in page.content()
    assert "合并 4 件" in page.locator(".messages").inner_text()
    assert (lead.title, lead.area_id) == ("清波门小区3幢楼道灯集中整治", GRID_A)
    assert set(Case.objects.filter(merged_into=lead).values_list("pk", flat=True)) == set(ids)
    assert Case.objects.get(pk=other).status == CaseStatus.REPORTED
    context.close()
