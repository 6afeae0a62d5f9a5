"""The evaluation API: tables of indicators for the areas and departments in the caller's scope.

Periods are local (Asia/Shanghai) days, `start` included and `end` excluded
(start=2026-11-01&end=2026-12-01 is November); without them, the current month.
"""

from datetime import date
from typing import Literal
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from gridgov.accounts.queries import get_scope
from gridgov.core.clock import to_local
from gridgov.evaluation.exports import (
    attachment_header,
    export_department_xlsx,
    export_evaluation_xlsx,
    period_text,
    xlsx_file_names,
)
from gridgov.evaluation.indicators import SCORE, IndicatorRow, RankedRow, Unit, as_float, volume
from gridgov.evaluation.queries import (
    EvaluationTable,
    department_table,
    evaluation_table,
    period_from_dates,
    rank_table,
)
from gridgov.evaluation.schemas import CountsOut, RatesOut, RowOut, TableOut, UnitOut

router = Router(tags=["evaluation"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TableQuery(Schema):
    start: date | None = None
    end: date | None = None
    rank_by: str = SCORE
    min_volume: int | None = Field(None, ge=0)


class AreaTableQuery(TableQuery):
    by: Literal["children", "self"] = "children"


class DepartmentTableQuery(TableQuery):
    area: str | None = None


def unit_out(unit: Unit) -> UnitOut:
    return UnitOut(kind=unit.kind.value, key=unit.key, name=unit.name)


def row_out(row: IndicatorRow, *, rank: int | None, volume_: int, is_sample_too_small: bool) -> RowOut:
    counts = row.counts
    rates = row.rates
    return RowOut(
        unit=unit_out(row.unit),
        counts=CountsOut(**{name: getattr(counts, name) for name in CountsOut.model_fields}),
        rates=RatesOut(**{name: as_float(getattr(rates, name)) for name in RatesOut.model_fields}),
        score=as_float(row.score, 4),
        rank=rank,
        volume=volume_,
        is_sample_too_small=is_sample_too_small,
    )


def ranked_out(ranked: RankedRow) -> RowOut:
    return row_out(
        ranked.row, rank=ranked.rank, volume_=ranked.volume, is_sample_too_small=ranked.is_sample_too_small
    )


def table_out(table: EvaluationTable, ranked: list[RankedRow], by: str, min_volume: int) -> TableOut:
    total = table.total
    return TableOut(
        kind=table.kind.value,
        subject=unit_out(table.subject) if table.subject else None,
        start=table.period.start,
        end=table.period.end,
        ranked_by=by,
        min_volume=min_volume,
        scheme=table.scheme.name,
        weights={indicator.value: float(weight) for indicator, weight in table.scheme.weights.items()},
        rows=[ranked_out(item) for item in ranked],
        total=row_out(total, rank=None, volume_=volume(total.counts, by), is_sample_too_small=False)
        if total
        else None,
    )


def _area_table(
    request: HttpRequest, code: str, query: AreaTableQuery
) -> tuple[EvaluationTable, list[RankedRow], int]:
    period = period_from_dates(query.start, query.end)
    table = evaluation_table(get_scope(request.user), code, period.start, period.end, by=query.by)
    min_volume = table.scheme.min_volume if query.min_volume is None else query.min_volume
    return table, rank_table(table, query.rank_by, min_volume), min_volume


@router.get(
    "/areas/{code}", response=TableOut, summary="Indicators of an area's child areas (or of the area)"
)
def area_indicators(request: HttpRequest, code: str, query: Query[AreaTableQuery]) -> TableOut:
    table, ranked, min_volume = _area_table(request, code, query)
    return table_out(table, ranked, query.rank_by, min_volume)


@router.get("/areas/{code}/export.xlsx", summary="The same table as an Excel workbook")
def area_indicators_xlsx(request: HttpRequest, code: str, query: Query[AreaTableQuery]) -> HttpResponse:
    table, ranked, _min_volume = _area_table(request, code, query)
    assert table.subject is not None
    title = f"{table.subject.name} {period_text(table.period)}"
    # by=self: the one row is the area itself, so no separate total line.
    total = table.total if query.by == "children" else None
    content = export_evaluation_xlsx(ranked, title, period=table.period, scheme=table.scheme, total=total)
    start, end = to_local(table.period.start), to_local(table.period.end)
    stem = f"evaluation-{table.subject.key}-{start:%Y%m%d}-{end:%Y%m%d}"
    readable = f"{table.subject.name}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
    response = HttpResponse(content, content_type=XLSX)
    # ASCII name for old clients, the area's own name (RFC 6266 filename*) for the rest.
    response["Content-Disposition"] = (
        f"attachment; filename=\"{stem}.xlsx\"; filename*=UTF-8''{quote(readable)}"
    )
    return response


@router.get("/departments", response=TableOut, summary="Indicators of the departments in scope")
def department_indicators(request: HttpRequest, query: Query[DepartmentTableQuery]) -> TableOut:
    period = period_from_dates(query.start, query.end)
    table = department_table(get_scope(request.user), period.start, period.end, area_code=query.area)
    min_volume = table.scheme.min_volume if query.min_volume is None else query.min_volume
    ranked = rank_table(table, query.rank_by, min_volume)
    return table_out(table, ranked, query.rank_by, min_volume)


@router.get("/departments/export.xlsx", summary="The department table as an Excel workbook")
def department_indicators_xlsx(request: HttpRequest, query: Query[DepartmentTableQuery]) -> HttpResponse:
    period = period_from_dates(query.start, query.end)
    table = department_table(get_scope(request.user), period.start, period.end, area_code=query.area)
    min_volume = table.scheme.min_volume if query.min_volume is None else query.min_volume
    ranked = rank_table(table, query.rank_by, min_volume)
    response = HttpResponse(export_department_xlsx(table, ranked), content_type=XLSX)
    response["Content-Disposition"] = attachment_header(*xlsx_file_names(table))
    return response
