"""Template context shared by every page: the navigation links the user's roles open."""

from typing import Any

from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Membership, Role
from gridgov.core.mapping import map_config

# Each staff page and the roles that open it, in the order they appear in the navigation.
STAFF_PAGES: tuple[tuple[str, Promise, frozenset[str]], ...] = (
    ("/grid/", _("My grid"), frozenset({Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_WORKER})),
    ("/console/", _("Intake and dispatch"), frozenset({Role.INTAKE_CLERK, Role.DISPATCHER, Role.LEADER})),
    ("/console/closing/", _("Check and close"), frozenset({Role.INTAKE_CLERK, Role.DISPATCHER, Role.LEADER})),
    ("/console/hot/", _("Hot issues"), frozenset({Role.INTAKE_CLERK, Role.DISPATCHER, Role.LEADER})),
    ("/inbox/", _("Department inbox"), frozenset({Role.DEPARTMENT_HANDLER})),
    ("/leader/", _("Leader"), frozenset({Role.LEADER, Role.ADMINISTRATOR})),
    ("/cockpit/", _("Cockpit"), frozenset({Role.LEADER, Role.DISPATCHER, Role.ADMINISTRATOR})),
    ("/admin/", _("Administration"), frozenset({Role.ADMINISTRATOR})),
)


def maps(request: HttpRequest) -> dict[str, Any]:
    """The map settings every map reads from the page (base.html writes them as JSON)."""
    return {"map_config": map_config()}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"staff_links": []}
    roles = set(Membership.objects.filter(user_id=user.pk).values_list("role", flat=True))
    if user.is_superuser:
        roles.add(Role.ADMINISTRATOR)
    links = [{"url": url, "label": label} for url, label, opened_by in STAFF_PAGES if roles & opened_by]
    return {"staff_links": links}
