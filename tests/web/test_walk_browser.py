"""One case walked through every role's page in a real browser, from the report to the rating.

Each role has its own browser context (its own session cookie), and each step is done the way
that role does it: by clicking the page's buttons. The database is read only to check what the
pages did, and at the end the cockpit's tiles are compared with counts taken from the database.
"""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from gridgov.cases.lifecycle import OPEN
from gridgov.cases.models import Case, CaseEvent
from tests.cases.conftest import GRID_A, World
from tests.web.conftest import log_in
from tests.web.test_resident_browser import click_on_map

pytestmark = pytest.mark.django_db(transaction=True)

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


class Roles:
    """A browser page per role, each logged in with its own session."""

    def __init__(self, browser: Any, live_server: Any, world: World) -> None:
        self.browser, self.url, self.world = browser, live_server.url, world
        self.contexts: list[Any] = []
        self.pages: dict[str, Any] = {}

    def page(self, role: str, *, phone: bool = False) -> Any:
        if role in self.pages:
            return self.pages[role]
        viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 800}
        context = self.browser.new_context(viewport=viewport, locale="zh-CN")
        self.contexts.append(context)
        log_in(context, self.world.users[role], self.url)
        page = context.new_page()
        page.set_default_timeout(10_000)
        self.pages[role] = page
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def roles(browser: Any, live_server: Any, world: World) -> Iterator[Roles]:
    opened = Roles(browser, live_server, world)
    yield opened
    opened.close()


def actions_of(case: Case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).order_by("id").values_list("action", flat=True))


def row_action(page: Any, case: Case, button: str) -> None:
    """Click a row's button and wait for htmx to swap the row with its confirmation."""
    row = page.locator(f"#case-row-{case.pk}")
    row.locator(button).first.click()
    page.locator(f"#case-row-{case.pk} .ok, #case-row-{case.pk} .error").first.wait_for()
    error = page.locator(f"#case-row-{case.pk} .error")
    assert error.count() == 0, error.first.inner_text()


