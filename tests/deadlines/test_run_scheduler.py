"""manage.py run_scheduler: one pass fires the due deadlines and runs the periodic jobs."""

from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from config import schedule
from gridgov.accounts.models import User
from gridgov.deadlines.actions import schedule_deadline
from gridgov.deadlines.models import Deadline
from tests.deadlines.conftest import FAILING_KIND, OK_KIND, SUBJECT, Calls

NOW = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai
RUNS: list[str] = []


class Report:
    def as_dict(self) -> dict[str, int]:
        return {"sent": 2}


def counting_job() -> Report:
    RUNS.append("counting")
    return Report()


def failing_job() -> None:
    RUNS.append("failing")
    raise RuntimeError("job broke")


# The schedule these tests run: this module stands in for config/schedule.py.
JOBS = [
    ("tests.failing", 60, "tests.deadlines.test_run_scheduler.failing_job"),
    ("tests.counting", 60, "tests.deadlines.test_run_scheduler.counting_job"),
    ("tests.missing", 60, "tests.deadlines.no_such_module.job"),
]


@pytest.fixture
def test_schedule(settings: Settings) -> None:
    settings.GRIDGOV_SCHEDULE_MODULE = __name__
    RUNS.clear()


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("run_scheduler", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@time_machine.travel(NOW, tick=False)
def test_once_fires_due_deadlines_and_runs_every_job(db: None, handlers: Calls, test_schedule: None) -> None:
    due = schedule_deadline(OK_KIND, SUBJECT, "1", NOW - timedelta(minutes=1))
    failing = schedule_deadline(FAILING_KIND, SUBJECT, "2", NOW - timedelta(minutes=2))
    schedule_deadline(OK_KIND, SUBJECT, "3", NOW + timedelta(minutes=1))
    out, err = run("--once")
    assert out.splitlines() == [
        "scheduler started: 2 periodic jobs (tests.failing, tests.counting)",
        "2026-03-10 14:00:00 deadlines: 1 fired, 1 to retry, 0 given up",
        f"  #{failing.pk} {FAILING_KIND} {SUBJECT}:2: retry: RuntimeError: boom",
        f"  #{due.pk} {OK_KIND} {SUBJECT}:1: fired: reminded 1",
        "job tests.counting: {'sent': 2}",
        "scheduler stopped after 1 passes",
    ]
    assert err.splitlines() == [
        "job tests.missing: cannot import tests.deadlines.no_such_module.job "
        "(No module named 'tests.deadlines.no_such_module'); skipped",
        "job tests.failing: failed (see the log)",
    ]
    assert RUNS == ["failing", "counting"]  # a failing job does not stop the next
    assert handlers.ok == [due.pk]
    assert Deadline.objects.filter(fired_at__isnull=False).count() == 1


@time_machine.travel(NOW, tick=False)
def test_max_seconds_zero_makes_one_quiet_pass(db: None, handlers: Calls, test_schedule: None) -> None:
    out, _err = run("--max-seconds", "0")
    # Nothing was due: the pass says nothing about deadlines, only the job that returned something.
    assert out.splitlines() == [
        "scheduler started: 2 periodic jobs (tests.failing, tests.counting)",
        "job tests.counting: {'sent': 2}",
        "scheduler stopped after 1 passes",
    ]


def test_the_project_schedule_lists_the_webhook_job() -> None:
    assert [tuple(job) for job in schedule.JOBS] == [
        ("notifications.deliver_webhooks", 30, "gridgov.notifications.actions.deliver_due_webhooks")
    ]


# transaction=True: the webhook job refuses to run inside a transaction, as the real scheduler runs.
@pytest.mark.django_db(transaction=True)
def test_once_with_the_project_schedule() -> None:
    out, err = run("--once")
    lines = out.splitlines()
    assert lines[0] == "scheduler started: 1 periodic jobs (notifications.deliver_webhooks)"
    assert lines[1].endswith("deadlines: 0 fired, 0 to retry, 0 given up")
    assert lines[2].startswith("job notifications.deliver_webhooks: {")
    assert err == ""


def test_the_admin_lists_deadlines_read_only(db: None, handlers: Calls) -> None:
    schedule_deadline(OK_KIND, SUBJECT, "1", NOW)
    failing = schedule_deadline(FAILING_KIND, SUBJECT, "2", NOW)
    Deadline.objects.filter(pk=failing.pk).update(fired_at=NOW, outcome="failed", attempts=5)
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="pw-root-admin"))
    url = reverse("admin:deadlines_deadline_changelist")
    counts: dict[str, Any] = {}
    for state in ["", "open", "retrying", "fired", "failed", "cancelled"]:
        response = client.get(url, {"state": state} if state else {})
        assert response.status_code == 200
        counts[state] = response.context["cl"].result_count
    assert counts == {"": 2, "open": 1, "retrying": 0, "fired": 0, "failed": 1, "cancelled": 0}
    change = client.get(reverse("admin:deadlines_deadline_change", args=[failing.pk]))
    assert change.status_code == 200
    assert 'name="kind"' not in change.content.decode()  # nothing to edit
    assert client.post(reverse("admin:deadlines_deadline_delete", args=[failing.pk])).status_code == 403
