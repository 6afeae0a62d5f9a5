"""Deadline sweep (issue 6, measures 3 and 6): finding due deadlines and firing them among many open cases.

Data. Open cases with their real deadline rows, filed through gridgov.cases.bulk.bulk_report
(register and dispatch: the path tests/cases/test_bulk.py proves equal to the real actions) over the
demo's grids (bench.intake_bulk.prepare, grid_boxes, make_reports). Cases are filed in chunks of
CHUNK reports, each chunk at its own moment (the product clock pinned, as the demo's replays do),
STEP apart from START on: a steady stream of cases, so their warning, overdue and signing deadlines
spread over the weeks like a real city's. One department handler per dispatched-to department
exists, so the handlers notify someone as they would in production. Growth is built incrementally
on the same database: the table grows to each of SIZES and is measured there.

The sweep moment. At each size the moment is the due time of the DUE-th open deadline in due order:
about DUE rows are due (ties at that due time may add a few), every other row of every open case is
open and not yet due, as with a sweeper that fell DUE rows behind. Earlier sizes' fired rows stay
fired; their cases stay open.

Measured at each size:
- finding: due_deadlines(moment, limit=CLAIM_BATCH) evaluated (what the sweeper reads per claim),
  the count of all due rows, and the ids of all due rows; median and p99 of FIND_REPEATS runs.
  Baselines in the same run: the very SELECT by raw SQL through the DB-API cursor (what the ORM
  adds), and the count with the index switched off (`NOT INDEXED`: a full scan, what the partial
  index saves; SQLite only). The query plans (EXPLAIN QUERY PLAN) go into the notes.
- firing: fire_due_deadlines(now=moment, limit=DUE) with the registered case handlers (each case
  gets its warning, overdue or sign_overdue event, its light, its notices), deadlines per second.
  Baseline: the same rows marked fired by plain SQL (executemany of UPDATE … SET fired_at, outcome
  by id, one transaction, no handler), then set open again before the real sweep. Afterwards it
  checks that exactly the expected rows fired, that nothing else did, and that each case got its
  event and light; it raises when not.
Growth (measure 6): the same figures per size, against the smallest size.
Every row written is deleted at the end, even on error, so later benchmarks see the database as it was.
"""

import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.harness import Row, at_least, below, ratio_below, say

NAME = "deadline_sweep"
SIZES = {True: (10_000, 25_000, 50_000), False: (100_000, 300_000, 1_000_000)}
# Quick fires fewer (the firing rate is what is measured; 10,000 take minutes at today's rate).
DUE = {True: 2_000, False: 10_000}
FIND_REPEATS = 30
CHUNK = 2_000
# 1,000,000 cases over about 6 weeks: a chunk of 2,000 every 2 hours (24,000 a day).
START = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # Monday 08:30 in Hangzhou
STEP = timedelta(hours=2)
FIND_TARGET_MS = 50.0
FIRE_TARGET_PER_SECOND = 1_000.0
# The kinds the case domain registers, and the event each writes on its case.
EVENTS = {"cases.warn": "warning", "cases.overdue": "overdue", "cases.sign_overdue": "sign_overdue"}
STAFF_PREFIX = "bench-sweep-"


@dataclass
class Stream:
    """The cases filed so far: how many, and the next chunk's index (its moment)."""

    operator: Any
    cases: int = 0
    chunks: int = 0
    seconds: float = 0.0


@dataclass
class Finding:
    batch_ms: list[float] = field(default_factory=list)
    count_ms: list[float] = field(default_factory=list)
    ids_ms: list[float] = field(default_factory=list)
    raw_batch_ms: list[float] = field(default_factory=list)
    raw_count_ms: list[float] = field(default_factory=list)
    raw_ids_ms: list[float] = field(default_factory=list)
    scan_count_ms: list[float] = field(default_factory=list)
    due: int = 0
    plans: dict[str, str] = field(default_factory=dict)


@dataclass
class Firing:
    fired: int
    seconds: float
    sql_seconds: float
    kinds: dict[str, int]
    skipped: int


