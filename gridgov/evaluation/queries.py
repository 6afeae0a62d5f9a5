"""Evaluation reads: indicators counted from case events, for an area or a department and a period.

Nothing here reads a case row's current state: every figure comes from the append-only case
events (gridgov.cases.models.CaseEvent), so a month's figures never change after the month, and
anyone can recount them. docs/evaluation.md defines each count; in short, for a period [start, end):

    registered        register events (distinct cases)
    dispatched        dispatch and whistle events (a department: dispatches to it, whistles naming it)
    handled           report_done events that made the case "handled" (a department: its own reports)
    handled_on_time   of those, data.on_time
    reworked          check_fail events (a department: failed checks of a round it reported done)
    returned          return events
    closed            distinct cases with a close event; closed_on_time: none of their closes late
    due_for_closing   distinct cases with a close or an overdue event (应结案数)
    overdue           overdue events; overdue_open: cases red and not handled at `end`
    to_sign           distinct tasks with a sign or sign_overdue event; signed_within_limit: on time
    ratings/satisfied rate events; rated_cases/resolved_cases: distinct cases (resolved = satisfied)

Areas are counted with one GROUP BY area_code query (plus one for the cases still overdue at the
end) and rolled up to the rows in Python: a case keeps its area code for life, so distinct-case
counts of two grids add up. Departments are counted with one GROUP BY department query for the
events that name a department, and one read of the events that concern a case as a whole (close,
rework, rating, overdue, whistle), attributed to departments as described in docs/evaluation.md.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from typing import Any

from django.db.models import Count, F, Max, Q
from django.db.models.fields.json import KeyTextTransform

from gridgov.accounts.scope import WIDE_PREFIX_LENGTH, Scope, code_prefix_q, period_prefix_q
from gridgov.areas.models import Area
from gridgov.cases.lifecycle import Action
from gridgov.cases.models import OPEN_STATUSES, Case, CaseEvent, CaseTask
from gridgov.catalogue.models import Department
from gridgov.catalogue.queries import departments_for
from gridgov.core.area_codes import InvalidCode, scope_prefix
from gridgov.core.clock import LOCAL_TIMEZONE, now, to_local
from gridgov.evaluation.errors import EvaluationSubjectNotFound, PeriodInvalid, RankingKeyInvalid
from gridgov.evaluation.indicators import (
    FALLBACK_MIN_VOLUME,
    FALLBACK_WEIGHTS,
    RANK_KEYS,
    SCORE,
    Counts,
    Indicator,
    IndicatorRow,
    RankedRow,
    Unit,
    UnitKind,
    WeightsInvalid,
    build_row,
    parse_weights,
    ranking,
)
from gridgov.evaluation.models import ScoringScheme

MAX_PERIOD = timedelta(days=400)
OVERDUE = "overdue"  # written by the deadline sweeper (cases.actions.mark_overdue)
SIGN_OVERDUE = "sign_overdue"

# ── period and scheme ─────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime


def check_period(start: datetime, end: datetime) -> Period:
    """[start, end): aware, in order, and at most 400 days long (a year with room to spare)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise PeriodInvalid(details={"reason": "naive datetime"})
    if not start < end:
        raise PeriodInvalid(details={"start": start.isoformat(), "end": end.isoformat()})
    if end - start > MAX_PERIOD:
        raise PeriodInvalid(details={"days": (end - start).days, "max_days": MAX_PERIOD.days})
    return Period(start, end)


def month_of(moment: datetime) -> Period:
    """The local (Asia/Shanghai) calendar month holding `moment`, as [first day 00:00, next month)."""
    local = to_local(moment)
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(first, following)


@dataclass(frozen=True)
class Scheme:
    name: str
    weights: Mapping[Indicator, Fraction]
    min_volume: int


def current_scheme() -> Scheme:
    """The default scoring scheme (data, see models.ScoringScheme); the documented fallback without one."""
    row = ScoringScheme.objects.filter(is_default=True).first()
    if row is not None:
        try:
            return Scheme(row.name, parse_weights(row.weights), row.min_volume)
        except WeightsInvalid:
            pass  # saved through the action it cannot be invalid; a hand-edited row falls back
    return Scheme("fallback", parse_weights(FALLBACK_WEIGHTS), FALLBACK_MIN_VOLUME)


