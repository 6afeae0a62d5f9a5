"""bench/workload.py: copies of real case histories equal the histories run that much earlier."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bench import workload
from bench.cockpit_queries import clean_up
from gridgov.cases.models import Case, CaseEvent, CaseTask
from gridgov.core.clock import pinned
from tests.cases.conftest import world  # noqa: F401 (the fixture)

# Mid-March 2026: no public holiday in the two runs, so working-time limits fall alike.
MOMENT = datetime(2026, 3, 20, 9, 30, tzinfo=UTC)
WEEK = 7
# What a copy does not keep by design (bench/workload.py): its number (the template's with "~j"),
# the idempotency key (empty); and the encrypted contact, which differs between any two encryptions
# (Fernet: a random IV and the time), so two real runs differ there too.
NOT_COMPARED = {"id", "number", "idempotency_key", "reporter_contact_encrypted"}


def histories(cases: Any) -> list[dict[str, Any]]:
    """Every case of `cases` with its events and tasks, ids replaced by positions."""
    cases = list(cases.order_by("pk"))
    position = {case.pk: index for index, case in enumerate(cases)}
    result = []
    for case in cases:
        row = {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields}
        row["merged_into_id"] = position.get(row["merged_into_id"], row["merged_into_id"])
        events = [
            {
                f.attname: getattr(event, f.attname)
                for f in CaseEvent._meta.concrete_fields
                if f.attname not in ("id", "case_id")
            }
            for event in CaseEvent.objects.filter(case=case).order_by("pk")
        ]
        tasks = [
            {
                f.attname: getattr(task, f.attname)
                for f in CaseTask._meta.concrete_fields
                if f.attname not in ("id", "case_id")
            }
            for task in CaseTask.objects.filter(case=case).order_by("pk")
        ]
        result.append(
            {
                **{k: v for k, v in row.items() if k not in NOT_COMPARED},
                "events": events,
                "tasks": tasks,
            }
        )
    return result


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("world")
def test_a_copy_a_week_back_is_the_same_stories_run_a_week_earlier() -> None:
    with pinned(MOMENT - timedelta(days=WEEK)):
        earlier_counts = workload.build_templates(14, days=6, seed=5)
    earlier = histories(Case.objects.all())
    clean_up()
    with pinned(MOMENT):
        counts = workload.build_templates(14, days=6, seed=5)
    assert counts == earlier_counts
    templates = Case.objects.count()
    assert templates >= 10 and counts["steps"] > 3 * templates  # real stories, not just reports
    with pinned(MOMENT):
        made = workload.replicate([WEEK], open_horizon_days=WEEK, progress=lambda _text: None)
    copies = Case.objects.filter(number__contains="~")
    originals = Case.objects.exclude(number__contains="~")
    assert made.cases == copies.count() == templates
    assert made.events == CaseEvent.objects.filter(case__in=copies).count() > 3 * templates
    copied = histories(copies)
    # The JSON of a copied event is the template's as it is (bench/workload.py: moments written
    # as text and task ids are not moved); every other column must be the earlier run's.
    templates_json = [event["data"] for case in histories(originals) for event in case["events"]]
    assert [event.pop("data") for case in copied for event in case["events"]] == templates_json
    earlier_json = [event.pop("data") for case in earlier for event in case["events"]]
    assert earlier_json != templates_json  # they do differ (moments, task ids): the rule is tested
    differences = [
        (index, key)
        for index, (mine, theirs) in enumerate(zip(copied, earlier, strict=True))
        for key in mine
        if mine[key] != theirs[key]
    ]
    assert differences == []
    # The copy's number is the template's with the copy index.
    template = Case.objects.exclude(number__contains="~").order_by("pk").first()
    assert template is not None and Case.objects.filter(number=f"{template.number}~1").exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("world")
def test_open_templates_are_copied_only_into_the_recent_past() -> None:
    with pinned(MOMENT):
        workload.build_templates(14, days=6, seed=5)
        open_templates = Case.objects.filter(status__in=["registered", "dispatched", "in_progress"]).count()
        closed_templates = (
            Case.objects.count()
            - Case.objects.filter(
                status__in=[
                    "reported",
                    "registered",
                    "dispatched",
                    "in_progress",
                    "handled",
                    "checked",
                    "suspended",
                ]
            ).count()
        )
        made = workload.replicate([28, 35], open_horizon_days=10, progress=lambda _text: None)
    assert open_templates > 0
    assert made.cases == 2 * closed_templates


def test_shifts_are_whole_weeks_within_the_span() -> None:
    shifts = workload.shift_days(500, 3 * 365, [1.0] * 6 + [0.0] * 6, seed=1)
    assert len(shifts) == 500
    assert all(s % 7 == 0 and 7 <= s <= 3 * 365 for s in shifts)
    # Weeks landing in July–December have weight 0.
    today = datetime.now(UTC).date()
    assert all((today - timedelta(days=s)).month <= 6 for s in shifts)


def test_shifts_after_a_span_extend_the_history_back() -> None:
    shifts = workload.shift_days(200, 140, [1.0] * 12, seed=2, after_days=70)
    assert all(70 < s <= 140 and s % 7 == 0 for s in shifts)
    assert len(set(shifts)) > 5  # spread over the weeks, not one


def table_keys(cursor: Any, tables: list[str]) -> tuple[list[Any], list[Any]]:
    cursor.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid::regclass::text = ANY(%s) ORDER BY 1",
        [tables],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
        "WHERE conrelid::regclass::text = ANY(%s) ORDER BY 1",
        [tables],
    )
    return indexes, cursor.fetchall()


@pytest.mark.django_db
@pytest.mark.usefixtures("world")
def test_the_copy_on_postgresql_builds_every_index_and_key_again() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("indexes are set aside on PostgreSQL only")
    tables = [model._meta.db_table for model in (Case, CaseEvent, CaseTask)]
    with connection.cursor() as cursor:
        before = table_keys(cursor, tables)
    with pinned(MOMENT):
        workload.build_templates(6, days=6, seed=3)
        templates = Case.objects.count()
        first = workload.replicate([28], open_horizon_days=60, progress=lambda _text: None)
        second = workload.replicate([35], open_horizon_days=60, progress=lambda _text: None)
    with connection.cursor() as cursor:
        after = table_keys(cursor, tables)
    assert len(before[0]) > 20 and any("FOREIGN KEY" in row[1] for row in before[1])
    assert after == before
    # The second copy reads the templates only, not the first copy too.
    assert first.cases == second.cases == templates
    assert Case.objects.count() == 3 * templates
