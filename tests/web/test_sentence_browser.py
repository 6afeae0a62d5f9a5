"""The one-sentence box on /report/: through Django's test client, then in a real browser."""

from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from gridgov.areas.actions import AreaRow, upsert_areas
from gridgov.cases.models import Case
from gridgov.core.area_codes import Level
from gridgov.intelligence import interface
from tests.cases.conftest import World

EXAMPLE = "东新街道王马社区3幢楼道灯坏了一周了"
HTMX: dict[str, Any] = {"headers": {"HX-Request": "true"}}


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return escape(translation.gettext(msgid))


@pytest.fixture(autouse=True)
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(interface, "suggest_class", lambda text: None)


@pytest.fixture
def gongshu(world: World) -> World:
    upsert_areas(
        [
            AreaRow("330105000000", "拱墅区", Level.DISTRICT, "330100000000"),
            AreaRow("330105014000", "长庆街道", Level.STREET, "330105000000"),
            AreaRow("330105018000", "东新街道", Level.STREET, "330105000000"),
            AreaRow("330105014003", "王马社区", Level.COMMUNITY, "330105014000"),
        ],
        actor_label="tests",
    )
    return world


# ── Django's test client ───────────────────────────────────────────────────────────────────


@pytest.mark.django_db
def test_the_report_page_offers_the_sentence_box_above_the_full_form(gongshu: World) -> None:
    body = Client().get("/report/").content.decode()
    sentence = body.index('id="id_sentence"')
    assert zh("Say it in one sentence: where, and what is wrong") in body
    assert body.index('id="full-form"') > sentence
    assert 'href="#full-form"' in body
    assert 'id="sentence-mic" hidden' in body  # shown by the script only where speech input exists