# ── subjects, checked against the caller's scope ──────────────────────────────────────────────


def get_area_for_evaluation(scope: Scope, code: str) -> Area:
    """The area, or EvaluationSubjectNotFound when missing or outside `scope`."""
    if not scope.covers_code(code):
        raise EvaluationSubjectNotFound(details={"area": code})
    area = Area.objects.filter(code=code).first()
    if area is None:
        raise EvaluationSubjectNotFound(details={"area": code})
    return area


def get_department_for_evaluation(scope: Scope, department_id: int) -> Department:
    department = departments_for(scope).filter(pk=department_id).first()
    if department is None:
        raise EvaluationSubjectNotFound(details={"department": department_id})
    return department


def area_unit(area: Area) -> Unit:
    return Unit(UnitKind.AREA, area.code, area.name)


def department_unit(department: Department) -> Unit:
    return Unit(UnitKind.DEPARTMENT, str(department.pk), department.name)


def _area_q(area: Area) -> Q:
    """The events of `area`'s subtree, for a query bounded in time.

    A district or wider: period_prefix_q (time first). A street or below: the list of its area
    codes, so that the (area_code, occurred_at) index is read per code for the period alone; a
    range of codes reads the area's whole history in that index instead (on SQLite the street table
    at a million cases grew 9× for 10× the history, docs/performance.md). Every code an event
    carries is an area's (its case's area, PROTECTed), and areas are never deleted (no action does,
    the admin refuses), so the list is exact."""
    try:
        prefix = scope_prefix(area.code)
    except InvalidCode:
        prefix = area.code
    if len(prefix) <= WIDE_PREFIX_LENGTH:
        return period_prefix_q("area_code", prefix)
    return Q(area_code__in=Area.objects.filter(code_prefix_q("code", prefix)).values("code"))


def _scope_events_q(scope: Scope) -> Q:
    """Events of the cases `scope` may read: in its areas, or sent to its departments (as cases_for)."""
    if scope.is_global:
        return Q()
    condition = Q(pk__in=[])
    if scope.area_prefixes:
        condition |= scope.area_q("area_code")
    if scope.department_ids:
        sent = CaseTask.objects.filter(department_id__in=sorted(scope.department_ids)).values("case_id")
        condition |= Q(case_id__in=sent)
    return condition


# ── counting ──────────────────────────────────────────────────────────────────────────────────

TASK = KeyTextTransform("task", "data")
# Events after which a case that ran out of time is no longer "red and not handled": the work was
# reported done, the limit was replaced (new dispatch, rework, approved extension, resumption), or
# the clock stopped (returned to dispatch, escalated, suspended, voided, merged, closed).
ENDS_OVERDUE = (
    Q(action=Action.REPORT_DONE, to_status="handled")
    | Q(action=Action.RETURN, to_status="registered")
    | Q(action__in=[Action.DECIDE_EXTENSION, Action.DECIDE_SUSPENSION], data__approved=True)
    | Q(
        action__in=[
            Action.DISPATCH,
            Action.WHISTLE,
            Action.HANDLE_LOCALLY,
            Action.CHECK_FAIL,
            Action.RESUME,
            Action.ESCALATE,
            Action.VOID,
            Action.MERGE,
            Action.CLOSE,
        ]
    )
)


def _in_period(period: Period) -> Q:
    return Q(occurred_at__gte=period.start, occurred_at__lt=period.end)


