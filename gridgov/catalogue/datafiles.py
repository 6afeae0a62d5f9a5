"""Reading and checking the catalogue data files (data/*.csv). No database.

`read_catalogue` returns every row it could parse together with every error it found, so that a
loader can refuse a broken file with a report of all bad rows at once and write nothing.
"""

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from gridgov.catalogue.models import CategoryScheme

DATA_DIR = Path(__file__).resolve().parent / "data"
FUNCTIONS_FILE = "functions.csv"
CATEGORY_FILES = ("urban-categories.csv", "message-taxonomy.csv")

FUNCTION_COLUMNS = ("code", "name", "unit_suffix")
CATEGORY_COLUMNS = ("code", "name", "scheme", "parent_code", "functions")
FUNCTION_LIST_SEPARATOR = ";"

# The letter that starts every code of a scheme, and how deep its tree goes.
SCHEME_LETTER: dict[str, str] = {
    CategoryScheme.URBAN_EVENT: "E",  # 事件
    CategoryScheme.URBAN_COMPONENT: "C",  # 部件
    CategoryScheme.CITIZEN_MESSAGE: "M",  # 诉求分类
}
SCHEME_MAX_DEPTH: dict[str, int] = {
    CategoryScheme.URBAN_EVENT: 2,  # 大类, 小类
    CategoryScheme.URBAN_COMPONENT: 2,
    CategoryScheme.CITIZEN_MESSAGE: 3,  # level 1, 2, 3
}
CATEGORY_CODE = re.compile(r"^[A-Z](?:0[1-9]|[1-9][0-9]){1,3}$")
FUNCTION_CODE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_NAME_LENGTH = 60
MAX_FUNCTION_CODE_LENGTH = 40
MAX_SUFFIX_LENGTH = 40


@dataclass(frozen=True)
class FunctionRow:
    code: str
    name: str
    unit_suffix: str
    position: int


@dataclass(frozen=True)
class CategoryRow:
    code: str
    name: str
    scheme: str
    parent_code: str | None
    functions: tuple[str, ...]

    @property
    def depth(self) -> int:
        return category_depth(self.code)


@dataclass(frozen=True)
class RowError:
    file: str
    line: int  # 0 for the file as a whole, 1 for the header
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "message": self.message}

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True)
class CatalogueData:
    functions: tuple[FunctionRow, ...]
    categories: tuple[CategoryRow, ...]


def category_depth(code: str) -> int:
    """E01 → 1, E0101 → 2, M010101 → 3 (one letter, then two digits per level)."""
    return (len(code) - 1) // 2


def parent_category_code(code: str) -> str | None:
    return code[:-2] if category_depth(code) > 1 else None


def split_functions(text: str) -> list[str]:
    return [part.strip() for part in text.split(FUNCTION_LIST_SEPARATOR)] if text.strip() else []


