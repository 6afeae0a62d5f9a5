"""Scoped reads of departments."""

from collections.abc import Callable

import pytest

from gridgov.accounts.models import Role, User
from gridgov.accounts.queries import get_scope
from gridgov.accounts.scope import Scope
from gridgov.areas.models import Area
from gridgov.catalogue.actions import LoadReport, create_department, create_district_departments
from gridgov.catalogue.errors import DepartmentNotFound
from gridgov.catalogue.queries import departments_for, get_department_for, list_departments_for
from tests.conftest import make_area


@pytest.fixture
def second_district(small_tree: dict[str, Area]) -> dict[str, Area]:
    """拱墅区 beside 上城区, with one street, community and grid."""
    district = make_area("330105000000", "拱墅区", "district", small_tree["city"])
    street = make_area("330105001000", "米市巷街道", "street", district)
    community = make_area("330105001001", "左家新村社区", "community", street)
    grid = make_area("330105001001001", "左家新村社区第1网格", "grid", community)
    return {"district": district, "street": street, "community": community, "grid": grid}


def codes(departments: object) -> list[str]:
    return sorted(d.code for d in departments)  # type: ignore[attr-defined]


def test_scoping_of_departments(
    catalogue: LoadReport,
    small_tree: dict[str, Area],
    second_district: dict[str, Area],
    make_user: Callable[..., User],
) -> None:
    shangcheng = create_district_departments("330102", actor_label="tests")
    gongshu = create_district_departments("330105", actor_label="tests")
    qingbo = create_department(code="qingbo-squad", name="清波街道城管中队", area_code="330102001000")
    hubin = create_department(code="hubin-squad", name="湖滨街道城管中队", area_code="330102002000")
    shangcheng_codes = sorted(d.code for d in shangcheng)

    worker = make_user("worker", Role.GRID_WORKER, small_tree["grid_a"])
    scope = get_scope(worker)
    assert codes(departments_for(scope)) == sorted([*shangcheng_codes, "qingbo-squad"])
    with pytest.raises(DepartmentNotFound):
        get_department_for(scope, gongshu[0].pk)
    with pytest.raises(DepartmentNotFound):
        get_department_for(scope, hubin.pk)
    assert get_department_for(scope, qingbo.pk) == qingbo

    street_leader = make_user("leader", Role.LEADER, small_tree["other_street"])
    assert codes(departments_for(get_scope(street_leader))) == sorted([*shangcheng_codes, "hubin-squad"])

    district_leader = make_user("district", Role.LEADER, small_tree["district"])
    assert codes(departments_for(get_scope(district_leader))) == sorted(
        [*shangcheng_codes, "hubin-squad", "qingbo-squad"]
    )

    gongshu_worker = make_user("gs-worker", Role.GRID_WORKER, second_district["grid"])
    assert codes(departments_for(get_scope(gongshu_worker))) == sorted(d.code for d in gongshu)

    handler = make_user("handler", Role.DEPARTMENT_HANDLER, department_id=hubin.pk)
    assert codes(departments_for(get_scope(handler))) == ["hubin-squad"]

    assert departments_for(Scope()).count() == 0
    assert departments_for(Scope.everything()).count() == 39 + 39 + 2


def test_departments_serving_a_place(
    catalogue: LoadReport, small_tree: dict[str, Area], second_district: dict[str, Area]
) -> None:
    create_district_departments("330102", actor_label="tests")
    create_district_departments("330105", actor_label="tests")
    create_department(
        code="qingbo-squad",
        name="清波街道城管中队",
        area_code="330102001000",
        function_code="urban-management",
    )
    found = list_departments_for(
        Scope.everything(), function_code="urban-management", serving_area_code="330102001051001"
    )
    assert [d.code for d in found] == ["330102-urban-management", "qingbo-squad"]