def _counts_by_area_code(base: Q, period: Period, *, overdue_open: bool = True) -> dict[str, Counts]:
    """Counts per area code (the grid of each case) of the events matching `base`: two queries (one
    without `overdue_open`, whose counts of cases red at the period's end then stay 0)."""
    rows = (
        CaseEvent.objects.filter(base, _in_period(period))
        .values("area_code")
        .annotate(
            registered=Count("case_id", distinct=True, filter=Q(action=Action.REGISTER)),
            dispatched=Count("id", filter=Q(action__in=[Action.DISPATCH, Action.WHISTLE])),
            handled=Count("id", filter=Q(action=Action.REPORT_DONE, to_status="handled")),
            handled_on_time=Count(
                "id", filter=Q(action=Action.REPORT_DONE, to_status="handled", data__on_time=True)
            ),
            reworked=Count("id", filter=Q(action=Action.CHECK_FAIL)),
            reworked_after_dispatch=Count("id", filter=Q(action=Action.CHECK_FAIL, to_status="dispatched")),
            returned=Count("id", filter=Q(action=Action.RETURN)),
            closed=Count("case_id", distinct=True, filter=Q(action=Action.CLOSE)),
            closed_late=Count("case_id", distinct=True, filter=Q(action=Action.CLOSE, data__on_time=False)),
            due_for_closing=Count("case_id", distinct=True, filter=Q(action__in=[Action.CLOSE, OVERDUE])),
            overdue=Count("id", filter=Q(action=OVERDUE)),
            to_sign=Count(TASK, distinct=True, filter=Q(action__in=[Action.SIGN, SIGN_OVERDUE])),
            signed=Count("id", filter=Q(action=Action.SIGN)),
            signed_within_limit=Count(
                TASK, distinct=True, filter=Q(action=Action.SIGN, data__within_limit=True)
            ),
            rated_cases=Count("case_id", distinct=True, filter=Q(action=Action.RATE)),
            resolved_cases=Count(
                "case_id", distinct=True, filter=Q(action=Action.RATE, data__satisfied=True)
            ),
            ratings=Count("id", filter=Q(action=Action.RATE)),
            satisfied=Count("id", filter=Q(action=Action.RATE, data__satisfied=True)),
        )
        .order_by()
    )
    counts: dict[str, Counts] = {}
    for row in rows:
        code = row.pop("area_code")
        closed_late = row.pop("closed_late")
        counts[code] = Counts(**row, closed_on_time=row["closed"] - closed_late)
    if overdue_open:
        for code, number in _overdue_open_by_area_code(base, period.end).items():
            counts[code] = counts.get(code, Counts()) + Counts(overdue_open=number)
    return counts


def activity_counts(scope: Scope, area: Area, start: datetime, end: datetime) -> Counts:
    """The counts of what happened to the cases of `area` (its whole subtree) in the period: every
    field of Counts except overdue_open, which is a state at the period's end rather than an event
    count, costs a replay of the overdue cases, and is left at 0 here (indicator_row has it). For
    the cockpit's tiles, which show none of it."""
    return _area_counts(
        get_area_for_evaluation(scope, area.code), check_period(start, end), overdue_open=False
    )


def _area_counts(area: Area, period: Period, *, overdue_open: bool = True) -> Counts:
    """The counts of `area`'s whole subtree in the period (the area read through the caller's scope)."""
    return _roll_up(_counts_by_area_code(_area_q(area), period, overdue_open=overdue_open), [area])[area.code]


def may_be_overdue_at(end: datetime) -> Q:
    """Events of the cases that can be red and not handled at `end`: those open now, and those
    whose row changed at or after `end`.

    A case closed, rated, voided or merged whose row has not changed since before `end` was already
    in that state at `end` (every status change moves updated_at: cases.actions.save), and a case in
    those states is not red and not handled: only an event that ends being overdue (close, void,
    merge) leads there, and the clock stops with it. Leaving those cases out keeps the replay below
    to the open and the recently changed cases instead of every case ever overdue.

    One IN list of a UNION, each half read through its own index ((status, area) and updated_at):
    an OR of the two lists made SQLite scan every case, and PostgreSQL test every overdue event
    ever written against both lists (11 s at 3,000,000 cases; 9 ms as a UNION, docs/performance.md).
    """
    open_now = Case.objects.filter(status__in=OPEN_STATUSES).order_by().values("id")
    changed_since = Case.objects.filter(updated_at__gte=end).order_by().values("id")
    return Q(case_id__in=open_now.union(changed_since))


