"""Every write to a case. One business step per function, inside one transaction.

Each action locks the case row, checks the caller's scope and the transition table
(lifecycle.check_transition), changes the case, appends its CaseEvent, moves the deadline rows,
and schedules notifications and webhooks for after the commit. A refused action raises before it
writes anything, so the case stays exactly as it was.
"""

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Max

from gridgov.accounts.models import Membership, Role, User
from gridgov.accounts.phone_numbers import phone_digest
from gridgov.areas import geometry
from gridgov.areas.models import Area
from gridgov.cases import lifecycle, routing, timing
from gridgov.cases.errors import (
    CaseChangedMeanwhile,
    CaseInputInvalid,
    CaseNotFound,
    EscalationImpossible,
    PhotoInvalid,
    TransitionNotAllowed,
)
from gridgov.cases.lifecycle import Action
from gridgov.cases.models import (
    Case,
    CaseCounter,
    CaseEvent,
    CasePhoto,
    CaseRequest,
    CaseSource,
    CaseStatus,
    CaseTask,
    Light,
)
from gridgov.cases.queries import (
    cases_for,
    message_class_category,
    message_class_of,
    message_class_of_department,
    roles_on_case,
    visible_duplicates_of,
)
from gridgov.catalogue.models import CaseCategory, Department
from gridgov.catalogue.queries import rule_for
from gridgov.core.area_codes import Level, ancestor_codes
from gridgov.core.clock import now, to_local
from gridgov.core.crypto import encrypt_text, mask_contact
from gridgov.core.inserts import insert_all, new_instance
from gridgov.deadlines.actions import cancel_deadlines, schedule_deadline
from gridgov.intelligence import interface as intelligence
from gridgov.intelligence.actions import record_labelled_example
from gridgov.notifications.actions import Notice, notify_many, publish_event
from gridgov.notifications.queries import endpoints_for_event

SUBJECT = "cases.case"
# Deadline kinds this domain owns (handlers in gridgov/cases/deadlines.py).
WARN = "cases.warn"
OVERDUE = "cases.overdue"
SIGN_OVERDUE = "cases.sign_overdue"
SUPERVISION_DUE = "cases.supervision_due"
CLOCK_KINDS = (WARN, OVERDUE, SIGN_OVERDUE)

# Sources whose reports need no verification before they are registered (DESIGN §2).
TRUSTED_SOURCES = frozenset(
    {CaseSource.GRID_PATROL, CaseSource.SENSOR, CaseSource.VIDEO_AI, CaseSource.DRONE, CaseSource.TRANSFER}
)
MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


# ── intake ──────────────────────────────────────────────────────────────────────────────────


@dataclass
class PhotoUpload:
    name: str
    content: bytes


@dataclass
class Report:
    source: str
    title: str
    description: str = ""
    category_code: str | None = None
    lon: float | None = None
    lat: float | None = None
    address: str = ""
    area_code: str | None = None
    is_urgent: bool = False
    reporter_name: str = ""
    reporter_contact: str = ""
    is_anonymous: bool = False
    idempotency_key: str = ""
    photos: Sequence[PhotoUpload] = field(default_factory=list)
    # False when a machine files the report for someone else (an Open311 app, a hotline system):
    # the account acts, but it is not the resident who may follow and rate the case.
    reporter_is_actor: bool = True


@dataclass
class ReportResult:
    case: Case
    created: bool
    duplicates: list[Case]


def photo_content_type(content: bytes) -> str:
    """The image type read from the bytes themselves (the file name and header can lie)."""
    if len(content) > MAX_PHOTO_BYTES or not content:
        raise PhotoInvalid(details={"size": len(content)})
    for signature, content_type in PHOTO_SIGNATURES:
        if content.startswith(signature):
            return content_type
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    raise PhotoInvalid(details={"reason": "not a JPEG, PNG or WebP image"})


def check_report(report: Report) -> tuple[CaseSource, str]:
    """The report's source and trimmed title, or CaseInputInvalid (shared with cases.bulk)."""
    try:
        source = CaseSource(report.source)
    except ValueError as error:
        raise CaseInputInvalid(details={"source": report.source}) from error
    title = report.title.strip()
    if not title or len(title) > 200:
        raise CaseInputInvalid(details={"title": "1 to 200 characters"})
    if (report.lon is None) != (report.lat is None):
        raise CaseInputInvalid(details={"point": "give both lon and lat, or neither"})
    if report.lon is not None and not (-180 <= report.lon <= 180 and -90 <= report.lat <= 90):  # type: ignore[operator]
        raise CaseInputInvalid(details={"point": "out of range"})
    if report.idempotency_key and len(report.idempotency_key) > 100:
        raise CaseInputInvalid(details={"idempotency_key": "at most 100 characters"})
    return source, title


def report_case(report: Report, *, actor: User | None = None) -> ReportResult:
    """Take in a report from any channel (受理); a retried machine report returns the first case."""
    source, title = check_report(report)
    photos = [(upload, photo_content_type(upload.content)) for upload in report.photos]
    category = None
    if report.category_code:
        category = CaseCategory.objects.filter(code=report.category_code, is_active=True).first()
        if category is None:
            raise CaseInputInvalid(details={"category": report.category_code})
    area = locate_report(report)
    if report.idempotency_key:
        existing = Case.objects.filter(source=source, idempotency_key=report.idempotency_key).first()
        if existing is not None:
            return ReportResult(existing, False, [])
    # Classified outside the transaction: the model is pure CPU and never needs the row lock.
    suggestion = intelligence.suggest_class(message_text(title, report.description))

    moment = now()
    try:
        with transaction.atomic():
            if report.idempotency_key:
                # Two retries racing: the unique constraint lets one in; the other finds it here.
                existing = (
                    Case.objects.select_for_update()
                    .filter(source=source, idempotency_key=report.idempotency_key)
                    .first()
                )
                if existing is not None:
                    return ReportResult(existing, False, [])
            case = new_case(
                report,
                source=source,
                title=title,
                category=category,
                area=area,
                number=next_case_number(area.code if area else "", moment),
                actor=actor,
                suggestion=suggestion,
                moment=moment,
            )
            case.save(force_insert=True)
            event = record_event(
                case,
                Action.REPORT,
                "",
                CaseStatus.REPORTED,
                actor,
                data={"source": source, **({"suggestion": suggestion.as_data()} if suggestion else {})},
            )
            for upload, content_type in photos:
                CasePhoto.objects.create(
                    case=case,
                    event=event,
                    kind=CasePhoto.Kind.REPORT,
                    image=ContentFile(upload.content, name=safe_file_name(upload.name, content_type)),
                    content_type=content_type,
                    size_bytes=len(upload.content),
                )
            if source in TRUSTED_SOURCES:
                _register(case, actor, note="trusted source: registered at once", category=category)
            publish_after_commit("case.reported", case)
            if suggestion is not None and category is None:
                auto_dispatch(case, suggestion)
    except IntegrityError:
        # Two retries raced past the check above: the unique (source, key) let one in.
        existing = Case.objects.filter(source=source, idempotency_key=report.idempotency_key).first()
        if not report.idempotency_key or existing is None:
            raise
        return ReportResult(existing, False, [])
    return ReportResult(case, True, visible_duplicates_of(actor, case))


