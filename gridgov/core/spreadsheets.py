"""Excel workbooks of reference data: written from column specs and rows, read back into dicts.

Staff keep reference data (areas, departments, categories, time limits, the calendar, users) in
Excel; the admin gives them a round trip: export, edit, import. Two parts:

1. Workbooks (`write_workbook`, `read_workbook`): no domain knowledge. A `Column` names a key, a
   label, an explanation, a kind (text, whole number, number, date, yes/no, one of a list) and
   whether the header and the cells must be there. The header row is written in the active
   language and read back in Chinese or English (or as the key); cells come back trimmed and
   typed; a cell that is not of its kind is a `CellProblem`, the file as a whole is refused with
   `SpreadsheetInvalid` (not an .xlsx file, empty, a required column missing, too many rows).
2. Admin (`SpreadsheetModelAdmin`): an "Import from Excel" page, an "Export to Excel" button for
   the filtered list and an export action for the selected rows, for any ModelAdmin that names its
   columns, turns an object into a row and hands the read rows to a domain import action.

Import actions (in each domain's actions.py) check every row and raise `SpreadsheetRowsInvalid`
with one problem per bad cell before they write anything; they return an `ImportReport`.
"""

import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from io import BytesIO
from pathlib import PurePath
from typing import IO, Any, ClassVar, TypeVar

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from gridgov.core.audit import record_audit_event
from gridgov.core.clock import now, to_local
from gridgov.core.errors import DomainError, InvalidInput

Text = str | Promise

# An import reads at most this many data rows, and an export writes at most as many, so that every
# export can be imported back. A district's streets, communities and grids fit several times over.
MAX_ROWS = 10_000
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
ZIP_MAGIC = b"PK\x03\x04"
# Excel 97–2003 (.xls) files, and password-protected .xlsx files, are OLE compound documents.
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
# Separators accepted between the items of a list cell ("a;b", "a；b", "a, b", one per line).
LIST_SEPARATORS = re.compile(r"[;；,，、\n]+")
# Sheet names may not hold these characters and have at most 31 characters.
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SHEET_NAME_MAX = 31
# Words a yes/no cell accepts in any language, besides the translated "yes" and "no".
TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1", "是", "√", "✓", "✔"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0", "否", "×", "✗", "✘"})
DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
MIN_WIDTH, MAX_WIDTH = 8, 60


class ColumnKind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    BOOLEAN = "boolean"
    CHOICE = "choice"


# The words of the definitions sheet and the import page carry the context "spreadsheet": "text",
# "number" and "Definitions" already mean something else elsewhere in the interface.
KIND_LABELS: dict[ColumnKind, Promise] = {
    ColumnKind.TEXT: pgettext_lazy("spreadsheet", "text"),
    ColumnKind.INTEGER: pgettext_lazy("spreadsheet", "whole number"),
    ColumnKind.DECIMAL: pgettext_lazy("spreadsheet", "number"),
    ColumnKind.DATE: pgettext_lazy("spreadsheet", "date (YYYY-MM-DD)"),
    ColumnKind.BOOLEAN: pgettext_lazy("spreadsheet", "yes or no"),
    ColumnKind.CHOICE: pgettext_lazy("spreadsheet", "one of a list"),
}


@dataclass(frozen=True)
class Column:
    """One column of a sheet. `id` is the key of the row dicts and is accepted as a header too."""

    id: str
    label: Text
    help_text: Text = ""
    kind: ColumnKind = ColumnKind.TEXT
    # The header must name this column.
    required: bool = False
    # A cell of this column may be empty.
    allow_blank: bool = True
    # For CHOICE: (stored value, label). The sheet shows the label; either is read back.
    choices: tuple[tuple[str, Text], ...] = ()
    width: int | None = None


@dataclass(frozen=True)
class SheetRow:
    """One data row: `number` is the row number Excel shows (the header is row 1)."""

    number: int
    values: dict[str, Any]


