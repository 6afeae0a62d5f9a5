"""Every admin page of every registered model renders, in Chinese, for an administrator."""

from collections.abc import Callable

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from gridgov.accounts.models import User
from gridgov.areas.models import Area, BoundarySource

MODELS = sorted(f"{model._meta.app_label}.{model._meta.model_name}" for model in admin.site._registry)


@pytest.mark.parametrize("label", MODELS)
def test_changelist_and_add_pages_render(
    label: str, small_tree: dict[str, Area], make_user: Callable[..., User]
) -> None:
    app_label, model_name = label.split(".")
    superuser = User.objects.create_superuser("root", password="pw-root-admin")
    client = Client()
    client.force_login(superuser)
    response = client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    assert response.status_code == 200, label
    assert "gridgov 网格化治理平台" in response.content.decode()
    model_admin = admin.site._registry[next(m for m in admin.site._registry if m._meta.label_lower == label)]
    if model_admin.has_add_permission(response.wsgi_request):
        add = client.get(reverse(f"admin:{app_label}_{model_name}_add"))
        assert add.status_code == 200, label


def test_area_pages_show_generated_boundaries_and_lock_the_code(
    small_tree: dict[str, Area], make_user: Callable[..., User]
) -> None:
    superuser = User.objects.create_superuser("root", password="pw-root-admin")
    client = Client()
    client.force_login(superuser)
    grid = small_tree["grid_a"]
    listing_url = reverse("admin:areas_area_changelist") + "?level=grid"
    # The label appears once in the filter sidebar, and once more on each generated row.
    before = client.get(listing_url).content.decode().count("演示生成")
    Area.objects.filter(pk=grid.pk).update(boundary_source=BoundarySource.GENERATED)
    after = client.get(listing_url).content.decode().count("演示生成")
    assert after == before + 1
    response = client.get(reverse("admin:areas_area_change", args=[grid.code]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="code"' not in page  # read-only once created
    assert 'name="name"' in page