@pytest.mark.django_db
def test_understanding_shows_the_place_and_a_confirm_form_and_writes_nothing(gongshu: World) -> None:
    response = Client().post("/report/sentence/", {"text": EXAMPLE}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body  # the panel only
    assert "拱墅区 › 长庆街道 › 王马社区 › 3幢" in body
    assert "楼道灯坏了" in body and "小区管理" in body
    assert 'id="sentence-confirm"' in body and 'name="idempotency_key" value="sentence-' in body
    assert Case.objects.count() == 0
    # Without JavaScript the whole page comes back with the same panel and the full form.
    page = Client().post("/report/sentence/", {"text": EXAMPLE}).content.decode()
    assert "<html" in page and "王马社区 › 3幢" in page and 'id="full-form"' in page


@pytest.mark.django_db
def test_confirming_files_the_case_and_goes_to_its_tracking_page(gongshu: World) -> None:
    client = Client()
    form = {"text": EXAMPLE, "idempotency_key": "sentence-abc", "reporter_contact": "13812345678"}
    response = client.post("/report/sentence/file/", form, **HTMX)
    case = Case.objects.get()
    assert (response.status_code, response["HX-Redirect"]) == (204, f"/track/{case.number}/")
    assert (case.source, case.area_id, case.reporter, case.reporter_contact_masked) == (
        "web",
        "330105014003",
        None,
        "138****5678",
    )
    # A double click sends the same key: still one case, and the same tracking page.
    again = client.post("/report/sentence/file/", form, **HTMX)
    assert (again["HX-Redirect"], Case.objects.count()) == (f"/track/{case.number}/", 1)
    page = client.get(again["HX-Redirect"]).content.decode()
    assert f'id="case-number">{case.number}<' in page


@pytest.mark.django_db
def test_a_missing_place_is_asked_and_nothing_is_filed(gongshu: World) -> None:
    response = Client().post("/report/sentence/file/", {"text": "楼道灯坏了"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert zh("Where is it? Which residential community or building?") in body
    assert 'id="id_sentence_answer"' in body and "sentence-confirm" not in body
    assert Case.objects.count() == 0
    answered = (
        Client()
        .post("/report/sentence/", {"text": "楼道灯坏了", "answer": "王马社区3幢"}, **HTMX)
        .content.decode()
    )
    assert 'name="answers" value="王马社区3幢"' in answered and 'id="sentence-confirm"' in answered


@pytest.mark.django_db
def test_an_empty_sentence_is_refused(gongshu: World) -> None:
    response = Client().post("/report/sentence/", {"text": "  "}, **HTMX)
    assert zh("Type or say one sentence first.") in response.content.decode()
    assert Client().post("/report/sentence/", {"text": ""}).status_code == 400
    assert Case.objects.count() == 0


# ── a real browser ─────────────────────────────────────────────────────────────────────────


def submit_sentence(page: Any, text: str) -> None:
    page.fill("#id_sentence", text)
    page.locator("#sentence-submit").click()


@pytest.mark.django_db(transaction=True)
def test_a_visitor_reports_in_one_sentence_and_answers_a_question(
    gongshu: World, live_server: Any, page: Any, screenshot: Any
) -> None:
    page.goto(f"{live_server.url}/report/")
    submit_sentence(page, EXAMPLE)
    place = page.locator("#sentence-place")
    place.wait_for()
    assert place.inner_text() == "拱墅区 › 长庆街道 › 王马社区 › 3幢"
    with translation.override("zh-hans"):
        kind = translation.pgettext("sentence kind", "problem to fix")
    assert page.locator("#sentence-kind").inner_text() == kind
    screenshot(page, "resident-sentence")
    page.locator("#sentence-confirm").click()
    page.wait_for_url(f"{live_server.url}/track/**")
    number = page.locator("#case-number").inner_text().strip()
    case = Case.objects.get(number=number)
    assert (case.area_id, case.address, case.description) == (
        "330105014003",
        "拱墅区长庆街道王马社区3幢",
        EXAMPLE,
    )

    # Without a place, one question; the answer completes it.
    page.goto(f"{live_server.url}/report/")
    submit_sentence(page, "楼道灯坏了")
    question = page.locator("#sentence-question")
    question.wait_for()
    with translation.override("zh-hans"):
        asked = translation.gettext("Where is it? Which residential community or building?")
    assert question.inner_text() == asked
    page.wait_for_function("document.activeElement && document.activeElement.id === 'id_sentence_answer'")
    assert page.locator("#sentence-confirm").count() == 0
    page.get_by_label(asked).fill("王马社区5幢")
    page.locator("#sentence-answer-submit").click()
    page.locator("#sentence-confirm").wait_for()
    assert page.locator("#sentence-place").inner_text().endswith("王马社区 › 5幢")
    page.locator("#sentence-confirm").click()
    page.wait_for_url(f"{live_server.url}/track/**")
    assert Case.objects.count() == 2
    assert Case.objects.latest("id").address == "拱墅区长庆街道王马社区5幢"


@pytest.mark.django_db(transaction=True)
def test_the_microphone_appears_only_with_speech_input_and_fills_the_box(
    gongshu: World, live_server: Any, browser: Any
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    page.add_init_script("delete window.SpeechRecognition; delete window.webkitSpeechRecognition;")
    page.goto(f"{live_server.url}/report/")
    page.locator("#id_sentence").wait_for()
    assert page.locator("#sentence-mic").is_hidden()
    context.close()

    # A stand-in for the browser's recogniser that "hears" one sentence when started.
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    page.add_init_script(
        """
        window.SpeechRecognition = window.webkitSpeechRecognition = class {
          start() {
            window.heardLanguage = this.lang;
            const results = [[{transcript: '东新街道王马社区3幢楼道灯坏了'}]];
            setTimeout(() => { this.onresult({resultIndex: 0, results}); this.onend(); }, 10);
          }
          stop() { this.onend(); }
        };
        """
    )
    page.goto(f"{live_server.url}/report/")
    mic = page.locator("#sentence-mic")
    mic.wait_for()
    mic.click()
    page.wait_for_function("document.getElementById('id_sentence').value.length > 0")
    assert page.input_value("#id_sentence") == "东新街道王马社区3幢楼道灯坏了"
    assert page.evaluate("window.heardLanguage") == "zh-CN"
    assert mic.get_attribute("aria-pressed") == "false"
    context.close()
