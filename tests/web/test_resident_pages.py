"""The resident pages through Django's test client: report, track, me too, rate, my cases."""

from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from gridgov.cases import actions
from gridgov.cases.models import Case, CaseEvent
from gridgov.web.pages.resident import STATUS_WORDS
from tests.cases.conftest import GRID_A, World

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64


def zh(text: Any) -> str:
    """The Chinese the page shows for an English source string (the source itself until translated)."""
    with translation.override("zh-hans"):
        return escape(str(text) if not isinstance(text, str) else translation.gettext(text))


def timeline(text: str) -> str:
    with translation.override("zh-hans"):
        return translation.pgettext("case timeline", text)


def report_form(**fields: Any) -> dict[str, Any]:
    return {
        "title": "垃圾桶满溢",
        "description": "小区门口的垃圾桶已经满了两天",
        "category": "E0102",
        "lon": "120.105",
        "lat": "30.205",
        "address": "",
        "reporter_name": "张三",
        "reporter_contact": "13812345678",
        **fields,
    }


def reported(world: World, role: str = "resident", **fields: Any) -> Case:
    response = world.client(role).post("/report/", report_form(**fields))
    assert response.status_code == 302, response.content.decode()
    return Case.objects.get(number=response["Location"].split("/")[-2])


def close(world: World, case: Case) -> Case:
    """Run a case through the loop to closed, each step by its role (notes are internal)."""
    users = world.users
    actions.register_case(case.pk, actor=users["clerk"], note="内部备注-受理")
    actions.dispatch_case(
        case.pk, actor=users["dispatcher"], department_ids=[world.departments["urban-management"].pk]
    )
    actions.sign_case(case.pk, actor=users["handler"])
    actions.report_done(case.pk, actor=users["handler"], note="内部备注-清运完毕")
    actions.check_case(case.pk, actor=users["grid_worker"], passed=True)
    return actions.close_case(case.pk, actor=users["leader"])


def test_report_by_a_visitor_creates_exactly_one_case(world: World) -> None:
    response = Client().post("/report/", report_form())
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/track/{case.number}/"
    assert (case.source, case.title, case.description) == (
        "web",
        "垃圾桶满溢",
        "小区门口的垃圾桶已经满了两天",
    )
    assert (case.category and case.category.code, case.area_id, case.lon, case.lat) == (
        "E0102",
        GRID_A,
        120.105,
        30.205,
    )
    assert (case.status, case.reporter, case.reporter_name) == ("reported", None, "张三")
    assert (case.reporter_contact_masked, case.is_anonymous) == ("138****5678", False)
    assert list(case.events.values_list("action", flat=True)) == ["report"]
    page = Client().get(response["Location"])
    assert page.status_code == 200
    assert f'id="case-number">{case.number}<' in page.content.decode()


def test_report_by_a_logged_in_resident_is_theirs_unless_anonymous(world: World) -> None:
    mine = reported(world)
    assert mine.reporter == world.users["resident"]
    anonymous = reported(world, is_anonymous="on", title="路灯不亮")
    assert (anonymous.reporter, anonymous.reporter_name, anonymous.reporter_contact_masked) == (None, "", "")
    assert anonymous.is_anonymous is True


def test_report_with_an_address_and_a_photo(world: World, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    photo = {"photo": _upload("门口.png", PNG)}
    case = reported(world, lon="", lat="", address="清波门社区 南门口", **photo)
    assert (case.lon, case.area_id, case.address) == (None, "330102001051", "清波门社区 南门口")
    assert [p.content_type for p in case.photos.all()] == ["image/png"]


def _upload(name: str, content: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="image/png")


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"title": ""}, "This field is required."),
        ({"lon": "", "lat": ""}, "Put a pin on the map or type an address."),
        ({"lat": ""}, "The map pin is incomplete; put it on the map again."),
        ({"category": "X99"}, "Select a valid choice. %(value)s is not one of the available choices."),
    ],
)
def test_a_bad_report_creates_nothing_and_says_why(world: World, fields: dict[str, str], error: str) -> None:
    response = Client().post("/report/", report_form(**fields))
    assert response.status_code == 400
    assert zh(error) % {"value": "X99"} in response.content.decode()
    assert Case.objects.count() == 0


def test_a_refused_report_shows_the_domain_error_on_the_form(world: World) -> None:
    response = Client().post("/report/", report_form(photo=_upload("fake.png", b"not an image")))
    assert response.status_code == 400
    assert zh("The photo is not a JPEG, PNG or WebP image of at most 10 MB.") in response.content.decode()
    assert Case.objects.count() == 0


def test_the_report_page_has_a_map_without_tiles_unless_configured(world: World, settings: Any) -> None:
    body = Client().get("/report/").content.decode()
    assert '"tileUrl": ""' in body
    assert 'data-bounds="120.1,30.2,120.15,30.21"' in body
    assert '<html lang="zh-hans">' in body
    assert "暴露垃圾" in body  # a public leaf category
    settings.GRIDGOV_MAP_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    assert '"tileUrl": "https://tiles.example/{z}/{x}/{y}.png"' in Client().get("/report/").content.decode()


