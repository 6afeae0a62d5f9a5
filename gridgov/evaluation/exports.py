"""The evaluation table as an Excel workbook (openpyxl): the figures, then how each one is defined.

Sheet 1 holds one line per unit in ranking order, rates as numbers formatted as percentages (so a
spreadsheet can recompute them), and the area as a whole on the last line. Sheet 2 defines every
indicator and states the period and the scoring scheme, so a printed table explains itself.
Headers follow the active language: Chinese by default, English with ?lang=en.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from io import BytesIO
from typing import Any
from urllib.parse import quote

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from gridgov.core.clock import now, to_local
from gridgov.evaluation.indicators import SCORE, Indicator, IndicatorRow, RankedRow, UnitKind
from gridgov.evaluation.queries import EvaluationTable, Period, Scheme

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERCENT = "0.00%"
SCORE_FORMAT = "0.00"
COUNT_FORMAT = "0"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")


@dataclass(frozen=True)
class Column:
    label: Promise
    width: int
    number_format: str
    value: Callable[[RankedRow], object]


def _count(name: str) -> Callable[[RankedRow], object]:
    def read(ranked: RankedRow) -> object:
        value: int | None = getattr(ranked.row.counts, name)
        return value

    return read


def _rate(indicator: Indicator) -> Callable[[RankedRow], object]:
    def read(ranked: RankedRow) -> object:
        return _number(ranked.row.rates.get(indicator))

    return read


def _number(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _rank(ranked: RankedRow) -> object:
    if ranked.rank is not None:
        return ranked.rank
    if ranked.is_sample_too_small:
        return _("too few cases")
    return "—"


COLUMNS: tuple[Column, ...] = (
    Column(gettext_lazy("Unit"), 24, "@", lambda ranked: ranked.row.unit.name),
    Column(gettext_lazy("Registered"), 9, COUNT_FORMAT, _count("registered")),
    Column(gettext_lazy("Dispatched"), 9, COUNT_FORMAT, _count("dispatched")),
    Column(gettext_lazy("Closed"), 9, COUNT_FORMAT, _count("closed")),
    Column(gettext_lazy("Closed on time"), 11, COUNT_FORMAT, _count("closed_on_time")),
    Column(gettext_lazy("Reworked"), 9, COUNT_FORMAT, _count("reworked")),
    Column(gettext_lazy("Returned"), 9, COUNT_FORMAT, _count("returned")),
    Column(gettext_lazy("Closure rate"), 10, PERCENT, _rate(Indicator.CLOSURE_RATE)),
    Column(gettext_lazy("On-time closure rate"), 12, PERCENT, _rate(Indicator.ON_TIME_CLOSURE_RATE)),
    Column(gettext_lazy("Rework rate"), 10, PERCENT, _rate(Indicator.REWORK_RATE)),
    Column(gettext_lazy("Accurate dispatch rate"), 12, PERCENT, _rate(Indicator.ACCURATE_DISPATCH_RATE)),
    Column(gettext_lazy("Response rate"), 10, PERCENT, _rate(Indicator.RESPONSE_RATE)),
    Column(gettext_lazy("Resolution rate"), 10, PERCENT, _rate(Indicator.RESOLUTION_RATE)),
    Column(gettext_lazy("Satisfaction rate"), 10, PERCENT, _rate(Indicator.SATISFACTION_RATE)),
    Column(gettext_lazy("Score"), 10, SCORE_FORMAT, lambda ranked: _number(ranked.row.score)),
    Column(gettext_lazy("Rank"), 10, "General", _rank),
    # The denominators and the rest of the counts, so every rate can be checked by hand.
    Column(gettext_lazy("Due for closing"), 11, COUNT_FORMAT, _count("due_for_closing")),
    Column(gettext_lazy("Handled"), 9, COUNT_FORMAT, _count("handled")),
    Column(gettext_lazy("Overdue events"), 10, COUNT_FORMAT, _count("overdue")),
    Column(gettext_lazy("Overdue and not handled at the end"), 14, COUNT_FORMAT, _count("overdue_open")),
    Column(gettext_lazy("Tasks to sign"), 10, COUNT_FORMAT, _count("to_sign")),
    Column(gettext_lazy("Signed on time"), 10, COUNT_FORMAT, _count("signed_within_limit")),
    Column(gettext_lazy("Rated cases"), 10, COUNT_FORMAT, _count("rated_cases")),
    Column(gettext_lazy("Resolved cases"), 10, COUNT_FORMAT, _count("resolved_cases")),
    Column(gettext_lazy("Ratings"), 9, COUNT_FORMAT, _count("ratings")),
    Column(gettext_lazy("Satisfied ratings"), 10, COUNT_FORMAT, _count("satisfied")),
)
RANK_COLUMN = 16  # 排名, after 综合得分

# (indicator, formula, what is counted): the definitions sheet, and docs/evaluation.md in full.
DEFINITIONS: tuple[tuple[Promise, Promise, Promise], ...] = (
    (
        gettext_lazy("Registered"),
        gettext_lazy("register events in the period"),
        gettext_lazy("Distinct cases registered (立案) in the period."),
    ),
    (
        gettext_lazy("Dispatched"),
        gettext_lazy("dispatch + whistle events"),
        gettext_lazy("Dispatch decisions in the period; a new dispatch after a return counts again."),
    ),
    (
        gettext_lazy("Due for closing"),
        gettext_lazy("cases closed ∪ cases found overdue"),
        gettext_lazy(
            "Distinct cases closed in the period, or whose handling limit ran out in the period "
            "(the scheduler's overdue event)."
        ),
    ),
    (
        gettext_lazy("Closure rate"),
        gettext_lazy("closed / due for closing"),
        gettext_lazy("Closed: distinct cases with a close event in the period."),
    ),
    (
        gettext_lazy("On-time closure rate"),
        gettext_lazy("closed on time / due for closing"),
        gettext_lazy("Closed on time: closed cases that never ran out of time (close event data.on_time)."),
    ),
    (
        gettext_lazy("Rework rate"),
        gettext_lazy("reworked / handled"),
        gettext_lazy("Reworked: failed checks; handled: handling reported done. Lower is better."),
    ),
    (
        gettext_lazy("Accurate dispatch rate"),
        gettext_lazy("(dispatched − reworked after dispatch) / dispatched"),
        gettext_lazy(
            "Never below 0. Returns (回退) are the other sign of a wrong dispatch: see the return rate."
        ),
    ),
    (
        gettext_lazy("Response rate"),
        gettext_lazy("tasks signed on time / tasks to sign"),
        gettext_lazy("Tasks to sign: distinct tasks signed, or whose signing limit passed, in the period."),
    ),
    (
        gettext_lazy("Resolution rate"),
        gettext_lazy("resolved cases / rated cases"),
        gettext_lazy("Resolved: the return visit ended satisfied; a dissatisfied one reopens the case."),
    ),
    (
        gettext_lazy("Satisfaction rate"),
        gettext_lazy("satisfied ratings / ratings"),
        gettext_lazy("Every rating counts, also one that reopened the case."),
    ),
    (
        gettext_lazy("Score"),
        gettext_lazy("100 × Σ weight × points / Σ weight"),
        gettext_lazy(
            "Points: the rate, or 1 − rate when lower is better; "
            "rates without a value drop out with their weight."
        ),
    ),
    (
        gettext_lazy("Rank"),
        gettext_lazy("best first, equal values share a rank"),
        gettext_lazy(
            "Units with fewer cases behind the rate than the minimum volume are listed, not ranked."
        ),
    ),
)

# The same definitions by the count, rate or column each one defines (the web page explains its
# columns with them).
DEFINED_KEYS = (
    "registered",
    "dispatched",
    "due_for_closing",
    Indicator.CLOSURE_RATE.value,
    Indicator.ON_TIME_CLOSURE_RATE.value,
    Indicator.REWORK_RATE.value,
    Indicator.ACCURATE_DISPATCH_RATE.value,
    Indicator.RESPONSE_RATE.value,
    Indicator.RESOLUTION_RATE.value,
    Indicator.SATISFACTION_RATE.value,
    SCORE,
    "rank",
)
DEFINITIONS_BY_KEY: dict[str, tuple[Promise, Promise, Promise]] = dict(
    zip(DEFINED_KEYS, DEFINITIONS, strict=True)
)

INDICATOR_LABELS: dict[str, Promise] = {
    SCORE: gettext_lazy("Score"),
    Indicator.CLOSURE_RATE: gettext_lazy("Closure rate"),
    Indicator.ON_TIME_CLOSURE_RATE: gettext_lazy("On-time closure rate"),
    Indicator.REWORK_RATE: gettext_lazy("Rework rate"),
    Indicator.ACCURATE_DISPATCH_RATE: gettext_lazy("Accurate dispatch rate"),
    Indicator.RETURN_RATE: gettext_lazy("Return rate"),
    Indicator.ON_TIME_HANDLING_RATE: gettext_lazy("On-time handling rate"),
    Indicator.RESPONSE_RATE: gettext_lazy("Response rate"),
    Indicator.RESOLUTION_RATE: gettext_lazy("Resolution rate"),
    Indicator.SATISFACTION_RATE: gettext_lazy("Satisfaction rate"),
}


def period_text(period: Period) -> str:
    """2026-11-01 – 2026-11-30 for a whole month (local days, the end day included)."""
    start, end = to_local(period.start), to_local(period.end)
    if end.time() == start.time() == end.min.time():
        return f"{start:%Y-%m-%d} – {end - timedelta(days=1):%Y-%m-%d}"
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"


def export_evaluation_xlsx(
    rows: Sequence[RankedRow],
    title: str,
    *,
    period: Period,
    scheme: Scheme,
    total: IndicatorRow | None = None,
) -> bytes:
    """The workbook's bytes: the ranked rows (and the total line), then the definitions sheet."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("Evaluation")[:31]
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([str(column.label) for column in COLUMNS])
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=2, column=index)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.row_dimensions[2].height = 32
    for ranked in rows:
        _append_line(sheet, ranked)
    if total is not None:
        by = rows[0].key if rows else SCORE
        _append_line(sheet, RankedRow(total, by, total.value(by), 0, None, False))
        number = sheet.max_row
        sheet.cell(row=number, column=1).value = _("Total: %(name)s") % {"name": total.unit.name}
        sheet.cell(row=number, column=RANK_COLUMN).value = None
        for index in range(1, len(COLUMNS) + 1):
            sheet.cell(row=number, column=index).fill = TOTAL_FILL
            sheet.cell(row=number, column=index).font = Font(bold=True)
    sheet.freeze_panes = "B3"
    _definitions_sheet(workbook, title, period, scheme, rows[0].key if rows else SCORE)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _append_line(sheet: Any, ranked: RankedRow) -> None:
    sheet.append([column.value(ranked) for column in COLUMNS])
    number = sheet.max_row
    for index, column in enumerate(COLUMNS, start=1):
        sheet.cell(row=number, column=index).number_format = column.number_format


