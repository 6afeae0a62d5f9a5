from collections.abc import Callable

import pytest
from django.test import Client

from gridgov.accounts.actions import create_user
from gridgov.accounts.models import Role, User
from gridgov.areas.models import Area


@pytest.fixture
def superuser(db: None) -> User:
    return create_user(
        username="root", password="pw-root-admin", is_staff=True, is_superuser=True, actor_label="tests"
    )


@pytest.fixture
def admin_client(superuser: User) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def staff_client(
    small_tree: dict[str, Area], make_user: Callable[..., User]
) -> Callable[[Role, Area | None], Client]:
    """A logged-in staff account (may enter /admin/) holding one role, optionally in an area."""

    def factory(role: Role, area: Area | None = None) -> Client:
        user = make_user(f"staff-{role.value}-{area.code if area else 'all'}", role, area)
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        client = Client()
        client.force_login(user)
        return client

    return factory
