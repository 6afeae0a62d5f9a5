"""insert_all: Django's bulk_create without the per-value compiler work, for the bulk paths.

`Model.objects.bulk_create` spends most of its time building the INSERT statement: for every value of
every row the SQL compiler resolves expressions, asks the field for its placeholder and prepares
the value (about 80% of a bulk intake, docs/performance.md). insert_all writes the same rows: it
converts each value the way the field would (`get_db_prep_save` for every field that needs it:
dates, JSON, decimals…; plain text, numbers, booleans and foreign keys pass as they are, after
the same coercion Django applies), builds one multi-row INSERT … RETURNING id per chunk, and sets
each instance's id and state, as bulk_create does on databases that return ids. The order of
RETURNING rows is the insert order on SQLite and PostgreSQL, which bulk_create relies on too.

It does not handle what the bulk paths never need: instances with ids already set, parents of
multi-table inheritance, conflicts (ignore/update). tests/core/test_inserts.py checks that it
writes what bulk_create writes, column by column.
"""

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from django.db import connections, models, router
from django.db.models import signals
from django.db.models.base import ModelState

M = TypeVar("M", bound=models.Model)

# Fields whose value goes to the driver as it is (after the coercion below): their
# get_db_prep_save does nothing more than that for these types.
_TEXT_FIELDS = (models.CharField, models.TextField)
_INTEGER_FIELDS = (models.IntegerField, models.BigIntegerField, models.SmallIntegerField, models.AutoField)


def _related_id(obj: models.Model, field: models.ForeignKey[Any, Any]) -> Any:
    """The foreign key's value; taken from the related instance when it was saved after being
    assigned (an event built with its new case), as Model._prepare_related_fields_for_save does."""
    value = getattr(obj, field.attname)
    if value is None and field.is_cached(obj):
        related = field.get_cached_value(obj)
        if related is not None:
            if related.pk is None:
                raise ValueError(f"{field.model._meta.label}.{field.name}: the related object is not saved")
            value = getattr(related, field.target_field.attname)
            setattr(obj, field.attname, value)
    return value


def _text(value: Any) -> Any:
    # Enum members (TextChoices) and lazy strings become plain str, as CharField.to_python does.
    return value if value is None or type(value) is str else str(value)


def _integer(value: Any) -> Any:
    return value if value is None or type(value) is int else int(value)


def _boolean(value: Any) -> Any:
    return value if value is None or type(value) is bool else bool(value)


def _converter(field: models.Field[Any, Any], connection: Any) -> Callable[[models.Model], Any]:
    attname = field.attname
    if isinstance(field, models.ForeignKey):
        target = field.target_field
        if isinstance(target, _INTEGER_FIELDS):
            return lambda obj: _integer(_related_id(obj, field))
        if isinstance(target, _TEXT_FIELDS):
            return lambda obj: _text(_related_id(obj, field))
        return lambda obj: field.get_db_prep_save(_related_id(obj, field), connection)
    elif type(field) in (models.CharField, models.TextField):
        return lambda obj: _text(getattr(obj, attname))
    elif isinstance(field, _INTEGER_FIELDS) and not field.choices:
        return lambda obj: _integer(getattr(obj, attname))
    elif type(field) is models.BooleanField:
        return lambda obj: _boolean(getattr(obj, attname))

    if type(field) is models.DateTimeField and not (field.auto_now or field.auto_now_add):
        # The rows of a batch share a few moments (the batch's, a handful of due times): each
        # distinct one is converted once per call.
        converted: dict[Any, Any] = {}

        def moment(obj: models.Model) -> Any:
            value = getattr(obj, attname)
            if value not in converted:
                converted[value] = field.get_db_prep_save(value, connection)
            return converted[value]

        return moment

    # Everything else as the compiler does it: pre_save (auto_now…), then the database form.
    def prepared(obj: models.Model) -> Any:
        return field.get_db_prep_save(field.pre_save(obj, True), connection)

    return prepared


# Rows per INSERT at most: larger statements save little and cost memory.
MAX_ROWS_PER_STATEMENT = 1000


