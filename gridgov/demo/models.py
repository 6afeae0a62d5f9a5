from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.clock import now


class DemoLoad(models.Model):
    """One row per completed demo load, so `make demo` run twice does the work once."""

    generator_version = models.PositiveIntegerField(_("generator version"))
    loaded_at = models.DateTimeField(_("loaded at"), default=now)
    report = models.JSONField(_("report"), default=dict)

    class Meta:
        verbose_name = _("demo load")
        verbose_name_plural = _("demo loads")
        ordering = ["-loaded_at"]

    def __str__(self) -> str:
        return f"demo v{self.generator_version} {self.loaded_at:%Y-%m-%d %H:%M}"
