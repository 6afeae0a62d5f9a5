"""The staff inbox: notify_users (idempotent by dedupe key), mark_read, mark_all_read, and its queries."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction

from gridgov.accounts.models import User
from gridgov.core.models import AuditEvent
from gridgov.notifications.actions import Notice, mark_all_read, mark_read, notify_many, notify_users
from gridgov.notifications.errors import InboxMessageNotFound, NotificationInvalid
from gridgov.notifications.models import InboxMessage, MessageKind
from gridgov.notifications.queries import get_message_for, inbox_for, unread_count

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def staff(make_staff: Callable[[str], User]) -> dict[str, User]:
    return {name: make_staff(name) for name in ("alice", "bob", "carol")}


def notify_audits() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="notify_users").order_by("id"))


def test_notify_users_puts_one_message_in_each_active_inbox(staff: dict[str, User]) -> None:
    staff["carol"].is_active = False
    staff["carol"].save()
    with time_machine.travel(START, tick=False):
        created = notify_users(
            [staff["alice"], staff["bob"], staff["alice"], staff["carol"]],
            kind=MessageKind.OVERDUE,
            title="案件已超期",
            body="案件 42（井盖缺失）已超过处置时限。",
            subject_type="cases.case",
            subject_id="42",
            link="/cases/42/",
        )
    assert created == 2
    rows = list(InboxMessage.objects.order_by("recipient__username").values())
    assert [(r["recipient_id"], r["kind"], r["title"], r["subject_type"], r["subject_id"]) for r in rows] == [
        (staff["alice"].pk, "overdue", "案件已超期", "cases.case", "42"),
        (staff["bob"].pk, "overdue", "案件已超期", "cases.case", "42"),
    ]
    assert {(r["link"], r["created_at"], r["read_at"], r["dedupe_key"]) for r in rows} == {
        ("/cases/42/", START, None, "")
    }
    [audit] = notify_audits()
    assert (audit.subject_type, audit.subject_id, audit.actor_label) == ("cases.case", "42", "notifications")
    assert audit.data == {
        "kind": "overdue",
        "title": "案件已超期",
        "recipient_ids": sorted([staff["alice"].pk, staff["bob"].pk]),
        "dedupe_key": "",
    }


def test_without_a_key_every_call_notifies(staff: dict[str, User]) -> None:
    for _ in range(2):
        assert notify_users([staff["alice"]], kind="info", title="系统维护", body="") == 1
    assert InboxMessage.objects.count() == 2


def test_a_retried_sweep_never_notifies_twice(staff: dict[str, User]) -> None:
    key = "overdue:case:42:2026-03-02"
    args = {"kind": "overdue", "title": "案件已超期", "body": "", "dedupe_key": key}
    assert notify_users([staff["alice"], staff["bob"]], **args) == 2
    assert notify_users([staff["alice"], staff["bob"]], **args) == 0
    # A recipient added later (the case was re-dispatched) gets theirs; the others still only one.
    assert notify_users([staff["alice"], staff["bob"], staff["carol"]], **args) == 1
    assert sorted(InboxMessage.objects.values_list("recipient__username", flat=True)) == [
        "alice",
        "bob",
        "carol",
    ]
    assert [audit.data["recipient_ids"] for audit in notify_audits()] == [
        sorted([staff["alice"].pk, staff["bob"].pk]),
        [staff["carol"].pk],
    ]
    # Another key is another message.
    assert notify_users([staff["alice"]], **{**args, "dedupe_key": "overdue:case:42:2026-03-03"}) == 1


def test_the_database_refuses_a_second_message_with_the_same_key(staff: dict[str, User]) -> None:
    notify_users([staff["alice"]], kind="info", title="t", body="", dedupe_key="k")
    with pytest.raises(IntegrityError), transaction.atomic():
        InboxMessage.objects.create(recipient=staff["alice"], kind="info", title="t", dedupe_key="k")
    # Empty keys never clash.
    InboxMessage.objects.create(recipient=staff["alice"], kind="info", title="t")
    InboxMessage.objects.create(recipient=staff["alice"], kind="info", title="t")
    assert InboxMessage.objects.count() == 3


@pytest.mark.parametrize(
    ("changes", "details"),
    [
        ({"kind": "urgent"}, {"kind": "urgent", "reason": "unknown kind"}),
        ({"title": "  "}, {"reason": "empty title"}),
        ({"title": "长" * 201}, {"reason": "title too long"}),
        (
            {"link": "https://evil.example/"},
            {"link": "https://evil.example/", "reason": "must be a path such as /cases/42/"},
        ),
        (
            {"link": "//evil.example/"},
            {"link": "//evil.example/", "reason": "must be a path such as /cases/42/"},
        ),
        ({"dedupe_key": "k" * 201}, {"reason": "dedupe_key too long"}),
    ],
)
def test_invalid_notifications_write_nothing(
    staff: dict[str, User], changes: dict[str, str], details: dict[str, str]
) -> None:
    args = {"kind": "info", "title": "标题", "body": "", **changes}
    with pytest.raises(NotificationInvalid) as raised:
        notify_users([staff["alice"]], **args)
    assert raised.value.code == "notification_invalid"
    assert raised.value.details == details
    assert InboxMessage.objects.count() == 0
    assert notify_audits() == []


def test_notifying_nobody_writes_nothing(staff: dict[str, User]) -> None:
    assert notify_users([], kind="info", title="t", body="") == 0
    assert notify_audits() == []


def test_inbox_queries_are_the_users_own(staff: dict[str, User]) -> None:
    alice, bob = staff["alice"], staff["bob"]
    for minutes, kind in [(0, "new_task"), (1, "warning"), (2, "supervision")]:
        with time_machine.travel(START + timedelta(minutes=minutes), tick=False):
            notify_users([alice], kind=kind, title=f"alice {kind}", body="")
    notify_users([bob], kind="new_task", title="bob new_task", body="")
    assert [m.title for m in inbox_for(alice)] == ["alice supervision", "alice warning", "alice new_task"]
    assert [m.title for m in inbox_for(alice, kind=MessageKind.WARNING)] == ["alice warning"]
    assert unread_count(alice) == 3
    bobs = InboxMessage.objects.get(recipient=bob)
    with pytest.raises(InboxMessageNotFound):
        get_message_for(alice, bobs.pk)
    assert get_message_for(bob, bobs.pk) == bobs


def test_mark_read_marks_only_the_users_own(staff: dict[str, User]) -> None:
    alice, bob = staff["alice"], staff["bob"]
    notify_users([alice, bob], kind="info", title="t1", body="")
    notify_users([alice, bob], kind="info", title="t2", body="")
    alices = list(inbox_for(alice).values_list("pk", flat=True))
    bobs = list(inbox_for(bob).values_list("pk", flat=True))

    with pytest.raises(InboxMessageNotFound) as raised:
        mark_read(alice, [alices[0], bobs[0]])
    assert raised.value.details == {"ids": [bobs[0]]}
    assert InboxMessage.objects.filter(read_at__isnull=False).count() == 0  # not even alice's own

    with time_machine.travel(START, tick=False):
        assert mark_read(alice, [alices[0]]) == 1
    assert mark_read(alice, [alices[0]]) == 0  # already read: stays read at START
    assert InboxMessage.objects.get(pk=alices[0]).read_at == START
    assert (unread_count(alice), unread_count(bob)) == (1, 2)
    assert [m.pk for m in inbox_for(alice, unread_only=True)] == [alices[1]]

    assert mark_all_read(alice) == 1
    assert (unread_count(alice), unread_count(bob)) == (0, 2)
    assert mark_all_read(alice) == 0


def test_the_dedupe_check_reads_the_unique_index_not_the_recipients_whole_inbox(
    staff: dict[str, User],
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL picks plans by table statistics")
    users = list(staff.values())
    for n in range(30):
        notify_users(users, kind="info", title=f"older {n}", body="", dedupe_key=f"older:{n}")
    with CaptureQueriesContext(connection) as queries:
        notify_users(users, kind="info", title="new", body="", dedupe_key="dispatch:1:1")
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and "dedupe_key" in q["sql"]
    ]
    assert len(reads) == 1  # the check before the insert (what was created is known: no clash)
    with connection.cursor() as cursor:
        for sql in reads:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            plan = " ".join(str(line) for line in cursor.fetchall())
            assert "inbox_unique_dedupe_key" in plan, plan


def test_notify_many_is_notify_users_for_each_notice_at_once(staff: dict[str, User]) -> None:
    alice, bob, carol = staff["alice"], staff["bob"], staff["carol"]
    notify_users([alice], kind="warning", title="old", body="", dedupe_key="warn:1:2")
    with time_machine.travel(START, tick=False):
        created = notify_many(
            [
                # alice already has this key: only bob gets it.
                Notice(
                    {alice.pk, bob.pk}, kind="warning", title="即将超期 1", body="b1", dedupe_key="warn:1:2"
                ),
                Notice(
                    {carol.pk},
                    kind="overdue",
                    title="已超期 2",
                    body="b2",
                    subject_id="2",
                    dedupe_key="o:2:3",
                ),
                # The same key again in the same call: nobody gets it twice.
                Notice({carol.pk, bob.pk}, kind="overdue", title="again", body="", dedupe_key="o:2:3"),
                Notice(set(), kind="info", title="nobody", body=""),
                Notice({alice.pk, alice.pk}, kind="info", title="no key", body="plain"),
            ]
        )
    assert created == [1, 1, 1, 0, 1]
    rows = InboxMessage.objects.filter(created_at=START).order_by("id")
    assert sorted((r.recipient_id, r.title, r.dedupe_key) for r in rows) == sorted(
        [
            (bob.pk, "即将超期 1", "warn:1:2"),
            (carol.pk, "已超期 2", "o:2:3"),
            (bob.pk, "again", "o:2:3"),
            (alice.pk, "no key", ""),
        ]
    )
    audits = [(a.data["title"], a.data["recipient_ids"], a.occurred_at) for a in notify_audits()[1:]]
    assert audits == [
        ("即将超期 1", [bob.pk], START),
        ("已超期 2", [carol.pk], START),
        ("again", [bob.pk], START),
        ("no key", [alice.pk], START),
    ]


def test_notify_many_checks_every_notice_before_writing(staff: dict[str, User]) -> None:
    alice = staff["alice"]
    with pytest.raises(NotificationInvalid):
        notify_many(
            [
                Notice({alice.pk}, kind="info", title="fine", body=""),
                Notice({alice.pk}, kind="info", title="bad link", body="", link="javascript:alert(1)"),
            ]
        )
    assert not InboxMessage.objects.exists() and not notify_audits()


def test_a_message_inserted_meanwhile_by_another_sweep_is_not_sent_twice(
    staff: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another sweeper inserted alice's message after this one's dedupe check: the unique index
    refuses the second, bob still gets his, and the audit names bob only."""
    from gridgov.notifications import actions

    alice, bob = staff["alice"], staff["bob"]
    InboxMessage.objects.create(recipient=alice, kind="overdue", title="other", dedupe_key="overdue:7:3")
    # The check ran before the other sweep's message was there.
    monkeypatch.setattr(actions, "_already_notified", lambda keys, recipients: set())
    with time_machine.travel(START, tick=False):
        created = notify_users(
            [alice, bob], kind="overdue", title="已超期", body="", dedupe_key="overdue:7:3"
        )
    assert created == 1
    assert sorted(InboxMessage.objects.values_list("recipient__username", "title")) == [
        ("alice", "other"),
        ("bob", "已超期"),
    ]
    [audit] = notify_audits()
    assert audit.data["recipient_ids"] == [bob.pk]
