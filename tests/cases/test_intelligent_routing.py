"""Auto-dispatch by the classifier, suggestions for the dispatcher, corrections kept as examples,
duplicates by meaning, and hot issues turned into one coordinated case (issue 5)."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from gridgov.cases import actions
from gridgov.cases.errors import RoleNotAllowed
from gridgov.cases.models import Case, CaseEvent, CaseSource, CaseStatus
from gridgov.cases.queries import find_duplicates, hot_issues_for, visible_duplicates_of
from gridgov.core.audit import AuditEvent
from gridgov.core.clock import now
from gridgov.intelligence import classifier, store
from gridgov.intelligence.models import ExampleSource, LabelledExample
from gridgov.intelligence.queries import labelled_examples
from tests.cases.conftest import GRID_A, World

pytestmark = pytest.mark.django_db

# A toy training set in the real label space: enough for a real model to separate these words.
TRAINING = {
    "教育文体": ["学校老师违规补课收费", "幼儿园学位不够孩子上学难", "中学教师有偿家教", "小学放学时间太早"],
    "城乡建设": ["小区楼道灯坏了物业不修", "路灯不亮井盖缺失", "小区违章搭建阳光房", "旧楼想装一部电梯"],
    "交通运输": ["公交车站取消出行不便", "出租车拒载绕路", "道路拥堵红绿灯时间", "公交线路调整"],
}
SCHOOL_REPORT = {"title": "学校老师违规补课收费", "description": "中学老师周末有偿补课"}


@pytest.fixture
def model(settings: Any) -> classifier.TextClassifier:
    trained = classifier.train([(text, label) for label, texts in TRAINING.items() for text in texts], seed=0)
    store.save_new_version(trained)
    current = store.current_model()
    assert current is not None and current.version == trained.version
    return current


def events(case_id: int) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case_id=case_id).order_by("id"))


def test_without_a_model_a_report_waits_for_people_with_no_suggestion(world: World) -> None:
    case = world.case(world.report(**SCHOOL_REPORT)["id"])
    assert (case.status, case.class_suggestion, case.model_version) == (CaseStatus.REPORTED, {}, "")


def test_a_confident_suggestion_registers_and_dispatches_by_itself(
    world: World, model: classifier.TextClassifier, settings: Any
) -> None:
    expected = model.predict_one(f"{SCHOOL_REPORT['title']}\n{SCHOOL_REPORT['description']}")
    assert expected.label == "教育文体"
    settings.GRIDGOV_AUTO_DISPATCH_CONFIDENCE = expected.confidence  # exactly at the threshold
    case = world.case(world.report(**SCHOOL_REPORT)["id"])
    assert case.status == CaseStatus.DISPATCHED
    assert case.model_version == model.version
    assert case.class_suggestion["label"] == "教育文体"
    assert case.category is not None and (case.category.code, case.category.name) == ("M04", "教育文体")
    task = case.tasks.get()
    assert task.department == world.departments["education"]
    report, register, dispatch = events(case.pk)
    assert (report.action, register.action, dispatch.action) == ("report", "register", "dispatch")
    assert report.data["suggestion"]["model_version"] == model.version
    for event in (register, dispatch):
        assert event.actor is None and event.actor_label == "system"
        assert event.data["auto"] is True and event.data["model_version"] == model.version
    assert dispatch.department == world.departments["education"]


def test_below_the_threshold_the_dispatcher_sees_the_top_suggestions(
    world: World, model: classifier.TextClassifier, settings: Any
) -> None:
    settings.GRIDGOV_AUTO_DISPATCH_CONFIDENCE = 1.01
    case = world.case(world.report(**SCHOOL_REPORT)["id"])
    assert case.status == CaseStatus.REPORTED and case.tasks.count() == 0
    top = case.class_suggestion["top"]
    assert top[0][0] == "教育文体" and len(top) == 3
    assert abs(sum(p for _l, p in model.predict_one("x").ranked) - 1) < 1e-6
    page = world.client("clerk").get("/console/")
    html = page.content.decode()
    assert model.version in html
    # One click registers the case with the suggested class.
    assert 'name="category" value="M04"' in html


def test_a_clerk_correction_is_kept_as_a_labelled_example_and_used_in_training(
    world: World, model: classifier.TextClassifier, settings: Any
) -> None:
    settings.GRIDGOV_AUTO_DISPATCH_CONFIDENCE = 1.01
    case_id = world.report(title="公交车站旁边的学校门口拥堵", description="")["id"]
    suggested = world.case(case_id).class_suggestion["label"]
    chosen = "城乡建设" if suggested != "城乡建设" else "交通运输"
    code = {"城乡建设": "M01", "交通运输": "M03"}[chosen]
    response = world.act("clerk", case_id, "register", {"category": code})
    assert response.status_code == 200, response.content
    example = LabelledExample.objects.get(case_id=case_id)
    assert (example.label, example.source, example.suggested_label) == (
        chosen,
        ExampleSource.CORRECTION,
        suggested,
    )
    assert example.model_version == model.version and example.created_by == world.users["clerk"]
    assert AuditEvent.objects.filter(
        action="intelligence.example_recorded", subject_id=str(example.pk)
    ).exists()
    assert ("公交车站旁边的学校门口拥堵", chosen) in labelled_examples()


def test_an_urban_category_teaches_nothing(
    world: World, model: classifier.TextClassifier, settings: Any
) -> None:
    settings.GRIDGOV_AUTO_DISPATCH_CONFIDENCE = 1.01
    case_id = world.report(title="垃圾桶满溢")["id"]
    world.act("clerk", case_id, "register", {"category": "E0101"})
    assert not LabelledExample.objects.exists()


def test_dispatching_to_another_department_corrects_the_class(
    world: World, model: classifier.TextClassifier, settings: Any
) -> None:
    settings.GRIDGOV_AUTO_DISPATCH_CONFIDENCE = 1.01
    case_id = world.report(title="小区楼道灯坏了", description="物业不修")["id"]
    world.act("clerk", case_id, "register", {"category": "M01"})
    education = world.departments["education"]
    response = world.act("dispatcher", case_id, "dispatch", {"department_ids": [education.pk]})
    assert response.status_code == 200, response.content
    labels = list(
        LabelledExample.objects.filter(case_id=case_id).order_by("id").values_list("label", "source")
    )
    assert labels[-1] == ("教育文体", ExampleSource.CORRECTION), labels
    assert labelled_examples()[-1] == ("小区楼道灯坏了\n物业不修", "教育文体")


def test_a_report_with_the_same_meaning_nearby_is_a_duplicate_of_any_category(world: World) -> None:
    first = world.report(title="清波门小区3幢楼道灯坏了一周", category_code="E0101")
    second = world.report(title="清波门小区3幢的楼道灯坏了已经一周了", lon=120.1052, lat=30.2051)
    unrelated = world.report(title="学校门口有人卖烟花爆竹", lon=120.1051, lat=30.2052)
    case = world.case(second["id"])
    found = [c.pk for c in visible_duplicates_of(world.users["clerk"], case)]
    assert first["id"] in found and unrelated["id"] not in found
    # Without the text the same pair is no duplicate (different categories): the meaning decided.
    by_place_only = find_duplicates(
        category_id=case.category_id,
        lon=case.lon,
        lat=case.lat,
        reported_at=case.reported_at,
        exclude_id=case.pk,
    )
    assert first["id"] not in [c.pk for c in by_place_only]


HOT_TITLES = [
    "清波门小区3幢楼道灯坏了",
    "清波门小区3幢楼道灯坏了好几天",
    "清波门小区3幢楼道的灯坏了没人修",
    "清波门小区3幢楼道灯坏了晚上很黑",
]


def test_hot_issue_becomes_one_coordinated_case(world: World) -> None:
    ids = [
        world.report(title=title, lon=120.105 + i * 1e-4, lat=30.205)["id"]
        for i, title in enumerate(HOT_TITLES)
    ]
    world.report(title="东坡路菜场门口乱停车", lon=120.145, lat=30.205)
    dispatcher = world.users["dispatcher"]
    found = hot_issues_for(dispatcher, days=7, min_cases=3)
    issue = next(f for f in found if set(ids) <= {c.pk for c in f.cases})
    assert issue.issue.messages == len(issue.cases) >= 4
    # One member is already with a department: it keeps its course.
    assert world.act("clerk", ids[0], "register", {"category": "E0101"}).status_code == 200
    urban = world.departments["urban-management"].pk
    assert world.act("dispatcher", ids[0], "dispatch", {"department_ids": [urban]}).status_code == 200
    response = world.client("dispatcher").post(
        "/console/hot/coordinate/", {"cases": ids, "title": "清波门小区3幢楼道灯", "issue": issue.issue.label}
    )
    assert response.status_code == 302
    lead = Case.objects.get(source=CaseSource.HOT_ISSUE)
    assert response["Location"] == f"/console/cases/{lead.pk}/"
    assert lead.area_id == GRID_A and lead.title == "清波门小区3幢楼道灯"
    merged = set(Case.objects.filter(merged_into=lead).values_list("pk", flat=True))
    assert merged == set(ids[1:])
    assert world.case(ids[0]).status == CaseStatus.DISPATCHED
    assert lead.me_too_count == 3
    report = events(lead.pk)[0]
    assert report.data["members"] == [world.case(i).number for i in ids]


def test_coordinating_is_refused_without_writing_anything(world: World) -> None:
    ids = [world.report(title=title)["id"] for title in HOT_TITLES[:2]]
    before = (Case.objects.count(), CaseEvent.objects.count())
    with pytest.raises(actions.CaseInputInvalid):
        actions.coordinate_cases(ids[:1], actor=world.users["dispatcher"], title="x")
    with pytest.raises(actions.CaseInputInvalid):
        actions.coordinate_cases([*ids, 999_999], actor=world.users["dispatcher"], title="x")
    with pytest.raises(RoleNotAllowed):
        actions.coordinate_cases(ids, actor=world.users["grid_worker"], title="x")
    assert (Case.objects.count(), CaseEvent.objects.count()) == before
    assert world.client("grid_worker").get("/console/hot/").status_code == 403


def test_hot_issues_only_count_the_window(world: World) -> None:
    with time_machine.travel(now() - timedelta(days=20), tick=False):
        old = [world.report(title=title)["id"] for title in HOT_TITLES]
    found = hot_issues_for(world.users["dispatcher"], days=7)
    assert not any(set(old) & {c.pk for c in f.cases} for f in found)


def test_the_case_api_shows_the_suggestion_and_its_model_version(
    world: World, model: classifier.TextClassifier, settings: Any
) -> None:
    settings.GRIDGOV_AUTO_DISPATCH_CONFIDENCE = 1.01
    case_id = world.report(**SCHOOL_REPORT)["id"]
    body = world.client("clerk").get(f"/api/v1/cases/{case_id}").json()
    assert body["model_version"] == model.version
    assert body["class_suggestion"] == world.case(case_id).class_suggestion
    assert body["class_suggestion"]["label"] == "教育文体"
