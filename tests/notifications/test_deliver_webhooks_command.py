"""manage.py deliver_webhooks: one pass, or a loop until interrupted."""

import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command

from gridgov.notifications.actions import create_webhook_endpoint, publish_event
from gridgov.notifications.models import WebhookDelivery
from tests.notifications.conftest import Receiver

pytestmark = pytest.mark.django_db(transaction=True)

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("deliver_webhooks", *args, stdout=out)
    return out.getvalue()


def test_one_pass_prints_a_summary(receiver: Receiver) -> None:
    create_webhook_endpoint(name="ok", url=receiver.url("/ok"), secret="a", actor_label="tests")
    create_webhook_endpoint(name="down", url=receiver.url("/down"), secret="b", actor_label="tests")
    receiver.default = lambda request: (200, b"ok") if request.path == "/ok" else (500, b"")
    with time_machine.travel(START, tick=False):
        publish_event("case.created", {"case_id": 42})
        assert run() == "webhooks: 1 delivered, 1 to retry, 0 given up, 0 skipped\n"
        assert run() == "webhooks: 0 delivered, 0 to retry, 0 given up, 0 skipped\n"
    assert sorted(WebhookDelivery.objects.values_list("status", "attempts")) == [
        ("delivered", 1),
        ("pending", 1),
    ]


def test_the_loop_runs_until_interrupted(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    create_webhook_endpoint(name="ok", url=receiver.url("/ok"), secret="a", actor_label="tests")
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise KeyboardInterrupt
        publish_event("case.closed", {"case_id": 42})

    monkeypatch.setattr("gridgov.notifications.management.commands.deliver_webhooks.time.sleep", sleep)
    with time_machine.travel(START, tick=False):
        publish_event("case.created", {"case_id": 42})
        output = run("--loop", "--interval", "7")
    assert output == (
        "delivering webhooks every 7 s; Ctrl-C stops\n"
        "webhooks: 1 delivered, 0 to retry, 0 given up, 0 skipped\n"
        "webhooks: 1 delivered, 0 to retry, 0 given up, 0 skipped\n"
        "stopped\n"
    )
    assert sleeps == [7.0, 7.0]
    assert [r.json()["type"] for r in receiver.requests] == ["case.created", "case.closed"]
