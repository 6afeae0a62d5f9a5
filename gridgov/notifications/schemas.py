from datetime import datetime

from ninja import Field, Schema

from gridgov.notifications.models import InboxMessage, MessageKind


class InboxMessageOut(Schema):
    id: int
    kind: MessageKind
    kind_label: str
    title: str
    body: str
    subject_type: str
    subject_id: str
    link: str
    created_at: datetime
    read_at: datetime | None
    is_read: bool

    @staticmethod
    def resolve_kind_label(message: InboxMessage) -> str:
        return str(message.get_kind_display())

    @staticmethod
    def resolve_is_read(message: InboxMessage) -> bool:
        return message.read_at is not None


class InboxFilters(Schema):
    unread: bool = Field(False, description="Only the unread messages.")
    kind: MessageKind | None = None


class MarkReadIn(Schema):
    ids: list[int] = Field(..., min_length=1, max_length=500, description="Ids of your own messages.")


class MarkReadOut(Schema):
    marked: int = Field(..., description="How many of them were unread.")
    unread_count: int


class UnreadCountOut(Schema):
    unread_count: int
