from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CockpitConfig(AppConfig):
    """The command centre's read model: the cockpit's figures, maps and live feed (数字驾驶舱)."""

    name = "gridgov.cockpit"
    label = "cockpit"
    verbose_name = _("Cockpit")