@dataclass(frozen=True)
class CellProblem:
    """What is wrong with one cell (`column` a column id) or one row (`column` empty); row 0 is the file."""

    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class SheetData:
    rows: tuple[SheetRow, ...]
    # Cells that are not of their column's kind; their rows are left out of `rows`.
    problems: tuple[CellProblem, ...]
    # Ids of the columns the header names, and header texts that name no column (ignored).
    columns_present: frozenset[str]
    ignored_headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportReport:
    """What an import did: rows created, rows changed, rows already as the file says."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


@dataclass(frozen=True)
class ReferenceSheet:
    """An extra sheet written after the data, for looking things up (e.g. the codes a column takes)."""

    title: Text
    columns: tuple[Column, ...]
    rows: tuple[Mapping[str, Any], ...]


class SpreadsheetInvalid(InvalidInput):
    """The file as a whole cannot be imported: not an .xlsx workbook, empty, a column missing, too long."""

    code = "spreadsheet_invalid"
    default_message = gettext_lazy("The file cannot be imported.")


class SpreadsheetRowsInvalid(InvalidInput):
    """Some rows are wrong; `details["problems"]` lists each {row, column, message}. Nothing was written."""

    code = "spreadsheet_rows_invalid"
    default_message = gettext_lazy("Some rows are not valid; nothing was imported.")

    def __init__(self, problems: Iterable[CellProblem]) -> None:
        self.problems = tuple(sorted(problems, key=lambda problem: (problem.row, problem.column)))
        super().__init__(details={"problems": [problem.as_dict() for problem in self.problems]})


def raise_for_problems(problems: Sequence[CellProblem]) -> None:
    """Raise SpreadsheetRowsInvalid when there is any problem (import actions call it before writing)."""
    if problems:
        raise SpreadsheetRowsInvalid(problems)


def split_list(text: str) -> list[str]:
    """The items of a list cell, in order, empty ones dropped: "a; b；c" → ["a", "b", "c"]."""
    return [item.strip() for item in LIST_SEPARATORS.split(text or "") if item.strip()]


def join_list(items: Iterable[str]) -> str:
    return ";".join(items)


# ---------------------------------------------------------------------------------------- writing


def _sheet_title(title: Text) -> str:
    cleaned = SHEET_NAME_FORBIDDEN.sub(" ", str(title)).strip() or "Sheet"
    return cleaned[:SHEET_NAME_MAX]


def _display_width(text: str) -> int:
    """Columns Excel needs for `text`: CJK and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def yes_no_label(value: bool | None) -> str:
    if value is None:
        return ""
    return _("yes") if value else _("no")


def _choice_label(column: Column, value: Any) -> str:
    for stored, label in column.choices:
        if stored == value:
            return str(label)
    return "" if value is None else str(value)


def _written(column: Column, value: Any) -> Any:
    """The cell value for `value`: labels for choices and yes/no, numbers and dates as such, text as text."""
    if value is None or value == "":
        return None
    if column.kind is ColumnKind.BOOLEAN:
        return yes_no_label(bool(value))
    if column.kind is ColumnKind.CHOICE:
        return _choice_label(column, value)
    if column.kind is ColumnKind.INTEGER:
        return int(value)
    if column.kind is ColumnKind.DECIMAL:
        return Decimal(value)
    if column.kind is ColumnKind.DATE:
        return value.date() if isinstance(value, datetime) else value
    return str(value)


def _list_validation(column: Column) -> DataValidation | None:
    """A drop-down for yes/no and choice cells, when the labels fit Excel's 255-character list."""
    if column.kind is ColumnKind.BOOLEAN:
        labels = [_("yes"), _("no")]
    elif column.kind is ColumnKind.CHOICE:
        labels = [str(label) for _value, label in column.choices]
    else:
        return None
    joined = ",".join(labels)
    if not labels or len(joined) > 255 or any("," in label or '"' in label for label in labels):
        return None
    validation = DataValidation(type="list", formula1=f'"{joined}"', allow_blank=True)
    validation.error = _("Choose a value from the list.")
    validation.showErrorMessage = True
    return validation


