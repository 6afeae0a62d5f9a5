from collections.abc import Callable

import pytest

from gridgov.accounts.actions import grant_membership
from gridgov.accounts.errors import MembershipInvalid
from gridgov.accounts.models import Membership, Role, User
from gridgov.accounts.queries import get_scope
from gridgov.accounts.scope import Scope
from gridgov.areas.models import Area
from gridgov.areas.queries import areas_for
from gridgov.core.models import AuditEvent


def codes(scope: Scope) -> list[str]:
    return list(areas_for(scope).order_by("code").values_list("code", flat=True))


def test_grid_worker_scope_is_their_grid_only(
    small_tree: dict[str, Area], make_user: Callable[..., User]
) -> None:
    worker = make_user("worker", Role.GRID_WORKER, small_tree["grid_a"])
    scope = get_scope(worker)
    assert scope.area_prefixes == frozenset({"330102001051001"})
    assert codes(scope) == ["330102001051001"]


def test_street_scope_covers_its_subtree_and_nothing_else(
    small_tree: dict[str, Area], make_user: Callable[..., User]
) -> None:
    leader = make_user("leader", Role.LEADER, small_tree["street"])
    assert codes(get_scope(leader)) == [
        "330102001000",
        "330102001051",
        "330102001051001",
        "330102001051002",
    ]


def test_several_memberships_unite_and_nested_prefixes_collapse(
    small_tree: dict[str, Area], make_user: Callable[..., User]
) -> None:
    user = make_user("two-hats", Role.GRID_WORKER, small_tree["grid_a"])
    grant_membership(user=user, role=Role.COMMUNITY_WORKER, area_code=small_tree["community"].code)
    grant_membership(user=user, role=Role.GRID_WORKER, area_code=small_tree["grid_c"].code)
    scope = get_scope(User.objects.get(pk=user.pk))
    assert scope.area_prefixes == frozenset({"330102001051", "330102002001001"})


def test_resident_and_anonymous_see_nothing(
    small_tree: dict[str, Area], make_user: Callable[..., User]
) -> None:
    from django.contrib.auth.models import AnonymousUser

    resident = make_user("resident")
    assert get_scope(resident).is_empty
    assert codes(get_scope(resident)) == []
    assert get_scope(AnonymousUser()).is_empty


def test_superuser_and_unscoped_administrator_see_everything(
    small_tree: dict[str, Area], make_user: Callable[..., User]
) -> None:
    admin = make_user("admin", Role.ADMINISTRATOR)
    assert get_scope(admin).is_global
    assert len(codes(get_scope(admin))) == Area.objects.count() == 10


def test_department_handler_scope_is_the_department_not_an_area(
    small_tree: dict[str, Area], make_user: Callable[..., User]
) -> None:
    from gridgov.catalogue.models import Department

    department = Department.objects.create(code="330102-test", name="测试局", area=small_tree["district"])
    handler = make_user("handler", Role.DEPARTMENT_HANDLER, department_id=department.pk)
    scope = get_scope(handler)
    assert scope.department_ids == frozenset({department.pk})
    assert scope.area_prefixes == frozenset()
    assert codes(scope) == []


def test_invalid_membership_is_refused_and_changes_nothing(
    small_tree: dict[str, Area], make_user: Callable[..., User]
) -> None:
    user = make_user("nobody")
    before = (Membership.objects.count(), AuditEvent.objects.count())
    with pytest.raises(MembershipInvalid):
        grant_membership(user=user, role=Role.GRID_WORKER)  # a grid worker needs an area
    with pytest.raises(MembershipInvalid):
        grant_membership(user=user, role=Role.DEPARTMENT_HANDLER, area_code=small_tree["grid_a"].code)
    assert (Membership.objects.count(), AuditEvent.objects.count()) == before


def test_granting_twice_changes_nothing_and_is_audited_once(
    small_tree: dict[str, Area], make_user: Callable[..., User]
) -> None:
    user = make_user("twice")
    first = grant_membership(user=user, role=Role.GRID_WORKER, area_code=small_tree["grid_b"].code)
    second = grant_membership(user=user, role=Role.GRID_WORKER, area_code=small_tree["grid_b"].code)
    assert first.pk == second.pk
    assert AuditEvent.objects.filter(action="grant_membership", subject_id=str(user.pk)).count() == 1
