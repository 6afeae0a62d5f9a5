"""Scheduling, cancelling and firing deadlines, with the clock moved by time-machine."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, connections, transaction

from gridgov.core.clock import now
from gridgov.core.models import AuditEvent
from gridgov.deadlines.actions import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    cancel_deadlines,
    fire_due_deadlines,
    register_deadline_handler,
    registered_kinds,
    retry_delay,
    schedule_deadline,
    unregister_deadline_handler,
)
from gridgov.deadlines.errors import DeadlineInvalid
from gridgov.deadlines.models import Deadline
from tests.deadlines.conftest import FAILING_KIND, OK_KIND, SUBJECT, Calls

START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai
DUE = START + timedelta(hours=4)


def row(pk: int) -> Deadline:
    return Deadline.objects.get(pk=pk)


@time_machine.travel(START, tick=False)
def test_schedule_a_deadline(db: None) -> None:
    deadline = schedule_deadline(OK_KIND, SUBJECT, 42, DUE, data={"step": "handle"})  # type: ignore[arg-type]
    assert (deadline.kind, deadline.subject_type, deadline.subject_id) == (OK_KIND, SUBJECT, "42")
    assert (deadline.started_at, deadline.due_at, deadline.data) == (START, DUE, {"step": "handle"})
    assert (deadline.fired_at, deadline.cancelled_at, deadline.attempts, deadline.outcome) == (
        None,
        None,
        0,
        "",
    )
    assert deadline.is_open
    earlier = schedule_deadline(OK_KIND, SUBJECT, "42", DUE, started_at=START - timedelta(days=1))
    assert earlier.started_at == START - timedelta(days=1)


@pytest.mark.parametrize(
    ("kind", "subject_type", "due_at"),
    [
        ("", SUBJECT, DUE),
        (OK_KIND, "", DUE),
        (OK_KIND, SUBJECT, datetime(2026, 3, 10, 14, 0)),  # naive
    ],
)
def test_an_impossible_deadline_is_refused(db: None, kind: str, subject_type: str, due_at: datetime) -> None:
    with pytest.raises(DeadlineInvalid):
        schedule_deadline(kind, subject_type, "1", due_at)
    assert Deadline.objects.count() == 0


def test_a_handler_fires_exactly_once(db: None, handlers: Calls) -> None:
    with time_machine.travel(START, tick=False):
        deadline = schedule_deadline(OK_KIND, SUBJECT, "1", DUE)
        assert fire_due_deadlines().claimed == 0  # not due yet
    with time_machine.travel(DUE - timedelta(seconds=1), tick=False):
        assert fire_due_deadlines().claimed == 0
    with time_machine.travel(DUE + timedelta(minutes=1), tick=False):
        report = fire_due_deadlines()
        assert report.as_dict() == {"fired": 1, "retried": 0, "given_up": 0}
        assert [(r.id, r.kind, r.subject, r.result, r.outcome) for r in report.rows] == [
            (deadline.pk, OK_KIND, f"{SUBJECT}:1", "fired", "reminded 1")
        ]
        fired = row(deadline.pk)
        assert (fired.fired_at, fired.outcome, fired.attempts) == (now(), "reminded 1", 0)
        assert not fired.is_open
    with time_machine.travel(DUE + timedelta(days=3), tick=False):
        assert fire_due_deadlines().claimed == 0  # a second sweep fires nothing
    assert handlers.ok == [deadline.pk]
    # The handler's write committed with the row.
    assert list(AuditEvent.objects.values_list("action", "subject_id")) == [("remind", "1")]


def test_rows_fire_in_due_order_up_to_the_limit(db: None, handlers: Calls) -> None:
    later = schedule_deadline(OK_KIND, SUBJECT, "later", DUE + timedelta(hours=1))
    first = schedule_deadline(OK_KIND, SUBJECT, "first", DUE)
    second = schedule_deadline(OK_KIND, SUBJECT, "second", DUE + timedelta(minutes=30))
    not_yet = schedule_deadline(OK_KIND, SUBJECT, "not yet", DUE + timedelta(days=1))
    moment = DUE + timedelta(hours=2)
    assert fire_due_deadlines(now=moment, limit=2).fired == 2
    assert handlers.ok == [first.pk, second.pk]
    assert fire_due_deadlines(now=moment).fired == 1
    assert handlers.ok == [first.pk, second.pk, later.pk]
    assert row(not_yet.pk).is_open


def test_cancelled_rows_never_fire(db: None, handlers: Calls) -> None:
    with time_machine.travel(START, tick=False):
        warn = schedule_deadline(OK_KIND, SUBJECT, "7", DUE)
        overdue = schedule_deadline("tests.overdue", SUBJECT, "7", DUE)
        other_subject = schedule_deadline(OK_KIND, SUBJECT, "8", DUE)
        assert cancel_deadlines(SUBJECT, "7", kinds=["tests.overdue"], reason="case closed") == 1
        assert cancel_deadlines(SUBJECT, "7") == 1
        assert cancel_deadlines(SUBJECT, "7") == 0  # nothing open any more
    cancelled = row(overdue.pk)
    assert (cancelled.cancelled_at, cancelled.outcome, cancelled.fired_at) == (START, "case closed", None)
    assert row(warn.pk).outcome == "cancelled"
    with time_machine.travel(DUE + timedelta(days=1), tick=False):
        report = fire_due_deadlines()
    assert report.fired == 1
    assert handlers.ok == [other_subject.pk]
    assert row(overdue.pk).fired_at is None
    # A fired row cannot be cancelled after the fact.
    assert cancel_deadlines(SUBJECT, "8") == 0
    assert row(other_subject.pk).outcome == "reminded 8"


def test_a_failing_handler_is_rolled_back_retried_and_given_up(db: None, handlers: Calls) -> None:
    failing = schedule_deadline(FAILING_KIND, SUBJECT, "9", DUE)
    moment = DUE
    for attempt in range(1, MAX_ATTEMPTS):
        with time_machine.travel(moment, tick=False):
            report = fire_due_deadlines()
            assert report.as_dict() == {"fired": 0, "retried": 1, "given_up": 0}
            waiting = row(failing.pk)
            assert (waiting.attempts, waiting.failure_reason) == (attempt, "RuntimeError: boom")
            assert waiting.retry_at == moment + retry_delay(attempt)
            assert (waiting.is_open, waiting.due_at) == (True, DUE)  # due_at stays when the limit ran out
            assert fire_due_deadlines().claimed == 0  # waits for its backoff
        moment = waiting.retry_at
    with time_machine.travel(moment, tick=False):
        report = fire_due_deadlines()
    assert report.as_dict() == {"fired": 0, "retried": 0, "given_up": 1}
    given_up = row(failing.pk)
    assert (given_up.attempts, given_up.outcome, given_up.fired_at) == (MAX_ATTEMPTS, "failed", moment)
    assert len(handlers.failing) == MAX_ATTEMPTS
    # None of the handler's own writes survived; the giving-up is audited.
    assert not AuditEvent.objects.filter(action="explode").exists()
    event = AuditEvent.objects.get(action="give_up_deadline")
    assert (event.subject_type, event.subject_id, event.actor_label) == (SUBJECT, "9", "deadline sweeper")
    assert event.data == {
        "deadline": failing.pk,
        "kind": FAILING_KIND,
        "attempts": 5,
        "reason": "RuntimeError: boom",
    }
    with time_machine.travel(moment + timedelta(days=1), tick=False):
        assert fire_due_deadlines().claimed == 0


def test_the_backoff_grows_then_stays() -> None:
    assert [retry_delay(n) for n in range(1, 7)] == [*RETRY_DELAYS, RETRY_DELAYS[-1], RETRY_DELAYS[-1]]
    assert RETRY_DELAYS[0] == timedelta(minutes=1)


def test_the_sweep_goes_on_after_a_failure(db: None, handlers: Calls) -> None:
    failing = schedule_deadline(FAILING_KIND, SUBJECT, "1", DUE)
    unknown = schedule_deadline("tests.nobody-handles-this", SUBJECT, "2", DUE + timedelta(minutes=1))
    fine = schedule_deadline(OK_KIND, SUBJECT, "3", DUE + timedelta(minutes=2))
    report = fire_due_deadlines(now=DUE + timedelta(hours=1), max_attempts=2)
    assert report.as_dict() == {"fired": 1, "retried": 2, "given_up": 0}
    assert [(r.id, r.result) for r in report.rows] == [
        (failing.pk, "retry"),
        (unknown.pk, "retry"),
        (fine.pk, "fired"),
    ]
    assert row(unknown.pk).failure_reason == (
        "LookupError: no handler registered for deadline kind 'tests.nobody-handles-this'"
    )
    report = fire_due_deadlines(now=DUE + timedelta(hours=2), max_attempts=2)
    assert report.as_dict() == {"fired": 0, "retried": 0, "given_up": 2}
    assert list(AuditEvent.objects.order_by("id").values_list("action", "subject_id")) == [
        ("remind", "3"),
        ("give_up_deadline", "1"),
        ("give_up_deadline", "2"),
    ]


def test_a_handler_may_return_nothing_and_may_schedule_more(db: None) -> None:
    def chain(deadline: Deadline) -> str:
        if deadline.subject_id == "first":
            schedule_deadline("tests.chain", SUBJECT, "second", deadline.due_at + timedelta(hours=1))
        return None  # type: ignore[return-value]

    register_deadline_handler("tests.chain", chain)
    try:
        first = schedule_deadline("tests.chain", SUBJECT, "first", DUE)
        assert fire_due_deadlines(now=DUE).fired == 1
        assert row(first.pk).outcome == ""
        assert Deadline.objects.filter(subject_id="second", fired_at=None).count() == 1
        assert fire_due_deadlines(now=DUE + timedelta(hours=1)).fired == 1
    finally:
        unregister_deadline_handler("tests.chain")


def test_a_kind_has_one_handler(handlers: Calls) -> None:
    assert {OK_KIND, FAILING_KIND} <= set(registered_kinds())

    def other(deadline: Deadline) -> str:
        return ""

    with pytest.raises(ValueError, match="already has a handler"):
        register_deadline_handler(OK_KIND, other)
    with pytest.raises(ValueError):
        register_deadline_handler("", other)


def test_the_sweep_refuses_to_run_inside_a_transaction(db: None) -> None:
    # Each row must commit on its own; inside a caller's transaction it could not.
    with transaction.atomic(), pytest.raises(RuntimeError):
        fire_due_deadlines(now=DUE)


@pytest.mark.django_db(transaction=True)
def test_a_row_another_sweeper_holds_is_skipped(handlers: Calls) -> None:
    """PostgreSQL: while one sweeper holds a row, another fires the next one and never the same."""
    if not connection.features.has_select_for_update_skip_locked:
        pytest.skip("SQLite has no row locks: exactly one scheduler runs there")
    held = schedule_deadline(OK_KIND, SUBJECT, "held", DUE)
    free = schedule_deadline(OK_KIND, SUBJECT, "free", DUE + timedelta(minutes=1))
    locked, release = threading.Event(), threading.Event()

    def other_sweeper() -> None:
        try:
            with transaction.atomic():
                list(Deadline.objects.select_for_update().filter(pk=held.pk))
                locked.set()
                release.wait(timeout=60)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_sweeper)
    thread.start()
    try:
        assert locked.wait(timeout=60)
        report = fire_due_deadlines(now=DUE + timedelta(hours=1))
    finally:
        release.set()
        thread.join()
    assert [r.id for r in report.rows] == [free.pk]
    assert row(held.pk).is_open
    assert fire_due_deadlines(now=DUE + timedelta(hours=1)).fired == 1
    assert handlers.ok == [free.pk, held.pk]
