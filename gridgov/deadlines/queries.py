"""Reads of deadline rows. Internal machinery: no scope, callers are the sweeper and the domains."""

from datetime import datetime

from django.db.models import Q, QuerySet

from gridgov.deadlines.models import OPEN, Deadline


def due_deadlines(now: datetime, limit: int | None = None) -> QuerySet[Deadline]:
    """Open rows due at `now` and not waiting for a retry, oldest due first.

    The filter repeats the partial index's condition (OPEN) so that SQLite and PostgreSQL use
    deadline_open_due_idx for the range on due_at.
    """
    rows = (
        Deadline.objects.filter(OPEN, due_at__lte=now)
        .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
        .order_by("due_at", "id")
    )
    return rows[:limit] if limit is not None else rows


def open_deadlines_for(subject_type: str, subject_id: str) -> QuerySet[Deadline]:
    """The subject's deadlines still to fire, soonest first."""
    return Deadline.objects.filter(OPEN, subject_type=subject_type, subject_id=str(subject_id)).order_by(
        "due_at", "id"
    )


def deadlines_for(subject_type: str, subject_id: str) -> QuerySet[Deadline]:
    """All of the subject's deadlines, fired and cancelled ones included, by due time."""
    return Deadline.objects.filter(subject_type=subject_type, subject_id=str(subject_id)).order_by(
        "due_at", "id"
    )
