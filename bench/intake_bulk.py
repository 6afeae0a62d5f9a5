"""Intake through the bulk path: cases per second of gridgov.cases.bulk.bulk_report.

The areas are the demo's (bench.locate.load_demo_grids: about 12,700 grids in the benchmark
database), with the catalogue and every district's departments, and one 12345 operator (intake
clerk and dispatcher of the city) who files, registers and dispatches. N hotline reports (quick
5,000, full 50,000; seeded) each get a point in a random grid, one of a few urban categories whose
departments exist, and one in ten is urgent.

Measured in the same run:
- bulk_report(register=True, dispatch=True): the whole pipeline (validate, locate, classify, route,
  number, store the case with its events, task and deadline rows), cases per second;
- bulk_report of the same reports only filed (register=False, dispatch=False);
- the baseline: the very Case and CaseEvent rows the first run wrote, inserted again with plain SQL
  (cursor.executemany, one transaction; numbers suffixed to stay unique), rows per second;
- the real actions one case at a time (report_case, register_case, dispatch_case) on a small sample,
  for scale (no target).
Classification runs only when a model is installed (GRIDGOV_MODEL_DIR); the note says which.
Every row written here is deleted at the end, so later benchmarks see the database as it was.
"""

import contextlib
import io
import random
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.harness import Row, at_least, say

NAME = "intake_bulk"
SEED = 6
SIZES = {True: 5_000, False: 50_000}
REAL_SAMPLE = {True: 200, False: 1_000}
TARGET_CASES_PER_SECOND = 2_000
CITY = "330100000000"  # 杭州市: the operator's area
CATEGORIES = ("E0101", "E0105", "E0106", "E0303", "E0403", "E0405")
TITLES = ("垃圾桶满溢", "井盖缺失", "道路积水", "树木倒伏", "违章搭建", "噪音扰民", "乱停车", "占道经营")


def prepare() -> Any:
    """The demo's grids, the catalogue, the districts' departments and the operator (returned)."""
    from bench.locate import load_demo_grids

    load_demo_grids()
    from gridgov.accounts.actions import create_user, grant_membership
    from gridgov.accounts.models import Role, User
    from gridgov.catalogue.actions import create_district_departments, load_catalogue
    from gridgov.catalogue.models import CaseCategory, Department
    from gridgov.demo import hangzhou

    if not CaseCategory.objects.exists():
        load_catalogue(actor_label="bench")
    # The demo's districts, as load_demo sets them up (the division tree holds many more).
    districts = [code for plan in hangzhou.REGION_PLANS for code in plan.district_codes]
    served = set(Department.objects.values_list("area_id", flat=True))
    for district in districts:
        if district + "000000" not in served:
            create_district_departments(district + "000000", actor_label="bench")
    operator = User.objects.filter(username="bench-operator").first()
    if operator is None:
        operator = create_user(username="bench-operator", password=None, actor_label="bench")
        for role in (Role.INTAKE_CLERK, Role.DISPATCHER):
            grant_membership(user=operator, role=role, area_code=CITY, actor_label="bench")
    return operator


def message_texts() -> list[tuple[str, str]]:
    """(title, body) of the real citizen messages of the shared data (unlabelled.csv, read at run
    time, bodies cut to 500 characters as a hotline summary would be), so classification costs what
    it costs on real text; made-up titles when the shared data are absent."""
    from django.conf import settings

    from gridgov.intelligence.corpus import CorpusError, read_messages

    try:
        messages = read_messages(settings.GRIDGOV_SHARED_DATA / "gov-messages" / "unlabelled.csv")
    except (CorpusError, OSError):
        return [(title, "市民来电反映") for title in TITLES]
    return [(m.title[:100], m.body[:500]) for m in messages if m.title.strip() and m.body.strip()]


