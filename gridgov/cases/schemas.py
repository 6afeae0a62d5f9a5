from datetime import datetime
from typing import Any

from ninja import Schema


class CaseReportIn(Schema):
    source: str = "web"
    title: str
    description: str = ""
    category: str | None = None
    lon: float | None = None
    lat: float | None = None
    address: str = ""
    area_code: str | None = None
    is_urgent: bool = False
    reporter_name: str = ""
    reporter_contact: str = ""
    is_anonymous: bool = False
    idempotency_key: str = ""


class CaseOut(Schema):
    """Read from a Case row; personal data only masked (PIPL)."""

    id: int
    number: str
    title: str
    description: str
    source: str
    status: str
    status_label: str
    category: str | None
    category_name: str | None
    area: str | None
    area_name: str | None
    level: str
    handling_area: str | None
    lon: float | None
    lat: float | None
    address: str
    is_urgent: bool
    reporter_contact: str
    is_anonymous: bool
    me_too_count: int
    due_at: datetime | None
    light: str
    is_overdue: bool
    rating: int | None
    is_satisfied: bool | None
    reported_at: datetime
    closed_at: datetime | None
    version: int

    @staticmethod
    def resolve_status_label(case: Any) -> str:
        return str(case.get_status_display())

    @staticmethod
    def resolve_category(case: Any) -> str | None:
        return case.category.code if case.category_id else None

    @staticmethod
    def resolve_category_name(case: Any) -> str | None:
        return case.category.name if case.category_id else None

    @staticmethod
    def resolve_area(case: Any) -> str | None:
        return case.area_id

    @staticmethod
    def resolve_area_name(case: Any) -> str | None:
        return case.area.name if case.area_id else None

    @staticmethod
    def resolve_handling_area(case: Any) -> str | None:
        return case.handling_area_id

    @staticmethod
    def resolve_reporter_contact(case: Any) -> str:
        return case.reporter_contact_masked


class EventOut(Schema):
    action: str
    from_status: str
    to_status: str
    actor: str
    department: str | None
    occurred_at: datetime
    note: str
    data: dict[str, Any]


class TaskOut(Schema):
    id: int
    department_id: int
    department: str
    status: str
    is_whistle: bool
    sign_due_at: datetime | None
    due_at: datetime | None
    signed_at: datetime | None
    done_at: datetime | None
    note: str


class CaseDetailOut(CaseOut):
    tasks: list[TaskOut]
    events: list[EventOut]
    allowed_actions: list[str]
    proposal: dict[str, Any] | None
    # The classifier's suggestion at intake (label, confidence, top classes) and the model version
    # that made it; empty when no model was trained then (docs/intelligence.md).
    class_suggestion: dict[str, Any]
    model_version: str

    @staticmethod
    def resolve_tasks(case: Any) -> list[TaskOut]:
        return case.task_list

    @staticmethod
    def resolve_events(case: Any) -> list[EventOut]:
        return case.event_list

    @staticmethod
    def resolve_allowed_actions(case: Any) -> list[str]:
        return case.allowed


class ReportOut(Schema):
    case: CaseOut
    created: bool
    duplicates: list[CaseOut]


class VersionIn(Schema):
    version: int | None = None


class NoteIn(VersionIn):
    note: str = ""


class RegisterIn(NoteIn):
    category: str | None = None
    is_urgent: bool | None = None


class ReasonIn(VersionIn):
    reason: str


class DispatchIn(NoteIn):
    department_ids: list[int] | None = None


class WhistleIn(NoteIn):
    department_ids: list[int]


class MergeIn(NoteIn):
    into_case_id: int


class CheckIn(NoteIn):
    passed: bool


class DoneIn(Schema):
    note: str


class RateIn(Schema):
    rating: int
    satisfied: bool
    comment: str = ""


class ExtensionIn(Schema):
    extra_hours: int
    reason: str


class SuspensionIn(Schema):
    reason: str


class DecisionIn(Schema):
    approve: bool
    note: str = ""


class SuperviseIn(Schema):
    instruction: str
    due_hours: float | None = None


class VerifyIn(Schema):
    genuine: bool
    note: str = ""


class RequestOut(Schema):
    id: int
    case_id: int
    kind: str
    status: str
    reason: str
    extra_hours: int | None
    requested_at: datetime
    decided_at: datetime | None


class MeTooOut(Schema):
    number: str
    me_too_count: int


# ── one-sentence intake (一句话办事, gridgov/cases/intake.py) ─────────────────────────────────


class SentenceIn(Schema):
    text: str
    # The resident's answers to the questions asked so far, oldest first.
    answers: list[str] = []


class SentenceFileIn(SentenceIn):
    reporter_name: str = ""
    reporter_contact: str = ""
    is_anonymous: bool = False
    idempotency_key: str = ""
    # File a question (咨询) as a message anyway; problems and service requests need no flag.
    file_question: bool = False


class SentenceAreaStepOut(Schema):
    code: str
    name: str
    level: str


class SentenceAreaOut(SentenceAreaStepOut):
    parent: str | None
    path: list[SentenceAreaStepOut]


class SentenceCategoryOut(Schema):
    code: str
    name: str


class SentenceSuggestionOut(Schema):
    label: str
    confidence: float
    model_version: str
    category: str | None


class SentenceOut(Schema):
    """What the sentence was understood to say; `ready` or one `question` to ask."""

    sentence: str
    answers: list[str]
    kind: str  # problem | service | question
    kind_label: str
    kind_cue: str | None
    kind_rule: str
    phrase: str
    duration: str | None
    street: str | None
    community: str | None
    estate: str | None
    road: str | None
    building: str | None
    unit: str | None
    room: str | None
    floor: str | None
    area: SentenceAreaOut | None
    candidates: list[SentenceAreaOut]
    place: str
    category: SentenceCategoryOut | None
    suggestion: SentenceSuggestionOut | None
    missing: list[str]
    question_code: str | None
    question: str | None
    ready: bool
    reply: str | None
    notes: list[str]
    title: str
    address: str


class SentenceIncompleteOut(Schema):
    """422 from /sentence/file: the error shape, with the question and the parse in `details`."""

    code: str
    message: str
    details: SentenceOut
