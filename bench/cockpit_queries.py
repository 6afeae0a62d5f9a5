"""The cockpit and evaluation queries over a district's years of cases, at three sizes.

Data: the demo's grids, catalogue and departments (bench.intake_bulk.prepare), real case histories
made by the demo's stories through the real actions, copied back through time up to each size
(bench/workload.py says how and what the copies lack). The three sizes are reached by growing the
same database, so each size is measured on the data of the smaller ones plus more.

Measured at each size, as the city's duty leader (demo_leader) sees them, median of REPEATS calls:
- the cockpit summary tiles (cockpit.queries.summary) of the whole demo area — every case of the
  data set, the "district" of issue 6 — and of its busiest real district;
- the whole cockpit page's figures (cockpit.queries.overview) of the whole area;
- the evaluation table of the busiest street (evaluation.queries.evaluation_table, one row per
  community, the last 30 days), and the department table of the whole area;
- the baseline, in the same run: one plain SQL COUNT of the area's cases through the
  (area, status) index, i.e. reading every case of the area once.
- a resident's "my cases" query among RESIDENTS residents (bench/residents.py), against one plain
  SQL read of their cases by account;
- intake at each size (issue 6, item 6): one hotline report through `report_case`, what
  `POST /api/v1/cases/` runs (validate, locate, number, store with its event, publish, and the
  duplicate check against the open cases around it), at REPORTS points drawn around recent cases of
  the busiest district, median wall time; the growth rows compare it with the smallest size.
  No classifier is installed here (its cost does not depend on the table; bench/intake_http.py
  measures it).
The growth rows compare each figure with the same figure at the smallest size.
"""

import math
import os
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bench import residents
from bench.harness import Row, Skip, below, say

NAME = "cockpit_queries"
TEMPLATES = {True: 300, False: 600}
RESIDENTS = {True: 30_000, False: 300_000}  # the district of issue 6; the city run keeps 300,000
MEASURED_RESIDENTS = 20
REPORTS = 30
SIZES = {True: (25_000, 50_000, 100_000), False: (100_000, 300_000, 1_000_000)}
# The city scale of issue 6, PostgreSQL only: GRIDGOV_BENCH_CITY=1 with --full (docs/performance.md).
CITY_SIZES = (1_000_000, 3_000_000, 10_000_000)
# A busy district (issue 6): 1,000 cases a day, so 1,000,000 cases are about three years.
CASES_PER_DAY = 1_000
REPEATS = 5
TARGET_MS = {1_000_000: 200.0, 10_000_000: 1000.0}
CITY = "330100000000"


def timed(call: Callable[[], Any], repeats: int = REPEATS) -> float:
    """Median wall time of `call` in milliseconds (a first call warms the caches and is not counted)."""
    call()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def plain_count_ms(prefix: str) -> float:
    from django.db import connection

    from gridgov.cases.models import Case

    quote = connection.ops.quote_name
    sql = (
        f"SELECT COUNT(*) FROM {quote(Case._meta.db_table)} WHERE {quote('area_id')} >= %s "
        f"AND {quote('area_id')} < %s"
    )
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)

    def count() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, [prefix, upper])
            cursor.fetchone()

    return timed(count)