@contextlib.contextmanager
def installed_classifier() -> Iterator[str]:
    """A classifier trained on the shared data (labelled.csv, without the unlabelled pools to save
    time: prediction costs the same) and installed in a temporary model folder for the block;
    yields a note naming it. Without the shared data, no model: the note says so."""
    from django.conf import settings
    from django.core.management import call_command

    from gridgov.intelligence import interface, store

    data = settings.GRIDGOV_SHARED_DATA / "gov-messages"
    if not (data / "labelled.csv").is_file():
        yield "no classifier model (shared data absent): classification returns at once"
        return
    saved = settings.GRIDGOV_MODEL_DIR
    with tempfile.TemporaryDirectory(prefix="gridgov-bench-models-") as folder:
        settings.GRIDGOV_MODEL_DIR = Path(folder)
        store.forget_cached_model()
        try:
            say("training a classifier for the benchmark (labelled.csv only)…")
            call_command("classifier", "train", "--no-unlabelled", "--no-corrections", stdout=io.StringIO())
            yield f"classifier {interface.current_version()} installed (real message texts)"
        finally:
            settings.GRIDGOV_MODEL_DIR = saved
            store.forget_cached_model()


def grid_boxes() -> list[tuple[float, float, float, float]]:
    from gridgov.areas import geometry

    index = geometry._locate_index()
    return [g.bounds for g, code in zip(index.geometries, index.codes, strict=True) if len(code) == 15]


def make_reports(count: int, boxes: list[tuple[float, float, float, float]], prefix: str) -> list[Any]:
    """`count` hotline reports at points inside grids (a point of a grid's box that falls outside
    every area is drawn again: nobody may register a case located nowhere)."""
    from gridgov.areas import geometry
    from gridgov.cases.actions import Report

    rng = random.Random(f"{SEED}-{prefix}")
    texts = message_texts()
    points: list[tuple[float, float]] = []
    while len(points) < count:
        drawn = []
        for _ in range(count - len(points)):
            west, south, east, north = rng.choice(boxes)
            drawn.append((rng.uniform(west, east), rng.uniform(south, north)))
        located = geometry.locate_points([x for x, _y in drawn], [y for _x, y in drawn])
        points += [point for point, code in zip(drawn, located, strict=True) if code]
    reports = []
    for number, (lon, lat) in enumerate(points):
        title, body = rng.choice(texts)
        reports.append(
            Report(
                source="hotline",
                title=f"{title} {prefix}{number}",
                description=body,
                category_code=rng.choice(CATEGORIES),
                lon=lon,
                lat=lat,
                is_urgent=rng.random() < 0.1,
                reporter_name="市民",
                reporter_contact=f"138{rng.randrange(10**8):08d}",
            )
        )
    return reports