def _write_table(sheet: Any, columns: Sequence[Column], rows: Iterable[Mapping[str, Any]]) -> int:
    """Header and rows on `sheet`; returns the number of data rows written."""
    sheet.append([str(column.label) for column in columns])
    widths = [_display_width(str(column.label)) for column in columns]
    count = 0
    for row in rows:
        count += 1
        values = [_written(column, row.get(column.id)) for column in columns]
        sheet.append(values)
        for index, value in enumerate(values):
            if value is not None:
                widths[index] = max(widths[index], _display_width(str(value)))
            if isinstance(value, str) and value.startswith("="):
                # Text that looks like a formula stays text: as a formula, Excel would run it.
                sheet.cell(row=count + 1, column=index + 1).data_type = "s"
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        header = sheet.cell(row=1, column=index)
        header.font, header.fill = HEADER_FONT, HEADER_FILL
        header.alignment = Alignment(vertical="center")
        sheet.column_dimensions[letter].width = column.width or min(
            MAX_WIDTH, max(MIN_WIDTH, widths[index - 1] + 2)
        )
        number_format = {ColumnKind.TEXT: TEXT_FORMAT, ColumnKind.DATE: DATE_FORMAT}.get(column.kind)
        if number_format:
            # Text format keeps long codes (330102001000) from turning into 3.30102E+11 when edited.
            sheet.column_dimensions[letter].number_format = number_format
            for (cell,) in sheet.iter_rows(min_row=2, max_row=count + 1, min_col=index, max_col=index):
                cell.number_format = number_format
    sheet.freeze_panes = "A2"
    if columns:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    return count


def _definitions(sheet: Any, columns: Sequence[Column], notes: Sequence[Text]) -> None:
    """The second sheet: what each column means, whether it is required, and what it may hold."""
    table = (
        Column("column", pgettext_lazy("spreadsheet", "Column"), width=24),
        Column("key", pgettext_lazy("spreadsheet", "Key"), width=16),
        Column("required", pgettext_lazy("spreadsheet", "Required"), width=10),
        Column("kind", pgettext_lazy("spreadsheet", "Kind"), width=18),
        Column("values", pgettext_lazy("spreadsheet", "Allowed values"), width=40),
        Column("explanation", pgettext_lazy("spreadsheet", "Explanation"), width=80),
    )
    rows = [
        {
            "column": str(column.label),
            "key": column.id,
            "required": _("yes") if column.required else _("no"),
            "kind": str(KIND_LABELS[column.kind]),
            "values": (
                "; ".join(str(label) for _value, label in column.choices)
                if column.kind is ColumnKind.CHOICE
                else f"{_('yes')}; {_('no')}"
                if column.kind is ColumnKind.BOOLEAN
                else ""
            ),
            "explanation": " ".join(
                part
                for part in (str(column.help_text), "" if column.allow_blank else _("Must not be empty."))
                if part
            ),
        }
        for column in columns
    ]
    _write_table(sheet, table, rows)
    sheet.auto_filter.ref = None
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    general = [
        _("Row 1 of the first sheet holds the column headers, in Chinese or English; their order is free."),
        _("Columns the list above does not name are ignored. Empty rows are skipped."),
        _("An import checks every row first and changes nothing when any row is wrong."),
        _("At most %(max)d rows per file.") % {"max": MAX_ROWS},
    ]
    sheet.append([])
    for note in [*general, *(str(note) for note in notes)]:
        sheet.append([note])


def write_workbook(
    columns: Sequence[Column],
    rows: Iterable[Mapping[str, Any]],
    *,
    title: Text,
    notes: Sequence[Text] = (),
    reference_sheets: Sequence[ReferenceSheet] = (),
) -> bytes:
    """An .xlsx file: the rows under a header in the active language, then a definitions sheet.

    Row dicts are keyed by column id; a missing key is an empty cell. Yes/no and choice cells are
    written as their labels (with a drop-down), dates as dates, text as text.
    """
    workbook = Workbook()
    data = workbook.active
    data.title = _sheet_title(title)
    count = _write_table(data, columns, rows)
    for column_index, column in enumerate(columns, start=1):
        validation = _list_validation(column)
        if validation is not None:
            letter = get_column_letter(column_index)
            data.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}{max(count + 1, MAX_ROWS + 1)}")
    _definitions(workbook.create_sheet(_sheet_title(pgettext("spreadsheet", "Definitions"))), columns, notes)
    for reference in reference_sheets:
        _write_table(workbook.create_sheet(_sheet_title(reference.title)), reference.columns, reference.rows)
    workbook.properties.creator = "gridgov"
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------- reading


