"""Bulk intake: many reports filed at once, writing the rows the real actions would write.

`bulk_report` produces, for each report, exactly what `actions.report_case` writes (with the
trusted sources' immediate registration and the classifier's automatic dispatch), then, when asked,
what `register_case` and `dispatch_case` by `actor` would add: the Case row, its CaseEvents with
the same data, the CaseTasks, the deadline rows, the inbox messages and their audit lines, and the
webhook deliveries. tests/cases/test_bulk.py proves the equivalence field by field.

It is faster because it works a batch at a time: one validation pass over every report (nothing is
written when any report is invalid), one vectorised locate for all points, case numbers taken in
blocks (one CaseCounter update per district and day per batch), the catalogue's rules, proposals,
limits and schedules computed once per distinct input, and rows written with insert_all (bulk_create
without the per-value compiler work: gridgov/core/inserts.py), one
transaction per batch. Every row of a batch carries the batch's moment (`clock.now()` once). Three
lookups are redone here from data read once per call instead of per case — the handling area
(`_handling_area_at`), the proposed department (`proposal_for`) and the actor's roles on a new case
(`roles_on_new_case`); tests/cases/test_bulk.py compares each with the function it stands for.

Limits: reports with photos are refused (photos go through report_case); `register` registers only
the reports still waiting that have a category, as register_case would refuse the others;
`dispatch` dispatches only registered cases for which the catalogue proposes exactly one
department, as dispatch_case would refuse the others. A refusal of the actor's role raises and
rolls back the batch (earlier batches stay committed).
"""

import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain, islice
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction

from gridgov.accounts.models import Membership, Role, User
from gridgov.areas import geometry
from gridgov.areas.models import Area
from gridgov.cases import lifecycle, routing, timing
from gridgov.cases.actions import (
    OVERDUE,
    SIGN_OVERDUE,
    SUBJECT,
    TRUSTED_SOURCES,
    WARN,
    Report,
    _departments,
    check_report,
    department_users,
    district_of_number,
    match_address,
    message_text,
    new_case,
    new_event,
    take_case_numbers,
)
from gridgov.cases.errors import CaseInputInvalid
from gridgov.cases.lifecycle import Action
from gridgov.cases.models import Case, CaseEvent, CaseSource, CaseStatus, CaseTask, Light
from gridgov.cases.queries import AREA_ROLES, is_reporter, message_class_category
from gridgov.catalogue.models import CaseCategory, Department
from gridgov.catalogue.queries import ResolvedRule, rule_for
from gridgov.core.area_codes import ancestor_codes, scope_prefix
from gridgov.core.clock import now, to_local
from gridgov.core.inserts import insert_all, new_instance
from gridgov.core.models import AuditEvent
from gridgov.deadlines.models import Deadline
from gridgov.intelligence import interface as intelligence
from gridgov.notifications.actions import ACTOR_LABEL as NOTIFICATIONS_ACTOR
from gridgov.notifications.actions import publish_event
from gridgov.notifications.models import InboxMessage, MessageKind
from gridgov.notifications.queries import endpoints_for_event

T = TypeVar("T")

# Reports classified at a time, in a second process while the earlier ones are filed
# (intelligence.suggest_classes_ahead): the filing waits only for the first chunk.
CLASSIFY_CHUNK = 250


@dataclass(frozen=True)
class BulkResult:
    count: int  # cases created
    seconds: float  # wall time of the whole call, validation and classification included
    skipped: int = 0  # reports whose (source, idempotency key) already had a case


@dataclass
class _Checked:
    """One report after validation and location (no database write yet)."""

    report: Report
    source: CaseSource
    title: str
    category: CaseCategory | None
    area_code: str | None


@dataclass
class _Publish:
    event_type: str
    case: Case
    payload: dict[str, Any]


@dataclass
class _Batch:
    """The rows of one batch, in the order the real actions write them."""

    moment: datetime
    actor: User | None
    cases: list[Case] = field(default_factory=list)
    events: list[CaseEvent] = field(default_factory=list)
    tasks: list[CaseTask] = field(default_factory=list)
    # (kind, case, due_at, step or task): subject ids and task ids exist only after the inserts.
    deadlines: list[tuple[str, Case, datetime, str | CaseTask]] = field(default_factory=list)
    # (case, version at the time, recipient ids)
    notices: list[tuple[Case, int, list[int]]] = field(default_factory=list)
    publishes: list[_Publish] = field(default_factory=list)
    # (action, status, case, area, handling area): role checks, run once the case rows exist.
    checks: list[tuple[Action, str, Case, str | None, str | None]] = field(default_factory=list)


