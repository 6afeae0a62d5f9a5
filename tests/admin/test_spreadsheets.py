"""gridgov/core/spreadsheets.py: writing a workbook from column specs and reading it back."""

import zipfile
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy, pgettext
from openpyxl import load_workbook

from gridgov.areas.models import AreaLevel
from gridgov.core.spreadsheets import (
    Column,
    ColumnKind,
    SpreadsheetInvalid,
    read_workbook,
    split_list,
    write_workbook,
)
from tests.admin.sheets import make_xlsx

COLUMNS = (
    Column("code", gettext_lazy("code"), "the key", required=True, allow_blank=False),
    Column("name", gettext_lazy("name"), required=True),
    Column("level", gettext_lazy("level"), kind=ColumnKind.CHOICE, choices=tuple(AreaLevel.choices)),
    Column("households", gettext_lazy("households"), kind=ColumnKind.INTEGER),
    Column("amount", gettext_lazy("amount"), kind=ColumnKind.DECIMAL),
    Column("date", gettext_lazy("date"), kind=ColumnKind.DATE),
    Column("is_active", gettext_lazy("active"), kind=ColumnKind.BOOLEAN),
)
ROWS: list[dict[str, Any]] = [
    {
        "code": "330102001051001",
        "name": "清波门社区第1网格",
        "level": "grid",
        "households": 312,
        "amount": Decimal("3.75"),
        "date": date(2026, 10, 1),
        "is_active": True,
    },
    {"code": "330102000000", "name": "上城区", "level": "district", "is_active": False},
]


def labels(language: str) -> list[str]:
    with translation.override(language):
        return [str(column.label) for column in COLUMNS]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_written_workbook_reads_back_the_same_values_in_either_language(language: str) -> None:
    with translation.override(language):
        content = write_workbook(COLUMNS, ROWS, title="areas")
    with translation.override("zh-hans" if language == "en" else "en"):
        sheet = read_workbook(content, COLUMNS, file_name="areas.xlsx")
    assert sheet.problems == ()
    assert [row.number for row in sheet.rows] == [2, 3]
    first, second = (row.values for row in sheet.rows)
    assert first == ROWS[0]
    assert second == {
        "code": "330102000000",
        "name": "上城区",
        "level": "district",
        "households": None,
        "amount": None,
        "date": None,
        "is_active": False,
    }


def test_the_workbook_has_a_header_in_the_language_a_frozen_header_and_a_definitions_sheet() -> None:
    with translation.override("zh-hans"):
        content = write_workbook(COLUMNS, ROWS, title="areas", notes=["a note for staff"])
        definitions_title = pgettext("spreadsheet", "Definitions")
    workbook = load_workbook(BytesIO(content))
    data, definitions = workbook.worksheets[:2]
    assert [cell.value for cell in data[1]] == labels("zh-hans")
    assert data.freeze_panes == "A2"
    assert definitions.title == definitions_title
    listed = [row for row in definitions.iter_rows(min_row=2, values_only=True) if row and row[0]]
    assert [row[0] for row in listed[: len(COLUMNS)]] == labels("zh-hans")
    assert [row[1] for row in listed[: len(COLUMNS)]] == [column.id for column in COLUMNS]
    assert any(row[0] == "a note for staff" for row in listed)
    # Codes stay text, so Excel does not turn 330102001051001 into 3.30102E+14.
    assert data["A2"].data_type == "s" and data["A2"].number_format == "@"
    assert data["F2"].is_date
    for index in range(1, len(COLUMNS) + 1):
        letter = data.cell(row=1, column=index).column_letter
        assert data.column_dimensions[letter].width >= 8
    # Wide enough for the longest value (a CJK character takes two columns).
    assert data.column_dimensions["B"].width >= 2 * len("清波门社区第1网格") - 1


def test_headers_are_found_in_chinese_english_or_as_the_key_in_any_order() -> None:
    with translation.override("zh-hans"):
        chinese_name = str(gettext_lazy("name"))
    header = [f"{chinese_name} *", "CODE", "households", "未知的列"]
    content = make_xlsx(header, [[" 清波街道 ", 330102001000, "1,024", "ignored"]])
    sheet = read_workbook(content, COLUMNS)
    assert sheet.problems == ()
    assert sheet.columns_present == {"name", "code", "households"}
    assert sheet.ignored_headers == ("未知的列",)
    assert sheet.rows[0].values == {"name": "清波街道", "code": "330102001000", "households": 1024}


def test_cells_are_trimmed_and_numbers_in_text_columns_become_their_digits() -> None:
    content = make_xlsx(["code", "name"], [[330102001000.0, "\u3000 湖滨街道  "], ["  E0101 ", 42]])
    rows = read_workbook(content, COLUMNS).rows
    assert [row.values for row in rows] == [
        {"code": "330102001000", "name": "湖滨街道"},
        {"code": "E0101", "name": "42"},
    ]


def test_blank_rows_are_skipped_and_rows_keep_the_numbers_excel_shows() -> None:
    content = make_xlsx(["code", "name"], [["a", "A"], [None, "  "], ["b", "B"]])
    assert [row.number for row in read_workbook(content, COLUMNS).rows] == [2, 4]