@dataclass
class Measured:
    size: int
    deadlines: int  # open deadline rows at the moment
    moment: datetime
    finding: Finding
    firing: Firing


def median(values: list[float]) -> float:
    return statistics.median(values)


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


# ── data ────────────────────────────────────────────────────────────────────────────────────


def prepare_staff() -> int:
    """One department handler for every department without one (notices have a recipient, as in
    production). Returns how many users were made."""
    from gridgov.accounts.actions import create_user, grant_membership
    from gridgov.accounts.models import Membership, Role
    from gridgov.catalogue.models import Department

    staffed = set(
        Membership.objects.filter(role=Role.DEPARTMENT_HANDLER).values_list("department_id", flat=True)
    )
    made = 0
    for department in Department.objects.exclude(pk__in=staffed).order_by("pk"):
        user = create_user(username=f"{STAFF_PREFIX}{department.pk}", password=None, actor_label="bench")
        grant_membership(
            user=user, role=Role.DEPARTMENT_HANDLER, department_id=department.pk, actor_label="bench"
        )
        made += 1
    return made


def file_cases(
    stream: Stream, upto: int, make: Callable[[int, str], list[Any]], chunk: int | None = None
) -> None:
    """File cases until `stream.cases` reaches `upto`, a chunk at a time, each chunk at its moment."""
    from gridgov.cases.bulk import bulk_report
    from gridgov.core.clock import pinned

    chunk = chunk or CHUNK
    started = time.perf_counter()
    while stream.cases < upto:
        count = min(chunk, upto - stream.cases)
        reports = make(count, f"s{stream.chunks}-")
        with pinned(START + stream.chunks * STEP):
            result = bulk_report(reports, actor=stream.operator, register=True, dispatch=True)
        stream.cases += result.count
        stream.chunks += 1
        if stream.chunks % 25 == 0 or stream.cases >= upto:
            rate = stream.cases / (stream.seconds + time.perf_counter() - started)
            say(f"deadline_sweep: {stream.cases:,} cases filed ({rate:,.0f} cases/s)")
    stream.seconds += time.perf_counter() - started


def sweep_moment(due: int) -> datetime | None:
    """The due time of the `due`-th open row in due order (None when fewer rows are open)."""
    from gridgov.deadlines.models import OPEN, Deadline

    return (
        Deadline.objects.filter(OPEN)
        .order_by("due_at", "id")
        .values_list("due_at", flat=True)[due - 1 : due]
        .first()
    )


# ── finding ─────────────────────────────────────────────────────────────────────────────────