def busiest(length: int, within: str) -> str:
    """The area code (cut to `length`, padded to 12) with the most cases under `within`."""
    from django.db.models import Count
    from django.db.models.functions import Substr

    from gridgov.cases.models import Case

    row = (
        Case.objects.filter(area__code__startswith=within)
        .annotate(unit=Substr("area_id", 1, length))
        .values("unit")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if row is None:
        raise RuntimeError("no cases to measure")
    return str(row["unit"]).ljust(12, "0")


def measure_size(size: int, resident_ids: list[int]) -> dict[str, float]:
    from gridgov.accounts.models import User
    from gridgov.accounts.queries import get_scope
    from gridgov.areas.models import Area
    from gridgov.cockpit import queries as cockpit
    from gridgov.core.clock import now
    from gridgov.evaluation import queries as evaluation

    leader = User.objects.get(username="demo_leader")
    scope = get_scope(leader)
    moment = now()
    city = Area.objects.get(code=CITY)
    district = Area.objects.get(code=busiest(6, CITY[:4]))
    street = busiest(9, district.code[:6])
    month_start = moment - timedelta(days=30)
    return {
        "summary_city": timed(lambda: cockpit.summary(scope, city, moment)),
        "summary_district": timed(lambda: cockpit.summary(scope, district, moment)),
        "overview_city": timed(lambda: cockpit.overview(scope, city, moment)),
        "street_table": timed(lambda: evaluation.evaluation_table(scope, street, month_start, moment)),
        "department_table": timed(
            lambda: evaluation.department_table(scope, month_start, moment, area_code=CITY)
        ),
        "resident_cases": residents.my_cases_ms(resident_ids),
        "report": report_ms(district.code[:6], seed=size),
        "plain_resident_cases": residents.plain_my_cases_ms(resident_ids),
        "plain_count_city": plain_count_ms(CITY[:4]),
        "plain_count_district": plain_count_ms(district.code[:6]),
    }


def report_ms(district_prefix: str, seed: int) -> float:
    """Median wall time of one hotline report through report_case, at REPORTS points a few dozen
    metres from recent cases of the district (where a new report meets open cases: the duplicate
    check has candidates to read), with the texts of real citizen messages."""
    import random

    from bench.intake_bulk import message_texts, prepare
    from gridgov.cases.actions import Report, report_case
    from gridgov.cases.models import Case

    operator = prepare()
    rng = random.Random(seed)
    texts = message_texts()
    recent = [
        (lon, lat, category)
        for lon, lat, category in Case.objects.filter(
            area__code__startswith=district_prefix, lon__isnull=False, lat__isnull=False
        )
        .order_by("-reported_at")
        .values_list("lon", "lat", "category__code")[: REPORTS * 20]
        if lon is not None and lat is not None
    ]
    if not recent:
        raise RuntimeError("no located cases to report beside")
    samples = []
    for number in range(REPORTS + 1):
        lon, lat, category = rng.choice(recent)
        title, body = rng.choice(texts)
        report = Report(
            source="hotline",
            title=f"{title} r{seed}-{number}",
            description=body,
            category_code=category,
            # About 0.0004 degrees: within the duplicate radius (100 m) of the case or just beyond.
            lon=lon + rng.uniform(-0.0004, 0.0004),
            lat=lat + rng.uniform(-0.0004, 0.0004),
            reporter_name="市民",
            reporter_contact=f"139{rng.randrange(10**8):08d}",
        )
        started = time.perf_counter()
        report_case(report, actor=operator)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples[1:])  # the first warms the caches


def grow_to(size: int, weights: list[float], seed: int, templates_through: int | None = None) -> None:
    """Copy templates back in time until the data hold `size` cases at CASES_PER_DAY: the history
    grows longer, not denser, so every size has the same recent month and the sizes differ only in
    how much history lies behind it (what the growth rows are about)."""
    from bench import workload
    from gridgov.cases.models import OPEN_STATUSES, Case

    have = Case.objects.count()
    if have >= size:
        return
    # Open templates are copied only into the last OPEN_HORIZON_DAYS: count the others.
    per_copy = workload.template_cases(templates_through).exclude(status__in=OPEN_STATUSES).count()
    copies = math.ceil((size - have) / max(1, per_copy))
    shifts = workload.shift_days(
        copies, math.ceil(size / CASES_PER_DAY), weights, seed=seed, after_days=have // CASES_PER_DAY
    )
    done = workload.replicate(shifts, templates_through=templates_through)
    say(
        f"cockpit_queries: {done.cases:,} cases, {done.events:,} events, {done.tasks:,} tasks copied "
        f"in {done.seconds:.0f} s ({Case.objects.count():,} cases now)"
    )


def run(quick: bool) -> list[Row]:
    from django.db.models import Max

    from bench import workload
    from bench.harness import bench_database
    from bench.intake_bulk import prepare
    from gridgov.cases.models import Case, CaseEvent

    database = bench_database()
    sizes = SIZES[quick]
    if not quick and os.environ.get("GRIDGOV_BENCH_CITY") == "1":
        if database.vendor != "postgresql":
            raise Skip("the city scale (GRIDGOV_BENCH_CITY=1) runs on PostgreSQL only")
        sizes = CITY_SIZES
    operator = prepare()
    if Case.objects.exists():
        raise RuntimeError("cockpit_queries needs a benchmark database without cases")
    say(f"cockpit_queries: {TEMPLATES[quick]} demo stories through the real actions…")
    started = time.perf_counter()
    story_counts = workload.build_templates(TEMPLATES[quick])
    template_seconds = time.perf_counter() - started
    last_template = Case.objects.aggregate(top=Max("pk"))["top"]
    weights, shape = workload.month_weights()
    results: dict[int, dict[str, float]] = {}
    actual: dict[int, tuple[int, int]] = {}
    resident_ids: list[int] = []
    try:
        residents.add_residents(RESIDENTS[quick])
        for step, size in enumerate(sizes):
            grow_to(size, weights, seed=workload.SEED + step, templates_through=last_template)
            if not resident_ids:
                # Filed now, after the templates: measured at every size, never copied.
                resident_ids = residents.residents_report(MEASURED_RESIDENTS, operator)
            actual[size] = (Case.objects.count(), CaseEvent.objects.count())
            say(f"cockpit_queries: measuring at {actual[size][0]:,} cases…")
            results[size] = measure_size(size, resident_ids)
            # Printed at once: a city run takes hours, and its smaller sizes are worth having if it stops.
            say(
                f"cockpit_queries: at {actual[size][0]:,} cases: "
                + ", ".join(f"{key} {value:,.1f} ms" for key, value in results[size].items())
            )
    finally:
        clean_up()
        residents.remove_residents()
    return rows_for(results, actual, story_counts, template_seconds, shape, RESIDENTS[quick])