def _definitions_sheet(workbook: Workbook, title: str, period: Period, scheme: Scheme, by: str) -> None:
    sheet = workbook.create_sheet(_("Definitions")[:31])
    sheet.append([_("Indicator"), _("Formula"), _("What is counted")])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for name, formula, meaning in DEFINITIONS:
        sheet.append([str(name), str(formula), str(meaning)])
    sheet.append([])
    weights = "; ".join(
        f"{INDICATOR_LABELS[indicator]} {float(weight):g}"
        for indicator, weight in scheme.weights.items()
        if weight
    )
    facts = [
        (_("Table"), title),
        (_("Period"), period_text(period)),
        (_("Period start"), f"{to_local(period.start):%Y-%m-%d %H:%M} (Asia/Shanghai)"),
        (_("Period end (excluded)"), f"{to_local(period.end):%Y-%m-%d %H:%M} (Asia/Shanghai)"),
        (_("Source"), _("Counted from the case events of the period; no figure is typed in.")),
        (_("Scoring scheme"), scheme.name),
        (_("Weights"), weights),
        (_("Ranked by"), str(INDICATOR_LABELS[by])),
        (_("Minimum volume to be ranked"), str(scheme.min_volume)),
        (_("Generated at"), f"{to_local(now()):%Y-%m-%d %H:%M} (Asia/Shanghai)"),
    ]
    for label, value in facts:
        sheet.append([label, value])
    for letter, width in (("A", 22), ("B", 44), ("C", 90)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"


# ── the department table, and file names ──────────────────────────────────────────────────────


def department_table_title(table: EvaluationTable) -> str:
    """ "Departments in 清波街道 2026-11-01 – 2026-11-30" (no area: "in your data scope")."""
    place = table.subject.name if table.subject is not None else _("your data scope")
    return _("Departments in %(place)s") % {"place": place} + f" {period_text(table.period)}"


def export_department_xlsx(table: EvaluationTable, rows: Sequence[RankedRow]) -> bytes:
    """The department table as a workbook: the same columns and definitions sheet as the area table,
    no total line (a case may concern several departments, so their figures do not add up)."""
    return export_evaluation_xlsx(
        rows, department_table_title(table), period=table.period, scheme=table.scheme, total=None
    )


def xlsx_file_names(table: EvaluationTable) -> tuple[str, str]:
    """(ASCII name, readable name) of a table's workbook: evaluation-330102001000-20261101-20261201.xlsx
    and 清波街道-20261101-20261201.xlsx; a department table adds "departments"."""
    start, end = to_local(table.period.start), to_local(table.period.end)
    dates = f"{start:%Y%m%d}-{end:%Y%m%d}"
    key = table.subject.key if table.subject is not None else "scope"
    name = table.subject.name if table.subject is not None else _("your data scope")
    if table.kind == UnitKind.DEPARTMENT:
        return f"evaluation-departments-{key}-{dates}.xlsx", f"{_('Departments')}-{name}-{dates}.xlsx"
    return f"evaluation-{key}-{dates}.xlsx", f"{name}-{dates}.xlsx"


def attachment_header(ascii_name: str, readable_name: str) -> str:
    """Content-Disposition: the ASCII name for old clients, the readable one (RFC 6266 filename*)."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(readable_name)}"
