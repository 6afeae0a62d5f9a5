"""Scheduling, cancelling and firing deadline rows (docs/time-limits.md).

A domain schedules a row for each running limit and registers, in its AppConfig.ready(), the handler
of each kind it owns. `fire_due_deadlines` — run by `manage.py run_scheduler` — claims a batch of due
rows per transaction (at most CLAIM_BATCH, for at most BATCH_SECONDS), calls each row's handler in its
own savepoint inside that transaction and records the result with the row, so a handler's writes and
its row's `fired_at` commit together or not at all, and a failing handler undoes only its own writes.

A kind may also register a batch handler, which acts on several rows of that kind in one call (one
read, one write for all of them: the case domain's warnings and overdue marks). The sweeper gives it
rows of distinct subjects, in a savepoint of their own; when it raises, each of those rows goes to
the one-row handler in its own savepoint, as without a batch handler.

The row is its own record (started, due, fired or cancelled, outcome, failures), like a case event:
scheduling and firing write no audit line. Giving a row up does, for an operator to look at.
"""

import logging
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction

from gridgov.core.audit import record_audit_event
from gridgov.core.clock import now as clock_now
from gridgov.deadlines.errors import DeadlineInvalid
from gridgov.deadlines.models import CANCELLED_OUTCOME, FAILED_OUTCOME, OPEN, Deadline
from gridgov.deadlines.queries import due_deadlines

logger = logging.getLogger(__name__)

DeadlineHandler = Callable[[Deadline], str]
# Rows of one kind, all of distinct subjects, in due order -> one outcome per row, in that order.
DeadlineBatchHandler = Callable[[Sequence[Deadline]], Sequence[str]]

# After the n-th failed attempt the row waits RETRY_DELAYS[n - 1] (the last one from then on) before
# it is tried again; after MAX_ATTEMPTS failed attempts it is given up with the outcome "failed".
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)
MAX_ATTEMPTS = 5
MAX_OUTCOME_LENGTH = 200
MAX_FAILURE_LENGTH = 4000
ACTOR_LABEL = "deadline sweeper"
# Rows claimed per transaction: the due query, BEGIN and COMMIT are paid once per batch instead of
# once per row. A batch also commits early once its handlers have run BATCH_SECONDS, because on
# SQLite the write lock is held for the whole transaction and web requests that write wait for it.
CLAIM_BATCH = 100
BATCH_SECONDS = 0.2

_handlers: dict[str, DeadlineHandler] = {}
_batch_handlers: dict[str, DeadlineBatchHandler] = {}
# Moved by every cancel_deadlines call that cancelled something: a batch whose handlers cancelled
# rows reads again which of its remaining rows are still open (a cancelled row never fires).
_cancellations = 0


# ------------------------------------------------------------------------------------------ registry


def register_deadline_handler(
    kind: str,
    handler: DeadlineHandler,
    *,
    batch: DeadlineBatchHandler | None = None,
    replace: bool = False,
) -> None:
    """Make `handler` act on due rows of `kind`. Call it from the owning domain's AppConfig.ready().

    The handler gets the claimed row, runs inside the row's transaction, and returns a short text
    for `outcome` ("escalated", "skipped: case closed"). Raising rolls its writes back; the row is
    tried again later. Registering a second, different handler for a kind is a mistake and raises,
    unless `replace` is set (tests).

    `batch`, when given, does what `handler` does for several rows at once and returns their
    outcomes in order; it must write exactly what calling `handler` on each row in turn writes.
    """
    if not kind:
        raise ValueError("a deadline kind must not be empty")
    existing = _handlers.get(kind)
    if existing is not None and existing is not handler and not replace:
        raise ValueError(f"deadline kind {kind!r} already has a handler: {existing!r}")
    _handlers[kind] = handler
    if batch is not None:
        _batch_handlers[kind] = batch
    else:
        _batch_handlers.pop(kind, None)


def unregister_deadline_handler(kind: str) -> None:
    """Forget the handler of `kind` (tests)."""
    _handlers.pop(kind, None)
    _batch_handlers.pop(kind, None)


def registered_kinds() -> list[str]:
    return sorted(_handlers)


# ---------------------------------------------------------------------------- schedule and cancel


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise DeadlineInvalid(details={name: value.isoformat(), "reason": "naive datetime"})
    return value