def _normalized(text: Any) -> str:
    """For comparing headers and labels: width-folded, case-folded, without spaces or a * marker."""
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    return re.sub(r"\s+", "", folded).strip("*")


def _names_in_every_language(text: Text) -> set[str]:
    names = {_normalized(text)}
    if isinstance(text, Promise):
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                names.add(_normalized(str(text)))
    return names


def _header_names(column: Column) -> set[str]:
    return {_normalized(column.id)} | _names_in_every_language(column.label)


def _yes_no_words() -> tuple[set[str], set[str]]:
    yes, no = set(TRUE_WORDS), set(FALSE_WORDS)
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            yes.add(_normalized(_("yes")))
            no.add(_normalized(_("no")))
    return yes, no


def _as_text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else format(Decimal(repr(raw)), "f")
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == time(0) else raw.isoformat(sep=" ")
    if isinstance(raw, date | time):
        return raw.isoformat()
    return str(raw).strip()


DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


class _CellReader:
    """Turns raw cells into typed values for a set of columns; one instance per read."""

    def __init__(self, columns: Sequence[Column]) -> None:
        self.yes, self.no = _yes_no_words()
        self.choices: dict[str, dict[str, str]] = {}
        for column in columns:
            if column.kind is ColumnKind.CHOICE:
                lookup: dict[str, str] = {}
                for value, label in column.choices:
                    for name in _names_in_every_language(label):
                        lookup.setdefault(name, value)
                for value, _label in column.choices:
                    lookup[_normalized(value)] = value
                self.choices[column.id] = lookup

    def read(self, column: Column, raw: Any) -> tuple[Any, str | None]:
        """(value, None) or (None, what is wrong)."""
        text = _as_text(raw)
        if not text:
            if not column.allow_blank:
                return None, _("This cell must not be empty.")
            return ("" if column.kind in (ColumnKind.TEXT, ColumnKind.CHOICE) else None), None
        kind = column.kind
        if kind is ColumnKind.TEXT:
            return text, None
        if kind is ColumnKind.INTEGER:
            cleaned = text.replace(",", "").replace(" ", "")
            if isinstance(raw, bool) or not re.fullmatch(r"[-+]?\d+", cleaned):
                return None, _("%(value)s is not a whole number.") % {"value": text}
            return int(cleaned), None
        if kind is ColumnKind.DECIMAL:
            try:
                number = Decimal(text.replace(",", ""))
            except InvalidOperation:
                number = None
            if isinstance(raw, bool) or number is None or not number.is_finite():
                return None, _("%(value)s is not a number.") % {"value": text}
            return number, None
        if kind is ColumnKind.DATE:
            if isinstance(raw, datetime):
                return raw.date(), None
            if isinstance(raw, date):
                return raw, None
            match = DATE_TEXT.match(text)
            if match is not None:
                try:
                    return date(*(int(part) for part in match.groups())), None
                except ValueError:
                    pass
            return None, _("%(value)s is not a date; write it as YYYY-MM-DD.") % {"value": text}
        if kind is ColumnKind.BOOLEAN:
            if isinstance(raw, bool):
                return raw, None
            word = _normalized(text)
            if word in self.yes:
                return True, None
            if word in self.no:
                return False, None
            return None, _("%(value)s is neither yes nor no.") % {"value": text}
        value = self.choices[column.id].get(_normalized(text))
        if value is None:
            allowed = "、".join(str(label) for _value, label in column.choices)
            return None, _("%(value)s is not one of: %(choices)s.") % {"value": text, "choices": allowed}
        return value, None


