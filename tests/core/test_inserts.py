"""insert_all writes what bulk_create writes, column by column, on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db.models import Model
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import Role, User
from gridgov.core.inserts import MAX_ROWS_PER_STATEMENT, insert_all, new_instance
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


def instance_state(obj: Model) -> dict[str, Any]:
    """Every concrete field's attribute, the cached related instances and the adding flag."""
    values: dict[str, Any] = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    cached = {
        f.name: f.get_cached_value(obj)  # type: ignore[attr-defined]
        for f in obj._meta.concrete_fields
        if f.is_relation and f.is_cached(obj)  # type: ignore[attr-defined]
    }
    return {"values": values, "cached": cached, "adding": obj._state.adding, "db": obj._state.db}


@pytest.mark.django_db
def test_new_instance_builds_what_the_keyword_call_builds() -> None:
    from gridgov.cases.models import Case, CaseEvent

    user = User.objects.create(username="actor")
    unsaved_case = Case(number="330102-20260310-000001", title="井盖缺失")
    moment = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    calls: list[tuple[type[Model], dict[str, Any]]] = [
        # A foreign key as an unsaved instance, as the bulk path builds events; one as None.
        (CaseEvent, {"case": unsaved_case, "action": "report", "actor": None, "data": {"a": [1]}}),
        # As a saved instance, and by attname.
        (AuditEvent, {"action": "x", "actor": user, "subject_id": "1", "occurred_at": moment}),
        (AuditEvent, {"action": "x", "actor_id": user.pk, "data": {"k": "v"}}),
        # Nothing but defaults (callables such as dict and now give fresh values each time).
        (Deadline, {"kind": "k", "subject_type": "t", "subject_id": "1", "due_at": moment}),
        (Case, {"number": "n", "title": "t", "reporter": user, "category": None, "lon": 120.1}),
    ]
    for model, values in calls:
        expected = model(**values)
        unsaved_case._state.db = None  # the keyword call told it its database: start again
        built = new_instance(model, **values)
        assert type(built) is model
        got, want = instance_state(built), instance_state(expected)
        for moment_field in ("created_at", "updated_at", "reported_at", "started_at", "occurred_at"):
            # Defaults of "now" differ by the microseconds between the two calls.
            for state in (got, want):
                if moment_field in state["values"] and moment_field not in values:
                    state["values"][moment_field] = "now"
        assert got == want, model
    assert new_instance(CaseEvent, case=unsaved_case).case is unsaved_case
    assert unsaved_case._state.db == "default"

    with pytest.raises(TypeError, match="unexpected keyword arguments: colour"):
        new_instance(AuditEvent, action="x", colour="red")


def test_new_instance_still_sends_init_signals_to_their_receivers() -> None:
    from django.db.models.signals import post_init

    seen: list[Model] = []

    def receiver(sender: type[Model], instance: Model, **kwargs: Any) -> None:
        seen.append(instance)

    post_init.connect(receiver, sender=AuditEvent)
    try:
        built = new_instance(AuditEvent, action="x")
    finally:
        post_init.disconnect(receiver, sender=AuditEvent)
    assert seen == [built] and built.action == "x"
    assert new_instance(AuditEvent, action="y").action == "y" and seen == [built]
