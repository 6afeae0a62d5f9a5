"""What the classifier learns from beyond the shipped data: every category a person decided.

LabelledExample   one message text with the first-level class a clerk or dispatcher gave it
                  (a correction when it differs from the model's suggestion: active learning)

Cases sit above this domain, so an example keeps the case's id and number as plain values.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.clock import now


class ExampleSource(models.TextChoices):
    CORRECTION = "correction", _("correction of a suggestion")  # 人工纠正
    CONFIRMATION = "confirmation", _("confirmation of a suggestion")  # 人工确认
    UNSUGGESTED = "unsuggested", _("categorised without a suggestion")


class LabelledExample(models.Model):
    text = models.TextField(_("text"))
    # The first-level message class (诉求一级分类), e.g. 城乡建设: the classifier's label space.
    label = models.CharField(_("label"), max_length=60, db_index=True)
    source = models.CharField(_("source"), max_length=16, choices=ExampleSource.choices)
    suggested_label = models.CharField(_("suggested label"), max_length=60, blank=True)
    model_version = models.CharField(_("model version"), max_length=40, blank=True)
    case_id = models.BigIntegerField(_("case id"), null=True, blank=True, db_index=True)
    case_number = models.CharField(_("case number"), max_length=32, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=now, db_index=True)

    class Meta:
        verbose_name = _("labelled example")
        verbose_name_plural = _("labelled examples")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.label}: {self.text[:30]}"