def _still_overdue(base: Q, end: datetime) -> Any:
    """(case, area code, time of the last overdue event) of the cases red and not handled at `end`."""
    overdue_cases = CaseEvent.objects.filter(
        base, may_be_overdue_at(end), action=OVERDUE, occurred_at__lt=end
    ).values("case_id")
    return (
        CaseEvent.objects.filter(
            base, Q(action=OVERDUE) | ENDS_OVERDUE, occurred_at__lt=end, case_id__in=overdue_cases
        )
        .values("case_id", "area_code")
        .annotate(
            last_overdue=Max("occurred_at", filter=Q(action=OVERDUE)),
            last_end=Max("occurred_at", filter=ENDS_OVERDUE),
        )
        .filter(Q(last_end__isnull=True) | Q(last_end__lt=F("last_overdue")))
        .order_by()
    )


def _overdue_open_by_area_code(base: Q, end: datetime) -> dict[str, int]:
    numbers: dict[str, int] = defaultdict(int)
    for row in _still_overdue(base, end):
        numbers[row["area_code"]] += 1
    return dict(numbers)


def _roll_up(by_code: Mapping[str, Counts], areas: Iterable[Area]) -> dict[str, Counts]:
    """Counts per area: the sum over the area codes inside each area's prefix."""
    result: dict[str, Counts] = {}
    for area in areas:
        prefix = scope_prefix(area.code)
        total = Counts()
        for code, counts in by_code.items():
            if code.startswith(prefix):
                total = total + counts
        result[area.code] = total
    return result


@dataclass
class _DepartmentTally:
    """A department's counts while the events are read: sets of case ids where cases are distinct."""

    dispatched: int = 0
    reworked: int = 0
    overdue: int = 0
    ratings: int = 0
    satisfied: int = 0
    overdue_open: int = 0
    closed: set[int] = field(default_factory=set)
    closed_late: set[int] = field(default_factory=set)
    overdue_cases: set[int] = field(default_factory=set)
    rated: set[int] = field(default_factory=set)
    resolved: set[int] = field(default_factory=set)


CASE_WIDE = [Action.WHISTLE, OVERDUE, Action.CHECK_FAIL, Action.CLOSE, Action.RATE]


def _counts_by_department(base: Q, period: Period) -> dict[int, Counts]:
    """Counts per department of the events matching `base`: three or four queries."""
    direct = (
        CaseEvent.objects.filter(base, _in_period(period), department_id__isnull=False)
        .values("department_id")
        .annotate(
            dispatched=Count("id", filter=Q(action=Action.DISPATCH)),
            handled=Count("id", filter=Q(action=Action.REPORT_DONE)),
            handled_on_time=Count("id", filter=Q(action=Action.REPORT_DONE, data__on_time=True)),
            returned=Count("id", filter=Q(action=Action.RETURN)),
            to_sign=Count(TASK, distinct=True, filter=Q(action__in=[Action.SIGN, SIGN_OVERDUE])),
            signed=Count("id", filter=Q(action=Action.SIGN)),
            signed_within_limit=Count(
                TASK, distinct=True, filter=Q(action=Action.SIGN, data__within_limit=True)
            ),
        )
        .order_by()
    )
    tallies: dict[int, _DepartmentTally] = defaultdict(_DepartmentTally)
    _attribute_case_events(base, period, tallies)
    _attribute_overdue_open(base, period.end, tallies)
    counts: dict[int, Counts] = {}
    for row in direct:
        department_id = row.pop("department_id")
        counts[department_id] = Counts(registered=None, **row)
    for department_id, tally in tallies.items():
        counts[department_id] = counts.get(department_id, Counts(registered=None)) + Counts(
            registered=None,
            dispatched=tally.dispatched,
            reworked=tally.reworked,
            reworked_after_dispatch=tally.reworked,
            closed=len(tally.closed),
            closed_on_time=len(tally.closed - tally.closed_late),
            due_for_closing=len(tally.closed | tally.overdue_cases),
            overdue=tally.overdue,
            overdue_open=tally.overdue_open,
            rated_cases=len(tally.rated),
            resolved_cases=len(tally.resolved),
            ratings=tally.ratings,
            satisfied=tally.satisfied,
        )
    return counts