class _Memo:
    """Per-call caches of the catalogue and area lookups the actions repeat for every case."""

    def __init__(self, actor: User | None) -> None:
        self.values: dict[Hashable, Any] = {}
        self.areas: dict[str, Area] = {}  # code → area (code and level only), with their ancestors
        self.actor = actor
        self.memberships: list[tuple[str, str | None, int | None]] = (
            list(Membership.objects.filter(user=actor).values_list("role", "area_id", "department_id"))
            if actor is not None and actor.is_authenticated and actor.is_active
            else []
        )

    def load_areas(self, codes: set[str]) -> None:
        """Read the areas of `codes` and of all their ancestors not read yet, in one query."""
        wanted = {a for code in codes for a in (code, *ancestor_codes(code))} - self.areas.keys()
        if wanted:
            self.areas.update(Area.objects.only("code", "level").in_bulk(wanted))

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        if key not in self.values:
            self.values[key] = compute()
        value: T = self.values[key]
        return value


# ── entry point ────────────────────────────────────────────────────────────────────────────


def bulk_report(
    reports: Sequence[Report],
    *,
    actor: User | None = None,
    register: bool,
    dispatch: bool,
    batch_size: int = 5000,
) -> BulkResult:
    """File `reports` as report_case would (each filed by `actor`), then register and dispatch them
    as register_case and dispatch_case by `actor` would when asked. Idempotency keys already used
    (in the database or earlier in `reports`) are skipped. Raises CaseInputInvalid, naming the
    report's position, before writing anything when any report is invalid."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    started = time.perf_counter()
    checked = _check_all(reports)
    memo = _Memo(actor)
    seen: set[tuple[str, str]] = set()
    created = skipped = 0
    parts = [checked[first : first + batch_size] for first in range(0, len(checked), batch_size)]
    # Classified outside the transaction, as report_case does; the next batches in a second
    # process while this one is filed.
    texts = [message_text(item.title, item.report.description) for item in checked]
    chunks = [texts[first : first + CLASSIFY_CHUNK] for first in range(0, len(texts), CLASSIFY_CHUNK)]
    with closing(intelligence.suggest_classes_ahead(chunks)) as classified:
        in_order = chain.from_iterable(classified)
        for part in parts:
            suggestions = islice(in_order, len(part))
            with transaction.atomic():
                made, passed = _file_batch(part, suggestions, actor, register, dispatch, memo, seen)
            created += made
            skipped += passed
    return BulkResult(created, time.perf_counter() - started, skipped)


# ── validation and location (no writes) ─────────────────────────────────────────────────────


def _check_all(reports: Sequence[Report]) -> list[_Checked]:
    """report_case's checks for every report, in its order; the first failure names the report."""
    codes = {r.category_code for r in reports if r.category_code}
    categories = {c.code: c for c in CaseCategory.objects.filter(code__in=codes, is_active=True)}
    located = geometry.locate_points([r.lon for r in reports], [r.lat for r in reports])
    given_codes = {r.area_code for r in reports if r.area_code}
    known_codes = set(Area.objects.filter(pk__in=given_codes).values_list("pk", flat=True))
    addresses: dict[str, str | None] = {}
    checked = []
    for position, report in enumerate(reports):
        try:
            source, title = check_report(report)
            if report.photos:
                raise CaseInputInvalid(details={"photos": "the bulk import takes no photos"})
            category = None
            if report.category_code:
                category = categories.get(report.category_code)
                if category is None:
                    raise CaseInputInvalid(details={"category": report.category_code})
            area_code = _locate(report, located[position], addresses, known_codes)
        except CaseInputInvalid as error:
            error.details["report"] = position
            raise
        checked.append(_Checked(report, source, title, category, area_code))
    return checked


def _locate(
    report: Report, point_code: str | None, addresses: dict[str, str | None], known_codes: set[str]
) -> str | None:
    """actions.locate_report with the point already located (same order of preference)."""
    if report.lon is not None and report.lat is not None and point_code:
        return point_code
    if report.address:
        if report.address not in addresses:
            area = match_address(report.address)
            addresses[report.address] = area.code if area is not None else None
        if addresses[report.address] is not None:
            return addresses[report.address]
    if report.area_code:
        if report.area_code not in known_codes:
            raise CaseInputInvalid(details={"area_code": report.area_code})
        return report.area_code
    return None