def timed_ms(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function()
    return (time.perf_counter() - started) * 1000, result


def due_sql(
    moment: datetime, *, what: str, limit: int | None = None, indexed: bool = True
) -> tuple[str, list[Any]]:
    """The due query in plain SQL: the same WHERE and ORDER BY as queries.due_deadlines."""
    from django.db import connection

    from gridgov.deadlines.models import Deadline

    quote = connection.ops.quote_name
    table = quote(Deadline._meta.db_table)
    value = connection.ops.adapt_datetimefield_value(moment)
    hint = "" if indexed or connection.vendor != "sqlite" else " NOT INDEXED"
    sql = (
        f"SELECT {what} FROM {table}{hint} WHERE {quote('fired_at')} IS NULL "
        f"AND {quote('cancelled_at')} IS NULL AND {quote('due_at')} <= %s "
        f"AND ({quote('retry_at')} IS NULL OR {quote('retry_at')} <= %s)"
    )
    if what != "COUNT(*)":
        sql += f" ORDER BY {quote('due_at')}, {quote('id')}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return sql, [value, value]


def raw(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def query_plan(sql: str, params: list[Any]) -> str:
    """EXPLAIN QUERY PLAN (SQLite) or EXPLAIN (PostgreSQL), on one line."""
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    rows = raw(prefix + sql, params)
    return "; ".join(str(row[-1]) for row in rows)


def measure_finding(moment: datetime, repeats: int, batch: int) -> Finding:
    from django.db import connection

    from gridgov.deadlines.queries import due_deadlines

    finding = Finding()
    columns = ", ".join(
        connection.ops.quote_name(f.column) for f in due_deadlines(moment).model._meta.concrete_fields
    )
    batch_sql = due_sql(moment, what=columns, limit=batch)
    count_sql = due_sql(moment, what="COUNT(*)")
    ids_sql = due_sql(moment, what=connection.ops.quote_name("id"))
    scan_sql = due_sql(moment, what="COUNT(*)", indexed=False)
    for _ in range(repeats):
        ms, rows = timed_ms(lambda: list(due_deadlines(moment, limit=batch)))
        finding.batch_ms.append(ms)
        ms, finding.due = timed_ms(lambda: due_deadlines(moment).count())
        finding.count_ms.append(ms)
        ms, ids = timed_ms(lambda: list(due_deadlines(moment).values_list("id", flat=True)))
        finding.ids_ms.append(ms)
        ms, raw_rows = timed_ms(lambda: raw(*batch_sql))
        finding.raw_batch_ms.append(ms)
        ms, raw_count = timed_ms(lambda: raw(*count_sql))
        finding.raw_count_ms.append(ms)
        ms, raw_ids = timed_ms(lambda: raw(*ids_sql))
        finding.raw_ids_ms.append(ms)
        if len(rows) != min(batch, finding.due) or raw_count[0][0] != finding.due or len(ids) != len(raw_ids):
            raise RuntimeError(
                f"the ORM and plain SQL disagree: {len(rows)} / {len(raw_rows)} rows, "
                f"{finding.due} / {raw_count[0][0]} due, {len(ids)} / {len(raw_ids)} ids"
            )
    if connection.vendor == "sqlite":
        for _ in range(max(3, repeats // 10)):  # a full scan of millions of rows: fewer repeats
            ms, scanned = timed_ms(lambda: raw(*scan_sql))
            finding.scan_count_ms.append(ms)
            if scanned[0][0] != finding.due:
                raise RuntimeError(f"the full scan counts {scanned[0][0]} due rows, the index {finding.due}")
    for name, query in (
        ("first batch", due_deadlines(moment, limit=batch)),
        ("count", due_deadlines(moment).values("id")),
    ):
        sql, params = query.query.sql_with_params()
        finding.plans[name] = query_plan(sql, list(params))
    return finding


# ── firing ──────────────────────────────────────────────────────────────────────────────────


def plain_sql_fire(ids: list[int], moment: datetime) -> float:
    """Seconds to mark `ids` fired by plain SQL in one transaction (no handler); then open again."""
    from django.db import connection, transaction

    from gridgov.deadlines.models import Deadline

    quote = connection.ops.quote_name
    table = quote(Deadline._meta.db_table)
    value = connection.ops.adapt_datetimefield_value(moment)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {quote('fired_at')} = %s, {quote('outcome')} = %s WHERE {quote('id')} = %s",
            [(value, "bench", pk) for pk in ids],
        )
    seconds = time.perf_counter() - started
    reopened = 0
    for first in range(0, len(ids), 5_000):
        reopened += Deadline.objects.filter(pk__in=ids[first : first + 5_000], outcome="bench").update(
            fired_at=None, outcome=""
        )
    if reopened != len(ids):
        raise RuntimeError(f"plain SQL marked {reopened:,} rows, not {len(ids):,}")
    return seconds


def in_chunks(ids: list[int], size: int = 5_000) -> Iterator[list[int]]:
    for first in range(0, len(ids), size):
        yield ids[first : first + size]


def fire_and_check(moment: datetime, count: int) -> Firing:
    """Fire `count` due rows with the real sweep and check exactly those fired, with their events."""
    from gridgov.cases.models import Case, CaseEvent, Light
    from gridgov.core.clock import pinned
    from gridgov.deadlines.actions import fire_due_deadlines
    from gridgov.deadlines.models import Deadline
    from gridgov.deadlines.queries import due_deadlines

    expected = list(due_deadlines(moment, limit=count).values_list("id", "kind", "subject_id"))
    expected_ids = [pk for pk, _kind, _subject in expected]
    if len(expected_ids) < count:
        raise RuntimeError(f"only {len(expected_ids):,} rows are due at {moment}, {count:,} wanted")
    unknown = {kind for _pk, kind, _subject in expected} - EVENTS.keys()
    if unknown:
        raise RuntimeError(f"due rows of kinds this benchmark does not check: {sorted(unknown)}")
    fired_before = Deadline.objects.filter(fired_at__isnull=False).count()
    last_event = CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    sql_seconds = plain_sql_fire(expected_ids, moment)
    with pinned(moment):
        started = time.perf_counter()
        report = fire_due_deadlines(now=moment, limit=count)
        seconds = time.perf_counter() - started
    # Exactly the expected rows, each fired once by its handler, nothing else.
    if (report.fired, report.retried, report.given_up) != (count, 0, 0):
        raise RuntimeError(f"the sweep did {report.as_dict()}, expected {count:,} fired")
    if sorted(r.id for r in report.rows) != sorted(expected_ids):
        raise RuntimeError("the sweep fired other rows than the first due ones")
    fired_now = sum(
        Deadline.objects.filter(pk__in=chunk, fired_at=moment).exclude(outcome="").count()
        for chunk in in_chunks(expected_ids)
    )
    fired_after = Deadline.objects.filter(fired_at__isnull=False).count()
    if fired_now != count or fired_after != fired_before + count:
        raise RuntimeError(
            f"{fired_now:,} of the expected rows are fired; {fired_after - fired_before:,} rows fired in all"
        )
    skipped = sum(1 for r in report.rows if r.outcome.startswith("skipped"))
    # Each row that acted wrote its event on its case.
    events = Counter(CaseEvent.objects.filter(pk__gt=last_event).values_list("action", flat=True).order_by())
    acted = Counter(EVENTS[r.kind] for r in report.rows if not r.outcome.startswith("skipped"))
    if events != acted:
        raise RuntimeError(f"events written {dict(events)}, expected {dict(acted)}")
    warned = {int(s) for _pk, kind, s in expected if kind == "cases.warn"}
    overdue = {int(s) for _pk, kind, s in expected if kind == "cases.overdue"}
    red = set()
    for chunk in in_chunks(sorted(overdue)):
        red |= set(
            Case.objects.filter(pk__in=chunk, light=Light.RED, is_overdue=True).values_list("pk", flat=True)
        )
    yellow = set()
    for chunk in in_chunks(sorted(warned - overdue)):
        yellow |= set(Case.objects.filter(pk__in=chunk, light=Light.YELLOW).values_list("pk", flat=True))
    if not skipped and (red != overdue or yellow != warned - overdue):
        raise RuntimeError(
            f"lights: {len(red):,} of {len(overdue):,} overdue cases red, "
            f"{len(yellow):,} of {len(warned - overdue):,} warned cases yellow"
        )
    return Firing(count, seconds, sql_seconds, dict(Counter(kind for _pk, kind, _s in expected)), skipped)


# ── one size ────────────────────────────────────────────────────────────────────────────────


def measure_size(size: int, due: int, repeats: int, batch: int) -> Measured:
    from gridgov.deadlines.models import OPEN, Deadline

    moment = sweep_moment(due)
    if moment is None:
        raise RuntimeError(f"fewer than {due:,} open deadlines at {size:,} cases")
    open_rows = Deadline.objects.filter(OPEN).count()
    say(
        f"deadline_sweep: {size:,} cases, {open_rows:,} open deadlines; "
        f"finding the due ones at {moment:%Y-%m-%d %H:%M}…"
    )
    finding = measure_finding(moment, repeats, batch)
    say(f"deadline_sweep: firing {due:,} due deadlines…")
    firing = fire_and_check(moment, due)
    say(
        f"deadline_sweep: fired {due:,} in {firing.seconds:.1f} s ({due / firing.seconds:,.0f}/s; "
        f"plain SQL {due / firing.sql_seconds:,.0f}/s)"
    )
    return Measured(size, open_rows, moment, finding, firing)


def clean_up(audit_after: int, users_after: int) -> None:
    """Delete every row this benchmark wrote (not timed): what bench.intake_bulk.clean_up deletes, by
    plain DELETE statements in one transaction (the ORM's delete collects every id first, which at a
    million cases exceeds SQLite's limit of variables), then the department handlers made here.
    A row of another table still pointing at a deleted case fails the commit: nothing is lost."""
    from django.db import connection, transaction

    from gridgov.accounts.models import Membership, User
    from gridgov.cases.models import Case, CaseCounter, CaseEvent, CasePhoto, CaseRequest, CaseTask
    from gridgov.core.models import AuditEvent
    from gridgov.deadlines.models import Deadline
    from gridgov.notifications.models import InboxMessage, WebhookDelivery

    say("deadline_sweep: deleting the rows written…")
    quote = connection.ops.quote_name
    deletes: list[tuple[Any, str, list[Any]]] = [
        (WebhookDelivery, "", []),
        (InboxMessage, "subject_type = %s", ["cases.case"]),
        (AuditEvent, "id > %s", [audit_after]),
        (Deadline, "subject_type = %s", ["cases.case"]),
        (CasePhoto, "", []),
        (CaseRequest, "", []),
        (CaseTask, "", []),
        (CaseEvent, "", []),
        (Case, "", []),
        (CaseCounter, "", []),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for model, where, params in deletes:
            table = quote(model._meta.db_table)
            cursor.execute(f"DELETE FROM {table}" + (f" WHERE {where}" if where else ""), params)
    Membership.objects.filter(user__pk__gt=users_after, user__username__startswith=STAFF_PREFIX).delete()
    User.objects.filter(pk__gt=users_after, username__startswith=STAFF_PREFIX).delete()


def claim_batch() -> int:
    """How many rows the sweeper reads per claim (1 when it claims one row at a time)."""
    from gridgov.deadlines import actions

    return int(getattr(actions, "CLAIM_BATCH", 1))


def sweep(
    operator: Any, make: Callable[[int, str], list[Any]], sizes: tuple[int, ...], due: int, repeats: int
) -> tuple[list[Measured], Stream, int]:
    """File cases by `operator` (reports from `make(count, prefix)`) up to each of `sizes` and measure
    there; always clean up. Returns the measurements, the stream and how many handlers were made."""
    from gridgov.accounts.models import User
    from gridgov.cases.models import Case
    from gridgov.core.models import AuditEvent

    if Case.objects.exists():
        raise RuntimeError("deadline_sweep needs a benchmark database without cases")
    audit_after = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    users_after = User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    measured: list[Measured] = []
    try:
        staff = prepare_staff()
        stream = Stream(operator)
        for size in sizes:
            file_cases(stream, size, make)
            m = measure_size(size, due, repeats, claim_batch())
            measured.append(m)
            # The figures reach the log even if a later size or the clean-up fails.
            say(
                f"deadline_sweep: {size:,} cases: find first batch p50 {median(m.finding.batch_ms):.2f} ms, "
                f"count of {m.finding.due:,} due p50 {median(m.finding.count_ms):.2f} ms (full scan "
                f"{median(m.finding.scan_count_ms or [0.0]):.1f} ms), "
                f"ids p50 {median(m.finding.ids_ms):.2f} ms; "
                f"fire {m.firing.fired / m.firing.seconds:,.0f}/s; plans {m.finding.plans}"
            )
    finally:
        clean_up(audit_after, users_after)
    return measured, stream, staff


# ── rows ────────────────────────────────────────────────────────────────────────────────────


def rows_for(measured: list[Measured], stream: Stream, staff: int, batch: int) -> list[Row]:
    main = measured[-1]
    f, fire = main.finding, main.firing
    size = f"{main.size:,} open cases"
    plans = "; ".join(f"{name}: {plan}" for name, plan in f.plans.items())
    kinds = ", ".join(f"{n:,} {kind}" for kind, n in sorted(fire.kinds.items()))
    rows = [
        Row(
            f"find: due_deadlines first {batch} evaluated, p50, {size}",
            median(f.batch_ms),
            "ms",
            baseline=median(f.raw_batch_ms),
            target=below(FIND_TARGET_MS),
            note=(
                f"{main.deadlines:,} open deadlines, {f.due:,} due; baseline: the same SELECT by DB-API "
                f"cursor; plans: {plans}"
            ),
        ),
        Row(
            f"find: due_deadlines first {batch} evaluated, p99, {size}",
            p99(f.batch_ms),
            "ms",
            baseline=p99(f.raw_batch_ms),
            target=below(FIND_TARGET_MS),
        ),
        Row(
            f"find: count of all {f.due:,} due, p50, {size}",
            median(f.count_ms),
            "ms",
            baseline=median(f.scan_count_ms) if f.scan_count_ms else None,
            target=below(FIND_TARGET_MS),
            note=(
                "baseline: the same COUNT with the index off (NOT INDEXED, full scan); by DB-API cursor "
                f"on the index: {median(f.raw_count_ms):.2f} ms"
            ),
        ),
        Row(
            f"find: count of all {f.due:,} due, p99, {size}",
            p99(f.count_ms),
            "ms",
            baseline=p99(f.raw_count_ms),
            target=below(FIND_TARGET_MS),
            note="baseline: the same COUNT by DB-API cursor",
        ),
        Row(
            f"find: ids of all {f.due:,} due, p50, {size}",
            median(f.ids_ms),
            "ms",
            baseline=median(f.raw_ids_ms),
            target=below(FIND_TARGET_MS),
            note="baseline: the same SELECT id … ORDER BY by DB-API cursor",
        ),
        Row(
            f"fire: {fire.fired:,} due deadlines with the case handlers, {size}",
            fire.fired / fire.seconds,
            "deadlines/s",
            baseline=fire.fired / fire.sql_seconds,
            target=at_least(FIRE_TARGET_PER_SECOND),
            note=(
                f"{kinds}; {fire.skipped:,} skipped by their handler; baseline: the same rows set fired by "
                f"plain SQL (executemany UPDATE, one transaction, no handler); {staff} department handlers "
                f"made to receive the notices; cases filed in chunks of {CHUNK:,}, {STEP} apart, at "
                f"{stream.cases / stream.seconds:,.0f} cases/s; claim batch {batch}"
            ),
        ),
    ]
    first = measured[0]
    for m in measured:
        ratio = m.size / first.size
        rows += [
            Row(
                f"growth: find first {batch}, p50, {m.size:,} cases ({m.deadlines:,} open deadlines)",
                median(m.finding.batch_ms),
                "ms",
                baseline=median(first.finding.batch_ms),
                target=ratio_below(2.0) if m is not first else None,
                note=f"baseline: the same at {first.size:,} cases; linear growth: a ratio of {ratio:g}"
                if m is not first
                else "",
            ),
            Row(
                f"growth: find ids of all {m.finding.due:,} due, p50, {m.size:,} cases",
                median(m.finding.ids_ms),
                "ms",
                baseline=median(first.finding.ids_ms),
                target=ratio_below(2.0) if m is not first else None,
            ),
            Row(
                f"growth: fire, per deadline, {m.size:,} cases",
                m.firing.seconds / m.firing.fired * 1e6,
                "µs",
                baseline=first.firing.seconds / first.firing.fired * 1e6,
                target=ratio_below(2.0) if m is not first else None,
            ),
        ]
    return rows


def run(quick: bool) -> list[Row]:
    from bench.intake_bulk import grid_boxes, make_reports, prepare

    operator = prepare()
    boxes = grid_boxes()
    measured, stream, staff = sweep(
        operator,
        lambda count, prefix: make_reports(count, boxes, prefix),
        SIZES[quick],
        DUE[quick],
        FIND_REPEATS,
    )
    return rows_for(measured, stream, staff, claim_batch())
