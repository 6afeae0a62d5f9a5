"""The duplicate check's candidates (gridgov/cases/queries.py): who is found, and through which index."""

from datetime import timedelta
from typing import Any

from django.db import connection

from gridgov.cases.actions import Report, report_case
from gridgov.cases.models import Case, CaseStatus
from gridgov.cases.queries import duplicate_candidates, find_duplicates
from gridgov.catalogue.models import CaseCategory
from tests.cases.conftest import GRID_B, GRID_C, World, world  # noqa: F401 (the fixture)
from tests.cases.test_queries import BENCHMARK_CASES
from tests.sqlite_plans import sqlite_plan

HERE = (120.105, 30.205)  # in GRID_A, community 330102001051 (GRID_B is in it too; GRID_C is not)
TEXT = "小区门口垃圾桶满了好几天没人清理"


def filed(cast: World, title: str, category: str | None, **where: Any) -> Case:
    report = Report(source="hotline", title=title, category_code=category, **where)
    return report_case(report, actor=cast.users["clerk"]).case


def test_same_category_nearby_or_same_meaning_nearby_or_in_the_community(world: World) -> None:  # noqa: F811
    lon, lat = HERE
    same_category_near = filed(world, TEXT, "E0101", lon=lon, lat=lat)
    other_category_near = filed(world, "晚上广场舞音响声音太大", "E0403", lon=lon, lat=lat)
    same_meaning_near = filed(world, TEXT, "E0403", lon=lon + 0.0003, lat=lat)
    same_meaning_in_community = filed(world, TEXT, "E0403", area_code=GRID_B)
    same_meaning_elsewhere = filed(world, TEXT, "E0403", area_code=GRID_C)
    closed = filed(world, TEXT, "E0101", lon=lon, lat=lat)
    Case.objects.filter(pk=closed.pk).update(status=CaseStatus.CLOSED)
    too_old = filed(world, TEXT, "E0101", lon=lon, lat=lat)
    Case.objects.filter(pk=too_old.pk).update(reported_at=too_old.reported_at - timedelta(days=30))
    new = filed(world, TEXT, "E0101", lon=lon + 0.0001, lat=lat + 0.0001)
    category = CaseCategory.objects.get(code="E0101").pk
    common: dict[str, Any] = {
        "category_id": category,
        "lon": new.lon,
        "lat": new.lat,
        "reported_at": new.reported_at,
    }

    by_meaning = find_duplicates(**common, exclude_id=new.pk, text=TEXT, area_code=new.area_id)
    assert {c.pk for c in by_meaning} == {
        same_category_near.pk,
        same_meaning_near.pk,
        same_meaning_in_community.pk,
    }
    by_place = find_duplicates(**common, exclude_id=new.pk)
    assert [c.pk for c in by_place] == [same_category_near.pk]
    # The nearest and the most alike are weighed; the other cases never reach the scoring.
    weighed = duplicate_candidates(
        **common, radius_m=100, window=timedelta(days=7), text=TEXT, area_code=new.area_id
    )
    assert weighed is not None
    assert {c.pk for c in weighed} == {
        same_category_near.pk,
        other_category_near.pk,
        same_meaning_near.pk,
        same_meaning_in_community.pk,
        new.pk,
    }
    assert same_meaning_elsewhere.pk not in {c.pk for c in by_meaning}
    assert (
        duplicate_candidates(
            **{**common, "lon": None, "lat": None, "category_id": None},
            radius_m=100,
            window=timedelta(days=7),
            text="",
            area_code=None,
        )
        is None
    )

    if connection.vendor != "sqlite":
        return
    sql, params = weighed.query.sql_with_params()
    statistics = {
        **BENCHMARK_CASES,
        ("cases_case", "case_status_point"): "100198 9109 4 3",
    }
    plan = sqlite_plan(sql, params, statistics)
    # Each way through its own index among the open cases; never the window's open cases all.
    assert any("case_status_point (status=? AND lat>? AND lat<?)" in line for line in plan), plan
    assert any("case_status_area (status=? AND area_id>? AND area_id<?)" in line for line in plan), plan
    assert not any("case_status_reported" in line for line in plan), plan
