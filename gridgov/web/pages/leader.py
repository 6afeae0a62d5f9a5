"""The leader's pages (值班长 / 领导): supervision and approvals, and the evaluation tables.

`/leader/` lists, within the leader's data scope, what needs a leader: overdue cases, cases about
to fall due, supervised cases, undecided extension and suspension requests, and suspended cases.
Each row is the console's row (console.build_row, panel "leader") and its buttons post to the
console's `act` endpoint, which calls the case actions (supervise_case, decide_request,
resume_case): with htmx the row is swapped in place, without JavaScript the page comes back with a
message, and a refused action changes nothing.

`/leader/evaluation/` shows the evaluation tables of gridgov.evaluation (counted from case events)
for an area in scope and a period, the child areas or the departments, with an Excel download.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import path
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from gridgov.accounts.models import Role, User
from gridgov.accounts.queries import get_scope, memberships_of
from gridgov.accounts.scope import Scope
from gridgov.areas.models import Area
from gridgov.areas.queries import ancestors_of, areas_for
from gridgov.cases.models import Case, CaseRequest
from gridgov.cases.queries import (
    due_soon_cases_for,
    overdue_cases_for,
    pending_requests_for,
    supervised_cases_for,
    suspended_cases_for,
)
from gridgov.core.area_codes import scope_prefix
from gridgov.core.clock import LOCAL_TIMEZONE, now, to_local
from gridgov.core.errors import DomainError
from gridgov.evaluation.errors import EvaluationSubjectNotFound, PeriodInvalid
from gridgov.evaluation.exports import (
    DEFINITIONS_BY_KEY,
    INDICATOR_LABELS,
    XLSX_CONTENT_TYPE,
    attachment_header,
    export_department_xlsx,
    export_evaluation_xlsx,
    period_text,
    xlsx_file_names,
)
from gridgov.evaluation.indicators import (
    RANK_KEYS,
    SCORE,
    Indicator,
    IndicatorRow,
    RankedRow,
    UnitKind,
    percent,
    volume,
)
from gridgov.evaluation.queries import (
    EvaluationTable,
    Period,
    department_table,
    evaluation_table,
    month_of,
    period_from_dates,
    rank_table,
)
from gridgov.web.pages.console import build_row, members_only, user_of

PAGE_SIZE = 25
LEADER_ROLES = (Role.LEADER, Role.ADMINISTRATOR)
leader_only = members_only(LEADER_ROLES, _("These pages are for leaders."))


# ── supervision and approvals ─────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Section:
    key: str
    label: Promise
    hint: Promise
    empty: Promise


SECTIONS = (
    Section(
        "overdue",
        _("Overdue"),
        _("Open cases whose time limit has run out (red light), longest overdue first."),
        _("No case is overdue."),
    ),
    Section(
        "due_soon",
        _("Due soon"),
        _("Open cases past 80 percent of their time limit (yellow light), earliest due first."),
        _("No case is about to fall due."),
    ),
    Section(
        "supervised",
        _("Supervised"),
        _("Open cases a leader has supervised (督办), earliest due first."),
        _("No open case has been supervised."),
    ),
    Section(
        "extensions",
        _("Extension requests"),
        _("Departments ask for more time; the due time moves only when you approve. Oldest first."),
        _("No extension request is waiting."),
    ),
    Section(
        "suspensions",
        _("Suspension requests"),
        _("Departments ask to suspend (挂账) a case that cannot be solved now; approving stops its clock."),
        _("No suspension request is waiting."),
    ),
    Section(
        "suspended",
        _("Suspended"),
        _("Suspended cases (the problem bank); resuming restarts the clock with the time that was left."),
        _("No case is suspended."),
    ),
)
SECTION_KEYS = tuple(section.key for section in SECTIONS)
# Lists whose count is shown in red when not empty: they wait for the leader.
ALARMING = frozenset({"overdue", "extensions", "suspensions"})


def section_items(user: User, key: str) -> QuerySet[Any]:
    """The cases (or, for the request sections, the requests) of one section."""
    related = ("category", "area", "handling_area")
    if key == "overdue":
        return overdue_cases_for(user).select_related(*related)
    if key == "due_soon":
        return due_soon_cases_for(user).select_related(*related)
    if key == "supervised":
        return supervised_cases_for(user).select_related(*related)
    if key == "extensions":
        return pending_requests_for(user, CaseRequest.Kind.EXTENSION)
    if key == "suspensions":
        return pending_requests_for(user, CaseRequest.Kind.SUSPENSION)
    return suspended_cases_for(user).select_related(*related)


def case_of(item: Case | CaseRequest) -> Case:
    return item.case if isinstance(item, CaseRequest) else item


@require_GET
@leader_only
def overview(request: HttpRequest) -> HttpResponse:
    """督办与审批: the six lists with their counts; one of them shown, a page at a time."""
    user = user_of(request)
    items = {key: section_items(user, key) for key in SECTION_KEYS}
    counts = {key: queryset.count() for key, queryset in items.items()}
    chosen = request.GET.get("section", "")
    if chosen not in items:
        # Without a choice: the first list that has something in it.
        chosen = next((key for key in SECTION_KEYS if counts[key]), SECTION_KEYS[0])
    page = Paginator(items[chosen], PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [build_row(user, case_of(item), "leader", section=chosen) for item in page.object_list]
    return render(
        request,
        "web/leader/overview.html",
        {
            "sections": [
                {"section": s, "count": counts[s.key], "alarm": s.key in ALARMING} for s in SECTIONS
            ],
            "current": next(s for s in SECTIONS if s.key == chosen),
            "rows": rows,
            "page": page,
            "kept_query": urlencode({"section": chosen}),
        },
    )


# ── evaluation ────────────────────────────────────────────────────────────────────────────────

TABS = (("areas", _("Child areas")), ("departments", _("Departments")))

# Columns of the page's table, each with its definition (label, formula, what is counted). The
# Excel workbook's definitions are reused; the page shows a few more counts and every rate.
MORE_DEFINITIONS: dict[str, tuple[Promise, Promise, Promise]] = {
    "closed": (
        _("Closed"),
        _("close events (distinct cases)"),
        _("Distinct cases closed (结案) in the period."),
    ),
    "closed_on_time": (
        _("Closed on time"),
        _("closed cases that never ran out of time"),
        _("Closed cases none of whose closes in the period was late."),
    ),
    "handled": (
        _("Handled"),
        _("report_done events that made the case handled"),
        _("Handling reported done (处置数); for a department, its own reports."),
    ),
    "reworked": (
        _("Reworked"),
        _("check_fail events"),
        _("Failed checks (返工): the work went back to be done again."),
    ),
    "returned": (
        _("Returned"),
        _("return events"),
        _("Returns (回退): a department said the case is not theirs."),
    ),
    "overdue_open": (
        _("Overdue and not handled at the end"),
        _("cases red at the end of the period"),
        _("Cases whose limit ran out and that were still not handled when the period ended."),
    ),
    Indicator.RETURN_RATE.value: (
        _("Return rate"),
        _("returned / dispatched"),
        _("The other sign of a wrong dispatch. Lower is better."),
    ),
    Indicator.ON_TIME_HANDLING_RATE.value: (
        _("On-time handling rate"),
        _("handled on time / handled"),
        _("Handling reported done before the time limit ran out."),
    ),
    "volume": (
        _("Volume"),
        _("the denominator behind the ranked value"),
        _("How many cases the ranked rate (or, for the score, 应结案数) rests on, shown beside the rank."),
    ),
}
COUNT_KEYS = (
    "registered",
    "dispatched",
    "closed",
    "closed_on_time",
    "due_for_closing",
    "handled",
    "reworked",
    "returned",
    "overdue_open",
)
RATE_KEYS = tuple(indicator.value for indicator in Indicator)


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise
    formula: Promise
    meaning: Promise


def definition(key: str) -> Column:
    label, formula, meaning = DEFINITIONS_BY_KEY.get(key) or MORE_DEFINITIONS[key]
    if key in INDICATOR_LABELS:
        label = INDICATOR_LABELS[key]
    return Column(key, label, formula, meaning)


COUNT_COLUMNS = tuple(definition(key) for key in COUNT_KEYS)
RATE_COLUMNS = tuple(definition(key) for key in RATE_KEYS)
SCORE_COLUMNS = (definition(SCORE), definition("rank"), definition("volume"))


@dataclass(frozen=True)
class Line:
    """One line of the table as shown: the unit, its figures in column order, its rank."""

    name: str
    key: str
    counts: list[int | None]
    rates: list[str]
    score: str
    rank: int | None
    is_sample_too_small: bool
    volume: int
    link: str = ""
    is_total: bool = False


def line_of(
    row: IndicatorRow,
    ranked: RankedRow | None,
    by: str,
    *,
    link: str = "",
    is_total: bool = False,
) -> Line:
    return Line(
        name=row.unit.name,
        key=row.unit.key,
        counts=[getattr(row.counts, key) for key in COUNT_KEYS],
        rates=[percent(row.rates.get(key)) for key in RATE_KEYS],
        score="—" if row.score is None else f"{float(row.score):.2f}",
        rank=ranked.rank if ranked else None,
        is_sample_too_small=ranked.is_sample_too_small if ranked else False,
        volume=ranked.volume if ranked else volume(row.counts, by),
        link=link,
        is_total=is_total,
    )


@dataclass(frozen=True)
class Choice:
    """What the page was asked for: area, period, table and ranking, and the form's values."""

    area: Area
    period: Period
    tab: str
    rank_by: str
    month: str
    start: str
    end: str

    def query(self, **changes: str) -> str:
        values = {"area": self.area.code, "tab": self.tab, "rank_by": self.rank_by}
        if self.start:
            values.update(start=self.start, end=self.end)
        else:
            values["month"] = self.month
        values.update(changes)
        return urlencode(values)