def test_kinds_are_read_in_their_usual_spellings() -> None:
    header = ["code", "name", "level", "date", "is_active", "amount"]
    rows: list[list[Any]] = [
        ["a", "x", "街道/乡镇", datetime(2026, 10, 1), "是", "1.5"],
        ["b", "x", "Street / Town", "2026/10/02", "no", 2],
        ["c", "x", "street", "2026年10月3日", True, 0.1],
        ["d", "x", "", "", "", ""],
    ]
    with translation.override("zh-hans"):
        assert str(AreaLevel.STREET.label) == "街道/乡镇"
    values = [row.values for row in read_workbook(make_xlsx(header, rows), COLUMNS).rows]
    assert [value["level"] for value in values] == ["street", "street", "street", ""]
    assert [value["date"] for value in values] == [
        date(2026, 10, 1),
        date(2026, 10, 2),
        date(2026, 10, 3),
        None,
    ]
    assert [value["is_active"] for value in values] == [True, False, True, None]
    assert [value["amount"] for value in values] == [Decimal("1.5"), Decimal("2"), Decimal("0.1"), None]


def test_a_cell_of_the_wrong_kind_is_a_problem_of_its_row_and_column_and_leaves_the_row_out() -> None:
    header = ["code", "name", "households", "level", "is_active", "date"]
    rows: list[list[Any]] = [
        ["ok", "x", 1, "grid", "yes", "2026-01-01"],
        ["a", "x", "many", "grid", "yes", "2026-01-01"],
        ["b", "x", 2, "hamlet", "perhaps", "2026-02-30"],
        ["", "x", 3, "grid", "", ""],
    ]
    sheet = read_workbook(make_xlsx(header, rows), COLUMNS)
    assert [row.values["code"] for row in sheet.rows] == ["ok"]
    assert [(problem.row, problem.column) for problem in sheet.problems] == [
        (3, "households"),
        (4, "level"),
        (4, "is_active"),
        (4, "date"),
        (5, "code"),
    ]
    assert all(problem.message for problem in sheet.problems)


def test_a_missing_required_column_refuses_the_file_and_names_it() -> None:
    with pytest.raises(SpreadsheetInvalid) as caught:
        read_workbook(make_xlsx(["name", "households"], [["x", 1]]), COLUMNS)
    assert caught.value.details == {"missing": ["code"]}
    assert str(COLUMNS[0].label) in str(caught.value.message)


def test_a_column_named_twice_refuses_the_file() -> None:
    with pytest.raises(SpreadsheetInvalid) as caught:
        read_workbook(make_xlsx(["code", "name", "Code"], [["x", "y", "z"]]), COLUMNS)
    assert caught.value.details == {"column": "code"}


def zip_of(name: str, text: str) -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "file_name", "mentions"),
    [
        ("code,name\n330102001000,清波街道\n".encode(), "areas.csv", ".xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "areas.xls", ".xls"),
        (zip_of("word/document.xml", "<w/>"), "letter.xlsx", ".xlsx"),
        (make_xlsx(["code"], [["x"]]), "areas.csv", ".xlsx"),
        (b"", "empty.xlsx", ".xlsx"),
    ],
)
def test_a_file_that_is_not_an_xlsx_workbook_is_refused_clearly(
    content: bytes, file_name: str, mentions: str
) -> None:
    with pytest.raises(SpreadsheetInvalid) as caught:
        read_workbook(content, COLUMNS, file_name=file_name)
    message = str(caught.value.message)
    assert file_name in message and mentions in message


@pytest.mark.parametrize(
    "content",
    [make_xlsx([], []), make_xlsx(["code", "name"], []), make_xlsx(["code", "name"], [[None, " "]])],
    ids=["no cells", "header only", "blank rows only"],
)
def test_an_empty_sheet_is_refused(content: bytes) -> None:
    with pytest.raises(SpreadsheetInvalid):
        read_workbook(content, COLUMNS)


def test_more_rows_than_the_limit_are_refused() -> None:
    rows = [[f"c{i}", "n"] for i in range(4)]
    assert len(read_workbook(make_xlsx(["code", "name"], rows[:3]), COLUMNS, max_rows=3).rows) == 3
    with pytest.raises(SpreadsheetInvalid) as caught:
        read_workbook(make_xlsx(["code", "name"], rows), COLUMNS, max_rows=3)
    assert caught.value.details == {"max_rows": 3}


def test_a_file_larger_than_the_byte_limit_is_refused() -> None:
    content = make_xlsx(["code", "name"], [["x" * 200, "y"] for _ in range(50)])
    with pytest.raises(SpreadsheetInvalid):
        read_workbook(BytesIO(content), COLUMNS, max_bytes=len(content) - 1)
    assert len(read_workbook(BytesIO(content), COLUMNS, max_bytes=len(content)).rows) == 50


def test_list_cells_split_on_the_usual_separators() -> None:
    assert split_list("housing; ecology；water-utility,power，gas\ntelecom、x") == [
        "housing",
        "ecology",
        "water-utility",
        "power",
        "gas",
        "telecom",
        "x",
    ]
    assert split_list("  ") == []


def test_text_that_looks_like_a_formula_is_written_as_text_and_reads_back_unchanged() -> None:
    rows = [
        {"code": "x", "name": '=HYPERLINK("http://example.invalid","点我")'},
        {"code": "y", "name": "=1+1"},
    ]
    content = write_workbook(COLUMNS[:2], rows, title="t")
    sheet = load_workbook(BytesIO(content)).worksheets[0]
    assert [sheet["B2"].data_type, sheet["B3"].data_type] == ["s", "s"]
    assert [row.values["name"] for row in read_workbook(content, COLUMNS).rows] == [
        row["name"] for row in rows
    ]
