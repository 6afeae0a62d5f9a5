"""The whole demo load, as `make demo` runs it: real codes, real boundaries, generated grids, users."""

from collections import Counter

import pytest
from django.test import Client

from gridgov.accounts.models import User
from gridgov.accounts.queries import get_scope
from gridgov.areas import geometry
from gridgov.areas.models import Area, BoundarySource
from gridgov.cases.models import Case, CaseEvent
from gridgov.cases.queries import hot_issues_for
from gridgov.catalogue.models import Department
from gridgov.demo.actions import DEMO_PASSWORD, load_demo
from gridgov.demo.models import DemoLoad


# transaction=True: the load commits as it does for real. Inside one test-wide transaction,
# PostgreSQL queues a deferred foreign-key check for each of the ~60,000 rows and the test took
# ten times longer (540 s against 35 s measured).
@pytest.mark.django_db(transaction=True)
def test_demo_loads_hangzhou_with_generated_grids_once() -> None:
    messages: list[str] = []
    report = load_demo(say=messages.append)

    levels = Counter(Area.objects.values_list("level", flat=True))
    assert levels["province"] == 31
    assert levels["street"] == 41351
    assert levels["community"] == 3222
    grids = Area.objects.filter(level="grid")
    # The districts, streets and communities existed already (real codes); only the grids are new.
    assert report["generated"]["created"] == levels["grid"]
    assert 12000 <= levels["grid"] <= 14000
    # Every grid is generated and says so; the real district boundaries say they are imported.
    assert set(grids.values_list("boundary_source", flat=True)) == {BoundarySource.GENERATED}
    assert Area.objects.get(code="330106000000").boundary_source == BoundarySource.IMPORTED
    assert Area.objects.get(code="330102000000").boundary_source == BoundarySource.GENERATED
    # Every Hangzhou street and community got a generated boundary; the rest of China has codes only.
    hangzhou_communities = Area.objects.filter(level="community", code__startswith="3301")
    assert hangzhou_communities.filter(boundary__isnull=True).count() == 0
    assert Area.objects.filter(level="street", code__startswith="3302").exclude(boundary=None).count() == 0
    # Grid households sum to their community's.
    community = hangzhou_communities.order_by("code").first()
    assert community is not None
    grid_households = [
        h or 0 for h in Area.objects.filter(parent=community).values_list("households", flat=True)
    ]
    assert sum(grid_households) == community.households

    # A point on the West Lake's east shore (GCJ-02) lies in a grid of 上城区 or 西湖区.
    located = geometry.locate_point(120.1615, 30.2555)
    assert located is not None and len(located) == 15 and located[:6] in {"330102", "330106"}

    assert Department.objects.filter(area_id="330102000000").count() == 39
    grid_worker = User.objects.get(username="grid_worker")
    assert len(get_scope(grid_worker).area_prefixes) == 1
    assert next(iter(get_scope(grid_worker).area_prefixes)).startswith("330102")
    client = Client()
    assert client.login(username="grid_worker", password=DEMO_PASSWORD)
    assert [a["level"] for a in client.get("/api/v1/areas/").json()["items"]] == ["grid"]

    # A month of cases, replayed through the real actions: every case has its report event, and
    # its events explain its state.
    # Plus the real hotline messages the classifier routed, and one hot issue (gridgov/demo/messages.py).
    assert report["messages"] == {
        "messages": 40,
        "auto_dispatched": report["messages"]["auto_dispatched"],
        "hot_issue_reports": 6,
    }
    auto = CaseEvent.objects.filter(action="dispatch", data__auto=True)
    assert auto.count() == report["messages"]["auto_dispatched"] > 0
    assert set(auto.values_list("data__model_version", flat=True)) == {report["classifier"]}
    messages_filed = Case.objects.filter(idempotency_key__startswith="demo-message-")
    waiting = messages_filed.filter(status="reported").exclude(class_suggestion={})
    assert waiting.count() == 40 - report["messages"]["auto_dispatched"]
    hot = hot_issues_for(User.objects.get(username="dispatcher"), days=7)
    assert any(sum("清波门小区3幢" in c.title for c in found.cases) == 6 for found in hot)
    cases = Case.objects.filter(idempotency_key="")
    assert cases.count() == 300
    statuses = set(cases.values_list("status", flat=True))
    assert statuses >= {"reported", "registered", "dispatched", "closed", "rated", "voided", "suspended"}, (
        statuses
    )
    assert CaseEvent.objects.filter(action="report").count() == 346
    for case in cases.order_by("?")[:20]:
        last = CaseEvent.objects.filter(case=case).exclude(to_status="").order_by("occurred_at", "id").last()
        assert last is not None and last.to_status == case.status, case.number
    assert CaseEvent.objects.filter(action="overdue").exists()
    assert CaseEvent.objects.filter(action="warning").exists()

    # A second load does nothing at all.
    areas_before = Area.objects.count()
    assert load_demo(say=messages.append) == {}
    assert Area.objects.count() == areas_before
    assert DemoLoad.objects.count() == 1
