"""District-scale case histories for the query benchmarks: real lifecycles, copied through time.

Not a benchmark itself (no NAME): bench/cockpit_queries.py uses it.

1. Templates: `build_templates(count)` runs the demo's stories (gridgov.demo.cases.load_demo_cases)
   through the real actions with the clock moved: reports by residents, grid workers and the hotline,
   registered, dispatched, signed, handled, checked, closed and rated, with returns, rework,
   extensions, suspensions, escalations, whistles, merges, voids and missed limits (the sweeper fires
   the deadlines) — over the 30 days ending now. Every row is what the real actions write.
2. Copies: `replicate(shift_days(copies, span_days, month_weights()))` copies the templates'
   Case, CaseEvent and CaseTask rows `copies` times, copy j shifted back in time by whole weeks
   (drawn with the seasonal shape of a real 311 stream: ../shared/data/service-requests, 16 years
   of NYC requests by month), every
   datetime column moved by the same amount, so each copy is the same history as if it had
   happened that many weeks earlier (whole weeks: the working-time limits stay right). Cases
   still open are copied only into the last OPEN_HORIZON_DAYS, so the open cases are the recent
   ones, as in a real district. A copy's number is the template's with
   "~<j>" appended (unique); its idempotency key is empty; a merged copy points at the copy of its
   target (or nowhere if that target was not copied).

   tests/bench/test_workload.py proves the copy rule: stories run through the real actions and
   copied a week back equal the same stories run a week earlier, column by column.

   What copies do not get: deadlines, requests, photos, inbox messages and audit lines (the queries
   measured read only cases, case events and tasks), and the JSON of a copied event still names the
   template's task ids and any moment it records as text.

The copying runs in the database (INSERT … SELECT joined to a shift table): on SQLite a Python
function moves the datetime text; on PostgreSQL an interval is added. On PostgreSQL the copy first
sets the three tables' secondary indexes and foreign keys aside (`secondary_indexes_set_aside`) and
builds them again once at the end: maintaining 20 case and 10 event indexes row by row, and checking
the deferred keys at every commit, made the city copy slow to 40–60k cases a minute past 3M cases.
"""

import csv
import random
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bench.harness import say

OPEN_HORIZON_DAYS = 10
SHIFT_TABLE = "bench_case_shift"
SHIFT_FUNCTION = "gridgov_bench_shift"
SEED = 11


@dataclass(frozen=True)
class Replicated:
    cases: int
    events: int
    tasks: int
    seconds: float


# ── templates ──────────────────────────────────────────────────────────────────────────────


def build_templates(count: int, *, days: int = 30, seed: int = SEED) -> dict[str, int]:
    """`count` demo stories through the real actions over the `days` ending now (the areas, the
    catalogue and the districts' departments must exist: bench.intake_bulk.prepare)."""
    from gridgov.accounts.actions import create_user
    from gridgov.accounts.models import User
    from gridgov.demo.cases import load_demo_cases

    if not User.objects.filter(username="resident").exists():
        create_user(username="resident", password=None, display_name="居民", actor_label="bench")
    return load_demo_cases(count, days=days, seed=seed, say=lambda _text: None)


# ── the workload's seasonal shape ────────────────────────────────────────────────────────────


def month_weights() -> tuple[list[float], str]:
    """Share of requests created in each calendar month (January first) in NYC's 16 years of one
    agency's 311 requests (../shared/data/service-requests), and where it came from; equal shares
    when the shared data are absent."""
    from django.conf import settings

    path = settings.GRIDGOV_SHARED_DATA / "service-requests" / "nyc-311-dohmh-animals.csv"
    counts: Counter[int] = Counter()
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                created = _parse_day(row.get("Created Date") or "")
                if created is not None:
                    counts[created.month - 1] += 1
    except OSError:
        pass
    total = sum(counts.values())
    if total < 100:
        return [1.0] * 12, "equal monthly shares (service-requests data absent)"
    return [counts[month] / total for month in range(12)], f"monthly shape of {total:,} NYC 311 requests"


def _parse_day(text: str) -> date | None:
    try:
        return datetime.strptime(text.strip(), "%m/%d/%Y %I:%M:%S %p").date()
    except ValueError:
        return None