def new_case(
    report: Report,
    *,
    source: str,
    title: str,
    category: CaseCategory | None,
    area: Area | None,
    number: str,
    actor: User | None,
    suggestion: intelligence.Suggestion | None,
    moment: datetime,
) -> Case:
    """The unsaved case row a report makes (report_case saves it; the bulk path bulk-creates it)."""
    contact = report.reporter_contact.strip()
    anonymous = report.is_anonymous
    return new_instance(
        Case,
        number=number,
        title=title,
        description=report.description.strip(),
        source=source,
        category=category,
        area=area,
        level=routing.start_level("grid", area.level if area else "district"),
        handling_area=area,
        lon=report.lon,
        lat=report.lat,
        address=report.address.strip()[:200],
        is_urgent=report.is_urgent,
        reporter=actor
        if actor is not None and actor.is_authenticated and report.reporter_is_actor and not anonymous
        else None,
        reporter_name="" if anonymous else report.reporter_name.strip()[:60],
        reporter_contact_encrypted="" if anonymous else encrypt_text(contact),
        reporter_contact_masked="" if anonymous else mask_contact(contact),
        reporter_contact_digest="" if anonymous else phone_digest(report.reporter_contact),
        is_anonymous=anonymous,
        idempotency_key=report.idempotency_key,
        class_suggestion=suggestion.as_data() if suggestion else {},
        model_version=suggestion.model_version if suggestion else "",
        reported_at=moment,
        updated_at=moment,
    )