# ── one batch ───────────────────────────────────────────────────────────────────────────────


def _file_batch(
    part: Sequence[_Checked],
    suggestions: Iterable[intelligence.Suggestion | None],
    actor: User | None,
    register: bool,
    dispatch: bool,
    memo: _Memo,
    seen: set[tuple[str, str]],
) -> tuple[int, int]:
    keyed = [(item.source.value, item.report.idempotency_key) for item in part if item.report.idempotency_key]
    if keyed:
        existing = set(
            Case.objects.filter(idempotency_key__in={key for _source, key in keyed}).values_list(
                "source", "idempotency_key"
            )
        )
        seen |= existing
    todo: list[_Checked] = []
    filed: list[bool] = []  # by position in `part`: False for a key already used
    for item in part:
        key = (item.source.value, item.report.idempotency_key)
        repeated = bool(item.report.idempotency_key) and key in seen
        if item.report.idempotency_key:
            seen.add(key)
        filed.append(not repeated)
        if not repeated:
            todo.append(item)
    if not todo:
        # Their suggestions are read all the same: the next batch's follow them.
        deque(zip(filed, suggestions, strict=True), maxlen=0)
        return 0, len(part)

    batch = _Batch(moment=now(), actor=actor)
    memo.load_areas({item.area_code for item in todo if item.area_code})
    numbers = _allocate_numbers([item.area_code or "" for item in todo], batch.moment)
    # Taken one by one: the later ones may still be classified in the second process.
    wanted = (suggestion for suggestion, use in zip(suggestions, filed, strict=True) if use)
    for item, suggestion, number in zip(todo, wanted, numbers, strict=True):
        case = _new_case(
            batch, item, suggestion, number, memo.areas.get(item.area_code) if item.area_code else None
        )
        _after_report(batch, memo, case, item, suggestion)
        if register and case.status == CaseStatus.REPORTED and case.category_id is not None:
            batch.checks.append((Action.REGISTER, case.status, case, case.area_id, case.handling_area_id))
            _register(batch, memo, case, actor, note="", category=None)
            _publish(batch, "case.registered", case)
        if dispatch and case.status == CaseStatus.REGISTERED:
            proposal = proposal_for(memo, case)
            if len(proposal.department_ids) == 1:
                batch.checks.append((Action.DISPATCH, case.status, case, case.area_id, case.handling_area_id))
                departments = _department_rows(memo, proposal.department_ids)
                _send_and_record(batch, memo, case, departments, proposal, case.status, actor, extra=None)
    _write(batch, memo)
    return len(batch.cases), len(part) - len(batch.cases)


def _allocate_numbers(area_codes: Sequence[str], moment: datetime) -> list[str]:
    """actions.next_case_number for each code in order: one counter update per district and day."""
    day = to_local(moment).date()
    districts = [district_of_number(code) for code in area_codes]
    wanted: dict[str, int] = {}
    for district in districts:
        wanted[district] = wanted.get(district, 0) + 1
    next_value = {district: take_case_numbers(district, day, count) for district, count in wanted.items()}
    numbers = []
    for district in districts:
        numbers.append(f"{district}-{day:%Y%m%d}-{next_value[district]:06d}")
        next_value[district] += 1
    return numbers


def _new_case(
    batch: _Batch, item: _Checked, suggestion: intelligence.Suggestion | None, number: str, area: Area | None
) -> Case:
    """The row report_case creates, and its report event."""
    actor, moment = batch.actor, batch.moment
    case = new_case(
        item.report,
        source=item.source,
        title=item.title,
        category=item.category,
        area=area,
        number=number,
        actor=actor,
        suggestion=suggestion,
        moment=moment,
    )
    batch.cases.append(case)
    _event(
        batch,
        case,
        Action.REPORT,
        "",
        CaseStatus.REPORTED,
        actor,
        data={"source": item.source, **({"suggestion": suggestion.as_data()} if suggestion else {})},
    )
    return case