LABELS = {
    "summary_city": ("cockpit summary, whole area", "plain_count_city"),
    "summary_district": ("cockpit summary, busiest district", "plain_count_district"),
    "overview_city": ("cockpit page (overview), whole area", "plain_count_city"),
    "street_table": ("evaluation table, busiest street, 30 days", "plain_count_district"),
    "department_table": ("department table, whole area, 30 days", "plain_count_city"),
    "resident_cases": (
        f'a resident\'s "my cases" (account or number), median of {MEASURED_RESIDENTS}',
        "plain_resident_cases",
    ),
    "report": (f"one hotline report through report_case (the API's action), median of {REPORTS}", ""),
}


def rows_for(
    results: dict[int, dict[str, float]],
    actual: dict[int, tuple[int, int]],
    story_counts: dict[str, int],
    template_seconds: float,
    shape: str,
    resident_count: int,
) -> list[Row]:
    sizes = sorted(results)
    smallest = sizes[0]
    rows: list[Row] = []
    for size in sizes:
        cases, events = actual[size]
        target_ms = TARGET_MS.get(size)
        for key, (label, baseline_key) in LABELS.items():
            rows.append(
                Row(
                    f"{label}, {cases:,} cases",
                    results[size][key],
                    "ms",
                    baseline=results[size][baseline_key] if baseline_key else None,
                    target=below(target_ms)
                    if target_ms and key in ("summary_city", "street_table")
                    else None,
                    note=(
                        f"{cases:,} cases, {events:,} events; baseline: plain SQL COUNT of the area's cases"
                        if key == "summary_city"
                        else f"{resident_count:,} residents, {MEASURED_RESIDENTS} of them with "
                        f"{residents.REPORTS_EACH} cases each; baseline: plain SQL read of the cases "
                        "by account"
                        if key == "resident_cases"
                        else "at points beside recent cases of the busiest district; no classifier "
                        "installed; see the growth row"
                        if key == "report"
                        else ""
                    ),
                )
            )
    for size in sizes[1:]:
        growth = actual[size][0] / actual[smallest][0]
        for key, (label, _baseline) in LABELS.items():
            rows.append(
                Row(
                    f"growth: {label}, {actual[size][0]:,} vs {actual[smallest][0]:,} cases",
                    results[size][key],
                    "ms",
                    baseline=results[smallest][key],
                    note=f"cases grew {growth:.1f}×; a ratio near 1 is flat, near {growth:.1f} is linear",
                )
            )
    stories = ", ".join(f"{k} {v}" for k, v in sorted(story_counts.items()) if k.startswith("status_"))
    rows.append(
        Row(
            "templates: demo stories through the real actions",
            template_seconds,
            "s",
            note=f"{stories}; copies shifted by whole weeks with the {shape}",
        )
    )
    return rows


def clean_up() -> None:
    """Delete the cases and everything the stories wrote (not timed).

    The case tables are emptied whole (a million cases and eight million events): on SQLite by
    DELETE without WHERE with the foreign-key checks off for the moment (SQLite then drops the
    pages instead of checking every row), on PostgreSQL by TRUNCATE. Nothing else in a benchmark
    database points at cases but gridwork's household visits, of which there are none."""
    from django.db import connection

    from gridgov.cases.models import Case, CaseEvent, CasePhoto, CaseRequest, CaseTask
    from gridgov.core.models import AuditEvent
    from gridgov.deadlines.models import Deadline
    from gridgov.gridwork.models import HouseholdVisit
    from gridgov.notifications.models import InboxMessage, WebhookDelivery

    say("cockpit_queries: deleting the cases…")
    for query in (
        WebhookDelivery.objects.all(),
        InboxMessage.objects.filter(subject_type="cases.case"),
        Deadline.objects.filter(subject_type="cases.case"),
        AuditEvent.objects.filter(subject_type="cases.case"),
    ):
        query._raw_delete(query.db)
    if HouseholdVisit.objects.exists():
        raise RuntimeError("the benchmark database has household visits: the cases are not emptied")
    tables = [model._meta.db_table for model in (CasePhoto, CaseRequest, CaseEvent, CaseTask, Case)]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # TRUNCATE must name every table that points at cases (visits: none, checked above).
            tables.insert(0, HouseholdVisit._meta.db_table)
            # Key checks still pending (inside a test's transaction) would refuse the TRUNCATE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE " + ", ".join(quote(table) for table in tables))
            return
        cursor.execute("PRAGMA foreign_keys = OFF")
        try:
            for table in tables:
                cursor.execute(f"DELETE FROM {quote(table)}")
        finally:
            cursor.execute("PRAGMA foreign_keys = ON")