def _department_ids(data: Mapping[str, Any], key: str) -> list[int]:
    value = data.get(key) if isinstance(data, Mapping) else None
    return [int(item) for item in value] if isinstance(value, list) else []


def _attribute_case_events(base: Q, period: Period, tallies: dict[int, _DepartmentTally]) -> None:
    """Attribute the events that name no department to the departments concerned.

    A whistle and an overdue event list their departments in `data`. A failed check counts against
    the departments that reported that round done; a close and a rating against those whose round
    passed the check (a case handled locally has none).
    """
    cases = CaseEvent.objects.filter(base, _in_period(period), action__in=CASE_WIDE).values("case_id")
    events = (
        CaseEvent.objects.filter(
            base,
            case_id__in=cases,
            occurred_at__lt=period.end,
            action__in=[*CASE_WIDE, Action.REPORT_DONE, Action.CHECK_PASS],
        )
        .order_by("case_id", "occurred_at", "id")
        .values_list("case_id", "action", "department_id", "occurred_at", "data")
    )
    current_case: int | None = None
    round_departments: set[int] = set()
    passed_departments: set[int] = set()
    for case_id, action, department_id, occurred_at, data in events:
        if case_id != current_case:
            current_case, round_departments, passed_departments = case_id, set(), set()
        in_period = period.start <= occurred_at < period.end
        if action == Action.REPORT_DONE:
            if department_id is not None:
                round_departments.add(department_id)
        elif action == Action.CHECK_PASS:
            passed_departments, round_departments = round_departments, set()
        elif action == Action.CHECK_FAIL:
            if in_period:
                for department in round_departments:
                    tallies[department].reworked += 1
            round_departments = set()
        elif not in_period:
            continue
        elif action == Action.CLOSE:
            for department in passed_departments:
                tallies[department].closed.add(case_id)
                if data.get("on_time") is False:
                    tallies[department].closed_late.add(case_id)
        elif action == Action.RATE:
            for department in passed_departments:
                tallies[department].ratings += 1
                tallies[department].rated.add(case_id)
                if data.get("satisfied") is True:
                    tallies[department].satisfied += 1
                    tallies[department].resolved.add(case_id)
        elif action == Action.WHISTLE:
            for department in _department_ids(data, "departments"):
                tallies[department].dispatched += 1
        elif action == OVERDUE:
            for department in _department_ids(data, "departments"):
                tallies[department].overdue += 1
                tallies[department].overdue_cases.add(case_id)


def _attribute_overdue_open(base: Q, end: datetime, tallies: dict[int, _DepartmentTally]) -> None:
    """A case red at `end` counts for the departments its last overdue event named, unless they
    returned it since."""
    last_overdue = {row["case_id"]: row["last_overdue"] for row in _still_overdue(base, end)}
    if not last_overdue:
        return
    holders: dict[int, set[int]] = {}
    for case_id, action, department_id, occurred_at, data in (
        CaseEvent.objects.filter(
            case_id__in=list(last_overdue), action__in=[OVERDUE, Action.RETURN], occurred_at__lt=end
        )
        .order_by("case_id", "occurred_at", "id")
        .values_list("case_id", "action", "department_id", "occurred_at", "data")
    ):
        if occurred_at < last_overdue[case_id]:
            continue
        if action == OVERDUE:
            holders[case_id] = set(_department_ids(data, "departments"))
        elif department_id is not None:
            holders.get(case_id, set()).discard(department_id)
    for departments in holders.values():
        for department in departments:
            tallies[department].overdue_open += 1


# ── rows and tables ───────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class EvaluationTable:
    """Rows of one kind (child areas or departments) for one period, and the area as a whole."""

    kind: UnitKind
    subject: Unit | None  # the area the table is about (None: the caller's whole scope)
    period: Period
    rows: list[IndicatorRow]
    total: IndicatorRow | None  # the area itself, cases directly in it included; None for departments
    scheme: Scheme