def _after_report(
    batch: _Batch, memo: _Memo, case: Case, item: _Checked, suggestion: intelligence.Suggestion | None
) -> None:
    """The rest of report_case: a trusted source is registered at once, then the classifier may
    register and dispatch the case by itself (actions.auto_dispatch)."""
    if item.source in TRUSTED_SOURCES:
        _register(
            batch, memo, case, batch.actor, note="trusted source: registered at once", category=item.category
        )
    _publish(batch, "case.reported", case)
    if suggestion is None or item.category is not None:
        return
    if suggestion.confidence < float(settings.GRIDGOV_AUTO_DISPATCH_CONFIDENCE):
        return
    category = memo.get(("class", suggestion.label), lambda: message_class_category(suggestion.label))
    if category is None:
        return
    auto = {
        "auto": True,
        "model_version": suggestion.model_version,
        "confidence": suggestion.as_data()["confidence"],
    }
    undo = _mark(batch, case)
    if case.status == CaseStatus.REPORTED:
        _register(batch, memo, case, None, note="auto: classified", category=category, data=auto)
    elif case.category_id is None:
        _categorise(memo, case, category)
        _save(batch, case)
    proposal = proposal_for(memo, case)
    if len(proposal.department_ids) != 1:
        undo()  # auto_dispatch rolls its savepoint back and reloads the case
        return
    departments = _department_rows(memo, proposal.department_ids)
    _send_and_record(batch, memo, case, departments, proposal, case.status, None, extra=auto)


def _mark(batch: _Batch, case: Case) -> Callable[[], None]:
    """A function that puts the case and the batch's row lists back as they are now."""
    fields = {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields}
    related = {"category": case.category, "handling_area": case.handling_area}
    sizes = (
        len(batch.events),
        len(batch.tasks),
        len(batch.deadlines),
        len(batch.notices),
        len(batch.publishes),
    )

    def undo() -> None:
        for name, value in fields.items():
            setattr(case, name, value)
        for name, value in related.items():
            setattr(case, name, value)
        del batch.events[sizes[0] :], batch.tasks[sizes[1] :], batch.deadlines[sizes[2] :]
        del batch.notices[sizes[3] :], batch.publishes[sizes[4] :]

    return undo


# ── the actions' steps, on rows in memory ───────────────────────────────────────────────────


def _save(batch: _Batch, case: Case) -> None:
    """actions.save without the write."""
    case.version += 1
    case.updated_at = batch.moment


