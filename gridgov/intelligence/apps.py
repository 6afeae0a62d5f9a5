from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntelligenceConfig(AppConfig):
    """Message classification, one-sentence intake, hot issues (智能分拨、一句话办事、热点发现)."""

    name = "gridgov.intelligence"
    label = "intelligence"
    verbose_name = _("Intelligence")
