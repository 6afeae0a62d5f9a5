"""Reading deadline rows, and the index the sweeper's query uses."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from gridgov.deadlines.actions import cancel_deadlines, schedule_deadline
from gridgov.deadlines.models import Deadline
from gridgov.deadlines.queries import deadlines_for, due_deadlines, open_deadlines_for

DUE = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)


def test_due_deadlines_are_open_due_and_not_waiting(db: None) -> None:
    second = schedule_deadline("k", "s", "1", DUE + timedelta(minutes=5))
    first = schedule_deadline("k", "s", "2", DUE)
    schedule_deadline("k", "s", "3", DUE + timedelta(hours=1))  # not due yet
    fired = schedule_deadline("k", "s", "4", DUE)
    Deadline.objects.filter(pk=fired.pk).update(fired_at=DUE, outcome="done")
    schedule_deadline("k", "s", "5", DUE)
    cancel_deadlines("s", "5")
    waiting = schedule_deadline("k", "s", "6", DUE)
    Deadline.objects.filter(pk=waiting.pk).update(attempts=1, retry_at=DUE + timedelta(minutes=20))
    retry_now = schedule_deadline("k", "s", "7", DUE - timedelta(minutes=1))
    Deadline.objects.filter(pk=retry_now.pk).update(attempts=1, retry_at=DUE + timedelta(minutes=9))

    moment = DUE + timedelta(minutes=10)
    assert list(due_deadlines(moment)) == [retry_now, first, second]
    assert list(due_deadlines(moment, limit=1)) == [retry_now]
    assert list(due_deadlines(moment + timedelta(minutes=10))) == [retry_now, first, waiting, second]


def test_open_deadlines_for_a_subject(db: None) -> None:
    warn = schedule_deadline("warn", "cases.case", "42", DUE)
    overdue = schedule_deadline("overdue", "cases.case", "42", DUE + timedelta(hours=1))
    schedule_deadline("warn", "cases.case", "43", DUE)
    assert list(open_deadlines_for("cases.case", "42")) == [warn, overdue]
    cancel_deadlines("cases.case", "42", kinds=["warn"])
    assert list(open_deadlines_for("cases.case", "42")) == [overdue]
    assert list(deadlines_for("cases.case", "42")) == [warn, overdue]


def test_the_due_query_uses_the_partial_index(db: None) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL picks plans by table statistics")
    for n in range(50):
        schedule_deadline("k", "s", str(n), DUE + timedelta(minutes=n))
    sql, params = due_deadlines(DUE + timedelta(minutes=10), limit=5).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(line) for line in cursor.fetchall())
    assert "deadline_open_due_idx" in plan, plan
