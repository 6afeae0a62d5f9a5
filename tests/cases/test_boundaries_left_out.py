"""Reads that follow a case's, membership's or department's area never read its boundary.

A district's GeoJSON is tens to hundreds of kilobytes: areas.models.boundaries_left_out keeps it out
of every select_related outside gridgov/areas. Each read here is checked on the SQL it sends."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.accounts.queries import get_scope, memberships_of
from gridgov.areas.models import Area
from gridgov.cases.queries import CaseFilters, get_case_for, list_cases_for
from gridgov.catalogue.queries import get_department_for, list_departments_for
from tests.cases.conftest import World, square, world  # noqa: F401 (the fixture)

BOUNDARY_COLUMN = '"areas_area"."boundary"'


def sql_of(read: Any) -> tuple[Any, str]:
    with CaptureQueriesContext(connection) as captured:
        result = read()
    return result, "\n".join(query["sql"] for query in captured.captured_queries)


@pytest.mark.django_db
def test_case_membership_and_department_reads_leave_boundaries_out(world: World) -> None:  # noqa: F811
    # The district has a real-sized boundary here: what the reads must not carry.
    Area.objects.filter(code="330102000000").update(boundary=square(120.0, 30.0, 0.3))
    case_id = world.report("grid_worker")["id"]
    leader = world.users["leader"]
    scope = get_scope(leader)

    reads = {
        "memberships": lambda: [(m.area.name if m.area else None) for m in memberships_of(leader)],
        "case": lambda: get_case_for(leader, case_id).handling_area.name,  # type: ignore[union-attr]
        "case list": lambda: [c.area.name for c in list_cases_for(leader, CaseFilters())],  # type: ignore[union-attr]
        "departments": lambda: [
            (d.area.name, [a.name for a in d.served_areas.all()]) for d in list_departments_for(scope)
        ],
        "department": lambda: get_department_for(scope, world.departments["housing"].pk).area.name,
    }
    for name, read in reads.items():
        result, sql = sql_of(read)
        assert result, name
        assert '"areas_area"' in sql, f"{name}: the read should name the area"
        assert BOUNDARY_COLUMN not in sql, f"{name} reads the boundary:\n{sql}"

    # The names read are the areas' names; the boundary is still there for gridgov/areas.
    assert get_case_for(leader, case_id).area.name == "清波门社区第1网格"  # type: ignore[union-attr]
    assert Area.objects.get(code="330102000000").boundary == square(120.0, 30.0, 0.3)
