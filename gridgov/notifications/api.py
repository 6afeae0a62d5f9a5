"""/api/v1/notifications/: the caller's own inbox. Someone else's message is a 404, never a 403."""

from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import LimitOffsetPagination, paginate

from gridgov.accounts.models import User
from gridgov.notifications.actions import mark_all_read, mark_read
from gridgov.notifications.queries import get_message_for, inbox_for, unread_count
from gridgov.notifications.schemas import (
    InboxFilters,
    InboxMessageOut,
    MarkReadIn,
    MarkReadOut,
    UnreadCountOut,
)

router = Router(tags=["notifications"])


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # the API's authentication lets only signed-in users through
    return user


@router.get("/inbox", response=list[InboxMessageOut], summary="Your inbox, newest first")
@paginate(LimitOffsetPagination)
def list_inbox_view(request: HttpRequest, filters: Query[InboxFilters]) -> list[InboxMessageOut]:
    messages = inbox_for(_user(request), unread_only=filters.unread, kind=filters.kind)
    return messages  # type: ignore[return-value]


@router.get("/inbox/unread-count", response=UnreadCountOut, summary="How many of your messages are unread")
def unread_count_view(request: HttpRequest) -> UnreadCountOut:
    return UnreadCountOut(unread_count=unread_count(_user(request)))


@router.get("/inbox/{int:message_id}", response=InboxMessageOut, summary="One of your messages")
def get_message_view(request: HttpRequest, message_id: int) -> InboxMessageOut:
    return InboxMessageOut.from_orm(get_message_for(_user(request), message_id))


@router.post("/inbox/read", response=MarkReadOut, summary="Mark some of your messages read")
def mark_read_view(request: HttpRequest, payload: MarkReadIn) -> MarkReadOut:
    user = _user(request)
    marked = mark_read(user, payload.ids)
    return MarkReadOut(marked=marked, unread_count=unread_count(user))


@router.post("/inbox/read-all", response=MarkReadOut, summary="Mark all your messages read")
def mark_all_read_view(request: HttpRequest) -> MarkReadOut:
    user = _user(request)
    marked = mark_all_read(user)
    return MarkReadOut(marked=marked, unread_count=unread_count(user))