def _file_bytes(source: bytes | IO[bytes], limit: int) -> bytes:
    data = source if isinstance(source, bytes) else source.read(limit + 1)
    if len(data) > limit:
        raise SpreadsheetInvalid(
            _("The file is larger than %(size)d MB.") % {"size": limit // (1024 * 1024)},
            details={"max_bytes": limit},
        )
    return data


def _not_a_workbook(file_name: str) -> SpreadsheetInvalid:
    return SpreadsheetInvalid(
        _(
            "%(name)s is not an Excel workbook (.xlsx). Save it from Excel or WPS as "
            "“Excel workbook (*.xlsx)” and try again."
        )
        % {"name": file_name or _("The file")},
        details={"file": file_name},
    )


def _open_workbook(data: bytes, file_name: str) -> Any:
    suffix = PurePath(file_name).suffix.lower() if file_name else ""
    if data.startswith(OLE_MAGIC):
        raise SpreadsheetInvalid(
            _(
                "%(name)s is an Excel 97–2003 file (.xls) or is protected by a password. Save it "
                "as an unprotected “Excel workbook (*.xlsx)” and try again."
            )
            % {"name": file_name or _("The file")},
            details={"file": file_name},
        )
    if (suffix and suffix not in XLSX_SUFFIXES) or not data.startswith(ZIP_MAGIC):
        raise _not_a_workbook(file_name)
    try:
        return load_workbook(BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as error:
        raise _not_a_workbook(file_name) from error


def _cells(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    for number, row in enumerate(rows, start=1):
        yield number, tuple(row or ())


def _is_blank(values: Sequence[Any]) -> bool:
    return all(_as_text(value) == "" for value in values)


def _map_header(
    header: Sequence[Any], columns: Sequence[Column]
) -> tuple[dict[int, Column], tuple[str, ...]]:
    """Column index → column, and the header texts that name no column."""
    names = {column.id: _header_names(column) for column in columns}
    mapped: dict[int, Column] = {}
    ignored: list[str] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(header):
        text = _as_text(raw)
        if not text:
            continue
        key = _normalized(text)
        column = next((column for column in columns if key in names[column.id]), None)
        if column is None:
            ignored.append(text)
            continue
        if column.id in seen:
            raise SpreadsheetInvalid(
                _("The column “%(column)s” appears twice in the header.") % {"column": column.label},
                details={"column": column.id},
            )
        seen[column.id] = index
        mapped[index] = column
    return mapped, tuple(ignored)


def read_workbook(
    source: bytes | IO[bytes],
    columns: Sequence[Column],
    *,
    file_name: str = "",
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> SheetData:
    """The data rows of the first sheet of an .xlsx file, keyed by column id and typed by kind.

    Row 1 is the header: each column is found by its label in any language of the site, or its id;
    other headers are ignored, a required column missing refuses the file. Blank rows are skipped;
    a row with a cell that is not of its kind is left out and reported in `problems`. Raises
    SpreadsheetInvalid for a file that is not an .xlsx workbook, has no header or no data row, or
    has more than `max_rows` data rows.
    """
    workbook = _open_workbook(_file_bytes(source, max_bytes), file_name)
    try:
        if not workbook.worksheets:
            raise SpreadsheetInvalid(_("The workbook has no sheet."))
        cells = _cells(workbook.worksheets[0].iter_rows(values_only=True))
        header = next((values for _number, values in cells if not _is_blank(values)), None)
        if header is None:
            raise SpreadsheetInvalid(
                _("The first sheet is empty: row 1 must hold the column headers, and the rows follow.")
            )
        mapped, ignored = _map_header(header, columns)
        present = {column.id for column in mapped.values()}
        missing = [column for column in columns if column.required and column.id not in present]
        if missing:
            raise SpreadsheetInvalid(
                _("Required columns are missing: %(columns)s.")
                % {"columns": "、".join(str(column.label) for column in missing)},
                details={"missing": [column.id for column in missing]},
            )
        reader = _CellReader(columns)
        rows: list[SheetRow] = []
        problems: list[CellProblem] = []
        count = 0
        for number, values in cells:
            if _is_blank(values):
                continue
            count += 1
            if count > max_rows:
                raise SpreadsheetInvalid(
                    _("The sheet has more than %(max)d rows; split it into several files.")
                    % {"max": max_rows},
                    details={"max_rows": max_rows},
                )
            row: dict[str, Any] = {}
            row_problems = []
            for index, column in mapped.items():
                value, problem = reader.read(column, values[index] if index < len(values) else None)
                if problem is not None:
                    row_problems.append(CellProblem(number, column.id, problem))
                row[column.id] = value
            if row_problems:
                problems.extend(row_problems)
            else:
                rows.append(SheetRow(number=number, values=row))
        if count == 0:
            raise SpreadsheetInvalid(_("The sheet has no rows below the header."))
    finally:
        workbook.close()
    return SheetData(
        rows=tuple(rows),
        problems=tuple(problems),
        columns_present=frozenset(present),
        ignored_headers=ignored,
    )


# ------------------------------------------------------------------------------------------ admin

_M = TypeVar("_M", bound=Model)


class SpreadsheetUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Excel file (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,{XLSX_CONTENT_TYPE}"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)d MB.") % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return upload


@dataclass
class _ProblemLine:
    row: int
    column: str
    message: str


@dataclass
class _ImportOutcome:
    report: ImportReport | None = None
    error: str = ""
    problems: list[_ProblemLine] = field(default_factory=list)
    problems_hidden: int = 0
    ignored_headers: tuple[str, ...] = ()


class SpreadsheetModelAdmin(admin.ModelAdmin[_M]):
    """A ModelAdmin with "Import from Excel", "Export to Excel" and an export action.

    A subclass names `spreadsheet_columns` (the columns both ways), `spreadsheet_name` (the file
    name), turns an object into a row dict in `spreadsheet_row`, and hands the read rows to its
    domain's import action in `import_spreadsheet`. Import needs `has_import_permission`; export
    needs view permission and writes the rows the list shows with its filters and search.
    """

    spreadsheet_columns: ClassVar[Sequence[Column]] = ()
    spreadsheet_name: ClassVar[str] = "export"
    # Shown on the import page and at the end of the definitions sheet.
    spreadsheet_notes: ClassVar[Sequence[Text]] = ()
    spreadsheet_max_rows: ClassVar[int] = MAX_ROWS
    # Problems listed on the page; the rest are counted.
    problems_shown: ClassVar[int] = 500
    change_list_template = "admin/gridgov_spreadsheet_change_list.html"
    import_template = "admin/gridgov_spreadsheet_import.html"
    actions = ["export_selected_to_excel"]

    # Hooks for subclasses.

    def spreadsheet_row(self, obj: _M) -> Mapping[str, Any]:
        raise NotImplementedError

    def spreadsheet_queryset(self, queryset: QuerySet[_M]) -> QuerySet[_M]:
        """The export's queryset, with what `spreadsheet_row` needs joined or prefetched."""
        return queryset

    def spreadsheet_reference_sheets(self) -> Sequence[ReferenceSheet]:
        return ()

    def import_spreadsheet(self, request: HttpRequest, sheet: SheetData, file_name: str) -> ImportReport:
        """Call the domain's import action with the rows and `sheet.problems` (it raises when any)."""
        raise NotImplementedError

    def has_import_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    # URLs and views.

    def _url_name(self, view: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{view}"

    def get_urls(self) -> list[URLPattern]:
        own = [
            path("import/", self.admin_site.admin_view(self.import_view), name=self._url_name("import")),
            path("export/", self.admin_site.admin_view(self.export_view), name=self._url_name("export")),
        ]
        return own + super().get_urls()

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        context = dict(extra_context or {})
        if self.has_view_permission(request):
            query = request.GET.urlencode()
            export_url = reverse(f"admin:{self._url_name('export')}")
            context["spreadsheet_export_url"] = f"{export_url}?{query}" if query else export_url
        if self.has_import_permission(request):
            context["spreadsheet_import_url"] = reverse(f"admin:{self._url_name('import')}")
        return super().changelist_view(request, extra_context=context)

    def _download(self, queryset: QuerySet[_M]) -> HttpResponse:
        rows = (self.spreadsheet_row(obj) for obj in self.spreadsheet_queryset(queryset).iterator(2000))
        content = write_workbook(
            self.spreadsheet_columns,
            rows,
            title=str(self.opts.verbose_name_plural),
            notes=self.spreadsheet_notes,
            reference_sheets=self.spreadsheet_reference_sheets(),
        )
        response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
        stamp = to_local(now()).strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="{self.spreadsheet_name}-{stamp}.xlsx"'
        return response

    def _too_many(self, request: HttpRequest, count: int) -> bool:
        if count <= self.spreadsheet_max_rows:
            return False
        self.message_user(
            request,
            _("%(count)d rows are too many for one file (at most %(max)d): filter the list first.")
            % {"count": count, "max": self.spreadsheet_max_rows},
            level="error",
        )
        return True

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The rows the change list shows with the same filters, search and order, as an .xlsx file."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        listing = reverse(f"admin:{self._url_name('changelist')}")
        try:
            queryset = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters:
            # As the change list does with a filter it does not know: start again unfiltered.
            return redirect(f"{listing}?e=1")
        if self._too_many(request, queryset.count()):
            query = request.GET.urlencode()
            return redirect(f"{listing}?{query}" if query else listing)
        return self._download(queryset)

    @admin.action(description=gettext_lazy("Export the selected rows to Excel"))
    def export_selected_to_excel(self, request: HttpRequest, queryset: QuerySet[_M]) -> HttpResponse | None:
        if self._too_many(request, queryset.count()):
            return None
        return self._download(queryset)

    def _label_of(self, column_id: str) -> str:
        for column in self.spreadsheet_columns:
            if column.id == column_id:
                return str(column.label)
        return column_id

    def _outcome(self, request: HttpRequest, form: SpreadsheetUploadForm) -> _ImportOutcome:
        upload = form.cleaned_data["file"]
        outcome = _ImportOutcome()
        try:
            sheet = read_workbook(
                upload, self.spreadsheet_columns, file_name=upload.name, max_rows=self.spreadsheet_max_rows
            )
            outcome.ignored_headers = sheet.ignored_headers
            outcome.report = self.import_spreadsheet(request, sheet, upload.name)
        except SpreadsheetRowsInvalid as error:
            outcome.error = str(error.message)
            lines = [
                _ProblemLine(problem.row, self._label_of(problem.column), problem.message)
                for problem in error.problems
            ]
            outcome.problems = lines[: self.problems_shown]
            outcome.problems_hidden = max(0, len(lines) - self.problems_shown)
        except DomainError as error:
            outcome.error = str(error.message)
        return outcome

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """GET: the upload form; POST: check every row, import all or nothing, show counts or problems."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        outcome = _ImportOutcome()
        status = 200
        if request.method == "POST":
            form = SpreadsheetUploadForm(request.POST, request.FILES)
            if form.is_valid():
                outcome = self._outcome(request, form)
            if not form.is_valid() or outcome.error:
                status = 400
        else:
            form = SpreadsheetUploadForm()
        opts = self.opts
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import %(things)s from Excel") % {"things": opts.verbose_name_plural},
            "opts": opts,
            "app_label": opts.app_label,
            "form": form,
            "outcome": outcome,
            "columns": self.spreadsheet_columns,
            "kind_labels": {kind.value: label for kind, label in KIND_LABELS.items()},
            "notes": [str(note) for note in self.spreadsheet_notes],
            "max_rows": self.spreadsheet_max_rows,
            "changelist_url": reverse(f"admin:{self._url_name('changelist')}"),
            "export_url": reverse(f"admin:{self._url_name('export')}")
            if self.has_view_permission(request)
            else "",
        }
        return TemplateResponse(request, self.import_template, context, status=status)


def record_import(
    action: str,
    subject_type: str,
    *,
    rows: int,
    created: list[str],
    updated: list[str] | Mapping[str, Any],
    file_name: str,
    actor: Any,
    actor_label: str,
) -> ImportReport:
    """The report of an import and, when it changed anything, its one audit event (call it inside
    the import's transaction). `created` names the new rows' keys; `updated` the changed rows'
    keys, or maps each key to what changed."""
    report = ImportReport(
        created=len(created), updated=len(updated), unchanged=rows - len(created) - len(updated)
    )
    if report.changed:
        record_audit_event(
            action=action,
            subject_type=subject_type,
            actor=actor,
            actor_label=actor_label,
            data={**report.as_dict(), "file": file_name, "created": created, "updated": updated},
        )
    return report
