"""insert_all writes what bulk_create writes, column by column, on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Model
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import Role, User
from gridgov.core.inserts import MAX_ROWS_PER_STATEMENT, insert_all
from gridgov.core.models import AuditEvent
from gridgov.deadlines.models import Deadline

pytestmark = pytest.mark.django_db

MOMENT = datetime(2026, 5, 4, 3, 2, 1, 123456, tzinfo=UTC)


def audit_rows(actor: User, tag: str, count: int) -> list[AuditEvent]:
    return [
        AuditEvent(
            occurred_at=MOMENT + timedelta(seconds=n),
            # The related instance, not its id: the id is taken from it at insert time.
            actor=actor if n % 2 else None,
            actor_label=gettext_lazy("actor") if n % 3 == 0 else f"label {n}",  # type: ignore[misc]
            action=Role.DISPATCHER,  # an enum member: stored as its value
            subject_type=tag,
            subject_id=str(n),
            data={"n": n, "text": "中文", "nested": [1, None, {"a": True}]},
        )
        for n in range(count)
    ]


def deadline_rows(tag: str, count: int) -> list[Deadline]:
    return [
        Deadline(
            kind=tag,
            subject_type="cases.case",
            subject_id=str(n),
            started_at=MOMENT,
            due_at=MOMENT + timedelta(hours=n),
            fired_at=None if n % 2 else MOMENT,
            outcome="",
            attempts=n % 4,
            data={"step": "handle"} if n % 2 else {"task": n},
            created_at=MOMENT,
        )
        for n in range(count)
    ]


def stored(model: type[Model], tag_field: str, tag: str) -> list[tuple[object, ...]]:
    columns = [f.attname for f in model._meta.concrete_fields if f.attname not in ("id", tag_field)]
    return list(model._default_manager.filter(**{tag_field: tag}).order_by("id").values_list(*columns))


def test_insert_all_writes_the_rows_bulk_create_writes() -> None:
    actor = User.objects.create(username="inserter")
    # More rows than one statement takes, so the chunking is exercised too.
    count = MAX_ROWS_PER_STATEMENT + 7
    expected_audits, audits = audit_rows(actor, "a", count), audit_rows(actor, "b", count)
    AuditEvent.objects.bulk_create(expected_audits)
    insert_all(audits)
    assert stored(AuditEvent, "subject_type", "b") == stored(AuditEvent, "subject_type", "a")
    assert len(stored(AuditEvent, "subject_type", "b")) == count
    assert [row.actor_id for row in audits] == [row.actor_id for row in expected_audits]

    expected_deadlines, deadlines = deadline_rows("x", 30), deadline_rows("y", 30)
    Deadline.objects.bulk_create(expected_deadlines)
    insert_all(deadlines)
    assert stored(Deadline, "kind", "y") == stored(Deadline, "kind", "x")


def test_insert_all_sets_ids_in_order_and_marks_instances_saved() -> None:
    rows = deadline_rows("order", 12)
    insert_all(rows)
    ids = [row.pk for row in rows]
    assert all(isinstance(pk, int) for pk in ids)
    assert ids == sorted(ids)
    by_id = dict(Deadline.objects.filter(pk__in=ids).values_list("pk", "subject_id"))
    assert [by_id[row.pk] for row in rows] == [row.subject_id for row in rows]
    assert not any(row._state.adding for row in rows)
    rows[0].outcome = "saved later"
    rows[0].save(update_fields=["outcome"])  # an update, not a second insert
    assert Deadline.objects.filter(kind="order").count() == 12


def test_insert_all_refuses_what_it_does_not_handle_and_writes_nothing() -> None:
    saved = deadline_rows("saved", 1)
    insert_all(saved)
    with pytest.raises(ValueError, match="already has an id"):
        insert_all([*deadline_rows("mixed", 2), *saved])
    with pytest.raises(ValueError, match="one model"):
        insert_all([*deadline_rows("mixed", 1), *audit_rows(User(username="x"), "mixed", 1)])
    with pytest.raises(ValueError, match="not saved"):
        insert_all(audit_rows(User(username="unsaved"), "unsaved", 2))
    assert not Deadline.objects.filter(kind="mixed").exists()
    assert not AuditEvent.objects.filter(subject_type__in=["mixed", "unsaved"]).exists()
    insert_all([])  # nothing to do
