"""Deadline rows: one per running time limit, fired once by the scheduler (docs/time-limits.md).

This domain knows nothing of cases. A row names its subject by type and id ("cases.case", "42") and
its `kind` ("cases.handle_overdue"); the domain that owns the kind registers the handler that acts
when the row falls due (actions.register_deadline_handler).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.clock import now

# The rows the sweeper still has to act on. Both the partial index and every due query use exactly
# this condition: SQLite uses a partial index only when the query's WHERE implies the index's.
OPEN = models.Q(fired_at__isnull=True, cancelled_at__isnull=True)
FAILED_OUTCOME = "failed"
CANCELLED_OUTCOME = "cancelled"


class Deadline(models.Model):
    """One time limit to act on at `due_at`: warn, mark overdue, escalate …

    `fired_at` is set when the sweeper is done with the row: the handler ran and committed (its
    result in `outcome`), or it failed `attempts` times and was given up (`outcome` "failed").
    `cancelled_at` is set when the subject no longer needs it (`outcome` holds the reason).
    """

    kind = models.CharField(_("kind"), max_length=80)
    subject_type = models.CharField(_("subject type"), max_length=80)
    subject_id = models.CharField(_("subject id"), max_length=80)
    started_at = models.DateTimeField(_("started at"), default=now)
    due_at = models.DateTimeField(_("due at"))
    fired_at = models.DateTimeField(_("fired at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    failure_reason = models.TextField(_("failure reason"), blank=True)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    # After a failed attempt, not before this moment (due_at stays the time the limit ran out).
    retry_at = models.DateTimeField(_("retry at"), null=True, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=now, editable=False)

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["due_at", "id"]
        indexes = [
            # The sweeper's query: open rows by due time. Partial, so fired and cancelled rows (nearly
            # all of them, after a while) cost the index nothing. Works on SQLite and PostgreSQL.
            models.Index(fields=["due_at"], condition=OPEN, name="deadline_open_due_idx"),
            # Cancelling a subject's deadlines, and showing them on the subject's page.
            models.Index(fields=["subject_type", "subject_id"], name="deadline_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_type}:{self.subject_id} due {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.fired_at is None and self.cancelled_at is None