def indicator_row(
    scope: Scope,
    subject: Area | Department,
    start: datetime,
    end: datetime,
    *,
    area_code: str | None = None,
    scheme: Scheme | None = None,
) -> IndicatorRow:
    """One row: an area (its whole subtree) or a department (within `area_code` when given)."""
    period = check_period(start, end)
    scheme = scheme or current_scheme()
    if isinstance(subject, Area):
        area = get_area_for_evaluation(scope, subject.code)
        return build_row(area_unit(area), _area_counts(area, period), scheme.weights)
    department = get_department_for_evaluation(scope, subject.pk)
    base = _area_q(get_area_for_evaluation(scope, area_code)) if area_code else _scope_events_q(scope)
    counts = _counts_by_department(base, period).get(department.pk, Counts(registered=None))
    return build_row(department_unit(department), counts, scheme.weights)


def evaluation_table(
    scope: Scope,
    area_code: str,
    start: datetime,
    end: datetime,
    *,
    by: str = "children",
    scheme: Scheme | None = None,
) -> EvaluationTable:
    """One row per child area of `area_code` (each community of a street), or the area alone
    (`by="self"`), plus the area as a whole."""
    period = check_period(start, end)
    scheme = scheme or current_scheme()
    area = get_area_for_evaluation(scope, area_code)
    children = list(Area.objects.filter(parent_id=area.code).order_by("code")) if by == "children" else []
    by_code = _counts_by_area_code(_area_q(area), period)
    counts = _roll_up(by_code, [area, *children])
    total = build_row(area_unit(area), counts[area.code], scheme.weights)
    rows = [build_row(area_unit(child), counts[child.code], scheme.weights) for child in children]
    if by != "children":
        rows = [total]
    return EvaluationTable(UnitKind.AREA, area_unit(area), period, rows, total, scheme)


def department_table(
    scope: Scope,
    start: datetime,
    end: datetime,
    *,
    area_code: str | None = None,
    scheme: Scheme | None = None,
) -> EvaluationTable:
    """One row per department the caller may see, counting the cases in `area_code` (when given) or
    in the caller's scope. Listed: departments with any event, and those serving the area."""
    period = check_period(start, end)
    scheme = scheme or current_scheme()
    area = get_area_for_evaluation(scope, area_code) if area_code else None
    base = _area_q(area) if area is not None else _scope_events_q(scope)
    counts = _counts_by_department(base, period)
    visible = departments_for(scope)
    wanted = Q(pk__in=sorted(counts))
    if area is not None:
        served = Department.served_areas.through.objects.filter(area_id=area.code).values("department_id")
        wanted |= Q(pk__in=served)
    elif not scope.is_global:
        wanted |= Q(pk__in=sorted(scope.department_ids))
    departments = list(visible.filter(wanted).order_by("area_id", "code"))
    rows = [
        build_row(department_unit(d), counts.get(d.pk, Counts(registered=None)), scheme.weights)
        for d in departments
    ]
    subject = area_unit(area) if area is not None else None
    return EvaluationTable(UnitKind.DEPARTMENT, subject, period, rows, None, scheme)


def rank_table(table: EvaluationTable, by: str = SCORE, min_volume: int | None = None) -> list[RankedRow]:
    """The table's rows ranked by `by`, with the scheme's minimum volume unless one is given."""
    if by not in RANK_KEYS:
        raise RankingKeyInvalid(details={"by": by, "allowed": list(RANK_KEYS)})
    return ranking(table.rows, by, min_volume=table.scheme.min_volume if min_volume is None else min_volume)


def period_from_dates(start: date | None, end: date | None) -> Period:
    """Local days [start, end) as aware datetimes; neither given: the current local month."""
    if start is None and end is None:
        return month_of(now())
    if start is None or end is None:
        raise PeriodInvalid(details={"reason": "give both start and end, or neither"})
    return check_period(
        datetime.combine(start, time.min, tzinfo=LOCAL_TIMEZONE),
        datetime.combine(end, time.min, tzinfo=LOCAL_TIMEZONE),
    )


def overdue_open_case_ids(area: Area, end: datetime) -> set[int]:
    """The cases of `area` red and not handled at `end` (the ones `overdue_open` counts); the cockpit
    follows them day by day from here."""
    return {row["case_id"] for row in _still_overdue(_area_q(area), end)}