def test_one_case_from_the_residents_report_to_the_residents_rating(
    roles: Roles, world: World, live_server: Any, tmp_path: Any, settings: Any, screenshot: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    url = live_server.url

    # 1. The resident reports on the phone, with a pin in grid A.
    resident = roles.page("resident", phone=True)
    resident.goto(f"{url}/report/")
    resident.fill("#id_title", "路灯不亮")
    resident.fill("#id_description", "清波门社区路口的路灯坏了三天")
    resident.select_option("#id_category", "E0101")
    resident.wait_for_function("document.getElementById('report-map').dataset.areasLoaded > 0")
    click_on_map(resident, 120.105, 30.205)
    resident.locator(".report-form button[type=submit]").click()
    resident.wait_for_url(f"{url}/track/**")
    number = resident.locator("#case-number").inner_text().strip()
    case = Case.objects.get(number=number)
    assert (case.area_id, case.reporter_id, case.status) == (GRID_A, world.users["resident"].pk, "reported")

    # 2. The intake clerk registers it from the queue.
    clerk = roles.page("clerk")
    clerk.goto(f"{url}/console/")
    screenshot(clerk, "console-queue")
    row_action(clerk, case, "form[action$='/register/'] button[type=submit]")
    case.refresh_from_db()
    assert case.status == "registered"

    # 3. The dispatcher sends it to the proposed department in one click.
    dispatcher = roles.page("dispatcher")
    dispatcher.goto(f"{url}/console/?status=registered")
    row_action(dispatcher, case, "form[action$='/dispatch/'] button[type=submit]")
    case.refresh_from_db()
    assert case.status == "dispatched"
    assert list(case.tasks.values_list("department_id", flat=True)) == [
        world.departments["urban-management"].pk
    ]

    # 4. The department signs for it and asks for more time.
    handler = roles.page("handler")
    handler.goto(f"{url}/inbox/")
    screenshot(handler, "department-inbox")
    row_action(handler, case, "form[action$='/sign/'] button[type=submit]")
    row = handler.locator(f"#case-row-{case.pk}")
    row.locator("summary", has_text="延期").click()
    row.locator(f"#extension-hours-{case.pk}").fill("8")
    row.locator(f"#extension-reason-{case.pk}").fill("等灯具到货")
    row_action(handler, case, "form[action$='/request_extension/'] button[type=submit]")
    due_before = Case.objects.get(pk=case.pk).due_at

    # 5. The leader approves the extension.
    leader = roles.page("leader")
    leader.goto(f"{url}/leader/?section=extensions")
    leader.locator(f"#extension-note-{case.pk}").fill("同意")
    row_action(leader, case, "button[value=approve]")
    case.refresh_from_db()
    assert due_before is not None and case.due_at is not None and case.due_at > due_before

    # 6. The department reports it done with an after photo.
    handler.goto(f"{url}/inbox/")
    row = handler.locator(f"#case-row-{case.pk}")
    row.locator("summary", has_text="处置反馈").first.click()
    row.locator(f"#done-note-{case.pk}").fill("更换了灯泡")
    photo = tmp_path / "after.png"
    photo.write_bytes(PNG)
    row.locator(f"#done-photos-{case.pk}").set_input_files(str(photo))
    row_action(handler, case, "form[action$='/report_done/'] button[type=submit]")
    case.refresh_from_db()
    assert case.status == "handled" and case.photos.filter(kind="after").count() == 1

    # 7. The grid worker checks it on site from the phone.
    check_on_the_grid_page(roles.page("grid_worker", phone=True), url, case)
    case.refresh_from_db()
    assert case.status == "checked"

    # 8. The intake clerk closes it.
    clerk.goto(f"{url}/console/closing/")
    screenshot(clerk, "console-closing")
    row_action(clerk, case, "form[action$='/close/'] button[type=submit]")
    case.refresh_from_db()
    assert case.status == "closed"

    # 9. The resident sees the steps in plain words and rates the result.
    resident.goto(f"{url}/track/{number}/")
    resident.locator("input[name=rating][value='5']").check()
    resident.locator("input[name=satisfied][value=yes]").check()
    resident.locator(".rate button[type=submit]").click()
    resident.locator(".rate, .card").first.wait_for()
    case.refresh_from_db()
    assert (case.status, case.rating, case.is_satisfied) == ("rated", 5, True)
    assert actions_of(case) == [
        "report",
        "register",
        "dispatch",
        "sign",
        "request_extension",
        "decide_extension",
        "report_done",
        "check_pass",
        "close",
        "rate",
    ]

    resident.goto(f"{url}/me/cases/")
    screenshot(resident, "resident-my-cases")
    dispatcher.goto(f"{url}/console/cases/{case.pk}/")
    screenshot(dispatcher, "console-case")

    # 10. The cockpit shows what the database holds.
    check_the_cockpit(roles.page("leader"), url)


def check_on_the_grid_page(page: Any, url: str, case: Case) -> None:
    """核查 on the grid worker's phone: the case waits in the Tasks tab; "check passed" posts."""
    page.goto(f"{url}/grid/#tasks")
    task = page.locator(f"#task-{case.pk}")
    task.locator(f"#check-note-{case.pk}").fill("灯已亮")
    task.locator("button[name=passed][value=yes]").click()
    page.wait_for_load_state()
    page.locator(".messages").wait_for()
    assert page.locator(f"#task-{case.pk} button[name=passed]").count() == 0


def check_the_cockpit(page: Any, url: str) -> None:
    """The leader's cockpit (上城区) against counts taken here from the database, independently."""
    page.goto(f"{url}/cockpit/")
    page.locator("[data-kpi=intake_today] [data-value]").wait_for()

    def tile(key: str) -> tuple[str, str]:
        box = page.locator(f"[data-kpi={key}]")
        return box.locator("[data-value]").inner_text().strip(), box.locator(
            "[data-detail]"
        ).inner_text().strip()

    district = Case.objects.filter(area__code__startswith="330102")
    today = timezone.localdate()
    reported_today = sum(
        1 for at in district.values_list("reported_at", flat=True) if timezone.localdate(at) == today
    )
    open_now = district.filter(status__in=OPEN).count()
    overdue_now = district.filter(status__in=OPEN, light="red").count()
    closed_today = sum(
        1
        for at in district.exclude(closed_at=None).values_list("closed_at", flat=True)
        if timezone.localdate(at) == today
    )
    closed = district.exclude(closed_at=None)
    closed_on_time = closed.filter(is_overdue=False).count()
    ratings = district.exclude(rating=None)
    satisfied = ratings.filter(is_satisfied=True).count()

    assert (reported_today, open_now, overdue_now, closed_today) == (1, 0, 0, 1)  # the walked case
    assert tile("intake_today")[0] == str(reported_today)
    assert tile("open_now")[0] == str(open_now)
    assert tile("overdue_now")[0] == str(overdue_now)
    assert tile("closed_today")[0] == str(closed_today)
    assert tile("on_time_closure_rate") == (
        f"{closed_on_time / closed.count() * 100:.1f}%",
        f"{closed_on_time}/{closed.count()}",
    )
    # The live feed lists the walked case with its Beijing time, however it was loaded.
    page.wait_for_function("document.querySelectorAll('#cockpit-feed li time').length > 0")
    page.wait_for_load_state("networkidle")
    feed_times = page.locator("#cockpit-feed li time").all_inner_texts()
    assert feed_times and all(re.fullmatch(r"\d\d-\d\d \d\d:\d\d", text) for text in feed_times), feed_times
    assert "undefined" not in page.locator("#cockpit-feed").inner_text()
    assert tile("satisfaction_rate") == (
        f"{satisfied / ratings.count() * 100:.1f}%",
        f"{satisfied}/{ratings.count()}",
    )


def test_login_and_the_admins_excel_import_page(
    roles: Roles, world: World, live_server: Any, page: Any, screenshot: Any, make_user: Any
) -> None:
    """Screenshots of the login page and of the admin's Excel import, in Chinese."""
    page.goto(f"{live_server.url}/login/")
    page.locator("input[name=username]").wait_for()
    screenshot(page, "login")
    admin = make_user("root")
    admin.is_superuser = admin.is_staff = True
    admin.save(update_fields=["is_superuser", "is_staff"])
    world.users["root"] = admin
    staff = roles.page("root")
    staff.goto(f"{live_server.url}/admin/areas/area/import/")
    staff.locator("input[type=file]").wait_for()
    assert "Excel" in staff.content()
    screenshot(staff, "admin-import")
