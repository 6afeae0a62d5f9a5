"""Helpers for the admin import and export tests: build, read and edit .xlsx files, post them, and
read the import page's counts and problem rows."""

import re
from collections.abc import Callable, Sequence
from io import BytesIO
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.utils import translation
from openpyxl import Workbook, load_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROBLEM_ROW = re.compile(
    r'<tr class="problem">\s*<td class="number" data-row="(\d+)">.*?</td>\s*<td data-column="([^"]*)">',
    re.DOTALL,
)
COUNT = re.compile(r'data-count="(created|updated|unchanged)">(\d+)<')


def make_xlsx(header: Sequence[Any], rows: Sequence[Sequence[Any]]) -> bytes:
    """A workbook made with openpyxl alone (not with the code under test)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_xlsx(content: bytes) -> tuple[list[Any], list[list[Any]]]:
    """(header, rows) of the first sheet."""
    sheet = load_workbook(BytesIO(content)).worksheets[0]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    return values[0], values[1:]


def edit_xlsx(content: bytes, change: Callable[[Any], None]) -> bytes:
    """The workbook after `change(first_sheet)`."""
    workbook = load_workbook(BytesIO(content))
    change(workbook.worksheets[0])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def column_index(sheet: Any, label: str) -> int:
    """The 1-based index of the header cell reading `label`."""
    for cell in sheet[1]:
        if cell.value == label:
            return int(cell.column)
    raise AssertionError(f"no column {label!r} in {[cell.value for cell in sheet[1]]}")


def post_file(client: Client, url: str, content: bytes, name: str = "data.xlsx") -> Any:
    return client.post(url, {"file": SimpleUploadedFile(name, content, content_type=XLSX)})


def export(client: Client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    return bytes(response.content)


def counts(response: HttpResponse) -> dict[str, int]:
    return {name: int(value) for name, value in COUNT.findall(response.content.decode())}


def problem_cells(response: HttpResponse) -> list[tuple[int, str]]:
    """(row, column label) of every problem the import page lists."""
    return [(int(row), column) for row, column in PROBLEM_ROW.findall(response.content.decode())]


def chinese(text: Any) -> str:
    """`text` as the admin shows it by default (Simplified Chinese)."""
    with translation.override("zh-hans"):
        return str(text)


def refusal(response: HttpResponse) -> str:
    """The import page's error note and problem rows as plain text, for assertion messages."""
    page = response.content.decode()
    notes = re.findall(r'<p class="errornote"[^>]*>(.*?)</p>', page, re.DOTALL)
    rows = re.findall(r'<tr class="problem">(.*?)</tr>', page, re.DOTALL)
    return " | ".join(re.sub(r"<[^>]+>|\s+", " ", part).strip() for part in [*notes, *rows])