def schedule_deadline(
    kind: str,
    subject_type: str,
    subject_id: str,
    due_at: datetime,
    *,
    started_at: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> Deadline:
    """A new open deadline row that fires at `due_at` (aware); `started_at` defaults to now."""
    if not kind or not subject_type or subject_id in ("", None):
        raise DeadlineInvalid(
            details={"kind": kind, "subject_type": subject_type, "reason": "kind and subject are required"}
        )
    with transaction.atomic():
        return Deadline.objects.create(
            kind=kind,
            subject_type=subject_type,
            subject_id=str(subject_id),
            started_at=_aware(started_at, "started_at") if started_at is not None else clock_now(),
            due_at=_aware(due_at, "due_at"),
            data=data or {},
        )


def cancel_deadlines(
    subject_type: str, subject_id: str, kinds: Iterable[str] | None = None, reason: str = ""
) -> int:
    """Cancel the subject's open deadlines (only those of `kinds` when given); returns how many.

    `outcome` keeps the reason ("cancelled" when none is given). Fired rows are left as they are.
    """
    global _cancellations
    with transaction.atomic():
        rows = Deadline.objects.filter(OPEN, subject_type=subject_type, subject_id=str(subject_id))
        if kinds is not None:
            rows = rows.filter(kind__in=list(kinds))
        cancelled = rows.update(
            cancelled_at=clock_now(), outcome=(reason or CANCELLED_OUTCOME)[:MAX_OUTCOME_LENGTH]
        )
    if cancelled:
        _cancellations += 1
    return cancelled


# ------------------------------------------------------------------------------------------ sweep


@dataclass(frozen=True)
class FiredDeadline:
    """What happened to one claimed row."""

    id: int
    kind: str
    subject: str
    result: str  # "fired", "retry" or "failed"
    outcome: str  # the handler's text, or the failure reason


@dataclass
class SweepReport:
    """What one fire_due_deadlines pass did."""

    fired: int = 0
    retried: int = 0  # failed this time; tried again after the backoff
    given_up: int = 0  # failed for the MAX_ATTEMPTS-th time: outcome "failed"
    rows: list[FiredDeadline] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return self.fired + self.retried + self.given_up

    def as_dict(self) -> dict[str, int]:
        return {"fired": self.fired, "retried": self.retried, "given_up": self.given_up}


def retry_delay(attempts: int) -> timedelta:
    """How long a row waits after its `attempts`-th failure."""
    return RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]


def _claim(now: datetime, count: int) -> list[Deadline]:
    """Lock the first `count` due rows for this transaction. PostgreSQL skips rows another sweeper
    holds; SQLite ignores the lock, and there exactly one scheduler process runs (docs/time-limits.md)."""
    rows = due_deadlines(now)
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)
    return list(rows[:count])


def _run_handler(row: Deadline) -> str:
    handler = _handlers.get(row.kind)
    if handler is None:
        raise LookupError(f"no handler registered for deadline kind {row.kind!r}")
    result = handler(row)
    return str(result if result is not None else "")[:MAX_OUTCOME_LENGTH]


def _fire_row(row: Deadline, now: datetime, max_attempts: int) -> FiredDeadline:
    """Run a claimed row's handler in a savepoint and record the result on the row, inside the
    batch's transaction."""
    subject = f"{row.subject_type}:{row.subject_id}"
    try:
        # The savepoint undoes the handler's writes when it raises; the row's record survives.
        with transaction.atomic():
            outcome = _run_handler(row)
    except Exception as error:  # a job loop: any failure of one row is recorded on that row
        logger.warning("deadline %s (%s %s) failed", row.pk, row.kind, subject, exc_info=True)
        row.attempts += 1
        row.failure_reason = "".join(traceback.format_exception_only(error)).strip()[:MAX_FAILURE_LENGTH]
        if row.attempts >= max_attempts:
            row.fired_at, row.outcome, row.retry_at = clock_now(), FAILED_OUTCOME, None
            row.save(update_fields=["attempts", "failure_reason", "fired_at", "outcome", "retry_at"])
            record_audit_event(
                action="give_up_deadline",
                subject_type=row.subject_type,
                subject_id=row.subject_id,
                actor_label=ACTOR_LABEL,
                data={
                    "deadline": row.pk,
                    "kind": row.kind,
                    "attempts": row.attempts,
                    "reason": row.failure_reason,
                },
            )
            return FiredDeadline(row.pk, row.kind, subject, FAILED_OUTCOME, row.failure_reason)
        row.retry_at = now + retry_delay(row.attempts)
        row.save(update_fields=["attempts", "failure_reason", "retry_at"])
        return FiredDeadline(row.pk, row.kind, subject, "retry", row.failure_reason)
    row.fired_at, row.outcome = clock_now(), outcome
    row.save(update_fields=["fired_at", "outcome"])
    return FiredDeadline(row.pk, row.kind, subject, "fired", outcome)


