"""The cases API: intake, every lifecycle action, lists and the case timeline.

Every POST names one action; a refused action answers 403/404/409 with a JSON error and changes
nothing. Clients may send the `version` they last saw: if someone changed the case meanwhile the
answer is 409 `case_changed` instead of a lost update.
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate

from gridgov.accounts.models import User
from gridgov.cases import actions, intake, lifecycle
from gridgov.cases.models import Case, CaseEvent, CaseRequest, CaseTask
from gridgov.cases.queries import (
    CaseFilters,
    get_case_for,
    list_cases_for,
    roles_on_case,
    tasks_of,
    timeline_of,
    visible_duplicates_of,
)
from gridgov.cases.schemas import (
    CaseDetailOut,
    CaseOut,
    CaseReportIn,
    CheckIn,
    DecisionIn,
    DispatchIn,
    DoneIn,
    EventOut,
    ExtensionIn,
    MergeIn,
    MeTooOut,
    NoteIn,
    RateIn,
    ReasonIn,
    RegisterIn,
    ReportOut,
    RequestOut,
    SentenceFileIn,
    SentenceIn,
    SentenceIncompleteOut,
    SentenceOut,
    SuperviseIn,
    SuspensionIn,
    TaskOut,
    VerifyIn,
    WhistleIn,
)

router = Router(tags=["cases"])


def user_of(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def case_out(case: Case) -> CaseOut:
    return CaseOut.from_orm(case)


def event_out(event: CaseEvent) -> EventOut:
    return EventOut(
        action=event.action,
        from_status=event.from_status,
        to_status=event.to_status,
        actor=event.actor_label,
        department=event.department.name if event.department else None,
        occurred_at=event.occurred_at,
        note=event.note,
        data=event.data,
    )


def task_out(task: CaseTask) -> TaskOut:
    return TaskOut(
        id=task.pk,
        department_id=task.department_id,
        department=task.department.name,
        status=task.status,
        is_whistle=task.is_whistle,
        sign_due_at=task.sign_due_at,
        due_at=task.due_at,
        signed_at=task.signed_at,
        done_at=task.done_at,
        note=task.note,
    )


def detail(request: HttpRequest, case_id: int) -> CaseDetailOut:
    user = user_of(request)
    case = get_case_for(user, case_id)
    roles = roles_on_case(user, case)
    proposal = None
    if case.status == lifecycle.REGISTERED:
        found = actions.propose_dispatch(case)
        proposal = {
            "level": found.level,
            "department_ids": list(found.department_ids),
            "reason": found.reason,
        }
    # The detail schema reads these like the case's own fields.
    case.task_list = [task_out(t) for t in tasks_of(case)]  # type: ignore[attr-defined]
    case.event_list = [event_out(e) for e in timeline_of(case)]  # type: ignore[attr-defined]
    case.allowed = [a.value for a in lifecycle.allowed_actions(case.status, roles)]  # type: ignore[attr-defined]
    case.proposal = proposal  # type: ignore[attr-defined]
    return CaseDetailOut.from_orm(case)


class ListFilters(Schema):
    status: list[str] | None = None
    source: str | None = None
    category: str | None = None
    area: str | None = None
    department: int | None = None
    light: str | None = None
    overdue: bool | None = None
    number: str | None = None
    reported_after: datetime | None = None
    reported_before: datetime | None = None


@router.get("/", response=list[CaseOut], summary="Cases in the caller's scope, newest first")
@paginate(LimitOffsetPagination)
def list_cases(request: HttpRequest, filters: Query[ListFilters]) -> list[CaseOut]:
    return list_cases_for(request.user, CaseFilters(**filters.dict()))  # type: ignore[return-value]


@router.post("/", response={201: ReportOut, 200: ReportOut}, summary="Report a problem (JSON)")
def report(request: HttpRequest, data: CaseReportIn) -> Status[ReportOut]:
    result = actions.report_case(actions.Report(**_report_fields(data)), actor=user_of(request))
    return Status(201 if result.created else 200, _report_out(result))


@router.post("/form", response={201: ReportOut, 200: ReportOut}, summary="Report a problem with photos")
def report_with_photos(
    request: HttpRequest,
    data: Form[CaseReportIn],
    photos: list[UploadedFile] = File(default=None),  # noqa: B008
) -> Status[ReportOut]:
    uploads = [actions.PhotoUpload(p.name or "photo", p.read()) for p in (photos or [])]
    result = actions.report_case(
        actions.Report(**_report_fields(data), photos=uploads), actor=user_of(request)
    )
    return Status(201 if result.created else 200, _report_out(result))


def _report_fields(data: CaseReportIn) -> dict[str, Any]:
    fields = data.dict()
    fields["category_code"] = fields.pop("category")
    return fields


def _report_out(result: actions.ReportResult) -> ReportOut:
    # Nested cases are read from the rows, through CaseOut's resolvers.
    return ReportOut.from_orm(result)


# ── one-sentence intake (一句话办事); before "/{case_id}", which would take "/sentence" ────────


@router.post("/sentence", response=SentenceOut, summary="Understand one sentence (nothing is written)")
def understand_sentence(request: HttpRequest, data: SentenceIn) -> SentenceOut:
    result = intake.understand_sentence(data.text, actor=user_of(request), answers=data.answers)
    return SentenceOut(**intake.describe(result))


@router.post(
    "/sentence/file",
    response={201: ReportOut, 200: ReportOut, 422: SentenceIncompleteOut},
    summary="File one sentence as a case, or 422 with the question to ask first",
)
def file_sentence(request: HttpRequest, data: SentenceFileIn) -> Status[Any]:
    result = intake.file_sentence(
        data.text,
        actor=user_of(request),
        answers=data.answers,
        reporter_name=data.reporter_name,
        reporter_contact=data.reporter_contact,
        is_anonymous=data.is_anonymous,
        idempotency_key=data.idempotency_key,
        file_question=data.file_question,
    )
    if isinstance(result, intake.SentenceResult):
        details = intake.describe(result)
        message = result.question or result.reply or ""
        return Status(422, {"code": "sentence_incomplete", "message": message, "details": details})
    return Status(201 if result.created else 200, _report_out(result))


@router.get("/{case_id}", response=CaseDetailOut, summary="One case with its tasks and timeline")
def get_case(request: HttpRequest, case_id: int) -> CaseDetailOut:
    return detail(request, case_id)


@router.get("/{case_id}/duplicates", response=list[CaseOut], summary="Open cases that may be the same")
def duplicates(request: HttpRequest, case_id: int) -> list[CaseOut]:
    user = user_of(request)
    return [case_out(c) for c in visible_duplicates_of(user, get_case_for(user, case_id))]


@router.post("/{case_id}/verify", response=CaseDetailOut, summary="核实 verify on site")
def verify(request: HttpRequest, case_id: int, data: VerifyIn) -> CaseDetailOut:
    actions.verify_case(case_id, actor=user_of(request), is_genuine=data.genuine, note=data.note)
    return detail(request, case_id)


@router.post("/{case_id}/register", response=CaseDetailOut, summary="立案 register")
def register(request: HttpRequest, case_id: int, data: RegisterIn) -> CaseDetailOut:
    actions.register_case(
        case_id,
        actor=user_of(request),
        category_code=data.category,
        is_urgent=data.is_urgent,
        note=data.note,
        expected_version=data.version,
    )
    return detail(request, case_id)


@router.post("/{case_id}/void", response=CaseDetailOut, summary="作废 void")
def void(request: HttpRequest, case_id: int, data: ReasonIn) -> CaseDetailOut:
    actions.void_case(case_id, actor=user_of(request), reason=data.reason, expected_version=data.version)
    return detail(request, case_id)


@router.post("/{case_id}/merge", response=CaseDetailOut, summary="Merge into an open case (duplicate)")
def merge(request: HttpRequest, case_id: int, data: MergeIn) -> CaseDetailOut:
    actions.merge_case(case_id, into_case_id=data.into_case_id, actor=user_of(request), note=data.note)
    return detail(request, case_id)


@router.post("/{case_id}/me-too", response=MeTooOut, summary="我也遇到 me too")
def me_too(request: HttpRequest, case_id: int, data: NoteIn) -> MeTooOut:
    # A resident may second a case they cannot read in full: answer only the public count.
    case = actions.add_me_too(case_id, actor=user_of(request), note=data.note)
    return MeTooOut(number=case.number, me_too_count=case.me_too_count)


@router.post("/{case_id}/handle-locally", response=CaseDetailOut, summary="自行处置 handle in the grid")
def handle_locally(request: HttpRequest, case_id: int, data: NoteIn) -> CaseDetailOut:
    actions.handle_locally(case_id, actor=user_of(request), note=data.note, expected_version=data.version)
    return detail(request, case_id)


@router.post("/{case_id}/dispatch", response=CaseDetailOut, summary="派遣 dispatch to a department")
def dispatch(request: HttpRequest, case_id: int, data: DispatchIn) -> CaseDetailOut:
    actions.dispatch_case(
        case_id,
        actor=user_of(request),
        department_ids=data.department_ids,
        note=data.note,
        expected_version=data.version,
    )
    return detail(request, case_id)


@router.post("/{case_id}/whistle", response=CaseDetailOut, summary="吹哨 call several departments")
def whistle(request: HttpRequest, case_id: int, data: WhistleIn) -> CaseDetailOut:
    actions.whistle_case(
        case_id,
        actor=user_of(request),
        department_ids=data.department_ids,
        note=data.note,
        expected_version=data.version,
    )
    return detail(request, case_id)


@router.post("/{case_id}/sign", response=CaseDetailOut, summary="签收 sign for the department's task")
def sign(request: HttpRequest, case_id: int, data: NoteIn) -> CaseDetailOut:
    actions.sign_case(case_id, actor=user_of(request), note=data.note)
    return detail(request, case_id)


@router.post("/{case_id}/return", response=CaseDetailOut, summary="回退 not ours, with a reason")
def return_case(request: HttpRequest, case_id: int, data: ReasonIn) -> CaseDetailOut:
    actions.return_case(case_id, actor=user_of(request), reason=data.reason)
    return detail(request, case_id)


@router.post("/{case_id}/done", response=CaseDetailOut, summary="处置反馈 report done, with photos")
def done(
    request: HttpRequest,
    case_id: int,
    data: Form[DoneIn],
    photos: list[UploadedFile] = File(default=None),  # noqa: B008
) -> CaseDetailOut:
    uploads = [actions.PhotoUpload(p.name or "photo", p.read()) for p in (photos or [])]
    actions.report_done(case_id, actor=user_of(request), note=data.note, photos=uploads)
    return detail(request, case_id)


@router.post("/{case_id}/check", response=CaseDetailOut, summary="核查 check pass or fail (rework)")
def check(request: HttpRequest, case_id: int, data: CheckIn) -> CaseDetailOut:
    actions.check_case(case_id, actor=user_of(request), passed=data.passed, note=data.note)
    return detail(request, case_id)


@router.post("/{case_id}/close", response=CaseDetailOut, summary="结案 close")
def close(request: HttpRequest, case_id: int, data: NoteIn) -> CaseDetailOut:
    actions.close_case(case_id, actor=user_of(request), note=data.note, expected_version=data.version)
    return detail(request, case_id)


@router.post("/{case_id}/rate", response=CaseDetailOut, summary="评价 rate; dissatisfied reopens")
def rate(request: HttpRequest, case_id: int, data: RateIn) -> CaseDetailOut:
    actions.rate_case(
        case_id, actor=user_of(request), rating=data.rating, satisfied=data.satisfied, comment=data.comment
    )
    return detail(request, case_id)


@router.post("/{case_id}/extension", response=RequestOut, summary="申请延期 ask for an extension")
def extension(request: HttpRequest, case_id: int, data: ExtensionIn) -> CaseRequest:
    return actions.request_extension(
        case_id, actor=user_of(request), extra_hours=data.extra_hours, reason=data.reason
    )


@router.post("/{case_id}/suspension", response=RequestOut, summary="申请挂账 ask for suspension")
def suspension(request: HttpRequest, case_id: int, data: SuspensionIn) -> CaseRequest:
    return actions.request_suspension(case_id, actor=user_of(request), reason=data.reason)


@router.post("/requests/{request_id}/decide", response=RequestOut, summary="Approve or refuse a request")
def decide(request: HttpRequest, request_id: int, data: DecisionIn) -> CaseRequest:
    return actions.decide_request(request_id, actor=user_of(request), approve=data.approve, note=data.note)


@router.post("/{case_id}/resume", response=CaseDetailOut, summary="解除挂账 resume a suspended case")
def resume(request: HttpRequest, case_id: int, data: NoteIn) -> CaseDetailOut:
    actions.resume_case(case_id, actor=user_of(request), note=data.note)
    return detail(request, case_id)


@router.post("/{case_id}/escalate", response=CaseDetailOut, summary="上报 escalate one level")
def escalate(request: HttpRequest, case_id: int, data: ReasonIn) -> CaseDetailOut:
    actions.escalate_case(case_id, actor=user_of(request), reason=data.reason, expected_version=data.version)
    return detail(request, case_id)


@router.post("/{case_id}/supervise", response=CaseDetailOut, summary="督办 supervise with an instruction")
def supervise(request: HttpRequest, case_id: int, data: SuperviseIn) -> CaseDetailOut:
    actions.supervise_case(
        case_id, actor=user_of(request), instruction=data.instruction, due_hours=data.due_hours
    )
    return detail(request, case_id)
