"""The sweep claims a batch of rows per transaction; every per-row guarantee still holds."""

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from gridgov.core.audit import record_audit_event
from gridgov.core.models import AuditEvent
from gridgov.deadlines import actions
from gridgov.deadlines.actions import (
    cancel_deadlines,
    fire_due_deadlines,
    register_deadline_handler,
    schedule_deadline,
    unregister_deadline_handler,
)
from gridgov.deadlines.models import Deadline
from tests.deadlines.conftest import FAILING_KIND, OK_KIND, SUBJECT, Calls

DUE = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)
LATER = DUE + timedelta(hours=1)


def rows(count: int, kind: str = OK_KIND) -> list[Deadline]:
    return [schedule_deadline(kind, SUBJECT, str(n), DUE + timedelta(minutes=n)) for n in range(count)]


@pytest.fixture
def claims(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The size of every batch the sweep claimed, in order."""
    sizes: list[int] = []
    claim = actions._claim

    def counted(now: datetime, count: int) -> list[Deadline]:
        claimed = claim(now, count)
        sizes.append(len(claimed))
        return claimed

    monkeypatch.setattr(actions, "_claim", counted)
    yield sizes


def test_rows_are_claimed_a_batch_at_a_time(
    db: None, handlers: Calls, claims: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(actions, "CLAIM_BATCH", 3)
    made = rows(7)
    report = fire_due_deadlines(now=LATER)
    assert report.as_dict() == {"fired": 7, "retried": 0, "given_up": 0}
    assert handlers.ok == [r.pk for r in made]  # due order, across batches
    assert claims == [3, 3, 1, 0]
    assert Deadline.objects.filter(fired_at__isnull=True).count() == 0


def test_the_limit_cuts_the_last_batch(
    db: None, handlers: Calls, claims: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(actions, "CLAIM_BATCH", 2)
    made = rows(6)
    assert fire_due_deadlines(now=LATER, limit=3).fired == 3
    assert claims == [2, 1]
    assert handlers.ok == [r.pk for r in made[:3]]
    assert Deadline.objects.filter(fired_at__isnull=True).count() == 3


def test_a_failing_row_undoes_only_its_own_writes(db: None, handlers: Calls) -> None:
    first = schedule_deadline(OK_KIND, SUBJECT, "1", DUE)
    failing = schedule_deadline(FAILING_KIND, SUBJECT, "2", DUE + timedelta(minutes=1))
    last = schedule_deadline(OK_KIND, SUBJECT, "3", DUE + timedelta(minutes=2))
    report = fire_due_deadlines(now=LATER)  # one batch holds all three
    assert [(r.id, r.result) for r in report.rows] == [
        (first.pk, "fired"),
        (failing.pk, "retry"),
        (last.pk, "fired"),
    ]
    assert list(AuditEvent.objects.order_by("id").values_list("action", "subject_id")) == [
        ("remind", "1"),
        ("remind", "3"),
    ]
    waiting = Deadline.objects.get(pk=failing.pk)
    assert (waiting.attempts, waiting.is_open, waiting.retry_at) == (1, True, LATER + timedelta(minutes=1))


def test_a_database_error_in_a_handler_leaves_the_batch_usable(db: None, handlers: Calls) -> None:
    def broken(deadline: Deadline) -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table_at_all")
        return "never"

    register_deadline_handler("tests.broken", broken)
    try:
        bad = schedule_deadline("tests.broken", SUBJECT, "1", DUE)
        good = schedule_deadline(OK_KIND, SUBJECT, "2", DUE + timedelta(minutes=1))
        report = fire_due_deadlines(now=LATER)
    finally:
        unregister_deadline_handler("tests.broken")
    assert [(r.id, r.result) for r in report.rows] == [(bad.pk, "retry"), (good.pk, "fired")]
    assert Deadline.objects.get(pk=good.pk).outcome == "reminded 2"


def test_a_row_cancelled_by_an_earlier_handler_of_the_batch_does_not_fire(db: None, handlers: Calls) -> None:
    def close(deadline: Deadline) -> str:
        cancel_deadlines(SUBJECT, "7", reason="case closed")
        return "closed"

    register_deadline_handler("tests.close", close)
    try:
        closing = schedule_deadline("tests.close", SUBJECT, "6", DUE)
        cancelled = schedule_deadline(OK_KIND, SUBJECT, "7", DUE + timedelta(minutes=1))
        other = schedule_deadline(OK_KIND, SUBJECT, "8", DUE + timedelta(minutes=2))
        report = fire_due_deadlines(now=LATER)
    finally:
        unregister_deadline_handler("tests.close")
    assert [(r.id, r.result) for r in report.rows] == [(closing.pk, "fired"), (other.pk, "fired")]
    assert handlers.ok == [other.pk]
    row = Deadline.objects.get(pk=cancelled.pk)
    assert (row.fired_at, row.outcome) == (None, "case closed")


def test_a_cancellation_rolled_back_with_its_handler_changes_nothing(db: None, handlers: Calls) -> None:
    def cancel_then_fail(deadline: Deadline) -> str:
        cancel_deadlines(SUBJECT, "2")
        raise RuntimeError("boom")

    register_deadline_handler("tests.cancel-then-fail", cancel_then_fail)
    try:
        schedule_deadline("tests.cancel-then-fail", SUBJECT, "1", DUE)
        kept = schedule_deadline(OK_KIND, SUBJECT, "2", DUE + timedelta(minutes=1))
        report = fire_due_deadlines(now=LATER)
    finally:
        unregister_deadline_handler("tests.cancel-then-fail")
    assert report.as_dict() == {"fired": 1, "retried": 1, "given_up": 0}
    assert handlers.ok == [kept.pk]


def test_a_batch_commits_early_when_its_time_is_up(
    db: None, handlers: Calls, claims: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(actions, "BATCH_SECONDS", 0.0)  # every batch stops after its first row
    made = rows(3)
    report = fire_due_deadlines(now=LATER)
    assert report.fired == 3
    assert handlers.ok == [r.pk for r in made]
    assert claims == [3, 2, 1, 0]  # the rows not reached were claimed again by the next batch


def test_a_row_scheduled_due_by_a_handler_fires_in_the_same_sweep(db: None, handlers: Calls) -> None:
    def chain(deadline: Deadline) -> str:
        schedule_deadline(OK_KIND, SUBJECT, "chained", DUE)
        return "chained"

    register_deadline_handler("tests.chain-now", chain)
    try:
        schedule_deadline("tests.chain-now", SUBJECT, "first", DUE)
        report = fire_due_deadlines(now=LATER)
    finally:
        unregister_deadline_handler("tests.chain-now")
    assert report.fired == 2
    assert [r.subject for r in report.rows] == [f"{SUBJECT}:first", f"{SUBJECT}:chained"]


# ── batch handlers ─────────────────────────────────────────────────────────────────────────────

BATCH_KIND = "tests.batched"
LATE_KIND = "tests.batched_late"


@pytest.fixture
def batched() -> Iterator[list[list[tuple[str, str]]]]:
    """Two kinds with a one-row and a batch handler; every call, as (kind, subject id) lists: a
    one-row call is a list of one. Each handler writes an audit line per row. A row of subject
    "bad" makes the batch handler raise (the one-row handler takes it fine); "worse" makes both
    raise."""
    calls: list[list[tuple[str, str]]] = []

    def one(deadline: Deadline) -> str:
        calls.append([(deadline.kind, deadline.subject_id)])
        if deadline.subject_id == "worse":
            raise RuntimeError("worse")
        record_audit_event(action=deadline.kind, subject_type=SUBJECT, subject_id=deadline.subject_id)
        return f"one {deadline.subject_id}"

    def many(deadlines: Sequence[Deadline]) -> list[str]:
        calls.append([(d.kind, d.subject_id) for d in deadlines])
        for deadline in deadlines:
            record_audit_event(action=deadline.kind, subject_type=SUBJECT, subject_id=deadline.subject_id)
        if any(d.subject_id in ("bad", "worse") for d in deadlines):
            raise RuntimeError("bad row in the batch")
        return [f"many {d.subject_id}" for d in deadlines]

    register_deadline_handler(BATCH_KIND, one, batch=many)
    register_deadline_handler(LATE_KIND, one, batch=many)
    yield calls
    unregister_deadline_handler(BATCH_KIND)
    unregister_deadline_handler(LATE_KIND)


def at(kind: str, subject: str, minutes: int) -> Deadline:
    return schedule_deadline(kind, SUBJECT, subject, DUE + timedelta(minutes=minutes))


def audit_lines() -> list[tuple[str, str]]:
    return list(AuditEvent.objects.order_by("id").values_list("action", "subject_id"))


def test_rows_of_a_kind_with_a_batch_handler_fire_in_one_call(
    db: None, batched: list[list[tuple[str, str]]]
) -> None:
    made = [at(BATCH_KIND, str(n), n) for n in range(4)]
    report = fire_due_deadlines(now=LATER)
    assert batched == [[(BATCH_KIND, "0"), (BATCH_KIND, "1"), (BATCH_KIND, "2"), (BATCH_KIND, "3")]]
    assert [(r.id, r.result, r.outcome) for r in report.rows] == [
        (row.pk, "fired", f"many {row.subject_id}") for row in made
    ]
    fired = Deadline.objects.order_by("id")
    assert [(d.outcome, d.fired_at is not None) for d in fired] == [(f"many {n}", True) for n in range(4)]


def test_a_subjects_rows_fire_in_due_order_across_kinds(
    db: None, batched: list[list[tuple[str, str]]]
) -> None:
    # Case "a" has a warning-like row and a later row of another kind; "b" has only the later kind.
    at(BATCH_KIND, "a", 0)
    at(LATE_KIND, "b", 1)
    at(LATE_KIND, "a", 2)
    at(BATCH_KIND, "c", 3)
    fire_due_deadlines(now=LATER)
    # "a"'s second row waits until its first has fired; among the leading rows of distinct
    # subjects, the rows of the first row's kind go together; a group of one takes the one-row handler.
    assert batched == [
        [(BATCH_KIND, "a")],
        [(LATE_KIND, "b"), (LATE_KIND, "a")],
        [(BATCH_KIND, "c")],
    ]
    assert audit_lines() == [(BATCH_KIND, "a"), (LATE_KIND, "b"), (LATE_KIND, "a"), (BATCH_KIND, "c")]


def test_a_failing_batch_is_undone_and_its_rows_fire_one_by_one(
    db: None, batched: list[list[tuple[str, str]]]
) -> None:
    first = at(BATCH_KIND, "1", 0)
    bad = at(BATCH_KIND, "bad", 1)
    worse = at(BATCH_KIND, "worse", 2)
    report = fire_due_deadlines(now=LATER)
    assert batched == [
        [(BATCH_KIND, "1"), (BATCH_KIND, "bad"), (BATCH_KIND, "worse")],
        [(BATCH_KIND, "1")],
        [(BATCH_KIND, "bad")],
        [(BATCH_KIND, "worse")],
    ]
    assert [(r.id, r.result, r.outcome) for r in report.rows] == [
        (first.pk, "fired", "one 1"),
        (bad.pk, "fired", "one bad"),
        (worse.pk, "retry", "RuntimeError: worse"),
    ]
    # The batch's three audit lines were rolled back with it; the one-row handlers wrote theirs.
    assert audit_lines() == [(BATCH_KIND, "1"), (BATCH_KIND, "bad")]
    worse.refresh_from_db()
    assert worse.fired_at is None and worse.attempts == 1 and worse.retry_at is not None


def test_a_batch_answering_the_wrong_number_of_outcomes_is_undone(
    db: None, batched: list[list[tuple[str, str]]]
) -> None:
    def short(deadlines: Sequence[Deadline]) -> list[str]:
        record_audit_event(action="short", subject_type=SUBJECT, subject_id="all")
        return ["only one"]

    register_deadline_handler(BATCH_KIND, actions._handlers[BATCH_KIND], batch=short, replace=True)
    at(BATCH_KIND, "1", 0)
    at(BATCH_KIND, "2", 1)
    report = fire_due_deadlines(now=LATER)
    assert [(r.result, r.outcome) for r in report.rows] == [("fired", "one 1"), ("fired", "one 2")]
    assert audit_lines() == [(BATCH_KIND, "1"), (BATCH_KIND, "2")]


def test_a_row_cancelled_by_a_batch_does_not_fire(db: None) -> None:
    later = at(OK_KIND, "x", 5)

    def one(deadline: Deadline) -> str:
        return "one"

    def many(deadlines: Sequence[Deadline]) -> list[str]:
        cancel_deadlines(SUBJECT, "x", reason="done by the batch")
        return ["many"] * len(deadlines)

    register_deadline_handler(BATCH_KIND, one, batch=many)
    register_deadline_handler(OK_KIND, one)
    try:
        at(BATCH_KIND, "1", 0)
        at(BATCH_KIND, "2", 1)
        report = fire_due_deadlines(now=LATER)
    finally:
        unregister_deadline_handler(BATCH_KIND)
        unregister_deadline_handler(OK_KIND)
    assert [r.outcome for r in report.rows] == ["many", "many"]
    later.refresh_from_db()
    assert later.fired_at is None and later.outcome == "done by the batch"


def test_registering_without_a_batch_handler_forgets_the_old_one(
    db: None, batched: list[list[tuple[str, str]]]
) -> None:
    register_deadline_handler(BATCH_KIND, actions._handlers[BATCH_KIND], replace=True)
    at(BATCH_KIND, "1", 0)
    at(BATCH_KIND, "2", 1)
    fire_due_deadlines(now=LATER)
    assert batched == [[(BATCH_KIND, "1")], [(BATCH_KIND, "2")]]
