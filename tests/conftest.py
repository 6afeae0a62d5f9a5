"""Shared fixtures: the shared data folder, a small area tree, and users by role."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from gridgov.accounts.actions import create_user, grant_membership
from gridgov.accounts.models import Role, User
from gridgov.areas.models import Area

SHARED_DATA: Path = settings.GRIDGOV_SHARED_DATA


@pytest.fixture(autouse=True)
def english_outside_requests() -> Iterator[None]:
    """Messages built outside a request (actions, commands) read in English in tests, so tests can
    assert them exactly; requests still get the site default (Chinese) from LanguageMiddleware, and
    tests of the Chinese texts switch with translation.override("zh-hans")."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def no_trained_model(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every test starts without a classifier (a model trained in var/models by the demo must not
    route the tests' cases); tests that want one train it into this empty folder."""
    settings.GRIDGOV_MODEL_DIR = tmp_path_factory.mktemp("models")


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    """The process cache (hot issues, map geometry) starts empty: ids are reused between tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def shared_data() -> Path:
    """../shared/data, or a skip with the reason when a fresh clone has no shared folder beside it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    return SHARED_DATA


def make_area(code: str, name: str, level: str, parent: Area | None = None) -> Area:
    return Area.objects.create(code=code, name=name, level=level, parent=parent)


@pytest.fixture
def small_tree(db: None) -> dict[str, Area]:
    """浙江 → 杭州 → 上城区 → 清波街道 → 清波门社区 → two grids, plus a second street with one grid."""
    province = make_area("330000000000", "浙江省", "province")
    city = make_area("330100000000", "杭州市", "city", province)
    district = make_area("330102000000", "上城区", "district", city)
    street = make_area("330102001000", "清波街道", "street", district)
    community = make_area("330102001051", "清波门社区", "community", street)
    grid_a = make_area("330102001051001", "清波门社区第1网格", "grid", community)
    grid_b = make_area("330102001051002", "清波门社区第2网格", "grid", community)
    other_street = make_area("330102002000", "湖滨街道", "street", district)
    other_community = make_area("330102002001", "东坡路社区", "community", other_street)
    grid_c = make_area("330102002001001", "东坡路社区第1网格", "grid", other_community)
    return {
        "province": province,
        "city": city,
        "district": district,
        "street": street,
        "community": community,
        "grid_a": grid_a,
        "grid_b": grid_b,
        "other_street": other_street,
        "other_community": other_community,
        "grid_c": grid_c,
    }


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def factory(username: str, role: Role | None = None, area: Area | None = None, **extra: object) -> User:
        user = create_user(username=username, password="pw-" + username, actor_label="tests")
        if role is not None:
            grant_membership(
                user=user,
                role=role,
                area_code=area.code if area else None,
                department_id=extra.get("department_id"),  # type: ignore[arg-type]
                actor_label="tests",
            )
        return user

    return factory


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    def factory(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return factory