def test_the_tracking_page_tells_the_steps_in_plain_words_and_no_personal_data(world: World) -> None:
    case = close(world, reported(world))
    body = Client().get(f"/track/{case.number}/").content.decode()
    department = world.departments["urban-management"].name
    sentences = [
        timeline("Received"),
        timeline("Registered"),
        timeline("Sent to %(department)s") % {"department": department},
        timeline("%(department)s signed for it") % {"department": department},
        timeline("Handled"),
        timeline("Check passed"),
        timeline("Closed"),
    ]
    steps = body.split('<ol class="timeline">')[1].split("</ol>")[0]
    assert [line.split("</time> ")[1].split("</li>")[0] for line in steps.split("<li>")[1:]] == sentences
    assert zh(STATUS_WORDS["closed"]) in body
    assert "清波门社区第1网格" in body and case.title in body
    local = case.reported_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    assert local.strftime("%Y-%m-%d %H:%M") in body
    for private in (
        "张三",
        "13812345678",
        "138****5678",
        "内部备注",
        "resident",
        "grid_worker",
        "dispatcher",
    ):
        assert private not in body


def test_a_voided_case_shows_no_text(world: World) -> None:
    case = reported(world, title="秘密的标题")
    actions.void_case(case.pk, actor=world.users["clerk"], reason="重复的内部原因")
    response = Client().get(f"/track/{case.number}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert case.number in body and zh(STATUS_WORDS["voided"]) in body
    assert "秘密的标题" not in body and "重复的内部原因" not in body and "清波门社区第1网格" not in body


def test_track_form_finds_the_number_or_says_it_is_unknown(world: World) -> None:
    case = reported(world)
    response = Client().get("/track/", {"number": f" {case.number} "})
    assert (response.status_code, response["Location"]) == (302, f"/track/{case.number}/")
    response = Client().get("/track/", {"number": "330102-20000101-000009"})
    assert response.status_code == 200
    assert zh("No case has this number. Check it and try again.") in response.content.decode()
    assert Client().get("/track/330102-20000101-000009/").status_code == 404


def test_me_too_counts_once_per_person_and_needs_a_login(world: World) -> None:
    case = reported(world)
    neighbour = world.client("neighbour")
    url = f"/track/{case.number}/me-too/"
    assert neighbour.post(url).status_code == 302
    assert neighbour.post(url).status_code == 302
    case.refresh_from_db()
    assert case.me_too_count == 1
    assert CaseEvent.objects.filter(case=case, action="me_too").count() == 1
    anonymous = Client().post(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/?next=")
    case.refresh_from_db()
    assert case.me_too_count == 1
    body = neighbour.get(f"/track/{case.number}/").content.decode()
    assert zh("You said you met it too.") in body
    assert f'action="{url}"' not in body


def test_the_reporter_rates_a_closed_case(world: World) -> None:
    case = close(world, reported(world))
    resident = world.client("resident")
    page = resident.get(f"/track/{case.number}/").content.decode()
    assert f'action="/track/{case.number}/rate/"' in page
    assert (
        f'action="/track/{case.number}/rate/"'
        not in world.client("neighbour").get(f"/track/{case.number}/").content.decode()
    )
    response = resident.post(
        f"/track/{case.number}/rate/", {"rating": "4", "satisfied": "yes", "comment": "很快"}
    )
    assert (response.status_code, response["Location"]) == (302, f"/track/{case.number}/")
    case.refresh_from_db()
    assert (case.status, case.rating, case.is_satisfied) == ("rated", 4, True)
    assert case.events.filter(action="rate").get().note == "很快"


def test_someone_else_may_not_rate(world: World) -> None:
    case = close(world, reported(world))
    response = world.client("neighbour").post(
        f"/track/{case.number}/rate/", {"rating": "1", "satisfied": "no"}
    )
    assert response.status_code == 404
    assert zh("No such case, or it is outside your data scope.") in response.content.decode()
    case.refresh_from_db()
    assert (case.status, case.rating, case.is_satisfied) == ("closed", None, None)
    assert not case.events.filter(action="rate").exists()
    bad = world.client("resident").post(f"/track/{case.number}/rate/", {"rating": "9", "satisfied": "yes"})
    assert bad.status_code == 400
    case.refresh_from_db()
    assert case.status == "closed"


def test_my_cases_lists_my_reports_newest_first(world: World) -> None:
    first = reported(world, title="第一件")
    second = reported(world, title="第二件")
    reported(world, "neighbour", title="邻居的")
    body = world.client("resident").get("/me/cases/").content.decode()
    assert body.index(second.number) < body.index(first.number)
    assert "邻居的" not in body
    response = Client().get("/me/cases/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/me/cases/"