def own_areas(user: User, scope: Scope) -> list[Area]:
    """The areas of the user's leader (or administrator) memberships, widest first; a global user
    without one: the roots of the area tree."""
    memberships = [m for m in memberships_of(user) if m.area is not None]
    areas = [m.area for m in memberships if m.role in LEADER_ROLES] or [m.area for m in memberships]
    if not areas and scope.is_global:
        areas = list(areas_for(scope).filter(parent__isnull=True).order_by("code"))
    unique = {area.code: area for area in areas if area is not None}
    return sorted(unique.values(), key=lambda area: (len(scope_prefix(area.code)), area.code))


def _date(text: str, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise PeriodInvalid(details={name: text}) from error


def read_period(query: QueryDict) -> tuple[Period, str, str, str]:
    """(period, month, start, end): first and last day (both included), else a month (YYYY-MM),
    else the current month. Bad input raises PeriodInvalid."""
    start_text, end_text = query.get("start", "").strip(), query.get("end", "").strip()
    month_text = query.get("month", "").strip()
    if start_text or end_text:
        first, last = _date(start_text, "start"), _date(end_text, "end")
        if first is None or last is None or last < first:
            raise PeriodInvalid(details={"start": start_text, "end": end_text})
        period = period_from_dates(first, last + timedelta(days=1))
        return period, "", start_text, end_text
    if month_text:
        try:
            year, month = (int(part) for part in month_text.split("-"))
            middle = datetime(year, month, 15, 12, tzinfo=LOCAL_TIMEZONE)
        except ValueError as error:
            raise PeriodInvalid(details={"month": month_text}) from error
        period = month_of(middle)
    else:
        period = month_of(now())
    return period, f"{to_local(period.start):%Y-%m}", "", ""


def read_choice(request: HttpRequest, user: User, scope: Scope) -> Choice:
    """The page's query, checked: an area in scope (else 404), a valid period (else PeriodInvalid)."""
    mine = own_areas(user, scope)
    code = request.GET.get("area", "").strip() or (mine[0].code if mine else "")
    if not code:
        raise EvaluationSubjectNotFound(details={"area": ""})
    try:
        area = get_area(scope, code)
    except EvaluationSubjectNotFound as error:
        raise Http404(str(error.message)) from error
    tab = request.GET.get("tab", "areas")
    tab = tab if tab in dict(TABS) else "areas"
    rank_by = request.GET.get("rank_by", SCORE)
    rank_by = rank_by if rank_by in RANK_KEYS else SCORE
    period, month, start, end = read_period(request.GET)
    return Choice(area, period, tab, rank_by, month, start, end)


def get_area(scope: Scope, code: str) -> Area:
    area = areas_for(scope).filter(code=code).first()
    if area is None:
        raise EvaluationSubjectNotFound(details={"area": code})
    return area


def build_table(scope: Scope, choice: Choice) -> tuple[EvaluationTable, list[RankedRow]]:
    if choice.tab == "departments":
        table = department_table(scope, choice.period.start, choice.period.end, area_code=choice.area.code)
    else:
        table = evaluation_table(scope, choice.area.code, choice.period.start, choice.period.end)
    return table, rank_table(table, choice.rank_by)


@require_GET
@leader_only
def evaluation(request: HttpRequest) -> HttpResponse:
    """考核评价: the child areas (or the departments) of an area in scope, for a period."""
    user = user_of(request)
    scope = get_scope(user)
    context: dict[str, Any] = {
        "own_areas": own_areas(user, scope),
        "tabs": TABS,
        "rank_keys": [(key, INDICATOR_LABELS[key]) for key in RANK_KEYS],
        "count_columns": COUNT_COLUMNS,
        "rate_columns": RATE_COLUMNS,
        "score_columns": SCORE_COLUMNS,
    }
    try:
        choice = read_choice(request, user, scope)
    except EvaluationSubjectNotFound:
        context["error"] = _("No area in your data scope to evaluate.")
        return render(request, "web/leader/evaluation.html", context, status=404)
    except PeriodInvalid as refused:
        context["error"] = refused.message
        context["form"] = {
            key: request.GET.get(key, "") for key in ("area", "month", "start", "end", "tab", "rank_by")
        }
        return render(request, "web/leader/evaluation.html", context, status=400)
    table, ranked = build_table(scope, choice)
    drillable = set(
        areas_for(scope)
        .filter(parent_id__in=[item.row.unit.key for item in ranked])
        .values_list("parent_id", flat=True)
    )
    lines = [
        line_of(
            item.row,
            item,
            choice.rank_by,
            link="?" + choice.query(area=item.row.unit.key, tab="areas")
            if choice.tab == "areas" and item.row.unit.key in drillable
            else "",
        )
        for item in ranked
    ]
    if table.total is not None:
        lines.append(line_of(table.total, None, choice.rank_by, is_total=True))
    scope_top = [area for area in ancestors_of(choice.area) if scope.covers_code(area.code)]
    context.update(
        {
            "choice": choice,
            "form": {
                "area": choice.area.code,
                "month": choice.month,
                "start": choice.start,
                "end": choice.end,
                "tab": choice.tab,
                "rank_by": choice.rank_by,
            },
            "table": table,
            "ranked": ranked,
            "lines": lines,
            "period_text": period_text(choice.period),
            "breadcrumb": [(area, "?" + choice.query(area=area.code)) for area in scope_top],
            "tab_links": [(key, label, "?" + choice.query(tab=key)) for key, label in TABS],
            "export_query": choice.query(),
            "ranked_by_label": INDICATOR_LABELS[choice.rank_by],
        }
    )
    return render(request, "web/leader/evaluation.html", context)


@require_GET
@leader_only
def evaluation_xlsx(request: HttpRequest) -> HttpResponse:
    """The table the page shows, as an Excel workbook (gridgov.evaluation.exports)."""
    user = user_of(request)
    scope = get_scope(user)
    try:
        choice = read_choice(request, user, scope)
    except EvaluationSubjectNotFound as missing:
        raise Http404(str(missing.message)) from missing
    except DomainError as refused:
        return HttpResponse(str(refused.message), status=400, content_type="text/plain; charset=utf-8")
    table, ranked = build_table(scope, choice)
    if table.kind == UnitKind.DEPARTMENT:
        content = export_department_xlsx(table, ranked)
    else:
        assert table.subject is not None
        title = f"{table.subject.name} {period_text(table.period)}"
        content = export_evaluation_xlsx(
            ranked, title, period=table.period, scheme=table.scheme, total=table.total
        )
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = attachment_header(*xlsx_file_names(table))
    return response


urlpatterns = [
    path("leader/", overview, name="leader"),
    path("leader/evaluation/", evaluation, name="leader-evaluation"),
    path("leader/evaluation/export.xlsx", evaluation_xlsx, name="leader-evaluation-xlsx"),
]