def shift_days(
    copies: int, span_days: int, weights: list[float], seed: int = SEED, *, after_days: int = 0
) -> list[int]:
    """`copies` shifts of whole weeks, more than `after_days` and at most `span_days` back, drawn
    with the monthly weights of the week they move a template to. Whole weeks keep each history's
    weekdays, so the working-time limits its deadlines were computed with stay right (public
    holidays excepted)."""
    rng = random.Random(seed)
    today = date.today()
    weeks = list(range(after_days // 7 + 1, max(span_days // 7, after_days // 7 + 1) + 1))
    week_weights = [weights[(today - timedelta(weeks=w)).month - 1] for w in weeks]
    return [7 * w for w in rng.choices(weeks, weights=week_weights, k=copies)]


# ── copying ────────────────────────────────────────────────────────────────────────────────


def _shift_text(value: str | None, days: int) -> str | None:
    """A datetime as Django stores it in SQLite ('YYYY-MM-DD HH:MM:SS[.ffffff]', UTC), `days` earlier."""
    if value is None:
        return None
    return str(datetime.fromisoformat(value) - timedelta(days=days))


def _shifted(column: str, vendor: str) -> str:
    if vendor == "sqlite":
        return f"{SHIFT_FUNCTION}({column}, s.days)"
    return f"({column} - s.days * INTERVAL '1 day')"


def _columns(model: Any) -> list[Any]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


@contextmanager
def secondary_indexes_set_aside(tables: list[str], progress: Callable[[str], None] = say) -> Iterator[None]:
    """PostgreSQL: drop the tables' indexes that back no constraint and their foreign keys, run the
    block, then create them again as they were (one sorted build each, and one check of each key
    over the whole table). Primary keys and unique constraints stay, so the block can still look
    rows up by id and by number. Elsewhere the block runs as it is."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
            [tables],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
            [tables],
        )
        foreign_keys = cursor.fetchall()
        # A table with deferred key checks still pending (inside a test's transaction) cannot be
        # altered: run those checks now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name, _ in foreign_keys:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    progress(f"workload: {len(indexes)} indexes and {len(foreign_keys)} foreign keys set aside")
    try:
        yield
    finally:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for _, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in foreign_keys:
                cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        progress(
            f"workload: {len(indexes)} indexes and {len(foreign_keys)} foreign keys built again "
            f"in {time.perf_counter() - started:.0f} s"
        )


def replicate(
    shifts: list[int],
    *,
    open_horizon_days: int = OPEN_HORIZON_DAYS,
    templates_through: int | None = None,
    progress: Callable[[str], None] = say,
) -> Replicated:
    """Copy every template case once per shift: the cases present now that are not copies, or with
    `templates_through`, those of them with an id up to it (cases filed after the templates stay
    as they are)."""
    from django.db import connection, transaction
    from django.db.models import Max

    from gridgov.cases.lifecycle import OPEN
    from gridgov.cases.models import Case, CaseEvent, CaseTask

    started = time.perf_counter()
    vendor = connection.vendor
    quote = connection.ops.quote_name
    templates = list(template_cases(templates_through).order_by("pk").values_list("pk", "number", "status"))
    open_statuses = {str(status) for status in OPEN}
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            raw = connection.connection
            assert isinstance(raw, sqlite3.Connection)
            raw.create_function(SHIFT_FUNCTION, 2, _shift_text, deterministic=True)
        cursor.execute(f"DROP TABLE IF EXISTS {SHIFT_TABLE}")
        cursor.execute(
            f"CREATE TABLE {SHIFT_TABLE} (template_id bigint NOT NULL, copy_index integer NOT NULL, "
            "days integer NOT NULL, new_number varchar(32) NOT NULL, new_id bigint)"
        )
        # The joins below look rows up by template and copy, and by new id (PostgreSQL builds no
        # index by itself; without these the merged-copy update is quadratic).
        cursor.execute(f"CREATE INDEX {SHIFT_TABLE}_template ON {SHIFT_TABLE} (template_id, copy_index)")
        cursor.execute(f"CREATE INDEX {SHIFT_TABLE}_new ON {SHIFT_TABLE} (new_id)")
    made = Counter[str]()
    first_copy = _next_copy_index()
    template_ids = [pk for pk, _, _ in templates]
    highest = {
        Case: max(template_ids, default=0),
        CaseEvent: CaseEvent.objects.filter(case_id__in=template_ids).aggregate(top=Max("id"))["top"] or 0,
        CaseTask: CaseTask.objects.filter(case_id__in=template_ids).aggregate(top=Max("id"))["top"] or 0,
    }
    chunk = max(1, 200_000 // max(1, len(templates)))
    tables = [model._meta.db_table for model in (Case, CaseEvent, CaseTask)]
    with secondary_indexes_set_aside(tables, progress):
        for begin in range(0, len(shifts), chunk):
            part = list(enumerate(shifts[begin : begin + chunk], start=first_copy + begin))
            rows = [
                (pk, copy, days, f"{number}~{copy:x}")
                for copy, days in part
                for pk, number, status in templates
                if days <= open_horizon_days or status not in open_statuses
            ]
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {SHIFT_TABLE}")
                cursor.executemany(
                    f"INSERT INTO {SHIFT_TABLE} (template_id, copy_index, days, new_number) "
                    "VALUES (%s, %s, %s, %s)",
                    rows,
                )
                if vendor == "postgresql":
                    cursor.execute(f"ANALYZE {SHIFT_TABLE}")
                made["cases"] += _copy_cases(cursor, vendor, quote, highest[Case])
                for child, made_key in ((CaseEvent, "events"), (CaseTask, "tasks")):
                    made[made_key] += _copy_children(cursor, vendor, quote, child, highest[child])
            progress(
                f"workload: {made['cases']:,} cases copied ({begin + len(part):,} of {len(shifts):,} copies)"
            )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SHIFT_TABLE}")
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Case, CaseEvent, CaseTask):
                cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return Replicated(made["cases"], made["events"], made["tasks"], time.perf_counter() - started)


def template_cases(through: int | None = None) -> Any:
    """The cases replicate copies: not copies themselves, and with an id up to `through` if given."""
    from gridgov.cases.models import Case

    cases = Case.objects.exclude(number__contains="~")
    return cases if through is None else cases.filter(pk__lte=through)


def _next_copy_index() -> int:
    """One more than the highest copy index in use, so replicate can be called again to grow."""
    from gridgov.cases.models import Case

    highest = 0
    for number in Case.objects.filter(number__contains="~").values_list("number", flat=True).iterator():
        highest = max(highest, int(number.rsplit("~", 1)[1], 16))
    return highest + 1


def _insert_copies(
    cursor: Any,
    vendor: str,
    quote: Callable[[str], str],
    model: Any,
    joined_on: str,
    replaced: dict[str, str],
    highest_id: int,
) -> int:
    """INSERT … SELECT one copy of each `model` row per shift-table row joined on `joined_on`: every
    datetime column shifted, the columns named in `replaced` (field names) set to the given SQL,
    the rest as they are. Only rows up to `highest_id` are read: the templates' rows come first, so
    the read is a range of the primary key and not a scan of all the copies made before.
    Returns the number of rows inserted."""
    from django.db import models

    table = quote(model._meta.db_table)
    columns, values = [], []
    for field in _columns(model):
        column = quote(field.column)
        columns.append(column)
        if field.name in replaced:
            values.append(replaced[field.name])
        elif isinstance(field, models.DateTimeField):
            values.append(_shifted(f"x.{column}", vendor))
        else:
            values.append(f"x.{column}")
    cursor.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} "
        f"FROM {table} x JOIN {SHIFT_TABLE} s ON s.template_id = x.{quote(joined_on)} "
        "WHERE x.id <= %s ORDER BY s.copy_index, x.id",
        [highest_id],
    )
    return int(cursor.rowcount)


def _copy_cases(cursor: Any, vendor: str, quote: Callable[[str], str], highest_id: int) -> int:
    from gridgov.cases.models import Case

    table = quote(Case._meta.db_table)
    copied = _insert_copies(
        cursor,
        vendor,
        quote,
        Case,
        "id",
        {"number": "s.new_number", "idempotency_key": "''", "merged_into": "NULL"},
        highest_id,
    )
    number = quote("number")
    cursor.execute(
        f"UPDATE {SHIFT_TABLE} SET new_id = (SELECT n.id FROM {table} n WHERE n.{number} = "
        f"{SHIFT_TABLE}.new_number)"
    )
    # A merged copy points at the same copy of its target, when that target was copied.
    merged = quote("merged_into_id")
    cursor.execute(
        f"UPDATE {table} SET {merged} = (SELECT t.new_id FROM {SHIFT_TABLE} s "
        f"JOIN {table} c ON c.id = s.template_id "
        f"JOIN {SHIFT_TABLE} t ON t.template_id = c.{merged} AND t.copy_index = s.copy_index "
        f"WHERE s.new_id = {table}.id) "
        f"WHERE id IN (SELECT s.new_id FROM {SHIFT_TABLE} s JOIN {table} c ON c.id = s.template_id "
        f"WHERE c.{merged} IS NOT NULL)"
    )
    return copied


def _copy_children(cursor: Any, vendor: str, quote: Callable[[str], str], model: Any, highest_id: int) -> int:
    return _insert_copies(cursor, vendor, quote, model, "case_id", {"case": "s.new_id"}, highest_id)