def _read_rows(
    path: Path, columns: tuple[str, ...], errors: list[RowError]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; file-level problems go to `errors`."""
    name = path.name
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [column for column in columns if column not in header]
            if missing:
                errors.append(
                    RowError(name, 1, _("missing columns: %(columns)s") % {"columns": ", ".join(missing)})
                )
                return
            for row in reader:
                if None in row or any(value is None for value in row.values()):
                    errors.append(RowError(name, reader.line_num, _("wrong number of fields")))
                    continue
                yield reader.line_num, {key: (value or "").strip() for key, value in row.items()}
    except FileNotFoundError:
        errors.append(RowError(name, 0, _("file not found")))
    except UnicodeDecodeError:
        errors.append(RowError(name, 0, _("not UTF-8 text")))
    except csv.Error as error:
        errors.append(RowError(name, 0, _("not valid CSV: %(error)s") % {"error": error}))


def read_functions(path: Path, errors: list[RowError]) -> list[FunctionRow]:
    rows: list[FunctionRow] = []
    seen: set[str] = set()
    for line, row in _read_rows(path, FUNCTION_COLUMNS, errors):
        problems: list[str] = []
        code, name, suffix = row["code"], row["name"], row["unit_suffix"]
        if not FUNCTION_CODE.match(code) or len(code) > MAX_FUNCTION_CODE_LENGTH:
            problems.append(_("function code %(code)r is not a lower-case slug") % {"code": code})
        elif code in seen:
            problems.append(_("function code %(code)s appears twice") % {"code": code})
        if not name or len(name) > MAX_NAME_LENGTH:
            problems.append(_("name must have 1 to %(max)d characters") % {"max": MAX_NAME_LENGTH})
        if not suffix or len(suffix) > MAX_SUFFIX_LENGTH:
            problems.append(_("unit_suffix must have 1 to %(max)d characters") % {"max": MAX_SUFFIX_LENGTH})
        errors.extend(RowError(path.name, line, problem) for problem in problems)
        if not problems:
            seen.add(code)
            rows.append(FunctionRow(code=code, name=name, unit_suffix=suffix, position=len(rows) + 1))
    return rows


def _check_category(row: dict[str, str], function_codes: set[str]) -> list[str]:
    """Problems a category row has on its own (its parent is checked once all rows are read)."""
    problems: list[str] = []
    code, name, scheme = row["code"], row["name"], row["scheme"]
    if scheme not in SCHEME_LETTER:
        choices = ", ".join(SCHEME_LETTER)
        problems.append(
            _("unknown scheme %(scheme)r (one of %(choices)s)") % {"scheme": scheme, "choices": choices}
        )
    if not CATEGORY_CODE.match(code):
        problems.append(
            _("code %(code)r is not a letter followed by one to three two-digit numbers") % {"code": code}
        )
    elif scheme in SCHEME_LETTER:
        if code[0] != SCHEME_LETTER[scheme]:
            problems.append(
                _("code %(code)s of scheme %(scheme)s must start with %(letter)s")
                % {"code": code, "scheme": scheme, "letter": SCHEME_LETTER[scheme]}
            )
        if category_depth(code) > SCHEME_MAX_DEPTH[scheme]:
            problems.append(
                _("scheme %(scheme)s has at most %(max)d levels")
                % {"scheme": scheme, "max": SCHEME_MAX_DEPTH[scheme]}
            )
    if not name or len(name) > MAX_NAME_LENGTH:
        problems.append(_("name must have 1 to %(max)d characters") % {"max": MAX_NAME_LENGTH})
    if CATEGORY_CODE.match(code):
        expected_parent = parent_category_code(code) or ""
        if row["parent_code"] != expected_parent:
            problems.append(
                _("parent_code must be %(expected)r for code %(code)s")
                % {"expected": expected_parent, "code": code}
            )
    listed = split_functions(row["functions"])
    unknown = [f for f in listed if f not in function_codes]
    if unknown:
        problems.append(_("unknown functions: %(codes)s") % {"codes": ", ".join(unknown) or "''"})
    elif len(set(listed)) != len(listed):
        problems.append(_("a function is listed twice"))
    return problems


def read_categories(
    path: Path, function_codes: set[str], errors: list[RowError]
) -> list[tuple[int, CategoryRow, bool]]:
    """(line, row, whether the row is good on its own) for every row with a well-formed code.

    Rows with other problems are kept (marked bad) so that their children are not also reported.
    """
    rows: list[tuple[int, CategoryRow, bool]] = []
    for line, row in _read_rows(path, CATEGORY_COLUMNS, errors):
        problems = _check_category(row, function_codes)
        errors.extend(RowError(path.name, line, problem) for problem in problems)
        if CATEGORY_CODE.match(row["code"]):
            category = CategoryRow(
                code=row["code"],
                name=row["name"],
                scheme=row["scheme"],
                parent_code=row["parent_code"] or None,
                functions=tuple(split_functions(row["functions"])),
            )
            rows.append((line, category, not problems))
    return rows


def read_catalogue(data_dir: Path = DATA_DIR) -> tuple[CatalogueData, list[RowError]]:
    """Every function and category in `data_dir`, and every problem found (empty when all is well).

    Errors come sorted by file and line. The data returned are complete only when there are none.
    """
    errors: list[RowError] = []
    functions = read_functions(data_dir / FUNCTIONS_FILE, errors)
    function_codes = {f.code for f in functions}
    located: list[tuple[str, int, CategoryRow, bool]] = []
    for file_name in CATEGORY_FILES:
        located.extend(
            (file_name, line, row, good)
            for line, row, good in read_categories(data_dir / file_name, function_codes, errors)
        )

    # Checks across rows and files: unique codes, parents present and of the same scheme, unique names.
    first: dict[str, int] = {}
    for index, (file_name, line, row, _good) in enumerate(located):
        if row.code in first:
            errors.append(RowError(file_name, line, _("code %(code)s appears twice") % {"code": row.code}))
        else:
            first[row.code] = index
    names: set[tuple[str, str | None, str]] = set()
    kept: list[CategoryRow] = []
    for index, (file_name, line, row, good) in enumerate(located):
        if first[row.code] != index:
            continue
        problems: list[str] = []
        if row.parent_code is not None and row.parent_code == parent_category_code(row.code):
            parent_index = first.get(row.parent_code)
            if parent_index is None:
                problems.append(_("parent %(code)s is not in the data") % {"code": row.parent_code})
            elif {row.scheme, located[parent_index][2].scheme} <= set(SCHEME_LETTER) and (
                located[parent_index][2].scheme != row.scheme
            ):
                problems.append(_("parent %(code)s is in another scheme") % {"code": row.parent_code})
        key = (row.scheme, row.parent_code, row.name)
        if key in names:
            problems.append(_("name %(name)s appears twice under the same parent") % {"name": row.name})
        names.add(key)
        errors.extend(RowError(file_name, line, problem) for problem in problems)
        if good and not problems:
            kept.append(row)
    file_order = {name: i for i, name in enumerate((FUNCTIONS_FILE, *CATEGORY_FILES))}
    errors.sort(key=lambda error: (file_order.get(error.file, len(file_order)), error.line))
    return CatalogueData(functions=tuple(functions), categories=tuple(kept)), errors


def code_message_taxonomy(
    source_rows: list[dict[str, str]], level1_order: list[str]
) -> list[tuple[str, str, str | None]]:
    """(code, name, parent code) of the citizen-message tree from the source's (level1, level2, level3) rows.

    Level-1 classes are numbered in `level1_order`; children in the order they first appear.
    data/message-taxonomy.csv was made this way (see data/SOURCES.md).
    """
    nodes: list[tuple[str, str, str | None]] = []
    for i, level1 in enumerate(level1_order, start=1):
        code1 = f"M{i:02d}"
        nodes.append((code1, level1, None))
        inside = [row for row in source_rows if row["level1"] == level1]
        for j, level2 in enumerate(dict.fromkeys(row["level2"] for row in inside), start=1):
            code2 = f"{code1}{j:02d}"
            nodes.append((code2, level2, code1))
            leaves = dict.fromkeys(row["level3"] for row in inside if row["level2"] == level2)
            nodes.extend((f"{code2}{k:02d}", level3, code2) for k, level3 in enumerate(leaves, start=1))
    return nodes


# The fixed order of the level-1 message classes: the seven of the labelled sample, then the rest.
MESSAGE_LEVEL1_ORDER = [
    "城乡建设",
    "环境保护",
    "交通运输",
    "教育文体",
    "劳动和社会保障",
    "商贸旅游",
    "卫生计生",
    "党务政务",
    "农村农业",
    "国土资源",
    "政法",
    "民政",
    "科技与信息产业",
    "纪检监察",
    "经济管理",
]
