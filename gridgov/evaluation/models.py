"""How units are scored and ranked. Indicators themselves are never stored: they are counted from
case events whenever they are read (DESIGN §4)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.models import TimestampedModel


class ScoringScheme(TimestampedModel):
    """The weights of the comprehensive score (综合得分) and the minimum volume of a ranking.

    Weights are data, changed through `actions.save_scoring_scheme`: local 考核细则 differ (金华
    gives 按期结案率 50 points, another district 60), so no weight is a constant in code. Exactly one
    scheme is the default; the seed migration installs 按期结案率 40, 返工率 20, 满意率 40.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    # {"on_time_closure_rate": 40, "rework_rate": 20, ...}: keys are indicators.Indicator values.
    weights = models.JSONField(_("weights"), default=dict)
    # A unit with fewer cases than this behind a rate is listed but not ranked (样本不足).
    min_volume = models.PositiveIntegerField(_("minimum volume to be ranked"), default=10)
    is_default = models.BooleanField(_("default"), default=False)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("scoring scheme")
        verbose_name_plural = _("scoring schemes")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="scoring_scheme_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name