def _next_group(rows: list[Deadline]) -> list[Deadline]:
    """Take from `rows` the next rows to fire together: the first row, and, when its kind has a
    batch handler, the other rows of that kind among the leading rows of distinct subjects.

    A subject's rows fire in due order (a warning before the overdue mark of the same case): a row
    is taken only when no earlier row of its subject is left. Rows of different subjects do not
    touch each other, so taking some of them ahead of others changes nothing."""
    first = rows[0]
    if first.kind not in _batch_handlers:
        return [rows.pop(0)]
    subjects: set[tuple[str, str]] = set()
    taken: list[int] = []
    for index, row in enumerate(rows):
        subject = (row.subject_type, row.subject_id)
        if subject in subjects:
            break
        subjects.add(subject)
        if row.kind == first.kind:
            taken.append(index)
    group = [rows[index] for index in taken]
    for index in reversed(taken):
        del rows[index]
    return group


def _fire_group(group: list[Deadline], now: datetime, max_attempts: int) -> list[FiredDeadline]:
    """Fire rows of one kind: through the kind's batch handler in one savepoint when it has one
    and there is more than one row, else (and when the batch handler raises) row by row."""
    batch = _batch_handlers.get(group[0].kind)
    if batch is None or len(group) == 1:
        return [_fire_row(row, now, max_attempts) for row in group]
    try:
        with transaction.atomic():
            outcomes = [str(o if o is not None else "")[:MAX_OUTCOME_LENGTH] for o in batch(group)]
            if len(outcomes) != len(group):
                raise ValueError(
                    f"batch handler of {group[0].kind!r}: {len(outcomes)} outcomes for {len(group)} rows"
                )
    except Exception:  # the rows are not lost: each is tried on its own, with its own record
        logger.warning(
            "batch of %s deadlines (%s) failed; firing them one by one",
            len(group),
            group[0].kind,
            exc_info=True,
        )
        return [_fire_row(row, now, max_attempts) for row in group]
    moment = clock_now()
    by_outcome: dict[str, list[int]] = {}
    for row, outcome in zip(group, outcomes, strict=True):
        row.fired_at, row.outcome = moment, outcome
        by_outcome.setdefault(outcome, []).append(row.pk)
    # One UPDATE per distinct outcome (a batch has one or two), not bulk_update's CASE per row.
    for outcome, ids in by_outcome.items():
        Deadline.objects.filter(pk__in=ids).update(fired_at=moment, outcome=outcome)
    return [
        FiredDeadline(row.pk, row.kind, f"{row.subject_type}:{row.subject_id}", "fired", row.outcome)
        for row in group
    ]


def _fire_batch(now: datetime, count: int, max_attempts: int) -> list[FiredDeadline] | None:
    """Claim up to `count` due rows and fire them in one transaction; None when no row is due.

    After BATCH_SECONDS it commits what it did (at least one group of rows); the rows it did not
    reach stay due for the next batch. When a handler has cancelled rows, the rest of the batch is
    read again and only the rows still open fire."""
    with transaction.atomic(durable=True):
        rows = _claim(now, count)
        if not rows:
            return None
        started = time.monotonic()
        seen = _cancellations
        fired: list[FiredDeadline] = []
        while rows:
            if fired and time.monotonic() - started >= BATCH_SECONDS:
                break
            if _cancellations != seen:
                seen = _cancellations
                still_open = set(
                    Deadline.objects.filter(OPEN, pk__in=[r.pk for r in rows]).values_list("pk", flat=True)
                )
                rows = [r for r in rows if r.pk in still_open]
                if not rows:
                    break
            fired.extend(_fire_group(_next_group(rows), now, max_attempts))
        return fired


def fire_due_deadlines(
    *, now: datetime | None = None, limit: int | None = None, max_attempts: int = MAX_ATTEMPTS
) -> SweepReport:
    """Fire every row due at `now` (default: the clock), at most `limit`, oldest due first, a batch
    of rows per transaction and each row's handler in its own savepoint.

    A row whose handler raises is tried again after retry_delay(attempts) and given up (outcome
    "failed", fired_at set) at the `max_attempts`-th failure; the sweep goes on with the next row.
    A row that a handler of the same batch cancelled does not fire. Rows that a handler schedules
    already due fire in a later batch of the same sweep. Must not run inside a transaction: each
    batch commits on its own.
    """
    moment = _aware(now, "now") if now is not None else clock_now()
    report = SweepReport()
    while limit is None or report.claimed < limit:
        wanted = CLAIM_BATCH if limit is None else min(CLAIM_BATCH, limit - report.claimed)
        batch = _fire_batch(moment, wanted, max_attempts)
        if batch is None:
            break
        for fired in batch:
            report.rows.append(fired)
            if fired.result == "fired":
                report.fired += 1
            elif fired.result == FAILED_OUTCOME:
                report.given_up += 1
            else:
                report.retried += 1
    return report