def plain_sql_insert(case_ids: list[int]) -> tuple[float, int]:
    """(seconds, rows): the Case and CaseEvent rows of `case_ids` inserted again with executemany.

    The values are read back and put in the database's form (field.get_db_prep_save) before the
    clock starts; numbers get a suffix to stay unique, idempotency keys are left out."""
    from django.db import connection, transaction

    from gridgov.cases.models import Case, CaseEvent

    case_fields = [f for f in Case._meta.concrete_fields if f.column != "id"]
    event_fields = [f for f in CaseEvent._meta.concrete_fields if f.column != "id"]
    quote = connection.ops.quote_name

    def prepared(fields: list[Any], row: tuple[Any, ...]) -> list[Any]:
        return [f.get_db_prep_save(value, connection) for f, value in zip(fields, row, strict=True)]

    def insert(model: Any, fields: list[Any]) -> str:
        columns = ", ".join(quote(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"

    cases = Case.objects.filter(pk__in=case_ids).order_by("pk")
    names = [f.attname for f in case_fields]
    number_at, key_at = names.index("number"), names.index("idempotency_key")
    old_number: dict[int, str] = {}
    case_rows = []
    for pk, *values in cases.values_list("pk", *names):
        old_number[pk] = values[number_at]
        values[number_at], values[key_at] = f"{values[number_at]}-b", ""
        case_rows.append(prepared(case_fields, tuple(values)))
    event_names = [f.attname for f in event_fields]
    case_at = event_names.index("case_id")
    events = [
        list(row)
        for row in CaseEvent.objects.filter(case_id__in=case_ids).order_by("pk").values_list(*event_names)
    ]
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(insert(Case, case_fields), case_rows)
        cursor.execute(
            f"SELECT {quote('number')}, {quote('id')} FROM {quote(Case._meta.db_table)} "
            f"WHERE {quote('number')} LIKE %s",
            ["%-b"],
        )
        new_id = dict(cursor.fetchall())
        event_rows = []
        for values in events:
            values[case_at] = new_id[f"{old_number[values[case_at]]}-b"]
            event_rows.append(prepared(event_fields, tuple(values)))
        cursor.executemany(insert(CaseEvent, event_fields), event_rows)
    seconds = time.perf_counter() - started
    return seconds, len(case_rows) + len(event_rows)


def clean_up(audit_after: int) -> None:
    """Delete every row this benchmark wrote (not timed). Plain DELETEs: the ORM's cascade would
    first read the ids of every row and pass them back as parameters (too many for SQLite at
    50,000 cases)."""
    from gridgov.cases.models import Case, CaseCounter, CaseEvent, CasePhoto, CaseRequest, CaseTask
    from gridgov.core.models import AuditEvent
    from gridgov.deadlines.models import Deadline
    from gridgov.notifications.models import InboxMessage, WebhookDelivery

    for query in (
        WebhookDelivery.objects.all(),
        InboxMessage.objects.filter(subject_type="cases.case"),
        AuditEvent.objects.filter(pk__gt=audit_after),
        Deadline.objects.filter(subject_type="cases.case"),
        CasePhoto.objects.all(),
        CaseRequest.objects.all(),
        CaseTask.objects.all(),
        CaseEvent.objects.all(),
        Case.objects.all(),
        CaseCounter.objects.all(),
    ):
        query._raw_delete(query.db)


def one_by_one(reports: list[Any], actor: Any) -> int:
    from gridgov.cases import actions
    from gridgov.cases.models import CaseStatus

    for report in reports:
        case = actions.report_case(report, actor=actor).case
        case.refresh_from_db()
        if case.status == CaseStatus.REPORTED and case.category_id is not None:
            actions.register_case(case.pk, actor=actor)
            case.refresh_from_db()
        if case.status == CaseStatus.REGISTERED and len(actions.propose_dispatch(case).department_ids) == 1:
            actions.dispatch_case(case.pk, actor=actor)
    return len(reports)


def measure(size: int, real_sample: int) -> list[Row]:
    with installed_classifier() as note:
        return _measure(size, real_sample, note)


def _measure(size: int, real_sample: int, note: str) -> list[Row]:
    from gridgov.cases.bulk import bulk_report
    from gridgov.cases.models import Case, CaseEvent, CaseStatus
    from gridgov.core.models import AuditEvent

    operator = prepare()
    boxes = grid_boxes()
    if Case.objects.exists():
        raise RuntimeError("intake_bulk needs a benchmark database without cases")
    audit_after = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        say(f"intake_bulk: bulk_report of {size:,} reports, whole pipeline…")
        full = bulk_report(make_reports(size, boxes, "a"), actor=operator, register=True, dispatch=True)
        ids = list(Case.objects.values_list("pk", flat=True))
        dispatched = Case.objects.filter(status=CaseStatus.DISPATCHED).count()
        events = CaseEvent.objects.count()
        say("intake_bulk: the same Case and CaseEvent rows with plain SQL…")
        sql_seconds, sql_rows = plain_sql_insert(ids)
        sql_cases_per_second = len(ids) / sql_seconds
        say(f"intake_bulk: bulk_report of {size:,} reports, filed only…")
        filed = bulk_report(make_reports(size, boxes, "b"), actor=operator, register=False, dispatch=False)
        say(f"intake_bulk: the real actions one case at a time, {real_sample:,} reports…")
        started = time.perf_counter()
        one_by_one(make_reports(real_sample, boxes, "c"), operator)
        real_seconds = time.perf_counter() - started
    finally:
        clean_up(audit_after)
    return [
        Row(
            f"bulk_report, register + dispatch, {size:,} reports",
            full.count / full.seconds,
            "cases/s",
            baseline=sql_cases_per_second,
            target=at_least(TARGET_CASES_PER_SECOND),
            note=(
                f"{dispatched:,} of {full.count:,} dispatched, {events:,} events; baseline: the same "
                f"{sql_rows:,} Case+CaseEvent rows by executemany; {note}"
            ),
        ),
        Row(
            f"bulk_report, filed only, {size:,} reports",
            filed.count / filed.seconds,
            "cases/s",
            baseline=sql_cases_per_second,
        ),
        Row(
            f"real actions one by one, register + dispatch, {real_sample:,} reports",
            real_sample / real_seconds,
            "cases/s",
            baseline=full.count / full.seconds,
            note="baseline here: the bulk path; the ratio is how much faster bulk is (inverse)",
        ),
    ]


def run(quick: bool) -> list[Row]:
    return measure(SIZES[quick], REAL_SAMPLE[quick])