def safe_file_name(name: str, content_type: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", name.rsplit(".", 1)[0])[:40] or "photo"
    return f"{stem}.{content_type.split('/')[1].replace('jpeg', 'jpg')}"


def locate_report(report: Report) -> Area | None:
    """The grid of the point, else an area named in the address, else the given area code."""
    if report.lon is not None and report.lat is not None:
        code = geometry.locate_point(report.lon, report.lat)
        if code:
            return Area.objects.get(pk=code)
    if report.address:
        area = match_address(report.address)
        if area is not None:
            return area
    if report.area_code:
        area = Area.objects.filter(pk=report.area_code).first()
        if area is None:
            raise CaseInputInvalid(details={"area_code": report.area_code})
        return area
    return None


_named_areas_cache: dict[str, Any] = {"fingerprint": None, "value": ()}


def _named_areas() -> tuple[tuple[str, str, int], ...]:
    """(name, code, depth) of districts, streets and communities with a distinctive name, built
    again whenever those areas change (one aggregate query tells)."""
    depth = {Level.DISTRICT: 1, Level.STREET: 2, Level.COMMUNITY: 3}
    areas = Area.objects.filter(level__in=list(depth))
    fingerprint = tuple(
        areas.aggregate(count=Count("code"), changed=Max("updated_at"), last=Max("code")).values()
    )
    if _named_areas_cache["fingerprint"] != fingerprint:
        rows = areas.values_list("name", "code", "level")
        # "市辖区" and one-character names match too much to mean anything.
        _named_areas_cache["value"] = tuple(
            (name, code, depth[Level(level)])
            for name, code, level in rows
            if len(name) >= 3 and name != "市辖区"
        )
        _named_areas_cache["fingerprint"] = fingerprint
    named: tuple[tuple[str, str, int], ...] = _named_areas_cache["value"]
    return named


def match_address(address: str) -> Area | None:
    """The deepest area whose name appears in the address, preferring names that agree with each
    other (a community inside the street that is also named)."""
    found = [(name, code, depth) for name, code, depth in _named_areas() if name in address]
    if not found:
        return None
    codes = {code for _name, code, _depth in found}

    def support(entry: tuple[str, str, int]) -> tuple[int, int, int]:
        chain = set(ancestor_codes(entry[1]))
        return (len(chain & codes), entry[2], len(entry[0]))

    best = max(found, key=support)
    return Area.objects.get(pk=best[1])


def next_case_number(area_code: str, moment: datetime) -> str:
    """330105-20261122-000123: district, local date, sequence of that district and day."""
    district = district_of_number(area_code)
    day = to_local(moment).date()
    return f"{district}-{day:%Y%m%d}-{take_case_numbers(district, day, 1):06d}"


def district_of_number(area_code: str) -> str:
    return area_code[:6] if len(area_code) >= 6 else "000000"


def take_case_numbers(district: str, day: date, count: int) -> int:
    """Reserve `count` consecutive sequence numbers of `district` on `day`; the first is returned.

    One statement (an upsert that returns the new last value), on SQLite and PostgreSQL alike: it
    takes the counter row's lock until the transaction ends, so concurrent reports of one district
    queue here and never get the same number. It replaced a locked get_or_create, an update and a
    re-read (five statements with the savepoint) on every report (docs/performance.md).
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    table = connection.ops.quote_name(CaseCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (district_code, day, last_value) VALUES (%s, %s, %s) "
            f"ON CONFLICT (district_code, day) DO UPDATE SET last_value = {table}.last_value + %s "
            "RETURNING last_value",
            [district, connection.ops.adapt_datefield_value(day), count, count],
        )
        (last_value,) = cursor.fetchone()
    return int(last_value) - count + 1


# ── shared machinery ────────────────────────────────────────────────────────────────────────


def record_event(
    case: Case,
    action: Action | str,
    from_status: str,
    to_status: str,
    actor: User | None,
    *,
    note: str = "",
    department: Department | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    event = new_event(
        case, action, from_status, to_status, actor, note=note, department=department, data=data, at=now()
    )
    event.save(force_insert=True)
    return event


def new_event(
    case: Case,
    action: Action | str,
    from_status: str,
    to_status: str,
    actor: User | None,
    *,
    note: str = "",
    department: Department | None = None,
    data: dict[str, Any] | None = None,
    at: datetime,
) -> CaseEvent:
    """The unsaved event row of one step (record_event saves it; the bulk path bulk-creates it)."""
    return new_instance(
        CaseEvent,
        case=case,
        action=str(action),
        from_status=from_status,
        to_status=to_status,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=actor.get_username() if actor is not None else "system",
        department=department,
        area_code=case.area_id or "",
        level=case.level,
        note=note,
        data=data or {},
        occurred_at=at,
    )


@dataclass
class Step:
    case: Case
    roles: frozenset[str]
    transition: lifecycle.Transition
    from_status: str


def begin(case_id: int, actor: User | None, action: Action, expected_version: int | None = None) -> Step:
    """Lock the case, check scope, version and the transition table. Call inside transaction.atomic."""
    if actor is None:
        case = Case.objects.select_for_update().filter(pk=case_id).first()
    else:
        visible = cases_for(actor).filter(pk=case_id).values("pk")
        case = Case.objects.select_for_update().filter(pk__in=visible).first()
    if case is None:
        raise CaseNotFound(details={"case": case_id})
    if expected_version is not None and expected_version != case.version:
        raise CaseChangedMeanwhile(details={"expected": expected_version, "current": case.version})
    roles = roles_on_case(actor, case)
    transition = lifecycle.check_transition(action, case.status, roles)
    return Step(case, roles, transition, case.status)


def save(case: Case, *fields: str) -> None:
    case.version += 1
    case.updated_at = now()
    case.save(update_fields=[*fields, "version", "updated_at"])


def publish_after_commit(event_type: str, case: Case, extra: dict[str, Any] | None = None) -> None:
    payload = {
        "case": case.number,
        "id": case.pk,
        "status": case.status,
        "area": case.area_id,
        "category": case.category.code if case.category_id and case.category else None,
        **(extra or {}),
    }
    publish_event(event_type, payload)


def department_users(department_ids: Iterable[int]) -> list[User]:
    return list(
        User.objects.filter(
            memberships__department_id__in=list(department_ids),
            memberships__role=Role.DEPARTMENT_HANDLER,
            is_active=True,
        ).distinct()
    )


def area_staff(area_code: str | None, roles: Iterable[str]) -> list[User]:
    """Staff whose area membership covers `area_code` (the case's grid and everything above it)."""
    if not area_code:
        return []
    codes = [*ancestor_codes(area_code), area_code]
    return list(
        User.objects.filter(
            memberships__area_id__in=codes, memberships__role__in=list(roles), is_active=True
        ).distinct()
    )


def notify(
    users: Iterable[User], case: Case, *, kind: str, title: str, body: str = "", dedupe: str = ""
) -> None:
    recipients = {user.pk for user in users if user.is_active}
    notify_many([case_notice(recipients, case, kind=kind, title=title, body=body, dedupe=dedupe)])


def case_notice(
    recipient_ids: Iterable[int], case: Case, *, kind: str, title: str, body: str = "", dedupe: str = ""
) -> Notice:
    """The inbox message about `case` (body: the case's title unless given; with `dedupe`, once
    per recipient and case version), for notify_many."""
    return Notice(
        recipient_ids=set(recipient_ids),
        kind=kind,
        title=title,
        body=body or case.title,
        subject_type=SUBJECT,
        subject_id=str(case.pk),
        link=f"/cases/{case.pk}",
        dedupe_key=f"{dedupe}:{case.pk}:{case.version}" if dedupe else "",
    )


# The case fields a running limit sets; every save that starts, moves or stops the clock writes them.
CLOCK_FIELDS = ("limit_started_at", "due_at", "limit_unit", "light", "is_overdue")


def run_clock(
    case: Case, start: datetime, due: datetime, unit: str, *, reason: str, step: str = "handle"
) -> None:
    """Make `start`–`due` the case's running limit: replace its warning and overdue rows, set the
    fields and the light (green unless the moment already lies past 80 % of the new limit)."""
    cancel_deadlines(SUBJECT, str(case.pk), kinds=[WARN, OVERDUE], reason=reason)
    limit = timing.Limit(0, unit)
    case.limit_started_at, case.due_at, case.limit_unit = start, due, unit
    case.light = timing.light_at(start, due, unit, now()) or Light.GREEN
    case.is_overdue = False
    data = {"step": step}
    schedule_deadline(
        WARN, SUBJECT, str(case.pk), timing.warn_point(start, due, limit), started_at=start, data=data
    )
    schedule_deadline(OVERDUE, SUBJECT, str(case.pk), due, started_at=start, data=data)


def start_clock(case: Case, step: str, start: datetime) -> timing.Schedule:
    """Start the limit of `step` (handle, or the local handling) from the matter table."""
    limit = timing.limit_for(case.category, step, urgent=case.is_urgent, level=case.level)
    plan = timing.schedule(start, limit)
    run_clock(case, start, plan.due_at, limit.unit, reason="new limit", step=step)
    return plan


def stop_clock(case: Case, reason: str) -> None:
    cancel_deadlines(SUBJECT, str(case.pk), kinds=list(CLOCK_KINDS), reason=reason)
    case.limit_started_at = case.due_at = None
    case.limit_unit = ""
    case.light = Light.NONE


def live_tasks(case: Case) -> list[CaseTask]:
    return list(
        case.tasks.exclude(status__in=[CaseTask.Status.RETURNED, CaseTask.Status.CANCELLED]).order_by("id")
    )


def actor_task(case: Case, actor: User | None, statuses: Iterable[str]) -> CaseTask:
    """The live task of a department the actor belongs to."""
    if actor is None:
        raise TransitionNotAllowed(details={"reason": "no department"})
    departments = Membership.objects.filter(user=actor, role=Role.DEPARTMENT_HANDLER).values("department_id")
    task = case.tasks.filter(department_id__in=departments, status__in=list(statuses)).order_by("id").first()
    if task is None:
        raise TransitionNotAllowed(details={"reason": "your department has no such task on this case"})
    return task


# ── the closed loop ─────────────────────────────────────────────────────────────────────────


def _register(
    case: Case,
    actor: User | None,
    *,
    note: str = "",
    category: CaseCategory | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    level = _categorise(case, category)
    from_status = case.status
    case.status = CaseStatus.REGISTERED
    case.registered_at = now()
    save(case, "status", "category", "level", "handling_area", "registered_at")
    record_event(
        case,
        Action.REGISTER,
        from_status,
        case.status,
        actor,
        note=note,
        data={"level": level, **(data or {})},
    )


def _categorise(case: Case, category: CaseCategory | None) -> str:
    """Set the category (when given) and the level and area that will handle the case."""
    if category is not None:
        case.category = category
    rule = rule_for(case.category)
    area_level = case.area.level if case.area_id and case.area else "district"
    level = routing.start_level(rule.normal_level, area_level)
    case.level = level
    case.handling_area = handling_area_at(case.area, level) if case.area_id else case.handling_area
    return level


def handling_area_at(area: Area | None, level: str) -> Area | None:
    """The grid's ancestor at `level` (the grid itself at grid level)."""
    if area is None:
        return None
    if area.level == level:
        return area
    for code in reversed(ancestor_codes(area.code)):
        candidate = Area.objects.filter(pk=code).first()
        if candidate is not None and candidate.level == level:
            return candidate
    return area


def verify_case(case_id: int, *, actor: User, is_genuine: bool, note: str = "") -> Case:
    """核实: a grid worker confirms on site that a public report is genuine (or not)."""
    with transaction.atomic():
        step = begin(case_id, actor, Action.VERIFY)
        record_event(
            step.case,
            Action.VERIFY,
            step.from_status,
            step.from_status,
            actor,
            note=note,
            data={"genuine": is_genuine},
        )
        save(step.case)
    return step.case


def register_case(
    case_id: int,
    *,
    actor: User,
    category_code: str | None = None,
    is_urgent: bool | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    """立案: accept a report as a case, set its category and the level that will handle it."""
    with transaction.atomic():
        step = begin(case_id, actor, Action.REGISTER, expected_version)
        category = None
        if category_code:
            category = CaseCategory.objects.filter(code=category_code, is_active=True).first()
            if category is None:
                raise CaseInputInvalid(details={"category": category_code})
        if category is None and step.case.category_id is None:
            raise CaseInputInvalid(details={"category": "a case needs a category to be registered"})
        if is_urgent is not None:
            step.case.is_urgent = is_urgent
            save(step.case, "is_urgent")
        _register(step.case, actor, note=note, category=category)
        if category is not None:
            learn_class(step.case, message_class_of(category), actor)
        publish_after_commit("case.registered", step.case)
    return step.case


def void_case(case_id: int, *, actor: User, reason: str, expected_version: int | None = None) -> Case:
    """作废: not a case (no problem found, outside our remit, abusive); kept with its reason."""
    if not reason.strip():
        raise CaseInputInvalid(details={"reason": "required"})
    with transaction.atomic():
        step = begin(case_id, actor, Action.VOID, expected_version)
        step.case.status = CaseStatus.VOIDED
        step.case.closed_at = now()
        stop_clock(step.case, "voided")
        save(step.case, "status", "closed_at", *CLOCK_FIELDS)
        record_event(step.case, Action.VOID, step.from_status, step.case.status, actor, note=reason)
        publish_after_commit("case.voided", step.case)
    return step.case


def merge_case(case_id: int, *, into_case_id: int, actor: User, note: str = "") -> Case:
    """Merge a duplicate report into an open case: both stay, linked; the target counts "me too"."""
    with transaction.atomic():
        step = begin(case_id, actor, Action.MERGE)
        if case_id == into_case_id:
            raise CaseInputInvalid(details={"into": "a case cannot be merged into itself"})
        target = cases_for(actor).select_for_update().filter(pk=into_case_id).first()
        if target is None or target.status not in lifecycle.OPEN or target.merged_into_id is not None:
            raise CaseInputInvalid(details={"into": "the target must be an open case you can see"})
        _merge_into(step, target, actor, note=note)
    return step.case


def _merge_into(
    step: Step, target: Case, actor: User, *, note: str, extra: dict[str, Any] | None = None
) -> None:
    step.case.status = CaseStatus.MERGED
    step.case.merged_into = target
    step.case.closed_at = now()
    save(step.case, "status", "merged_into", "closed_at")
    record_event(
        step.case,
        Action.MERGE,
        step.from_status,
        step.case.status,
        actor,
        note=note,
        data={"into": target.number, **(extra or {})},
    )
    target.me_too_count += 1 + step.case.me_too_count
    save(target, "me_too_count")
    record_event(
        target, Action.ME_TOO, target.status, target.status, actor, data={"merged": step.case.number}
    )


@dataclass
class CoordinatedResult:
    lead: Case
    merged: list[Case]
    related: list[Case]  # already with a department: they keep their course, linked in the lead


def coordinate_cases(
    case_ids: Sequence[int], *, actor: User, title: str, note: str = "", hot_issue: str = ""
) -> CoordinatedResult:
    """从办好一件到办好一类: turn the cases of one hot issue into one coordinated case.

    A new lead case (source hot_issue) is filed in the members' deepest common area, registered
    with their most frequent category, and every member still before dispatch is merged into it;
    members already with a department keep their course and are listed on the lead.
    """
    ids = sorted(set(case_ids))
    title = title.strip()
    if len(ids) < 2:
        raise CaseInputInvalid(details={"cases": "choose at least two cases"})
    if not title or len(title) > 200:
        raise CaseInputInvalid(details={"title": "1 to 200 characters"})
    with transaction.atomic():
        members = list(
            cases_for(actor)
            .select_for_update()
            .filter(pk__in=ids, status__in=lifecycle.OPEN, merged_into__isnull=True)
            .order_by("reported_at", "id")
        )
        if len(members) != len(ids):
            raise CaseInputInvalid(details={"cases": "every case must be open and one you can see"})
        mergeable = [c for c in members if c.status in (CaseStatus.REPORTED, CaseStatus.REGISTERED)]
        area = _common_area([c.area_id for c in members if c.area_id])
        categories = Counter(c.category_id for c in members if c.category_id is not None)
        category = CaseCategory.objects.get(pk=categories.most_common(1)[0][0]) if categories else None
        moment = now()
        lead = Case.objects.create(
            number=next_case_number(area.code if area else "", moment),
            title=title,
            description="\n".join(
                [note.strip(), *(f"{c.number} {c.title}" for c in members)]
                if note.strip()
                else [f"{c.number} {c.title}" for c in members]
            ),
            source=CaseSource.HOT_ISSUE,
            category=category,
            area=area,
            level=routing.start_level("grid", area.level if area else "district"),
            handling_area=area,
            reported_at=moment,
            updated_at=moment,
        )
        numbers = [c.number for c in members]
        record_event(
            lead,
            Action.REPORT,
            "",
            CaseStatus.REPORTED,
            actor,
            note=note,
            data={"source": CaseSource.HOT_ISSUE, "hot_issue": hot_issue[:200], "members": numbers},
        )
        if category is not None:
            _register(lead, actor, note="coordinated hot issue", category=category)
        for member in mergeable:
            roles = roles_on_case(actor, member)
            transition = lifecycle.check_transition(Action.MERGE, member.status, roles)
            _merge_into(
                Step(member, roles, transition, member.status),
                lead,
                actor,
                note=note,
                extra={"hot_issue": hot_issue[:200]},
            )
        publish_after_commit("case.reported", lead)
    related = [c for c in members if c not in mergeable]
    return CoordinatedResult(lead, mergeable, related)


def _common_area(codes: Sequence[str]) -> Area | None:
    """The deepest area that contains every one of `codes` (an area contains itself)."""
    if not codes:
        return None
    chains = [[*ancestor_codes(code), code] for code in codes]
    common = [code for code in chains[0] if all(code in chain for chain in chains[1:])]
    for code in reversed(common):
        area = Area.objects.filter(pk=code).first()
        if area is not None:
            return area
    return None


def add_me_too(case_id: int, *, actor: User, note: str = "") -> Case:
    """我也遇到: one more person reports the same open problem."""
    # Staff may only touch cases in their scope; a resident (no staff scope) may second any open
    # case they found near them, as on the public map.
    is_staff_member = Membership.objects.filter(user=actor).exclude(role=Role.RESIDENT).exists()
    candidates = cases_for(actor) if is_staff_member else Case.objects.all()
    with transaction.atomic():
        case = (
            Case.objects.select_for_update()
            .filter(pk__in=candidates.filter(pk=case_id).values("pk"), merged_into__isnull=True)
            .first()
        )
        if case is None:
            raise CaseNotFound(details={"case": case_id})
        lifecycle.check_transition(Action.ME_TOO, case.status, roles_on_case(actor, case) | {Role.RESIDENT})
        if CaseEvent.objects.filter(case=case, action=Action.ME_TOO, actor=actor).exists():
            return case  # once per person
        case.me_too_count += 1
        save(case, "me_too_count")
        record_event(case, Action.ME_TOO, case.status, case.status, actor, note=note)
    return case


def handle_locally(case_id: int, *, actor: User, note: str = "", expected_version: int | None = None) -> Case:
    """自行处置: the grid or community fixes it itself; its own limit starts now."""
    with transaction.atomic():
        step = begin(case_id, actor, Action.HANDLE_LOCALLY, expected_version)
        step.case.status = CaseStatus.IN_PROGRESS
        step.case.dispatched_at = step.case.dispatched_at or now()
        start_clock(step.case, "handle", now())
        save(step.case, "status", "dispatched_at", *CLOCK_FIELDS)
        record_event(step.case, Action.HANDLE_LOCALLY, step.from_status, step.case.status, actor, note=note)
    return step.case


# ── routing by the message classifier (智能分拨) ─────────────────────────────────────────────


def message_text(title: str, description: str) -> str:
    """What the classifier reads of a case: the title, and the description on the next line."""
    return "\n".join(part for part in (title.strip(), description.strip()) if part)


def learn_class(case: Case, label: str, actor: User | None) -> None:
    """Keep a person's class decision on a message as a labelled example (active learning)."""
    if label:
        record_labelled_example(
            text=message_text(case.title, case.description),
            label=label,
            suggestion=case.class_suggestion,
            case_id=case.pk,
            case_number=case.number,
            actor=actor,
        )


class _NotDispatchable(Exception):
    """No department serves the case for the suggested class: leave it to the dispatcher."""


def auto_dispatch(case: Case, suggestion: intelligence.Suggestion) -> bool:
    """Register and dispatch a new case by itself when the classifier is confident enough.

    Runs inside report_case's transaction. Below GRIDGOV_AUTO_DISPATCH_CONFIDENCE, with no category
    for the class, or with no department serving the area for it, nothing changes and the case
    waits for the clerk and dispatcher with the suggestion shown.
    """
    if suggestion.confidence < float(settings.GRIDGOV_AUTO_DISPATCH_CONFIDENCE):
        return False
    category = message_class_category(suggestion.label)
    if category is None:
        return False
    auto = {
        "auto": True,
        "model_version": suggestion.model_version,
        "confidence": suggestion.as_data()["confidence"],
    }
    try:
        with transaction.atomic():
            if case.status == CaseStatus.REPORTED:
                _register(case, None, note="auto: classified", category=category, data=auto)
            elif case.category_id is None:
                # A trusted source was registered at once, without a category: give it the class.
                _categorise(case, category)
                save(case, "category", "level", "handling_area")
            proposal = propose_dispatch(case)
            if len(proposal.department_ids) != 1:
                raise _NotDispatchable
            departments = _departments(proposal.department_ids)
            _send_and_record(case, departments, proposal, case.status, None, note="", extra=auto)
    except _NotDispatchable:
        case.refresh_from_db()
        return False
    return True


def propose_dispatch(case: Case) -> routing.Proposal:
    """The unit the catalogue proposes for the case at its level (the dispatcher may override)."""
    rule = rule_for(case.category)
    functions = rule.functions_by_level.get(case.level, [])
    area_code = case.handling_area_id or case.area_id or ""
    served = [*ancestor_codes(area_code), area_code] if area_code else []
    by_function: dict[str, list[int]] = {}
    for department_id, function_code in (
        Department.objects.filter(is_active=True, served_areas__code__in=served, function__code__in=functions)
        .order_by("-area_id", "id")
        .values_list("id", "function__code")
        .distinct()
    ):
        by_function.setdefault(function_code, []).append(department_id)
    return routing.propose_unit(case.level, list(functions), by_function)


def _create_tasks(
    case: Case, departments: Sequence[Department], *, whistle: bool, start: datetime
) -> list[CaseTask]:
    sign_limit = timing.limit_for(case.category, "sign", urgent=case.is_urgent, level=case.level)
    sign_plan = timing.schedule(start, sign_limit)
    tasks = []
    for department in departments:
        task = CaseTask.objects.create(
            case=case,
            department=department,
            is_whistle=whistle,
            sign_due_at=sign_plan.due_at,
            due_at=case.due_at,
            created_at=start,
        )
        schedule_deadline(
            SIGN_OVERDUE, SUBJECT, str(case.pk), sign_plan.due_at, started_at=start, data={"task": task.pk}
        )
        tasks.append(task)
    return tasks


def send_to_departments(case: Case, departments: Sequence[Department], *, whistle: bool) -> None:
    """Dispatch or whistle: the handle limit starts now and each department gets a task."""
    start = now()
    case.status = CaseStatus.DISPATCHED
    # A whistle on a case already in the grid's hands keeps the first dispatch time.
    case.dispatched_at = case.dispatched_at if whistle and case.dispatched_at else start
    start_clock(case, "handle", start)
    _create_tasks(case, departments, whistle=whistle, start=start)
    save(case, "status", "dispatched_at", *CLOCK_FIELDS)


def _departments(ids: Sequence[int]) -> list[Department]:
    departments = list(Department.objects.filter(pk__in=list(ids), is_active=True).order_by("id"))
    if not ids or len(departments) != len(set(ids)):
        raise CaseInputInvalid(details={"departments": list(ids)})
    return departments


def dispatch_case(
    case_id: int,
    *,
    actor: User,
    department_ids: Sequence[int] | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    """派遣: send the case to one department (the proposal unless the dispatcher chose another).

    With no responsible department (属地兜底) the handling area keeps it: use handle_locally.
    """
    with transaction.atomic():
        step = begin(case_id, actor, Action.DISPATCH, expected_version)
        proposal = propose_dispatch(step.case)
        chosen = list(department_ids or proposal.department_ids)
        if len(chosen) != 1:
            raise CaseInputInvalid(
                details={
                    "departments": "dispatch sends to exactly one department; use whistle for several",
                    "proposal": proposal.reason,
                }
            )
        departments = _departments(chosen)
        _send_and_record(step.case, departments, proposal, step.from_status, actor, note=note)
        if list(proposal.department_ids) != chosen:
            # Sending a message to another department corrects its class when that department
            # answers for exactly one class (教育局 → 教育文体).
            learn_class(step.case, message_class_of_department(departments[0]), actor)
    return step.case


def _send_and_record(
    case: Case,
    departments: Sequence[Department],
    proposal: routing.Proposal,
    from_status: str,
    actor: User | None,
    *,
    note: str,
    extra: dict[str, Any] | None = None,
) -> None:
    """The dispatch itself, shared by the dispatcher's dispatch and the automatic one."""
    send_to_departments(case, departments, whistle=False)
    chosen = [department.pk for department in departments]
    record_event(
        case,
        Action.DISPATCH,
        from_status,
        case.status,
        actor,
        note=note,
        department=departments[0],
        data={
            "proposal": list(proposal.department_ids),
            "overridden": list(proposal.department_ids) != chosen,
            "due_at": case.due_at.isoformat() if case.due_at else None,
            **(extra or {}),
        },
    )
    notify(department_users(chosen), case, kind="new_task", title=f"新任务 {case.number}", dedupe="dispatch")
    publish_after_commit("case.dispatched", case, {"departments": chosen})


def whistle_case(
    case_id: int,
    *,
    actor: User,
    department_ids: Sequence[int],
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    """吹哨报到: call several departments at once; each gets its own task and must report in."""
    if len(set(department_ids)) < 2:
        raise CaseInputInvalid(details={"departments": "a whistle calls at least two departments"})
    with transaction.atomic():
        step = begin(case_id, actor, Action.WHISTLE, expected_version)
        departments = _departments(list(dict.fromkeys(department_ids)))
        send_to_departments(step.case, departments, whistle=True)
        record_event(
            step.case,
            Action.WHISTLE,
            step.from_status,
            step.case.status,
            actor,
            note=note,
            data={"departments": [d.pk for d in departments]},
        )
        notify(
            department_users([d.pk for d in departments]),
            step.case,
            kind="new_task",
            title=f"吹哨报到 {step.case.number}",
            dedupe="whistle",
        )
    return step.case


def sign_case(case_id: int, *, actor: User, note: str = "") -> Case:
    """签收: the department takes its task on; the case is in progress from the first signature."""
    with transaction.atomic():
        step = begin(case_id, actor, Action.SIGN)
        task = actor_task(step.case, actor, [CaseTask.Status.PENDING])
        task.status, task.signed_at = CaseTask.Status.SIGNED, now()
        task.save(update_fields=["status", "signed_at"])
        step.case.status = CaseStatus.IN_PROGRESS
        save(step.case, "status")
        record_event(
            step.case,
            Action.SIGN,
            step.from_status,
            step.case.status,
            actor,
            note=note,
            department=task.department,
            data={
                "task": task.pk,
                "within_limit": bool(task.sign_due_at and task.signed_at <= task.sign_due_at),
            },
        )
    return step.case


def return_case(case_id: int, *, actor: User, reason: str) -> Case:
    """回退: "not ours", with the reason; with no department left the case goes back to dispatch."""
    if not reason.strip():
        raise CaseInputInvalid(details={"reason": "required"})
    with transaction.atomic():
        step = begin(case_id, actor, Action.RETURN)
        task = actor_task(step.case, actor, [CaseTask.Status.PENDING, CaseTask.Status.SIGNED])
        task.status, task.note = CaseTask.Status.RETURNED, reason
        task.save(update_fields=["status", "note"])
        remaining = live_tasks(step.case)
        if not remaining:
            step.case.status = CaseStatus.REGISTERED
            stop_clock(step.case, "returned")
        elif all(t.status == CaseTask.Status.DONE for t in remaining):
            step.case.status = CaseStatus.HANDLED
        save(step.case, "status", *CLOCK_FIELDS)
        record_event(
            step.case,
            Action.RETURN,
            step.from_status,
            step.case.status,
            actor,
            note=reason,
            department=task.department,
            data={"task": task.pk},
        )
        notify(
            area_staff(step.case.area_id, [Role.DISPATCHER, Role.LEADER]),
            step.case,
            kind="returned",
            title=f"回退 {step.case.number}",
            body=reason,
        )
    return step.case


def report_done(
    case_id: int,
    *,
    actor: User,
    note: str,
    photos: Sequence[PhotoUpload] = (),
    before_photos: Sequence[PhotoUpload] = (),
) -> Case:
    """处置反馈: the task is done, with photos after (and, if taken, before) handling; the case is
    handled when every task is."""
    if not note.strip():
        raise CaseInputInvalid(details={"note": "say what was done"})
    checked_photos = [(p, photo_content_type(p.content), CasePhoto.Kind.BEFORE) for p in before_photos]
    checked_photos += [(p, photo_content_type(p.content), CasePhoto.Kind.AFTER) for p in photos]
    with transaction.atomic():
        step = begin(case_id, actor, Action.REPORT_DONE)
        department = None
        tasks = live_tasks(step.case)
        if tasks:
            task = actor_task(step.case, actor, [CaseTask.Status.SIGNED])
            task.status, task.done_at, task.note = CaseTask.Status.DONE, now(), note
            task.save(update_fields=["status", "done_at", "note"])
            department = task.department
            tasks = live_tasks(step.case)
        elif not (step.roles & (lifecycle.GRID_STAFF | {lifecycle.LEADER, lifecycle.ADMINISTRATOR})):
            raise TransitionNotAllowed(
                details={"reason": "only the grid or community reports local handling"}
            )
        all_done = all(t.status == CaseTask.Status.DONE for t in tasks)
        if all_done:
            step.case.status = CaseStatus.HANDLED
            stop_clock(step.case, "handled")
        save(step.case, "status", *CLOCK_FIELDS)
        event = record_event(
            step.case,
            Action.REPORT_DONE,
            step.from_status,
            step.case.status,
            actor,
            note=note,
            department=department,
            data={"on_time": not step.case.is_overdue},
        )
        for upload, content_type, kind in checked_photos:
            CasePhoto.objects.create(
                case=step.case,
                event=event,
                kind=kind,
                image=ContentFile(upload.content, name=safe_file_name(upload.name, content_type)),
                content_type=content_type,
                size_bytes=len(upload.content),
            )
        if all_done:
            notify(
                area_staff(step.case.area_id, [Role.GRID_WORKER]),
                step.case,
                kind="new_task",
                title=f"待核查 {step.case.number}",
                dedupe="check",
            )
    return step.case


def check_case(
    case_id: int, *, actor: User, passed: bool, note: str = "", photos: Sequence[PhotoUpload] = ()
) -> Case:
    """核查: on site after handling. Pass → ready to close; fail → rework (返工) by the same units."""
    checked_photos = [(p, photo_content_type(p.content)) for p in photos]
    action = Action.CHECK_PASS if passed else Action.CHECK_FAIL
    if not passed and not note.strip():
        raise CaseInputInvalid(details={"note": "say what is still wrong"})
    with transaction.atomic():
        step = begin(case_id, actor, action)
        if passed:
            step.case.status = CaseStatus.CHECKED
            save(step.case, "status")
        else:
            tasks = list(step.case.tasks.filter(status=CaseTask.Status.DONE))
            start = now()
            step.case.rework_count += 1
            step.case.status = CaseStatus.DISPATCHED if tasks else CaseStatus.IN_PROGRESS
            start_clock(step.case, "handle", start)
            # Rework is a new round: each department signs again within a fresh sign limit.
            sign_plan = timing.schedule(
                start,
                timing.limit_for(
                    step.case.category, "sign", urgent=step.case.is_urgent, level=step.case.level
                ),
            )
            for task in tasks:
                task.status, task.done_at, task.signed_at = CaseTask.Status.PENDING, None, None
                task.due_at, task.sign_due_at = step.case.due_at, sign_plan.due_at
                task.save(update_fields=["status", "done_at", "signed_at", "due_at", "sign_due_at"])
                schedule_deadline(
                    SIGN_OVERDUE,
                    SUBJECT,
                    str(step.case.pk),
                    sign_plan.due_at,
                    started_at=start,
                    data={"task": task.pk},
                )
            save(step.case, "status", "rework_count", *CLOCK_FIELDS)
            notify(
                department_users([t.department_id for t in tasks]),
                step.case,
                kind="new_task",
                title=f"返工 {step.case.number}",
                body=note,
                dedupe="rework",
            )
        event = record_event(step.case, action, step.from_status, step.case.status, actor, note=note)
        for upload, content_type in checked_photos:
            CasePhoto.objects.create(
                case=step.case,
                event=event,
                kind=CasePhoto.Kind.CHECK,
                image=ContentFile(upload.content, name=safe_file_name(upload.name, content_type)),
                content_type=content_type,
                size_bytes=len(upload.content),
            )
    return step.case


def close_case(case_id: int, *, actor: User, note: str = "", expected_version: int | None = None) -> Case:
    """结案: the leader closes a checked case; the resident may now rate it."""
    with transaction.atomic():
        step = begin(case_id, actor, Action.CLOSE, expected_version)
        step.case.status = CaseStatus.CLOSED
        step.case.closed_at = now()
        save(step.case, "status", "closed_at")
        on_time = not CaseEvent.objects.filter(case=step.case, action="overdue").exists()
        record_event(
            step.case,
            Action.CLOSE,
            step.from_status,
            step.case.status,
            actor,
            note=note,
            data={"on_time": on_time},
        )
        publish_after_commit("case.closed", step.case)
    return step.case


def rate_case(case_id: int, *, actor: User, rating: int, satisfied: bool, comment: str = "") -> Case:
    """评价: 1–5 and satisfied or not; a dissatisfied rating reopens the case for a new dispatch."""
    if rating not in range(1, 6):
        raise CaseInputInvalid(details={"rating": "1 to 5"})
    with transaction.atomic():
        step = begin(case_id, actor, Action.RATE)
        step.case.rating, step.case.is_satisfied = rating, satisfied
        if satisfied:
            step.case.status = CaseStatus.RATED
        else:
            step.case.status = CaseStatus.REGISTERED
            step.case.reopen_count += 1
            step.case.closed_at = None
            for task in live_tasks(step.case):
                task.status = CaseTask.Status.CANCELLED
                task.save(update_fields=["status"])
        save(step.case, "rating", "is_satisfied", "status", "reopen_count", "closed_at")
        record_event(
            step.case,
            Action.RATE,
            step.from_status,
            step.case.status,
            actor,
            note=comment,
            data={"rating": rating, "satisfied": satisfied},
        )
        publish_after_commit("case.rated", step.case, {"rating": rating, "satisfied": satisfied})
    return step.case


def request_extension(case_id: int, *, actor: User, extra_hours: int, reason: str) -> CaseRequest:
    """申请延期: ask for more working hours; the limit moves only when a leader approves."""
    return _request(case_id, actor, Action.REQUEST_EXTENSION, CaseRequest.Kind.EXTENSION, reason, extra_hours)


def request_suspension(case_id: int, *, actor: User, reason: str) -> CaseRequest:
    """申请挂账: cannot be solved now (needs money, planning, a court); stops the clock when approved."""
    return _request(case_id, actor, Action.REQUEST_SUSPENSION, CaseRequest.Kind.SUSPENSION, reason, None)


def _request(
    case_id: int, actor: User, action: Action, kind: str, reason: str, extra_hours: int | None
) -> CaseRequest:
    if not reason.strip():
        raise CaseInputInvalid(details={"reason": "required"})
    if kind == CaseRequest.Kind.EXTENSION and (extra_hours is None or not 1 <= extra_hours <= 720):
        raise CaseInputInvalid(details={"extra_hours": "1 to 720 working hours"})
    with transaction.atomic():
        step = begin(case_id, actor, action)
        if CaseRequest.objects.filter(case=step.case, kind=kind, status=CaseRequest.Status.PENDING).exists():
            raise TransitionNotAllowed(details={"reason": f"a {kind} request is already pending"})
        request = CaseRequest.objects.create(
            case=step.case, kind=kind, reason=reason, extra_hours=extra_hours, requested_by=actor
        )
        save(step.case)
        record_event(
            step.case,
            action,
            step.from_status,
            step.from_status,
            actor,
            note=reason,
            data={"request": request.pk, "extra_hours": extra_hours},
        )
        notify(
            area_staff(step.case.area_id, [Role.LEADER]),
            step.case,
            kind="info",
            title=f"待审批 {step.case.number}",
            body=reason,
            dedupe=f"request{request.pk}",
        )
    return request


def decide_request(request_id: int, *, actor: User, approve: bool, note: str = "") -> CaseRequest:
    """Approve or refuse an extension (the due time moves) or a suspension (the clock stops)."""
    request = CaseRequest.objects.filter(pk=request_id).first()
    if request is None:
        raise CaseNotFound(details={"request": request_id})
    action = (
        Action.DECIDE_EXTENSION if request.kind == CaseRequest.Kind.EXTENSION else Action.DECIDE_SUSPENSION
    )
    with transaction.atomic():
        step = begin(request.case_id, actor, action)
        request = CaseRequest.objects.select_for_update().get(pk=request_id)
        if request.status != CaseRequest.Status.PENDING:
            raise TransitionNotAllowed(details={"reason": "already decided"})
        request.status = CaseRequest.Status.APPROVED if approve else CaseRequest.Status.REFUSED
        request.decided_by, request.decided_at, request.decision_note = actor, now(), note
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        case = step.case
        data: dict[str, Any] = {"request": request.pk, "approved": approve, "kind": request.kind}
        if approve and request.kind == CaseRequest.Kind.EXTENSION and case.due_at and case.limit_started_at:
            new_due = timing.extend_due(case.due_at, float(request.extra_hours or 0))
            run_clock(
                case,
                case.limit_started_at,
                new_due,
                case.limit_unit or "working_hours",
                reason="extension approved",
            )
            case.tasks.filter(status__in=[CaseTask.Status.PENDING, CaseTask.Status.SIGNED]).update(
                due_at=new_due
            )
            data["due_at"] = new_due.isoformat()
        if approve and request.kind == CaseRequest.Kind.SUSPENSION:
            remaining = timing.remaining_working_seconds(now(), case.due_at) if case.due_at else 0.0
            case.suspended_remaining_seconds = int(remaining)
            stop_clock(case, "suspended")
            case.status = CaseStatus.SUSPENDED
        save(case, "status", "suspended_remaining_seconds", *CLOCK_FIELDS)
        record_event(case, action, step.from_status, case.status, actor, note=note, data=data)
    return request


def resume_case(case_id: int, *, actor: User, note: str = "") -> Case:
    """解除挂账: back to work with the time that was left when the clock stopped."""
    with transaction.atomic():
        step = begin(case_id, actor, Action.RESUME)
        case = step.case
        start = now()
        remaining = float(case.suspended_remaining_seconds or 0)
        due = timing.resume_due(start, max(remaining, 3600.0))
        run_clock(case, start, due, "working_hours", reason="resumed")
        case.status, case.suspended_remaining_seconds = CaseStatus.IN_PROGRESS, None
        save(case, *CLOCK_FIELDS, "status", "suspended_remaining_seconds")
        record_event(
            case,
            Action.RESUME,
            step.from_status,
            case.status,
            actor,
            note=note,
            data={"due_at": due.isoformat()},
        )
    return case


def escalate_case(
    case_id: int, *, actor: User | None, reason: str, expected_version: int | None = None
) -> Case:
    """上报: one level up (grid → community → street → district), never past the district.

    The new level's centre decides again: running tasks are cancelled and the case waits for
    dispatch there (a report not yet registered stays a report, now at the higher level).
    """
    with transaction.atomic():
        step = begin(case_id, actor, Action.ESCALATE, expected_version)
        case = step.case
        target_level = routing.next_level(case.level)
        if target_level is None:
            raise EscalationImpossible(details={"level": case.level})
        from_level = case.level
        case.level = target_level
        case.handling_area = handling_area_at(case.area, target_level) if case.area_id else case.handling_area
        for task in live_tasks(case):
            task.status = CaseTask.Status.CANCELLED
            task.save(update_fields=["status"])
        if case.status != CaseStatus.REPORTED:
            case.status = CaseStatus.REGISTERED
            stop_clock(case, "escalated")
        save(case, "level", "handling_area", "status", *CLOCK_FIELDS)
        record_event(
            case,
            Action.ESCALATE,
            step.from_status,
            case.status,
            actor,
            note=reason,
            data={"from_level": from_level, "to_level": target_level},
        )
        staff = area_staff(case.handling_area_id, [Role.DISPATCHER, Role.LEADER])
        notify(staff, case, kind="new_task", title=f"上报 {case.number}", body=reason, dedupe="escalate")
        publish_after_commit("case.escalated", case, {"level": target_level})
    return case


def supervise_case(case_id: int, *, actor: User, instruction: str, due_hours: float | None = None) -> Case:
    """督办: a leader's instruction, optionally with a new deadline for the responsible units."""
    if not instruction.strip():
        raise CaseInputInvalid(details={"instruction": "required"})
    with transaction.atomic():
        step = begin(case_id, actor, Action.SUPERVISE)
        case = step.case
        case.supervision_count += 1
        data: dict[str, Any] = {}
        if due_hours is not None:
            if not 0 < due_hours <= 720:
                raise CaseInputInvalid(details={"due_hours": "0 to 720 working hours"})
            due = timing.extend_due(now(), due_hours)
            schedule_deadline(
                SUPERVISION_DUE, SUBJECT, str(case.pk), due, started_at=now(), data={"by": actor.pk}
            )
            data["due_at"] = due.isoformat()
        save(case, "supervision_count")
        record_event(
            case, Action.SUPERVISE, step.from_status, case.status, actor, note=instruction, data=data
        )
        recipients = department_users(t.department_id for t in live_tasks(case)) or area_staff(
            case.handling_area_id, [Role.GRID_LEADER, Role.COMMUNITY_WORKER, Role.DISPATCHER]
        )
        notify(
            recipients,
            case,
            kind="supervision",
            title=f"督办 {case.number}",
            body=instruction,
            dedupe="supervise",
        )
    return case


# ── called by the deadline sweeper (no user: the scheduler acts) ──────────────────────────────
# Each acts on a batch of the sweeper's rows at once (one locked read of the cases, one UPDATE,
# the events and inbox messages written together: docs/time-limits.md); the one-case functions
# are the batch of one, so both ways write the same rows. A batch names each case once.

RUNNING = (CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS)


def _one_per_case(case_ids: Sequence[int]) -> None:
    if len(set(case_ids)) != len(case_ids):
        raise ValueError("a batch of deadline handlers names each case once")


def _lock_running(case_ids: Sequence[int]) -> dict[int, Case]:
    """The running cases among `case_ids`, locked, by id (locked in id order: two sweepers on
    PostgreSQL take the locks in the same order)."""
    _one_per_case(case_ids)
    cases = Case.objects.select_for_update().filter(pk__in=case_ids, status__in=RUNNING).order_by("pk")
    return {case.pk: case for case in cases}


def _save_all(cases: Sequence[Case], **values: Any) -> None:
    """save() of each case after setting the same `values` on each: one UPDATE for all (the cases
    are locked, so version + 1 in SQL is each case's version + 1)."""
    if not cases:
        return
    moment = now()
    Case.objects.filter(pk__in=[case.pk for case in cases]).update(
        **values, version=F("version") + 1, updated_at=moment
    )
    for case in cases:
        for name, value in values.items():
            setattr(case, name, value)
        case.version += 1
        case.updated_at = moment


def _live_tasks_of(cases: Iterable[Case]) -> dict[int, list[CaseTask]]:
    """live_tasks of each case, in one query."""
    tasks: dict[int, list[CaseTask]] = {case.pk: [] for case in cases}
    for task in (
        CaseTask.objects.filter(case_id__in=list(tasks))
        .exclude(status__in=[CaseTask.Status.RETURNED, CaseTask.Status.CANCELLED])
        .order_by("id")
    ):
        tasks[task.case_id].append(task)
    return tasks


def _department_user_ids(department_ids: Iterable[int]) -> dict[int, set[int]]:
    """department_users of each department, as ids, in one query."""
    found: dict[int, set[int]] = {}
    wanted = set(department_ids)
    if wanted:
        for department_id, user_id in Membership.objects.filter(
            department_id__in=wanted, role=Role.DEPARTMENT_HANDLER, user__is_active=True
        ).values_list("department_id", "user_id"):
            found.setdefault(department_id, set()).add(user_id)
    return found


def _area_staff_ids(area_codes: Iterable[str | None], roles: Sequence[str]) -> dict[str, set[int]]:
    """area_staff(code, roles) of each area code, as ids, in one query."""
    covering = {code: {*ancestor_codes(code), code} for code in set(area_codes) if code}
    if not covering:
        return {}
    members: dict[str, set[int]] = {}
    for area_id, user_id in Membership.objects.filter(
        area_id__in=set().union(*covering.values()), role__in=list(roles), user__is_active=True
    ).values_list("area_id", "user_id"):
        members.setdefault(area_id, set()).add(user_id)
    return {code: set().union(*(members.get(c, set()) for c in codes)) for code, codes in covering.items()}


def _publish_all(event_type: str, cases: Sequence[Case]) -> None:
    """publish_after_commit of each case; nothing to read when no endpoint subscribes."""
    if cases and endpoints_for_event(event_type):
        for case in cases:
            publish_after_commit(event_type, case)


def warn_cases(items: Sequence[tuple[int, str]]) -> list[str]:
    """Yellow light at 80 % of the limit: tell whoever holds the case. `items`: (case id, step)."""
    with transaction.atomic():
        cases = _lock_running([case_id for case_id, _step in items])
        _save_all(list(cases.values()), light=Light.YELLOW)
        tasks = _live_tasks_of(cases.values())
        handlers = _department_user_ids(t.department_id for ts in tasks.values() for t in ts)
        holders = {
            pk: set().union(*(handlers.get(t.department_id, set()) for t in ts)) for pk, ts in tasks.items()
        }
        staff = _area_staff_ids(
            [case.handling_area_id for case in cases.values() if not holders[case.pk]],
            [Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_WORKER],
        )
        moment = now()
        events, notices, outcomes = [], [], []
        for case_id, step in items:
            case = cases.get(case_id)
            if case is None:
                outcomes.append("skipped: not running")
                continue
            events.append(
                new_event(case, "warning", case.status, case.status, None, data={"step": step}, at=moment)
            )
            recipients = holders[case.pk] or staff.get(case.handling_area_id or "", set())
            notices.append(
                case_notice(recipients, case, kind="warning", title=f"即将超期 {case.number}", dedupe="warn")
            )
            outcomes.append("warned")
        insert_all(events)
        notify_many(notices)
    return outcomes


def warn_case(case_id: int, *, step: str = "handle") -> str:
    return warn_cases([(case_id, step)])[0]


def mark_overdue_cases(case_ids: Sequence[int]) -> list[str]:
    """Red light at 100 %: record it (evaluation counts it) and, when configured, escalate."""
    with transaction.atomic():
        cases = _lock_running(case_ids)
        _save_all(list(cases.values()), light=Light.RED, is_overdue=True)
        tasks = _live_tasks_of(cases.values())
        handlers = _department_user_ids(t.department_id for ts in tasks.values() for t in ts)
        leaders = _area_staff_ids([case.handling_area_id for case in cases.values()], [Role.LEADER])
        moment = now()
        events, notices, running = [], [], []
        for case_id in case_ids:
            case = cases.get(case_id)
            if case is None:
                continue
            running.append(case)
            events.append(
                new_event(
                    case,
                    "overdue",
                    case.status,
                    case.status,
                    None,
                    data={
                        "due_at": case.due_at.isoformat() if case.due_at else None,
                        "departments": [t.department_id for t in tasks[case.pk]],
                    },
                    at=moment,
                )
            )
            recipients = set().union(*(handlers.get(t.department_id, set()) for t in tasks[case.pk]))
            recipients |= leaders.get(case.handling_area_id or "", set())
            notices.append(
                case_notice(recipients, case, kind="overdue", title=f"已超期 {case.number}", dedupe="overdue")
            )
        insert_all(events)
        notify_many(notices)
        _publish_all("case.overdue", running)
        escalate = getattr(settings, "GRIDGOV_ESCALATE_WHEN_OVERDUE", False)
        outcomes = []
        for case_id in case_ids:
            case = cases.get(case_id)
            if case is None:
                outcomes.append("skipped: not running")
            elif escalate and routing.next_level(case.level):
                escalate_case(case.pk, actor=None, reason="overdue: escalated automatically")
                outcomes.append("overdue, escalated")
            else:
                outcomes.append("overdue")
    return outcomes


def mark_overdue(case_id: int) -> str:
    return mark_overdue_cases([case_id])[0]


def sign_overdue_tasks(items: Sequence[tuple[int, int]]) -> list[str]:
    """签收超时: a department has not signed for its task in time. `items`: (case id, task id)."""
    with transaction.atomic():
        _one_per_case([case_id for case_id, _task in items])
        tasks = {
            (task.case_id, task.pk): task
            for task in CaseTask.objects.select_for_update()
            .filter(pk__in=[task_id for _case, task_id in items], status=CaseTask.Status.PENDING)
            .order_by("pk")
        }
        pending = [(case_id, task_id) for case_id, task_id in items if (case_id, task_id) in tasks]
        cases = Case.objects.in_bulk([case_id for case_id, _task in pending])
        handlers = _department_user_ids(tasks[key].department_id for key in pending)
        moment = now()
        events, notices = [], []
        for case_id, task_id in pending:
            case, task = cases[case_id], tasks[(case_id, task_id)]
            event = new_event(
                case, "sign_overdue", case.status, case.status, None, data={"task": task.pk}, at=moment
            )
            event.department_id = task.department_id
            events.append(event)
            notices.append(
                case_notice(
                    handlers.get(task.department_id, set()),
                    case,
                    kind="overdue",
                    title=f"签收超时 {case.number}",
                    dedupe=f"sign{task.pk}",
                )
            )
        insert_all(events)
        notify_many(notices)
    return ["sign overdue" if key in tasks else "skipped: signed or gone" for key in items]


def sign_overdue(case_id: int, task_id: int) -> str:
    return sign_overdue_tasks([(case_id, task_id)])[0]


def supervision_missed_cases(case_ids: Sequence[int]) -> list[str]:
    """督办超期: the deadline of a leader's instruction has passed with the case still open."""
    with transaction.atomic():
        _one_per_case(case_ids)
        cases = Case.objects.filter(pk__in=case_ids, status__in=list(lifecycle.OPEN)).in_bulk()
        leaders = _area_staff_ids([case.handling_area_id for case in cases.values()], [Role.LEADER])
        moment = now()
        events, notices, outcomes = [], [], []
        for case_id in case_ids:
            case = cases.get(case_id)
            if case is None:
                outcomes.append("skipped: closed")
                continue
            events.append(new_event(case, "supervision_missed", case.status, case.status, None, at=moment))
            notices.append(
                case_notice(
                    leaders.get(case.handling_area_id or "", set()),
                    case,
                    kind="overdue",
                    title=f"督办超期 {case.number}",
                    dedupe="supervision",
                )
            )
            outcomes.append("supervision missed")
        insert_all(events)
        notify_many(notices)
    return outcomes


def supervision_missed(case_id: int) -> str:
    return supervision_missed_cases([case_id])[0]