def _rows_per_statement(connection: Any, columns: int, rows: int) -> int:
    """As many rows as the database takes parameters for. Django assumes SQLite's old limit of
    999 parameters; the linked library tells its real one (32,766 since SQLite 3.32)."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        return max(1, min(MAX_ROWS_PER_STATEMENT, limit // columns))
    return max(1, min(MAX_ROWS_PER_STATEMENT, rows))


def insert_all(objs: Sequence[models.Model], *, using: str = "default") -> None:
    """INSERT every instance of `objs` (one model, ids not set) and set their ids, in order."""
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    if meta.parents:
        raise ValueError("insert_all does not handle multi-table inheritance")
    if any(type(obj) is not model for obj in objs):
        raise ValueError("insert_all needs instances of one model")
    pk = meta.pk
    assert pk is not None
    if any(getattr(obj, pk.attname) is not None for obj in objs):
        raise ValueError("insert_all inserts new rows only: an instance already has an id")
    connection = connections[using]
    fields = [field for field in meta.concrete_fields if field is not pk]
    convert = [_converter(field, connection) for field in fields]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    per_statement = _rows_per_statement(connection, len(fields), len(objs))
    row_marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    head = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "
    tail = f" RETURNING {quote(pk.column)}"
    with connection.cursor() as cursor:
        for first in range(0, len(objs), per_statement):
            chunk = objs[first : first + per_statement]
            params = [to_db(obj) for obj in chunk for to_db in convert]
            cursor.execute(head + ", ".join([row_marks] * len(chunk)) + tail, params)
            ids = [row[0] for row in cursor.fetchall()]
            if len(ids) != len(chunk):
                raise RuntimeError(f"{meta.label}: {len(chunk)} rows inserted, {len(ids)} ids returned")
            for obj, new_id in zip(chunk, ids, strict=True):
                setattr(obj, pk.attname, new_id)
                obj._state.adding = False
                obj._state.db = using


# ---------------------------------------------------------------------------------------------
# Building instances


@dataclass(frozen=True)
class _Slot:
    field: models.Field[Any, Any]
    name: str
    attname: str
    is_foreign_key: bool


@cache
def _slots(model: type[models.Model]) -> tuple[_Slot, ...]:
    return tuple(
        _Slot(field, field.name, field.attname, isinstance(field, models.ForeignKey))
        for field in model._meta.concrete_fields
    )


@cache
def _attnames(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(slot.attname for slot in _slots(model))


def _plain(model: type[models.Model]) -> bool:
    """No pre_init or post_init receiver for `model` (they would be skipped by the short path)."""
    return not (signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model))


def new_instance(model: type[M], **values: Any) -> M:
    """`model(**values)`, built as Django builds the rows it reads: every field's value in order.

    Django's keyword path of `Model.__init__` costs about 25 µs a row (for each field: look the
    name up, ask for its default, go through the relation's descriptor); the positional path sets
    attributes directly. The bulk intake builds some 40,000 instances per 5,000 reports (cases,
    events, tasks, deadlines, inbox and audit rows), where that was a third of its time.

    Same result as the keyword call for what the callers pass (tests/core/test_inserts.py): a
    field by its name or attname; a foreign key given as an instance (saved or not) sets the id
    and caches the instance, as the descriptor does; a missing field takes its default. Unknown
    names raise TypeError, as the keyword call does. Properties and reverse relations cannot be
    set here.
    """
    row: list[Any] = []
    related: list[tuple[models.Field[Any, Any], Any]] = []
    for slot in _slots(model):
        if slot.name in values:
            value = values.pop(slot.name)
            if slot.is_foreign_key and slot.name != slot.attname:
                related.append((slot.field, value))
                value = None if value is None else getattr(value, slot.field.target_field.attname)  # type: ignore[attr-defined]
        elif slot.attname in values:
            value = values.pop(slot.attname)
        else:
            value = slot.field.get_default()
        row.append(value)
    if values:
        raise TypeError(f"{model.__name__}() got unexpected keyword arguments: {', '.join(sorted(values))}")
    if _plain(model):
        # What Model.__init__ does with positional values, without its per-field descriptor calls:
        # a new instance's attributes are its __dict__ (the foreign keys' id descriptors only
        # store there too, after clearing a cache a new instance does not have).
        instance = model.__new__(model)
        instance._state = ModelState()
        instance.__dict__.update(zip(_attnames(model), row, strict=True))
    else:
        instance = model(*row)
    for field, value in related:
        field.set_cached_value(instance, value)  # type: ignore[attr-defined]
        if value is not None:
            # What ForwardManyToOneDescriptor.__set__ does besides: both sides learn the database.
            if instance._state.db is None:
                instance._state.db = router.db_for_write(model, instance=value)
            if value._state.db is None:
                value._state.db = router.db_for_write(type(value), instance=instance)
    return instance
