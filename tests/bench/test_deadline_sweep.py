"""The deadline-sweep benchmark's machinery at a tiny size on the test database (no timing asserted):
cases filed with their deadlines, due rows found, exactly the expected rows fired with their events,
every row written deleted afterwards."""

import random
from typing import Any

import pytest
from django.db import connection

from bench import deadline_sweep
from gridgov.accounts.actions import create_user, grant_membership
from gridgov.accounts.models import Role, User
from gridgov.cases.actions import Report
from gridgov.cases.models import Case, CaseCounter, CaseEvent, CaseTask
from gridgov.core.models import AuditEvent
from gridgov.deadlines.models import Deadline
from gridgov.notifications.models import InboxMessage
from tests.cases.conftest import GRID_A, GRID_B, GRID_C, World, world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db
CORNERS = {GRID_A: (120.10, 30.20), GRID_B: (120.12, 30.20), GRID_C: (120.14, 30.20)}


def make(count: int, prefix: str) -> list[Report]:
    rng = random.Random(prefix)
    reports = []
    for n in range(count):
        lon, lat = rng.choice(list(CORNERS.values()))
        reports.append(
            Report(
                "hotline",
                f"垃圾桶满溢 {prefix}{n}",
                category_code="E0101",
                lon=lon + rng.uniform(0.001, 0.009),
                lat=lat + rng.uniform(0.001, 0.009),
                is_urgent=n % 10 == 0,
            )
        )
    return reports


def operator() -> User:
    user = create_user(username="sweep-operator", password=None, actor_label="tests")
    for role in (Role.INTAKE_CLERK, Role.DISPATCHER):
        grant_membership(user=user, role=role, area_code="330102000000", actor_label="tests")
    return user


def test_the_sweep_files_finds_fires_and_cleans_up(world: World, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setattr(deadline_sweep, "CHUNK", 15)
    clerk = operator()
    users_before = set(User.objects.values_list("pk", flat=True))
    audit_before = AuditEvent.objects.count()
    measured, stream, staff = deadline_sweep.sweep(clerk, make, (30, 60), due=20, repeats=2)

    assert stream.cases == 60 and stream.chunks == 4
    assert staff > 0  # the departments without a handler got one
    assert [m.size for m in measured] == [30, 60]
    for m in measured:
        assert m.finding.due >= 20
        assert m.deadlines >= m.finding.due
        assert len(m.finding.batch_ms) == len(m.finding.ids_ms) == 2
        # The full-scan baseline (NOT INDEXED) is SQLite's; PostgreSQL has no such hint.
        assert bool(m.finding.scan_count_ms) == (connection.vendor == "sqlite")
        assert "deadline_open_due_idx" in m.finding.plans["first batch"]
        assert m.firing.fired == 20
        assert sum(m.firing.kinds.values()) == 20
        assert m.firing.skipped == 0
    assert measured[1].moment > measured[0].moment  # the first size's due rows stayed fired

    rows = deadline_sweep.rows_for(measured, stream, staff, batch=deadline_sweep.claim_batch())
    assert len(rows) == 6 + 3 * len(measured)
    assert all(row.value > 0 for row in rows)

    # Everything written is gone: cases and their rows, the handlers made, their audit lines.
    for model in (Case, CaseEvent, CaseTask, Deadline, CaseCounter, InboxMessage):
        assert not model.objects.exists(), model.__name__
    assert set(User.objects.values_list("pk", flat=True)) == users_before
    assert AuditEvent.objects.count() == audit_before


def test_the_clean_up_runs_when_a_measure_fails(world: World, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setattr(deadline_sweep, "CHUNK", 15)

    def broken(*args: Any) -> Any:
        raise RuntimeError("measure failed")

    monkeypatch.setattr(deadline_sweep, "measure_size", broken)
    with pytest.raises(RuntimeError, match="measure failed"):
        deadline_sweep.sweep(operator(), make, (30,), due=20, repeats=1)
    assert not Case.objects.exists() and not Deadline.objects.exists()
    assert not User.objects.filter(username__startswith=deadline_sweep.STAFF_PREFIX).exists()


def test_too_few_due_rows_is_an_error_not_a_figure(world: World, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setattr(deadline_sweep, "CHUNK", 15)
    with pytest.raises(RuntimeError, match="fewer than"):
        deadline_sweep.sweep(operator(), make, (5,), due=1_000, repeats=1)
    assert not Case.objects.exists()
