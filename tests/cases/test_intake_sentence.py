"""One-sentence intake through the API (real HTTP): understand, ask, file, retry, with and without a model."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from gridgov.areas.actions import AreaRow, upsert_areas
from gridgov.cases import intake
from gridgov.cases.models import Case, CaseEvent
from gridgov.core.area_codes import Level
from gridgov.core.models import AuditEvent
from gridgov.intelligence import interface
from gridgov.intelligence.interface import Suggestion
from tests.cases.conftest import World

pytestmark = pytest.mark.django_db

EXAMPLE = "东新街道王马社区3幢楼道灯坏了一周了"
UNDERSTAND = "/api/v1/cases/sentence"
FILE = "/api/v1/cases/sentence/file"


def zh(msgid: str) -> str:
    """The Chinese the API answers with (requests default to zh-hans)."""
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


@pytest.fixture(autouse=True)
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """No classifier trained, unless a test installs one."""
    monkeypatch.setattr(interface, "suggest_class", lambda text: None)


@pytest.fixture
def gongshu(world: World) -> World:
    """The real places of the issue's example: 王马社区 lies in 长庆街道, 东新街道 is its neighbour;
    and two communities called 同心社区, in two streets."""
    upsert_areas(
        [
            AreaRow("330105000000", "拱墅区", Level.DISTRICT, "330100000000"),
            AreaRow("330105014000", "长庆街道", Level.STREET, "330105000000"),
            AreaRow("330105018000", "东新街道", Level.STREET, "330105000000"),
            AreaRow("330105014003", "王马社区", Level.COMMUNITY, "330105014000"),
            AreaRow("330105018008", "东新园社区", Level.COMMUNITY, "330105018000"),
            AreaRow("330102001099", "同心社区", Level.COMMUNITY, "330102001000"),
            AreaRow("330102002099", "同心社区", Level.COMMUNITY, "330102002000"),
        ],
        actor_label="tests",
    )
    return world


def understand(client: Client, text: str, answers: list[str] | None = None) -> Any:
    response = client.post(
        UNDERSTAND, {"text": text, "answers": answers or []}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def file(client: Client, text: str, **fields: Any) -> Any:
    return client.post(FILE, {"text": text, **fields}, content_type="application/json")


def counts() -> tuple[int, int, int]:
    return Case.objects.count(), CaseEvent.objects.count(), AuditEvent.objects.count()


def test_the_issue_example_is_understood_and_nothing_is_written(gongshu: World) -> None:
    before = counts()
    body = understand(gongshu.client("resident"), EXAMPLE)
    assert counts() == before
    assert (body["kind"], body["kind_cue"], body["phrase"], body["duration"]) == (
        "problem",
        "坏了",
        "楼道灯坏了",
        "一周",
    )
    assert (body["street"], body["community"], body["building"]) == ("东新街道", "王马社区", "3幢")
    assert body["area"]["code"] == "330105014003"
    assert [step["name"] for step in body["area"]["path"]] == ["拱墅区", "长庆街道", "王马社区"]
    assert body["place"] == "拱墅区 › 长庆街道 › 王马社区 › 3幢"
    assert body["category"] == {"code": "M010212", "name": "小区管理"}
    assert (body["ready"], body["missing"], body["question"], body["suggestion"]) == (True, [], None, None)
    assert body["address"] == "拱墅区长庆街道王马社区3幢"
    assert body["title"] == "王马社区3幢楼道灯坏了"
    # The street named does not hold the community: said, and the tree's own street is taken.
    with translation.override("zh-hans"):
        conflict = translation.gettext(
            "By the area list %(area)s is in %(parent)s, not in %(named)s; we take %(area)s."
        ) % {"area": "王马社区", "parent": "长庆街道", "named": "东新街道"}
    assert conflict in body["notes"]
    assert (
        zh("The building is kept as you wrote it: there is no building register to check it against yet.")
        in body["notes"]
    )


def test_a_short_community_name_next_to_its_street_is_found_without_a_conflict(gongshu: World) -> None:
    body = understand(gongshu.client("resident"), "长庆街道王马3幢楼道灯不亮")
    assert (body["area"]["code"], body["community"], body["ready"]) == ("330105014003", "王马社区", True)
    assert len(body["notes"]) == 1  # only the building note


def test_a_missing_place_asks_one_question_and_the_answer_completes_it(gongshu: World) -> None:
    client = gongshu.client("resident")
    body = understand(client, "楼道灯坏了")
    assert (body["ready"], body["missing"], body["question_code"]) == (False, ["place"], "ask_place")
    assert body["question"] == zh("Where is it? Which residential community or building?")
    answered = understand(client, "楼道灯坏了", ["王马社区3幢"])
    assert (answered["ready"], answered["area"]["code"], answered["building"]) == (
        True,
        "330105014003",
        "3幢",
    )


def test_a_missing_problem_asks_what_it_is(gongshu: World) -> None:
    body = understand(gongshu.client("resident"), "王马社区3幢")
    assert (body["ready"], body["question_code"]) == (False, "ask_problem")
    assert body["question"] == zh("What exactly is the problem?")


def test_an_ambiguous_community_asks_which_street(gongshu: World) -> None:
    client = gongshu.client("resident")
    body = understand(client, "同心社区的电梯又坏了")
    assert (body["ready"], body["question_code"], body["area"]) == (False, "ask_which_place", None)
    assert sorted(c["code"] for c in body["candidates"]) == ["330102001099", "330102002099"]
    assert sorted(c["parent"] for c in body["candidates"]) == ["清波街道", "湖滨街道"]
    with translation.override("zh-hans"):
        assert body["question"] == translation.gettext(
            "There is more than one %(name)s. Which street is it in?"
        ) % {"name": "同心社区"}
    answered = understand(client, "同心社区的电梯又坏了", ["湖滨街道"])
    assert (answered["ready"], answered["area"]["code"]) == (True, "330102002099")


def test_filing_a_ready_sentence_creates_one_web_case_with_the_address(gongshu: World) -> None:
    response = file(gongshu.client("resident"), EXAMPLE, reporter_contact="13812345678")
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert response.json()["case"]["number"] == case.number
    assert (case.source, case.title, case.description, case.address) == (
        "web",
        "王马社区3幢楼道灯坏了",
        EXAMPLE,
        "拱墅区长庆街道王马社区3幢",
    )
    assert (case.area_id, case.category and case.category.code, case.status) == (
        "330105014003",
        "M010212",
        "reported",
    )
    assert (case.reporter, case.reporter_contact_masked) == (gongshu.users["resident"], "138****5678")
    assert list(case.events.values_list("action", flat=True)) == ["report"]


def test_an_incomplete_sentence_is_refused_with_its_question_and_writes_nothing(gongshu: World) -> None:
    before = counts()
    response = file(gongshu.client("resident"), "楼道灯坏了", idempotency_key="k-1")
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["message"]) == (
        "sentence_incomplete",
        zh("Where is it? Which residential community or building?"),
    )
    assert (body["details"]["missing"], body["details"]["phrase"]) == (["place"], "楼道灯坏了")
    assert counts() == before
    # The resident answers; the same sentence with the answer is filed.
    response = file(gongshu.client("resident"), "楼道灯坏了", answers=["王马社区3幢"], idempotency_key="k-1")
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert (case.description, case.area_id, case.address) == (
        "楼道灯坏了\n王马社区3幢",
        "330105014003",
        "拱墅区长庆街道王马社区3幢",
    )


def test_a_retried_filing_with_the_same_key_returns_the_first_case(gongshu: World) -> None:
    client = gongshu.client("resident")
    first = file(client, EXAMPLE, idempotency_key="phone-app-42")
    again = file(client, EXAMPLE, idempotency_key="phone-app-42")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["case"]["id"] == again.json()["case"]["id"]
    assert Case.objects.count() == 1
    assert file(client, EXAMPLE, idempotency_key="phone-app-43").status_code == 201
    assert Case.objects.count() == 2


def test_a_question_is_answered_not_filed_unless_the_resident_asks(gongshu: World) -> None:
    client = gongshu.client("resident")
    body = understand(client, "怎么申请公租房？")
    assert (body["kind"], body["ready"], body["question"]) == ("question", False, None)
    reply = zh(
        "This is a question, not a problem to fix: call the 12345 hotline or look in the answers "
        "to common questions. If you like, we pass it on as a message and someone answers you."
    )
    assert body["reply"] == reply
    refused = file(client, "怎么申请公租房？")
    assert (refused.status_code, refused.json()["message"]) == (422, reply)
    assert Case.objects.count() == 0
    filed = file(client, "怎么申请公租房？", file_question=True)
    assert filed.status_code == 201, filed.content
    case = Case.objects.get()
    with translation.override("zh-hans"):
        title = translation.gettext("Question: %(summary)s") % {"summary": "怎么申请公租房"}
    assert (case.title, case.area_id, case.category and case.category.code) == (title, None, "M011002")


def test_a_service_request_is_filed_with_its_kind_in_the_title(gongshu: World) -> None:
    response = file(gongshu.client("resident"), "王马社区能不能派人上门帮我家老人办一下高龄津贴")
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    with translation.override("zh-hans"):
        prefix = translation.gettext("Service request: %(summary)s") % {"summary": ""}
    assert case.title.startswith(prefix) and "高龄津贴" in case.title
    assert (case.area_id, case.category and case.category.code) == ("330105014003", "M120102")


def test_a_category_is_found_by_the_catalogue_name_alone(gongshu: World) -> None:
    # 变压器 is in no keyword list: only the catalogue's own component name finds it.
    body = understand(gongshu.client("resident"), "清波门社区门口的变压器冒烟了")
    assert body["category"] == {"code": "C0112", "name": "变压器"}
    assert (body["area"]["code"], body["ready"]) == ("330102001051", True)


def test_with_a_model_the_suggestion_is_shown_and_the_keyword_still_decides(
    gongshu: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    def model(text: str) -> Suggestion:
        seen.append(text)
        return Suggestion("v7", "城乡建设", 0.83, (("城乡建设", 0.83), ("环境保护", 0.1)))

    monkeypatch.setattr(interface, "suggest_class", model)
    body = understand(gongshu.client("resident"), "王马社区门口的围墙倒了", ["3幢旁边"])
    assert seen == ["王马社区门口的围墙倒了，3幢旁边"]
    assert body["suggestion"] == {
        "label": "城乡建设",
        "confidence": 0.83,
        "model_version": "v7",
        "category": "M01",
    }
    assert body["category"] is None and body["ready"] is True
    # A keyword category stays the category; the suggestion is only shown beside it.
    body = understand(gongshu.client("resident"), EXAMPLE)
    assert (body["category"]["code"], body["suggestion"]["label"]) == ("M010212", "城乡建设")
    # An unsure suggestion names no category.
    monkeypatch.setattr(interface, "suggest_class", lambda text: Suggestion("v7", "环境保护", 0.3, ()))
    assert understand(gongshu.client("resident"), "王马社区门口的围墙倒了")["suggestion"]["category"] is None


def test_new_areas_are_found_at_once(gongshu: World) -> None:
    client = gongshu.client("resident")
    assert understand(client, "新建社区2幢楼道灯坏了")["area"] is None
    upsert_areas([AreaRow("330105014099", "新建社区", Level.COMMUNITY, "330105014000")], actor_label="tests")
    assert understand(client, "新建社区2幢楼道灯坏了")["area"]["code"] == "330105014099"


def test_anonymous_api_callers_get_a_401_like_the_report_endpoint(gongshu: World) -> None:
    for path in (UNDERSTAND, FILE):
        response = Client().post(path, {"text": EXAMPLE}, content_type="application/json")
        assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")
    assert Case.objects.count() == 0


def test_understanding_works_directly_without_the_api(gongshu: World) -> None:
    result = intake.understand_sentence(EXAMPLE, actor=None, classify=lambda text: None)
    assert (result.is_ready, result.area and result.area.code, result.kind_label) == (
        True,
        "330105014003",
        "problem to fix",  # outside a request the tests read English
    )
    filed = intake.file_sentence("楼道灯坏了", actor=None)
    assert isinstance(filed, intake.SentenceResult) and Case.objects.count() == 0


@pytest.fixture
def real_interface(monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Any) -> Iterator[None]:
    """The real interface with an empty model folder: no model trained."""
    monkeypatch.undo()
    settings.GRIDGOV_MODEL_DIR = tmp_path
    yield


def test_without_a_trained_model_the_real_interface_gives_no_suggestion(
    gongshu: World, real_interface: None
) -> None:
    body = understand(gongshu.client("resident"), EXAMPLE)
    assert (body["suggestion"], body["ready"], body["category"]["code"]) == (None, True, "M010212")