def _event(
    batch: _Batch,
    case: Case,
    action: Action | str,
    from_status: str,
    to_status: str,
    actor: User | None,
    *,
    note: str = "",
    department: Department | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """actions.record_event without the write."""
    batch.events.append(
        new_event(
            case,
            action,
            from_status,
            to_status,
            actor,
            note=note,
            department=department,
            data=data,
            at=batch.moment,
        )
    )


def _department_rows(memo: _Memo, ids: tuple[int, ...]) -> list[Department]:
    return memo.get(("departments", ids), lambda: _departments(ids))


def _rule(memo: _Memo, category: CaseCategory | None) -> ResolvedRule:
    return memo.get(("rule", category.pk if category else None), lambda: rule_for(category))


def _categorise(memo: _Memo, case: Case, category: CaseCategory | None) -> str:
    """actions._categorise with the rule and the handling area looked up once per input."""
    if category is not None:
        case.category = category
    rule = _rule(memo, case.category)
    area_level = case.area.level if case.area_id and case.area else "district"
    level = routing.start_level(rule.normal_level, area_level)
    case.level = level
    if case.area_id:
        case.handling_area = _handling_area_at(memo, case.area, level)
    return level


def _handling_area_at(memo: _Memo, area: Area | None, level: str) -> Area | None:
    """actions.handling_area_at with the ancestors read beforehand (memo.load_areas)."""
    if area is None:
        return None
    if area.level == level:
        return area
    for code in reversed(ancestor_codes(area.code)):
        candidate = memo.areas.get(code)
        if candidate is not None and candidate.level == level:
            return candidate
    return area


def roles_on_new_case(
    memo: _Memo, case: Case, area_code: str | None, handling_code: str | None
) -> frozenset[str]:
    """queries.roles_on_case of the actor for a case with no live task yet, with the actor's
    memberships read once per call (tests/cases/test_bulk.py compares the two)."""
    user = memo.actor
    if user is None:
        return frozenset({lifecycle.SYSTEM})
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    reporter = is_reporter(user, case)
    key = ("roles", area_code, handling_code, reporter)

    def compute() -> frozenset[str]:
        roles: set[str] = set()
        if user.is_superuser:
            roles.add(Role.ADMINISTRATOR)
        if reporter:
            roles.add(Role.RESIDENT)
        codes = [code for code in (area_code, handling_code) if code]
        for role, membership_area, _department in memo.memberships:
            if role == Role.ADMINISTRATOR and membership_area is None:
                roles.add(role)
            elif role in AREA_ROLES and membership_area is not None:
                prefix = scope_prefix(membership_area)
                if any(code.startswith(prefix) for code in codes):
                    roles.add(role)
        return frozenset(roles)

    return memo.get(key, compute)


def _register(
    batch: _Batch,
    memo: _Memo,
    case: Case,
    actor: User | None,
    *,
    note: str,
    category: CaseCategory | None,
    data: dict[str, Any] | None = None,
) -> None:
    """actions._register."""
    level = _categorise(memo, case, category)
    from_status = case.status
    case.status = CaseStatus.REGISTERED
    case.registered_at = batch.moment
    _save(batch, case)
    _event(
        batch,
        case,
        Action.REGISTER,
        from_status,
        case.status,
        actor,
        note=note,
        data={"level": level, **(data or {})},
    )


def proposal_for(memo: _Memo, case: Case) -> routing.Proposal:
    """actions.propose_dispatch with the rule cached and the active departments read once per call
    (in the database's own order, -area, id, so the first candidate is the same; tests compare)."""
    area_code = case.handling_area_id or case.area_id or ""
    key = ("proposal", case.category_id, case.level, area_code)

    def compute() -> routing.Proposal:
        functions = _rule(memo, case.category).functions_by_level.get(case.level, [])
        served = {*ancestor_codes(area_code), area_code} if area_code else set()
        serving = _serving_departments(memo)
        by_function: dict[str, list[int]] = {}
        for function_code in functions:
            for department_id, served_code in serving.get(function_code, []):
                if served_code in served and department_id not in by_function.get(function_code, []):
                    by_function.setdefault(function_code, []).append(department_id)
        return routing.propose_unit(case.level, list(functions), by_function)

    return memo.get(key, compute)


def _serving_departments(memo: _Memo) -> dict[str, list[tuple[int, str]]]:
    """function code → (department id, served area code) of every active department, in the order
    propose_dispatch's query sorts them."""

    def compute() -> dict[str, list[tuple[int, str]]]:
        rows = (
            Department.objects.filter(is_active=True, function__isnull=False, served_areas__isnull=False)
            .order_by("-area_id", "id")
            .values_list("id", "function__code", "served_areas__code")
        )
        serving: dict[str, list[tuple[int, str]]] = {}
        for department_id, function_code, served_code in rows:
            serving.setdefault(function_code, []).append((department_id, served_code))
        return serving

    return memo.get(("serving",), compute)


def _limit(memo: _Memo, case: Case, step: str) -> timing.Limit:
    """timing.limit_for with the rule looked up once per category."""
    category, urgent, level = case.category, case.is_urgent, case.level

    def compute() -> timing.Limit:
        amount, unit = _rule(memo, category).limit(step, urgent=urgent, level=level)
        return timing.Limit(float(amount), str(unit))

    return memo.get(("limit", category.pk if category else None, step, urgent, level), compute)


def _send_and_record(
    batch: _Batch,
    memo: _Memo,
    case: Case,
    departments: Sequence[Department],
    proposal: routing.Proposal,
    from_status: str,
    actor: User | None,
    *,
    extra: dict[str, Any] | None,
) -> None:
    """actions._send_and_record (send_to_departments, start_clock, run_clock, _create_tasks)."""
    start = batch.moment
    case.status = CaseStatus.DISPATCHED
    case.dispatched_at = start
    limit = _limit(memo, case, "handle")
    plan = memo.get(("schedule", start, limit), lambda: timing.schedule(start, limit))
    due, unit = plan.due_at, limit.unit
    case.limit_started_at, case.due_at, case.limit_unit = start, due, unit
    case.light = (
        memo.get(("light", start, due, unit), lambda: timing.light_at(start, due, unit, start)) or Light.GREEN
    )
    case.is_overdue = False
    warn_at = memo.get(
        ("warn", start, due, unit), lambda: timing.warn_point(start, due, timing.Limit(0, unit))
    )
    batch.deadlines.append((WARN, case, warn_at, "handle"))
    batch.deadlines.append((OVERDUE, case, due, "handle"))
    sign_limit = _limit(memo, case, "sign")
    sign_plan = memo.get(("schedule", start, sign_limit), lambda: timing.schedule(start, sign_limit))
    for department in departments:
        task = new_instance(
            CaseTask,
            case=case,
            department=department,
            is_whistle=False,
            sign_due_at=sign_plan.due_at,
            due_at=case.due_at,
            created_at=start,
        )
        batch.tasks.append(task)
        batch.deadlines.append((SIGN_OVERDUE, case, sign_plan.due_at, task))
    _save(batch, case)
    chosen = [department.pk for department in departments]
    _event(
        batch,
        case,
        Action.DISPATCH,
        from_status,
        case.status,
        actor,
        department=departments[0],
        data={
            "proposal": list(proposal.department_ids),
            "overridden": list(proposal.department_ids) != chosen,
            "due_at": case.due_at.isoformat() if case.due_at else None,
            **(extra or {}),
        },
    )
    users = memo.get(("users", tuple(chosen)), lambda: department_users(chosen))
    recipients = sorted({user.pk for user in users if user.is_active})
    if recipients:
        batch.notices.append((case, case.version, recipients))
    _publish(batch, "case.dispatched", case, {"departments": chosen})


def _publish(batch: _Batch, event_type: str, case: Case, extra: dict[str, Any] | None = None) -> None:
    """actions.publish_after_commit's payload as it is at this step (the id is filled in later)."""
    payload = {
        "case": case.number,
        "id": None,
        "status": case.status,
        "area": case.area_id,
        "category": case.category.code if case.category_id and case.category else None,
        **(extra or {}),
    }
    batch.publishes.append(_Publish(event_type, case, payload))


# ── the writes ──────────────────────────────────────────────────────────────────────────────


def _write(batch: _Batch, memo: _Memo) -> None:
    """Insert the batch's rows: cases, then (after the role checks) events, tasks, deadlines,
    inbox messages with their audit lines, webhook deliveries."""
    insert_all(batch.cases)
    for action, status, case, area_code, handling_code in batch.checks:
        lifecycle.check_transition(action, status, roles_on_new_case(memo, case, area_code, handling_code))
    insert_all(batch.events)
    insert_all(batch.tasks)
    insert_all(
        [
            new_instance(
                Deadline,
                kind=kind,
                subject_type=SUBJECT,
                subject_id=str(case.pk),
                started_at=batch.moment,
                due_at=due_at,
                data={"step": of} if isinstance(of, str) else {"task": of.pk},
                created_at=batch.moment,
            )
            for kind, case, due_at, of in batch.deadlines
        ]
    )
    _write_notices(batch)
    wanted: dict[str, bool] = {}
    for publish in batch.publishes:
        if publish.event_type not in wanted:
            wanted[publish.event_type] = bool(endpoints_for_event(publish.event_type))
        if wanted[publish.event_type]:
            publish.payload["id"] = publish.case.pk
            publish_event(publish.event_type, publish.payload)


def _write_notices(batch: _Batch) -> None:
    """notify_users(department_users, kind new_task, dedupe "dispatch") for each dispatch: the
    dedupe keys name new cases, so no recipient has one yet."""
    messages, audits = [], []
    for case, version, recipients in batch.notices:
        title = f"新任务 {case.number}"
        dedupe_key = f"dispatch:{case.pk}:{version}"
        messages += [
            new_instance(
                InboxMessage,
                recipient_id=pk,
                kind=MessageKind.NEW_TASK,
                title=title,
                body=case.title,
                subject_type=SUBJECT,
                subject_id=str(case.pk),
                link=f"/cases/{case.pk}",
                dedupe_key=dedupe_key,
                created_at=batch.moment,
            )
            for pk in recipients
        ]
        audits.append(
            new_instance(
                AuditEvent,
                action="notify_users",
                subject_type=SUBJECT,
                subject_id=str(case.pk),
                actor=None,
                actor_label=NOTIFICATIONS_ACTOR,
                data={
                    "kind": MessageKind.NEW_TASK.value,
                    "title": title,
                    "recipient_ids": recipients,
                    "dedupe_key": dedupe_key,
                },
                occurred_at=batch.moment,
            )
        )
    insert_all(messages)
    insert_all(audits)
