"""/api/v1/notifications/inbox: a user only ever sees and marks their own messages."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from gridgov.accounts.models import User
from gridgov.notifications.actions import notify_users
from gridgov.notifications.models import InboxMessage
from gridgov.notifications.queries import inbox_for

pytestmark = pytest.mark.urls("tests.notifications.urls")

BASE = "/api/v1/notifications"
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def users(make_staff: Callable[[str], User]) -> dict[str, User]:
    alice, bob = make_staff("alice"), make_staff("bob")
    for minutes, (kind, title) in enumerate(
        [("new_task", "新任务：井盖缺失"), ("warning", "预警：即将超期"), ("overdue", "超期：井盖缺失")]
    ):
        with time_machine.travel(START + timedelta(minutes=minutes), tick=False):
            notify_users(
                [alice],
                kind=kind,
                title=title,
                body="",
                subject_type="cases.case",
                subject_id="42",
                link="/cases/42/",
            )
    notify_users([bob], kind="supervision", title="督办：路灯不亮", body="请尽快处理")
    return {"alice": alice, "bob": bob}


@pytest.fixture
def alice(users: dict[str, User], client_for: Callable[[User], Client]) -> Client:
    client = client_for(users["alice"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.content
    return response.json()


def test_the_inbox_lists_only_the_callers_messages(alice: Client, users: dict[str, User]) -> None:
    page = ok(alice.get(BASE + "/inbox"))
    assert page["count"] == 3
    assert [m["title"] for m in page["items"]] == ["超期：井盖缺失", "预警：即将超期", "新任务：井盖缺失"]
    first = page["items"][0]
    assert first == {
        "id": inbox_for(users["alice"])[0].pk,
        "kind": "overdue",
        "kind_label": "overdue",
        "title": "超期：井盖缺失",
        "body": "",
        "subject_type": "cases.case",
        "subject_id": "42",
        "link": "/cases/42/",
        "created_at": "2026-03-02T01:02:00Z",
        "read_at": None,
        "is_read": False,
    }


def test_filters_and_pages(alice: Client) -> None:
    assert [m["kind"] for m in ok(alice.get(BASE + "/inbox", {"kind": "warning"}))["items"]] == ["warning"]
    page = ok(alice.get(BASE + "/inbox", {"limit": 2, "offset": 2}))
    assert (page["count"], [m["kind"] for m in page["items"]]) == (3, ["new_task"])
    response = alice.get(BASE + "/inbox", {"kind": "urgent"})
    assert (response.status_code, response.json()["code"]) == (422, "invalid_input")


def test_the_list_takes_a_fixed_number_of_queries(
    alice: Client, users: dict[str, User], django_assert_num_queries: Any
) -> None:
    notify_users([users["alice"]] * 1, kind="info", title="more", body="")
    # session, user, count, page: however many messages there are.
    with django_assert_num_queries(4):
        ok(alice.get(BASE + "/inbox"))


def test_someone_elses_message_is_not_found(alice: Client, users: dict[str, User]) -> None:
    bobs = InboxMessage.objects.get(recipient=users["bob"]).pk
    response = alice.get(f"{BASE}/inbox/{bobs}")
    assert response.status_code == 404
    assert response.json() == {
        "code": "inbox_message_not_found",
        "message": "No such message in your inbox.",
        "details": {"id": bobs},
    }
    own = inbox_for(users["alice"])[0].pk
    assert ok(alice.get(f"{BASE}/inbox/{own}"))["title"] == "超期：井盖缺失"


def test_marking_someone_elses_message_is_refused_and_changes_nothing(
    alice: Client, users: dict[str, User]
) -> None:
    bobs = InboxMessage.objects.get(recipient=users["bob"]).pk
    own = inbox_for(users["alice"])[0].pk
    response = alice.post(BASE + "/inbox/read", {"ids": [own, bobs]}, content_type="application/json")
    assert response.status_code == 404
    assert response.json()["details"] == {"ids": [bobs]}
    assert InboxMessage.objects.filter(read_at__isnull=False).count() == 0

    with time_machine.travel(START + timedelta(hours=1), tick=False):
        body = ok(alice.post(BASE + "/inbox/read", {"ids": [own]}, content_type="application/json"))
    assert body == {"marked": 1, "unread_count": 2}
    assert ok(alice.get(f"{BASE}/inbox/{own}"))["read_at"] == "2026-03-02T02:00:00Z"
    assert [m["kind"] for m in ok(alice.get(BASE + "/inbox", {"unread": "true"}))["items"]] == [
        "warning",
        "new_task",
    ]
    response = alice.post(BASE + "/inbox/read", {"ids": []}, content_type="application/json")
    assert response.status_code == 422


def test_read_all_and_the_unread_count_are_the_callers_own(
    alice: Client, users: dict[str, User], client_for: Callable[[User], Client]
) -> None:
    bob = client_for(users["bob"])
    assert ok(alice.get(BASE + "/inbox/unread-count")) == {"unread_count": 3}
    assert ok(bob.get(BASE + "/inbox/unread-count")) == {"unread_count": 1}
    assert ok(alice.post(BASE + "/inbox/read-all")) == {"marked": 3, "unread_count": 0}
    assert ok(alice.post(BASE + "/inbox/read-all")) == {"marked": 0, "unread_count": 0}
    assert ok(bob.get(BASE + "/inbox/unread-count")) == {"unread_count": 1}
    assert ok(bob.get(BASE + "/inbox"))["items"][0]["is_read"] is False


def test_the_inbox_needs_a_signed_in_user(users: dict[str, User]) -> None:
    for response in (Client().get(BASE + "/inbox"), Client().post(BASE + "/inbox/read-all")):
        assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")
    assert InboxMessage.objects.filter(read_at__isnull=False).count() == 0
