from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridworkConfig(AppConfig):
    """Grid workers' field work: household visits and patrols (网格员走访与巡查)."""

    name = "gridgov.gridwork"
    label = "gridwork"
    verbose_name = _("Grid work")
