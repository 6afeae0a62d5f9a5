"""Every write to functions, categories and departments. Each is one transaction with its audit event.

Who may call these is decided by the entry points: today the command line and the Django admin,
both for administrators.
"""

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.areas.models import Area, AreaLevel
from gridgov.catalogue.datafiles import (
    CATEGORY_CODE,
    CATEGORY_FILES,
    DATA_DIR,
    FUNCTIONS_FILE,
    MAX_NAME_LENGTH,
    SCHEME_LETTER,
    SCHEME_MAX_DEPTH,
    CatalogueData,
    RowError,
    _read_rows,
    category_depth,
    parent_category_code,
    read_catalogue,
    split_functions,
)
from gridgov.catalogue.errors import AreaUnknown, CatalogueDataInvalid, DepartmentInvalid, NotADistrict
from gridgov.catalogue.models import (
    RESPONSE_LEVEL_ORDER,
    CaseCategory,
    CategoryScheme,
    Department,
    DepartmentFunction,
    HolidayDate,
    HolidayKind,
    LimitUnit,
    MatterResponsibility,
    MatterRule,
    ResponseLevel,
    Step,
    TimeLimit,
)
from gridgov.core.area_codes import InvalidCode, Level, normalize_code, scope_prefix
from gridgov.core.audit import record_audit_event
from gridgov.core.clock import now
from gridgov.core.spreadsheets import (
    CellProblem,
    Column,
    ColumnKind,
    ImportReport,
    SheetRow,
    SpreadsheetRowsInvalid,
    raise_for_problems,
    record_import,
    split_list,
)


@dataclass
class LoadReport:
    """What one load_catalogue run changed, and how many rows the data files hold."""

    functions_created: int = 0
    functions_updated: int = 0
    categories_created: int = 0
    categories_updated: int = 0
    functions_in_files: int = 0
    # scheme → depth → number of categories in the files.
    categories_in_files: dict[str, dict[int, int]] = field(default_factory=dict)
    # The matter table and the calendar years, loaded in the same transaction; each has its own
    # report and audit event, so `changed` and `as_dict` speak of functions and categories only.
    matters: "MattersLoadReport" = field(default_factory=lambda: MattersLoadReport())
    calendars: list["CalendarLoadReport"] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.functions_created
            or self.functions_updated
            or self.categories_created
            or self.categories_updated
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "functions_created": self.functions_created,
            "functions_updated": self.functions_updated,
            "categories_created": self.categories_created,
            "categories_updated": self.categories_updated,
            "functions_in_files": self.functions_in_files,
            "categories_in_files": {
                scheme: {str(depth): n for depth, n in depths.items()}
                for scheme, depths in self.categories_in_files.items()
            },
        }


def load_catalogue(*, actor_label: str, actor: Any = None, data_dir: Path | None = None) -> LoadReport:
    """Create or update the functions and categories of the data files so that the database matches them.

    Idempotent: a second run changes nothing and writes nothing. A file with any bad row raises
    CatalogueDataInvalid listing every bad row in `details["errors"]`, before anything is written.
    Rows the files do not mention (local additions made in the admin) are left alone.

    The same transaction loads the matter table (matters.csv, time-limits.csv: `load_matters`) and
    every calendar year file (calendar-YYYY.csv: `load_calendar`); `report.matters` and
    `report.calendars` say what they changed.
    """
    data_dir = data_dir or DATA_DIR
    data, errors = read_catalogue(data_dir)
    matters = read_matter_files(data_dir, errors)
    calendars = [read_calendar_file(path, errors) for path in calendar_files(data_dir)]
    if errors:
        raise CatalogueDataInvalid(details={"errors": [error.as_dict() for error in errors]})
    report = LoadReport(functions_in_files=len(data.functions))
    for row in data.categories:
        depths = report.categories_in_files.setdefault(row.scheme, {})
        depths[row.depth] = depths.get(row.depth, 0) + 1
    with transaction.atomic():
        function_ids = _load_functions(data, report)
        updated_codes = _load_categories(data, function_ids, report)
        if report.changed:
            record_audit_event(
                action="load_catalogue",
                subject_type="catalogue.casecategory",
                actor=actor,
                actor_label=actor_label,
                data={**report.as_dict(), "updated_codes": updated_codes},
            )
        report.matters = _apply_matters(matters, actor, actor_label)
        report.calendars = [
            _apply_calendar(calendar, actor, actor_label) for calendar in calendars if calendar
        ]
    return report


def _load_functions(data: CatalogueData, report: LoadReport) -> dict[str, int]:
    existing = {f.code: f for f in DepartmentFunction.objects.all()}
    for row in data.functions:
        function = existing.get(row.code)
        wanted = {"name": row.name, "unit_suffix": row.unit_suffix, "position": row.position}
        if function is None:
            existing[row.code] = DepartmentFunction.objects.create(code=row.code, **wanted)
            report.functions_created += 1
        elif any(getattr(function, key) != value for key, value in wanted.items()):
            for key, value in wanted.items():
                setattr(function, key, value)
            function.updated_at = now()
            function.save(update_fields=[*wanted, "updated_at"])
            report.functions_updated += 1
    return {code: function.pk for code, function in existing.items()}


def _load_categories(data: CatalogueData, function_ids: dict[str, int], report: LoadReport) -> list[str]:
    """Create missing categories level by level (parents first), then update the ones that differ."""
    through = CaseCategory.functions.through
    rows = sorted(data.categories, key=lambda row: (row.depth, row.code))
    existing = {c.code: c for c in CaseCategory.objects.all()}
    missing = [row for row in rows if row.code not in existing]
    for depth in sorted({row.depth for row in missing}):
        ids = {code: category.pk for code, category in existing.items()}
        CaseCategory.objects.bulk_create(
            [
                CaseCategory(
                    code=row.code,
                    name=row.name,
                    scheme=row.scheme,
                    parent_id=ids[row.parent_code] if row.parent_code else None,
                    depth=row.depth,
                )
                for row in missing
                if row.depth == depth
            ]
        )
        existing = {c.code: c for c in CaseCategory.objects.all()}
        report.categories_created += sum(1 for row in missing if row.depth == depth)
    created = {row.code for row in missing}

    ids = {code: category.pk for code, category in existing.items()}
    current_functions: dict[int, set[int]] = {}
    for category_id, function_id in through.objects.values_list("casecategory_id", "departmentfunction_id"):
        current_functions.setdefault(category_id, set()).add(function_id)

    updated: list[str] = []
    links_to_add: list[Any] = []
    for row in rows:
        category = existing[row.code]
        changed = False
        wanted = {
            "name": row.name,
            "scheme": row.scheme,
            "parent_id": ids[row.parent_code] if row.parent_code else None,
            "depth": row.depth,
        }
        if any(getattr(category, key) != value for key, value in wanted.items()):
            for key, value in wanted.items():
                setattr(category, key, value)
            category.updated_at = now()
            category.save(update_fields=[*wanted, "updated_at"])
            changed = True
        wanted_functions = {function_ids[code] for code in row.functions}
        have_functions = current_functions.get(category.pk, set())
        if wanted_functions != have_functions:
            through.objects.filter(
                casecategory_id=category.pk, departmentfunction_id__in=have_functions - wanted_functions
            ).delete()
            links_to_add.extend(
                through(casecategory_id=category.pk, departmentfunction_id=function_id)
                for function_id in sorted(wanted_functions - have_functions)
            )
            changed = True
        if changed and row.code not in created:
            updated.append(row.code)
    through.objects.bulk_create(links_to_add)
    report.categories_updated = len(updated)
    return updated


# ---------------------------------------------------------------------------------------- departments


class _Keep(Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP


def _area(code: str) -> Area:
    area = Area.objects.filter(code=code).first()
    if area is None:
        raise AreaUnknown(details={"code": code})
    return area


def _function(code: str | None) -> DepartmentFunction | None:
    if code is None:
        return None
    function = DepartmentFunction.objects.filter(code=code).first()
    if function is None:
        raise DepartmentInvalid(details={"function": code, "reason": "unknown function"})
    return function


def _served_areas(codes: Sequence[str]) -> list[Area]:
    wanted = list(dict.fromkeys(codes))
    areas = {a.code: a for a in Area.objects.filter(code__in=wanted)}
    unknown = [code for code in wanted if code not in areas]
    if unknown:
        raise AreaUnknown(details={"codes": unknown})
    return [areas[code] for code in wanted]


def _audit_department(
    action: str, department: Department, actor: Any, actor_label: str, data: dict[str, Any]
) -> None:
    record_audit_event(
        action=action,
        subject_type="catalogue.department",
        subject_id=str(department.pk),
        actor=actor,
        actor_label=actor_label,
        data={"code": department.code, **data},
    )


def create_department(
    *,
    code: str,
    name: str,
    area_code: str,
    function_code: str | None = None,
    served_area_codes: Sequence[str] | None = None,
    is_active: bool = True,
    actor: Any = None,
    actor_label: str = "",
) -> Department:
    """A new department owned by `area_code`, serving `served_area_codes` (by default its own area)."""
    try:
        validate_slug(code)
    except ValidationError as error:
        raise DepartmentInvalid(details={"code": code, "reason": "code must be a slug"}) from error
    with transaction.atomic():
        if Department.objects.filter(code=code).exists():
            raise DepartmentInvalid(details={"code": code, "reason": "code already taken"})
        area = _area(area_code)
        served = _served_areas(served_area_codes if served_area_codes is not None else [area.code])
        department = Department(
            code=code, name=name, area=area, function=_function(function_code), is_active=is_active
        )
        try:
            department.full_clean()
        except ValidationError as error:
            raise DepartmentInvalid(details={"code": code, "errors": error.message_dict}) from error
        department.save()
        department.served_areas.set(served)
        _audit_department(
            "create_department",
            department,
            actor,
            actor_label,
            {
                "name": name,
                "area": area.code,
                "function": function_code,
                "served_areas": [a.code for a in served],
                "is_active": is_active,
            },
        )
    return department


def update_department(
    department: Department,
    *,
    name: str | None = None,
    function_code: str | Literal[_Keep.KEEP] | None = KEEP,
    is_active: bool | None = None,
    actor: Any = None,
    actor_label: str = "",
) -> Department:
    """Rename, change the function of, or (de)activate a department; unchanged fields stay as they are."""
    with transaction.atomic():
        department = (
            Department.objects.select_for_update(of=("self",))
            .select_related("function")
            .get(pk=department.pk)
        )
        changes: dict[str, list[Any]] = {}
        if name is not None and name != department.name:
            changes["name"] = [department.name, name]
            department.name = name
        if function_code is not KEEP:
            old = department.function.code if department.function else None
            if function_code != old:
                changes["function"] = [old, function_code]
                department.function = _function(function_code)
        if is_active is not None and is_active != department.is_active:
            changes["is_active"] = [department.is_active, is_active]
            department.is_active = is_active
        if not changes:
            return department
        try:
            department.full_clean()
        except ValidationError as error:
            raise DepartmentInvalid(
                details={"code": department.code, "errors": error.message_dict}
            ) from error
        department.updated_at = now()
        department.save()
        _audit_department("update_department", department, actor, actor_label, {"changes": changes})
    return department


def set_served_areas(
    department: Department, area_codes: Sequence[str], *, actor: Any = None, actor_label: str = ""
) -> Department:
    """Make `area_codes` exactly the areas whose cases `department` handles."""
    with transaction.atomic():
        areas = _served_areas(area_codes)
        before = sorted(department.served_areas.values_list("code", flat=True))
        after = sorted(a.code for a in areas)
        if before != after:
            department.served_areas.set(areas)
            _audit_department(
                "set_served_areas", department, actor, actor_label, {"before": before, "after": after}
            )
    return department


def create_district_departments(
    district_code: str, *, actor_label: str, actor: Any = None
) -> list[Department]:
    """One department per function for a district, owning and serving the district.

    Codes are "<6-digit district>-<function>" (330102-housing) and names the district's name plus the
    function's unit suffix (上城区住房和城乡建设局). Idempotent: departments that already exist are
    returned as they are (an administrator may have renamed them). Returned in function order.
    """
    try:
        code = normalize_code(district_code, Level.DISTRICT)
    except InvalidCode as error:
        raise NotADistrict(details={"code": district_code}) from error
    district = _area(code)
    if district.level != AreaLevel.DISTRICT:
        raise NotADistrict(details={"code": district_code, "level": district.level})
    functions = list(DepartmentFunction.objects.order_by("position", "code"))
    if not functions:
        raise DepartmentInvalid(details={"reason": "no department functions: load the catalogue first"})
    prefix = scope_prefix(district.code)
    with transaction.atomic():
        existing = {d.code: d for d in Department.objects.filter(code__startswith=prefix + "-")}
        departments: list[Department] = []
        for function in functions:
            department_code = f"{prefix}-{function.code}"
            department = existing.get(department_code)
            if department is None:
                department = create_department(
                    code=department_code,
                    name=district.name + (function.unit_suffix or function.name),
                    area_code=district.code,
                    function_code=function.code,
                    served_area_codes=[district.code],
                    actor=actor,
                    actor_label=actor_label,
                )
            departments.append(department)
    return departments


# ----------------------------------------------------------------------------------- working calendar

CALENDAR_COLUMNS = ("date", "kind", "name")
CALENDAR_FILE_GLOB = "calendar-*.csv"
CALENDAR_FILE_NAME = re.compile(r"^calendar-(\d{4})\.csv$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_HOLIDAY_NAME_LENGTH = 60


@dataclass(frozen=True)
class CalendarRow:
    date: date
    kind: str
    name: str


@dataclass(frozen=True)
class CalendarFile:
    """One year of holidays and make-up working days, read and checked (data/calendar-YYYY.csv)."""

    file: str
    year: int
    rows: tuple[CalendarRow, ...]


@dataclass
class CalendarLoadReport:
    """What loading one year's calendar file changed."""

    file: str
    year: int
    created: int = 0
    updated: int = 0
    deleted: int = 0
    holidays_in_file: int = 0
    makeup_workdays_in_file: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "year": self.year,
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "holidays_in_file": self.holidays_in_file,
            "makeup_workdays_in_file": self.makeup_workdays_in_file,
        }


def calendar_files(data_dir: Path) -> list[Path]:
    """The year files of `data_dir` (calendar-2026.csv …), oldest year first."""
    return sorted(path for path in data_dir.glob(CALENDAR_FILE_GLOB) if CALENDAR_FILE_NAME.match(path.name))


def read_calendar_file(path: Path, errors: list[RowError]) -> CalendarFile | None:
    """The rows of one year file, every problem appended to `errors`; None when the file is unusable.

    Checks: columns, ISO dates, one year per file (the one in the name calendar-YYYY.csv when it has
    one), no date twice, a known kind, a name, and make-up working days on a Saturday or Sunday.
    """
    name = path.name
    named_year = CALENDAR_FILE_NAME.match(name)
    year = int(named_year.group(1)) if named_year else None
    rows: list[CalendarRow] = []
    seen: dict[date, int] = {}
    problems_before = len(errors)
    for line, row in _read_rows(path, CALENDAR_COLUMNS, errors):
        problems: list[str] = []
        day: date | None = None
        if not ISO_DATE.match(row["date"]):
            problems.append(_("date %(date)r is not written YYYY-MM-DD") % {"date": row["date"]})
        else:
            try:
                day = date.fromisoformat(row["date"])
            except ValueError:
                problems.append(_("date %(date)r does not exist") % {"date": row["date"]})
        if day is not None:
            year = day.year if year is None else year
            if day.year != year:
                problems.append(
                    _("date %(date)s is not in %(year)d, the year of this file")
                    % {"date": row["date"], "year": year}
                )
            if day in seen:
                problems.append(
                    _("date %(date)s is also on line %(line)d") % {"date": row["date"], "line": seen[day]}
                )
            else:
                seen[day] = line
        if row["kind"] not in HolidayKind.values:
            problems.append(
                _("unknown kind %(kind)r (one of %(choices)s)")
                % {"kind": row["kind"], "choices": ", ".join(HolidayKind.values)}
            )
        elif row["kind"] == HolidayKind.MAKEUP_WORKDAY and day is not None and day.weekday() < 5:
            problems.append(
                _("%(date)s is a weekday: a make-up working day is a Saturday or Sunday")
                % {"date": row["date"]}
            )
        if not row["name"] or len(row["name"]) > MAX_HOLIDAY_NAME_LENGTH:
            problems.append(_("name must have 1 to %(max)d characters") % {"max": MAX_HOLIDAY_NAME_LENGTH})
        errors.extend(RowError(name, line, problem) for problem in problems)
        if not problems and day is not None:
            rows.append(CalendarRow(date=day, kind=row["kind"], name=row["name"]))
    if len(errors) > problems_before:
        return None
    if not rows or year is None:
        errors.append(RowError(name, 0, _("the file lists no date")))
        return None
    return CalendarFile(file=name, year=year, rows=tuple(rows))


def _apply_calendar(calendar: CalendarFile, actor: Any, actor_label: str) -> CalendarLoadReport:
    """Make the year's rows exactly the file's: create, update, and delete the dates it does not list."""
    report = CalendarLoadReport(
        file=calendar.file,
        year=calendar.year,
        holidays_in_file=sum(1 for row in calendar.rows if row.kind == HolidayKind.HOLIDAY),
        makeup_workdays_in_file=sum(1 for row in calendar.rows if row.kind == HolidayKind.MAKEUP_WORKDAY),
    )
    in_year = HolidayDate.objects.filter(
        date__range=(date(calendar.year, 1, 1), date(calendar.year, 12, 31))
    ).select_for_update()
    existing = {holiday.date: holiday for holiday in in_year}
    stamp = now()
    changed: list[str] = []
    for row in calendar.rows:
        holiday = existing.pop(row.date, None)
        if holiday is None:
            HolidayDate.objects.create(date=row.date, kind=row.kind, name=row.name)
            report.created += 1
            changed.append(row.date.isoformat())
        elif (holiday.kind, holiday.name) != (row.kind, row.name):
            holiday.kind, holiday.name, holiday.updated_at = row.kind, row.name, stamp
            holiday.save(update_fields=["kind", "name", "updated_at"])
            report.updated += 1
            changed.append(row.date.isoformat())
    if existing:
        HolidayDate.objects.filter(pk__in=[holiday.pk for holiday in existing.values()]).delete()
        report.deleted = len(existing)
        changed.extend(day.isoformat() for day in sorted(existing))
    if report.changed:
        record_audit_event(
            action="load_calendar",
            subject_type="catalogue.holidaydate",
            subject_id=str(calendar.year),
            actor=actor,
            actor_label=actor_label,
            data={**report.as_dict(), "changed_dates": sorted(changed)},
        )
    return report


def load_calendar(year_file: Path, *, actor_label: str, actor: Any = None) -> CalendarLoadReport:
    """Make the holidays and make-up working days of the file's year exactly those of the file.

    The file is the truth for its year: dates of that year it does not list are deleted. Other years
    are left alone. Idempotent; a file with any bad row raises CatalogueDataInvalid and writes nothing.
    """
    errors: list[RowError] = []
    calendar = read_calendar_file(Path(year_file), errors)
    if errors or calendar is None:
        raise CatalogueDataInvalid(details={"errors": [error.as_dict() for error in errors]})
    with transaction.atomic():
        return _apply_calendar(calendar, actor, actor_label)


# ------------------------------------------------------------------- matters (事项清单) and time limits

MATTERS_FILE = "matters.csv"
TIME_LIMITS_FILE = "time-limits.csv"
LEVEL_COLUMNS: tuple[str, ...] = RESPONSE_LEVEL_ORDER
MATTER_COLUMNS = ("category", "normal_level", "allows_urgent", *LEVEL_COLUMNS)
TIME_LIMIT_COLUMNS = ("category", "step", "level", "urgent", "amount", "unit", "source")
# In a level column of matters.csv: the level's own staff handle it (属地), no department function.
SELF_HANDLED = "self"
YES_NO: dict[str, bool | None] = {"": None, "yes": True, "no": False}
MAX_LIMIT_AMOUNT = Decimal("99999.99")
MAX_SOURCE_LENGTH = 200


@dataclass(frozen=True)
class MatterRow:
    category: str
    normal_level: str
    allows_urgent: bool | None
    # level → function codes; (None,) for "self". Levels left empty in the file are absent (inherited).
    responsibilities: dict[str, tuple[str | None, ...]]


@dataclass(frozen=True)
class LimitRow:
    category: str
    step: str
    level: str
    is_urgent: bool
    amount: Decimal
    unit: str
    source: str


@dataclass(frozen=True)
class MatterData:
    matters: tuple[MatterRow, ...]
    limits: tuple[LimitRow, ...]

    @property
    def category_codes(self) -> list[str]:
        return sorted({row.category for row in self.matters} | {row.category for row in self.limits})


@dataclass
class MattersLoadReport:
    """What loading matters.csv and time-limits.csv changed."""

    rules_created: int = 0
    rules_updated: int = 0
    rules_in_files: int = 0
    limits_in_files: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.rules_created or self.rules_updated)

    def as_dict(self) -> dict[str, int]:
        return {
            "rules_created": self.rules_created,
            "rules_updated": self.rules_updated,
            "rules_in_files": self.rules_in_files,
            "limits_in_files": self.limits_in_files,
        }


def _column_values(path: Path, column: str) -> set[str]:
    """Every value of one column, bad rows included (so that a bad category row is not reported twice)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return {(row.get(column) or "").strip() for row in csv.DictReader(handle)}
    except (OSError, UnicodeDecodeError, csv.Error):
        return set()


def _known_codes(data_dir: Path) -> tuple[set[str], set[str]]:
    """(category codes, function codes) in the catalogue files or already in the database."""
    categories = set(CaseCategory.objects.values_list("code", flat=True))
    for file_name in CATEGORY_FILES:
        categories |= _column_values(data_dir / file_name, "code")
    functions = set(DepartmentFunction.objects.values_list("code", flat=True))
    functions |= _column_values(data_dir / FUNCTIONS_FILE, "code")
    return categories, functions


def _check_category_code(code: str, categories: set[str]) -> list[str]:
    if not code:
        return [_("category is empty")]
    if code not in categories:
        return [_("category %(code)s is not in the catalogue") % {"code": code}]
    return []


def _check_level(value: str, column: str) -> list[str]:
    if value and value not in ResponseLevel.values:
        return [
            _("%(column)s %(value)r is not one of %(choices)s")
            % {"column": column, "value": value, "choices": ", ".join(ResponseLevel.values)}
        ]
    return []


def _check_yes_no(value: str, column: str) -> list[str]:
    if value not in YES_NO:
        return [_("%(column)s must be yes, no or empty, not %(value)r") % {"column": column, "value": value}]
    return []


def _read_matters(
    path: Path, categories: set[str], functions: set[str], errors: list[RowError]
) -> list[MatterRow]:
    rows: list[MatterRow] = []
    seen: dict[str, int] = {}
    for line, row in _read_rows(path, MATTER_COLUMNS, errors):
        code = row["category"]
        problems = _check_category_code(code, categories)
        if code in seen:
            problems.append(
                _("category %(code)s is also on line %(line)d") % {"code": code, "line": seen[code]}
            )
        problems += _check_level(row["normal_level"], "normal_level")
        problems += _check_yes_no(row["allows_urgent"], "allows_urgent")
        responsibilities: dict[str, tuple[str | None, ...]] = {}
        for level in LEVEL_COLUMNS:
            listed = split_functions(row[level])
            if not listed:
                continue
            if listed == [SELF_HANDLED]:
                responsibilities[level] = (None,)
                continue
            unknown = [function for function in listed if function not in functions]
            if unknown:
                problems.append(
                    _("%(level)s: unknown functions: %(codes)s")
                    % {"level": level, "codes": ", ".join(unknown)}
                )
            elif len(set(listed)) != len(listed):
                problems.append(_("%(level)s: a function is listed twice") % {"level": level})
            responsibilities[level] = tuple(listed)
        seen.setdefault(code, line)
        errors.extend(RowError(path.name, line, problem) for problem in problems)
        if not problems:
            rows.append(
                MatterRow(
                    category=code,
                    normal_level=row["normal_level"],
                    allows_urgent=YES_NO[row["allows_urgent"]],
                    responsibilities=responsibilities,
                )
            )
    return rows


def _parse_amount(text: str, unit: str) -> tuple[Decimal | None, list[str]]:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None, [_("amount %(amount)r is not a number") % {"amount": text}]
    if not amount.is_finite() or amount <= 0 or amount > MAX_LIMIT_AMOUNT:
        return None, [_("amount must be above 0 and at most %(max)s") % {"max": MAX_LIMIT_AMOUNT}]
    if amount != amount.quantize(Decimal("0.01")):
        return None, [_("amount has more than two decimals")]
    if unit == LimitUnit.WORKING_DAYS and amount != amount.to_integral_value():
        return None, [_("a limit in working days must be a whole number (write hours instead)")]
    return amount, []


def _read_limits(path: Path, categories: set[str], errors: list[RowError]) -> list[LimitRow]:
    rows: list[LimitRow] = []
    seen: dict[tuple[str, str, str, bool], int] = {}
    for line, row in _read_rows(path, TIME_LIMIT_COLUMNS, errors):
        problems = _check_category_code(row["category"], categories)
        if row["step"] not in Step.values:
            problems.append(
                _("unknown step %(step)r (one of %(choices)s)")
                % {"step": row["step"], "choices": ", ".join(Step.values)}
            )
        problems += _check_level(row["level"], "level")
        problems += _check_yes_no(row["urgent"], "urgent")
        if row["unit"] not in LimitUnit.values:
            problems.append(
                _("unknown unit %(unit)r (one of %(choices)s)")
                % {"unit": row["unit"], "choices": ", ".join(LimitUnit.values)}
            )
        amount, amount_problems = _parse_amount(row["amount"], row["unit"])
        problems += amount_problems
        if len(row["source"]) > MAX_SOURCE_LENGTH:
            problems.append(_("source has more than %(max)d characters") % {"max": MAX_SOURCE_LENGTH})
        is_urgent = bool(YES_NO.get(row["urgent"]))
        key = (row["category"], row["step"], row["level"], is_urgent)
        if key in seen:
            problems.append(_("the same limit is also on line %(line)d") % {"line": seen[key]})
        seen.setdefault(key, line)
        errors.extend(RowError(path.name, line, problem) for problem in problems)
        if not problems and amount is not None:
            rows.append(
                LimitRow(
                    category=row["category"],
                    step=row["step"],
                    level=row["level"],
                    is_urgent=is_urgent,
                    amount=amount,
                    unit=row["unit"],
                    source=row["source"],
                )
            )
    return rows


def read_matter_files(data_dir: Path, errors: list[RowError]) -> MatterData:
    """matters.csv and time-limits.csv of `data_dir`, checked against the catalogue files and database."""
    categories, functions = _known_codes(data_dir)
    matters = _read_matters(data_dir / MATTERS_FILE, categories, functions, errors)
    limits = _read_limits(data_dir / TIME_LIMITS_FILE, categories, errors)
    return MatterData(matters=tuple(matters), limits=tuple(limits))


def _apply_matters(data: MatterData, actor: Any, actor_label: str) -> MattersLoadReport:
    """Make the rule of every category the files mention match them; leave the other rules alone."""
    codes = data.category_codes
    report = MattersLoadReport(rules_in_files=len(codes), limits_in_files=len(data.limits))
    if not codes:
        return report
    category_ids = dict(CaseCategory.objects.filter(code__in=codes).values_list("code", "pk"))
    function_ids = dict(DepartmentFunction.objects.values_list("code", "pk"))
    rules = {
        rule.category_id: rule
        for rule in MatterRule.objects.filter(category_id__in=category_ids.values())
        .select_for_update(of=("self",))
        .prefetch_related("responsibilities", "time_limits")
    }
    matters = {row.category: row for row in data.matters}
    limits: dict[str, list[LimitRow]] = {}
    for limit in data.limits:
        limits.setdefault(limit.category, []).append(limit)
    stamp = now()
    updated_codes: list[str] = []
    created_codes: list[str] = []
    for code in codes:
        matter = matters.get(code) or MatterRow(code, "", None, {})
        wanted_fields = {"normal_level": matter.normal_level, "allows_urgent": matter.allows_urgent}
        wanted_duties = {
            (level, function_ids[function] if function else None)
            for level, functions in matter.responsibilities.items()
            for function in functions
        }
        wanted_limits = {
            (row.step, row.level, row.is_urgent, row.amount, row.unit, row.source)
            for row in limits.get(code, [])
        }
        rule = rules.get(category_ids[code])
        if rule is None:
            rule = MatterRule.objects.create(category_id=category_ids[code], **wanted_fields)
            have_duties: set[tuple[str, int | None]] = set()
            have_limits: set[tuple[str, str, bool, Decimal, str, str]] = set()
            created_codes.append(code)
        else:
            have_duties = {(duty.level, duty.function_id) for duty in rule.responsibilities.all()}
            have_limits = {
                (limit.step, limit.level, limit.is_urgent, limit.amount, limit.unit, limit.source)
                for limit in rule.time_limits.all()
            }
            if (
                any(getattr(rule, key) != value for key, value in wanted_fields.items())
                or have_duties != wanted_duties
                or have_limits != wanted_limits
            ):
                for key, value in wanted_fields.items():
                    setattr(rule, key, value)
                rule.updated_at = stamp
                rule.save(update_fields=[*wanted_fields, "updated_at"])
                updated_codes.append(code)
        if have_duties != wanted_duties:
            rule.responsibilities.all().delete()
            MatterResponsibility.objects.bulk_create(
                MatterResponsibility(rule=rule, level=level, function_id=function_id)
                for level, function_id in sorted(wanted_duties, key=lambda duty: (duty[0], duty[1] or 0))
            )
        if have_limits != wanted_limits:
            rule.time_limits.all().delete()
            TimeLimit.objects.bulk_create(
                TimeLimit(
                    rule=rule,
                    step=step,
                    level=level,
                    is_urgent=is_urgent,
                    amount=amount,
                    unit=unit,
                    source=source,
                )
                for step, level, is_urgent, amount, unit, source in sorted(wanted_limits)
            )
    report.rules_created, report.rules_updated = len(created_codes), len(updated_codes)
    if report.changed:
        record_audit_event(
            action="load_matters",
            subject_type="catalogue.matterrule",
            actor=actor,
            actor_label=actor_label,
            data={**report.as_dict(), "created_codes": created_codes, "updated_codes": updated_codes},
        )
    return report


def load_matters(*, actor_label: str, actor: Any = None, data_dir: Path | None = None) -> MattersLoadReport:
    """Load matters.csv and time-limits.csv alone (load_catalogue loads them with everything else).

    Their categories must be in the database or the category files. The files are the truth for
    the categories they mention: such a category's rule, duties and limits become exactly the files'.
    Idempotent; any bad row raises CatalogueDataInvalid and nothing is written.
    """
    errors: list[RowError] = []
    data = read_matter_files(data_dir or DATA_DIR, errors)
    if errors:
        raise CatalogueDataInvalid(details={"errors": [error.as_dict() for error in errors]})
    missing = set(data.category_codes) - set(
        CaseCategory.objects.filter(code__in=data.category_codes).values_list("code", flat=True)
    )
    if missing:
        raise CatalogueDataInvalid(
            details={
                "errors": [
                    RowError(
                        MATTERS_FILE, 0, _("category %(code)s is not loaded yet") % {"code": code}
                    ).as_dict()
                    for code in sorted(missing)
                ]
            }
        )
    with transaction.atomic():
        return _apply_matters(data, actor, actor_label)


# -------------------------------------------------------- spreadsheet imports (admin: 从 Excel 导入)
#
# Each import checks every row first and raises SpreadsheetRowsInvalid naming each bad row and column
# before it writes anything; then it creates and updates in one transaction with one audit event, and
# only when something changed. Rows are matched by their key (a code, a date, a category and step);
# an import never deletes. The admin (catalogue/admin.py) reads the sheets and exports the same columns.

SPREADSHEET_SELF_HANDLED = gettext_lazy("the level itself")
DEPARTMENT_CODE = re.compile(r"^[-a-zA-Z0-9_]+$")
DEPARTMENT_CODE_MAX = Department._meta.get_field("code").max_length or 60
DEPARTMENT_NAME_MAX = Department._meta.get_field("name").max_length or 100


def _field_label(model: type[Any], name: str) -> Any:
    return model._meta.get_field(name).verbose_name


DEPARTMENT_SHEET_COLUMNS: tuple[Column, ...] = (
    Column(
        "code",
        _field_label(Department, "code"),
        gettext_lazy("Letters, digits, - and _ (e.g. 330102-housing). A new code creates a department."),
        required=True,
        allow_blank=False,
    ),
    Column(
        "name",
        _field_label(Department, "name"),
        gettext_lazy("The unit's full name."),
        required=True,
        allow_blank=False,
    ),
    Column(
        "function",
        gettext_lazy("function code"),
        gettext_lazy("The code of its function (see the functions sheet); empty for none."),
    ),
    Column(
        "area_code",
        gettext_lazy("owning area code"),
        gettext_lazy("The code of the area the department belongs to."),
        required=True,
        allow_blank=False,
    ),
    Column(
        "served_area_codes",
        gettext_lazy("served area codes"),
        gettext_lazy("The codes of the areas whose cases it handles, separated by ; (usually its own area)."),
    ),
    Column(
        "is_active",
        _field_label(Department, "is_active"),
        gettext_lazy("Empty: yes for a new department, unchanged for a known one."),
        kind=ColumnKind.BOOLEAN,
    ),
)


def _known_function_ids() -> dict[str, int]:
    return dict(DepartmentFunction.objects.values_list("code", "pk"))


def _check_functions(number: int, column: str, codes: list[str], known: dict[str, int]) -> list[CellProblem]:
    unknown = [code for code in codes if code not in known]
    if unknown:
        return [
            CellProblem(
                number, column, _("Unknown function codes: %(codes)s.") % {"codes": ", ".join(unknown)}
            )
        ]
    if len(set(codes)) != len(codes):
        return [CellProblem(number, column, _("A function is listed twice."))]
    return []


def _duplicate(number: int, column: str, key: Any, seen: dict[Any, int], shown: str) -> list[CellProblem]:
    if key in seen:
        return [
            CellProblem(
                number, column, _("%(key)s is also on row %(row)d.") % {"key": shown, "row": seen[key]}
            )
        ]
    seen[key] = number
    return []


def _text_too_long(number: int, column: str, text: str, limit: int) -> list[CellProblem]:
    if len(text) > limit:
        return [CellProblem(number, column, _("Longer than %(max)d characters.") % {"max": limit})]
    return []


def import_departments(
    rows: Sequence[SheetRow],
    *,
    known_problems: Sequence[CellProblem] = (),
    actor: Any = None,
    actor_label: str = "",
    file_name: str = "",
) -> ImportReport:
    """Create and update departments from spreadsheet rows, matched by code (audit: import_departments).

    The served areas become exactly the listed ones. All-or-nothing, idempotent, never deletes.
    """
    problems = list(known_problems)
    functions = _known_function_ids()
    area_codes = {
        code
        for row in rows
        for code in [row.values["area_code"], *split_list(row.values.get("served_area_codes", ""))]
    }
    known_areas: dict[str, Area] = Area.objects.in_bulk(sorted(area_codes)) if area_codes else {}
    seen: dict[Any, int] = {}
    for row in rows:
        number, values = row.number, row.values
        code = values["code"]
        if not DEPARTMENT_CODE.match(code) or len(code) > DEPARTMENT_CODE_MAX:
            problems.append(
                CellProblem(
                    number,
                    "code",
                    _("A code has 1 to %(max)d letters, digits, - or _.") % {"max": DEPARTMENT_CODE_MAX},
                )
            )
        problems += _duplicate(number, "code", code, seen, code)
        problems += _text_too_long(number, "name", values["name"], DEPARTMENT_NAME_MAX)
        if values.get("function"):
            problems += _check_functions(number, "function", [values["function"]], functions)
        if values["area_code"] not in known_areas:
            problems.append(
                CellProblem(
                    number, "area_code", _("No area has the code %(code)s.") % {"code": values["area_code"]}
                )
            )
        served = split_list(values.get("served_area_codes", ""))
        unknown = [area for area in served if area not in known_areas]
        if unknown:
            problems.append(
                CellProblem(
                    number,
                    "served_area_codes",
                    _("No area has the code %(code)s.") % {"code": ", ".join(unknown)},
                )
            )
        elif len(set(served)) != len(served):
            problems.append(CellProblem(number, "served_area_codes", _("An area is listed twice.")))
    raise_for_problems(problems)
    created: list[str] = []
    updated: list[str] = []
    stamp = now()
    with transaction.atomic():
        existing = {
            department.code: department
            for department in Department.objects.filter(code__in=[row.values["code"] for row in rows])
            .select_for_update(of=("self",))
            .prefetch_related("served_areas")
        }
        for row in rows:
            values = row.values
            wanted: dict[str, Any] = {
                "name": values["name"],
                "function_id": functions[values["function"]] if values.get("function") else None,
                "area_id": values["area_code"],
            }
            if "served_area_codes" in values:
                served_codes: list[str] | None = split_list(values["served_area_codes"])
            else:
                served_codes = None
            department = existing.get(values["code"])
            if department is None:
                department = Department.objects.create(
                    code=values["code"],
                    is_active=values.get("is_active") is not False,
                    **wanted,
                )
                department.served_areas.set(
                    [known_areas[code] for code in served_codes]
                    if served_codes is not None
                    else [known_areas[values["area_code"]]]
                )
                created.append(department.code)
                continue
            if values.get("is_active") is not None:
                wanted["is_active"] = values["is_active"]
            changed = [name for name, value in wanted.items() if getattr(department, name) != value]
            if changed:
                for name in changed:
                    setattr(department, name, wanted[name])
                department.updated_at = stamp
                department.save(update_fields=[*changed, "updated_at"])
            if served_codes is not None and sorted(a.code for a in department.served_areas.all()) != sorted(
                served_codes
            ):
                department.served_areas.set([known_areas[code] for code in served_codes])
                changed.append("served_areas")
            if changed:
                updated.append(department.code)
        report = record_import(
            "import_departments",
            "catalogue.department",
            rows=len(rows),
            created=created,
            updated=updated,
            file_name=file_name,
            actor=actor,
            actor_label=actor_label,
        )
    return report


CATEGORY_SHEET_COLUMNS: tuple[Column, ...] = (
    Column(
        "code",
        _field_label(CaseCategory, "code"),
        gettext_lazy(
            "The scheme's letter (E events, C components, M citizen messages) and two digits per level: "
            "E01, E0101. A new code creates a category."
        ),
        required=True,
        allow_blank=False,
    ),
    Column(
        "name",
        _field_label(CaseCategory, "name"),
        gettext_lazy("Unique under its parent."),
        required=True,
        allow_blank=False,
    ),
    Column(
        "scheme",
        _field_label(CaseCategory, "scheme"),
        gettext_lazy("Must agree with the code's letter."),
        kind=ColumnKind.CHOICE,
        choices=tuple(CategoryScheme.choices),
        required=True,
        allow_blank=False,
    ),
    Column(
        "parent_code",
        gettext_lazy("parent code"),
        gettext_lazy(
            "The code without its last two digits; empty for a top-level category. It may be left empty."
        ),
    ),
    Column(
        "functions",
        gettext_lazy("function codes"),
        gettext_lazy("The functions that answer for it, separated by ;. Empty: as the parent category."),
    ),
    Column(
        "is_public",
        _field_label(CaseCategory, "is_public"),
        gettext_lazy("Residents may choose it. Empty: yes for a new category, unchanged for a known one."),
        kind=ColumnKind.BOOLEAN,
    ),
    Column(
        "is_active",
        _field_label(CaseCategory, "is_active"),
        gettext_lazy("Empty: yes for a new category, unchanged for a known one."),
        kind=ColumnKind.BOOLEAN,
    ),
)


def _category_row_problems(row: SheetRow, functions: dict[str, int]) -> list[CellProblem]:
    number, values = row.number, row.values
    code, scheme = values["code"], values["scheme"]
    problems: list[CellProblem] = []
    if not CATEGORY_CODE.match(code):
        problems.append(
            CellProblem(
                number,
                "code",
                _("%(code)s is not a letter followed by one to three two-digit numbers.") % {"code": code},
            )
        )
    else:
        if code[0] != SCHEME_LETTER[scheme]:
            problems.append(
                CellProblem(
                    number,
                    "scheme",
                    _("The codes of this scheme start with %(letter)s.") % {"letter": SCHEME_LETTER[scheme]},
                )
            )
        elif category_depth(code) > SCHEME_MAX_DEPTH[scheme]:
            problems.append(
                CellProblem(
                    number,
                    "code",
                    _("This scheme has at most %(max)d levels.") % {"max": SCHEME_MAX_DEPTH[scheme]},
                )
            )
        expected = parent_category_code(code) or ""
        if values.get("parent_code") and values["parent_code"] != expected:
            problems.append(
                CellProblem(
                    number,
                    "parent_code",
                    _("The parent of %(code)s is %(expected)s.")
                    % {"code": code, "expected": expected or "—"},
                )
            )
    problems += _text_too_long(number, "name", values["name"], MAX_NAME_LENGTH)
    if "functions" in values:
        problems += _check_functions(number, "functions", split_list(values["functions"]), functions)
    return problems


def import_categories(
    rows: Sequence[SheetRow],
    *,
    known_problems: Sequence[CellProblem] = (),
    actor: Any = None,
    actor_label: str = "",
    file_name: str = "",
) -> ImportReport:
    """Create and update case categories from spreadsheet rows, matched by code (audit: import_categories).

    Parents must be stored or in the file; names stay unique under a parent; functions become
    exactly the listed ones. All-or-nothing, idempotent, never deletes.
    """
    problems = list(known_problems)
    functions = _known_function_ids()
    seen: dict[Any, int] = {}
    for row in rows:
        problems += _category_row_problems(row, functions)
        problems += _duplicate(row.number, "code", row.values["code"], seen, row.values["code"])
    stored = {category.code: category for category in CaseCategory.objects.all()}
    # (parent code or "", scheme, name) of every category once the file is in, to keep names unique.
    final: dict[str, tuple[str, str, str]] = {
        code: (category.code[:-2] if category.depth > 1 else "", category.scheme, category.name)
        for code, category in stored.items()
    }
    good_rows = [row for row in rows if CATEGORY_CODE.match(row.values["code"])]
    for row in good_rows:
        code = row.values["code"]
        final[code] = (parent_category_code(code) or "", row.values["scheme"], row.values["name"])
    holders: dict[tuple[str, str, str], list[str]] = {}
    for code, key in final.items():
        holders.setdefault((key[0], key[1] if not key[0] else "", key[2]), []).append(code)
    for row in good_rows:
        code = row.values["code"]
        parent = parent_category_code(code)
        if parent is not None and parent not in final:
            problems.append(
                CellProblem(
                    row.number,
                    "code",
                    _("The parent category %(parent)s is neither stored nor in this file.")
                    % {"parent": parent},
                )
            )
        elif (
            parent is not None
            and code[0] == SCHEME_LETTER[row.values["scheme"]]
            and final[parent][1] != row.values["scheme"]
        ):
            problems.append(
                CellProblem(
                    row.number,
                    "scheme",
                    _("The parent category %(parent)s is of another scheme.") % {"parent": parent},
                )
            )
        key = final[code]
        others = [other for other in holders[(key[0], key[1] if not key[0] else "", key[2])] if other != code]
        if others:
            problems.append(
                CellProblem(
                    row.number,
                    "name",
                    _("%(other)s under the same parent has this name too.")
                    % {"other": ", ".join(sorted(others))},
                )
            )
    raise_for_problems(problems)
    through = CaseCategory.functions.through
    created: list[str] = []
    updated: list[str] = []
    stamp = now()
    try:
        with transaction.atomic():
            current = {category.code: category for category in CaseCategory.objects.select_for_update()}
            have_functions: dict[int, set[int]] = {}
            for category_id, function_id in through.objects.values_list(
                "casecategory_id", "departmentfunction_id"
            ):
                have_functions.setdefault(category_id, set()).add(function_id)
            for row in sorted(rows, key=lambda row: (category_depth(row.values["code"]), row.values["code"])):
                values = row.values
                code = values["code"]
                parent_code = parent_category_code(code)
                wanted: dict[str, Any] = {
                    "name": values["name"],
                    "scheme": values["scheme"],
                    "parent_id": current[parent_code].pk if parent_code else None,
                    "depth": category_depth(code),
                }
                category = current.get(code)
                if category is None:
                    category = CaseCategory.objects.create(
                        code=code,
                        is_public=values.get("is_public") is not False,
                        is_active=values.get("is_active") is not False,
                        **wanted,
                    )
                    current[code] = category
                    created.append(code)
                    changed: list[str] = []
                else:
                    for flag in ("is_public", "is_active"):
                        if values.get(flag) is not None:
                            wanted[flag] = values[flag]
                    changed = [name for name, value in wanted.items() if getattr(category, name) != value]
                    if changed:
                        for name in changed:
                            setattr(category, name, wanted[name])
                        category.updated_at = stamp
                        category.save(update_fields=[*changed, "updated_at"])
                if "functions" in values:
                    wanted_functions = {functions[function] for function in split_list(values["functions"])}
                    having = have_functions.get(category.pk, set())
                    if wanted_functions != having:
                        through.objects.filter(
                            casecategory_id=category.pk, departmentfunction_id__in=having - wanted_functions
                        ).delete()
                        through.objects.bulk_create(
                            through(casecategory_id=category.pk, departmentfunction_id=function_id)
                            for function_id in sorted(wanted_functions - having)
                        )
                        changed.append("functions")
                if changed and code not in created:
                    updated.append(code)
            report = record_import(
                "import_categories",
                "catalogue.casecategory",
                rows=len(rows),
                created=created,
                updated=updated,
                file_name=file_name,
                actor=actor,
                actor_label=actor_label,
            )
    except IntegrityError as error:
        # Two names swapped between siblings in one file pass the check but clash half-way.
        raise SpreadsheetRowsInvalid(
            [
                CellProblem(
                    0,
                    "name",
                    _("Two categories would share a name for a moment; rename them in two imports."),
                )
            ]
        ) from error
    return report


MATTER_SHEET_COLUMNS: tuple[Column, ...] = (
    Column(
        "category",
        gettext_lazy("category code"),
        gettext_lazy("The category's code; its matter rule is created or updated."),
        required=True,
        allow_blank=False,
    ),
    Column(
        "normal_level",
        _field_label(MatterRule, "normal_level"),
        gettext_lazy("The level that normally handles it. Empty: as the parent category."),
        kind=ColumnKind.CHOICE,
        choices=tuple(ResponseLevel.choices),
    ),
    Column(
        "allows_urgent",
        _field_label(MatterRule, "allows_urgent"),
        gettext_lazy("Whether a case may be marked urgent. Empty: as the parent category."),
        kind=ColumnKind.BOOLEAN,
    ),
    *(
        Column(
            level,
            label,
            gettext_lazy(
                "Function codes answering at this level, separated by ;, or “the level itself” (属地). "
                "Empty: as the parent category."
            ),
        )
        for level, label in ResponseLevel.choices
    ),
)


def _self_words() -> set[str]:
    words = {SELF_HANDLED, "属地"}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            words.add(str(SPREADSHEET_SELF_HANDLED).casefold())
    return words


def _duties_cell(
    number: int, level: str, text: str, functions: dict[str, int], self_words: set[str]
) -> tuple[set[int | None], list[CellProblem]]:
    items = split_list(text)
    duties: set[int | None] = {None for item in items if item.casefold() in self_words}
    codes = [item for item in items if item.casefold() not in self_words]
    problems = _check_functions(number, level, codes, functions)
    if not problems:
        duties |= {functions[code] for code in codes}
    return duties, problems


def import_matter_rules(
    rows: Sequence[SheetRow],
    *,
    known_problems: Sequence[CellProblem] = (),
    actor: Any = None,
    actor_label: str = "",
    file_name: str = "",
) -> ImportReport:
    """Create and update matter rules from spreadsheet rows, one per category (audit: import_matter_rules).

    A level column present in the sheet sets that level's duties exactly; time limits are imported on
    their own (`import_time_limits`). All-or-nothing, idempotent, never deletes a rule.
    """
    problems = list(known_problems)
    functions = _known_function_ids()
    self_words = _self_words()
    categories = dict(
        CaseCategory.objects.filter(code__in=[row.values["category"] for row in rows]).values_list(
            "code", "pk"
        )
    )
    seen: dict[Any, int] = {}
    duties: dict[int, dict[str, set[int | None]]] = {}
    for row in rows:
        number, values = row.number, row.values
        if values["category"] not in categories:
            problems.append(
                CellProblem(
                    number, "category", _("No category has the code %(code)s.") % {"code": values["category"]}
                )
            )
        problems += _duplicate(number, "category", values["category"], seen, values["category"])
        duties[number] = {}
        for level in LEVEL_COLUMNS:
            if level in values:
                duties[number][level], level_problems = _duties_cell(
                    number, level, values[level], functions, self_words
                )
                problems += level_problems
    raise_for_problems(problems)
    created: list[str] = []
    updated: list[str] = []
    stamp = now()
    with transaction.atomic():
        rules = {
            rule.category_id: rule
            for rule in MatterRule.objects.filter(category_id__in=categories.values())
            .select_for_update(of=("self",))
            .prefetch_related("responsibilities")
        }
        for row in rows:
            values = row.values
            category_id = categories[values["category"]]
            wanted: dict[str, Any] = {}
            if "normal_level" in values:
                wanted["normal_level"] = values["normal_level"]
            if "allows_urgent" in values:
                wanted["allows_urgent"] = values["allows_urgent"]
            rule = rules.get(category_id)
            if rule is None:
                rule = MatterRule.objects.create(category_id=category_id, **wanted)
                having: dict[str, set[int | None]] = {}
                created.append(values["category"])
                changed = True
            else:
                having = {}
                for duty in rule.responsibilities.all():
                    having.setdefault(duty.level, set()).add(duty.function_id)
                changed_fields = [name for name, value in wanted.items() if getattr(rule, name) != value]
                for name in changed_fields:
                    setattr(rule, name, wanted[name])
                changed = bool(changed_fields)
            for level, wanted_duties in duties[row.number].items():
                if having.get(level, set()) != wanted_duties:
                    rule.responsibilities.filter(level=level).delete()
                    MatterResponsibility.objects.bulk_create(
                        MatterResponsibility(rule=rule, level=level, function_id=function_id)
                        for function_id in sorted(wanted_duties, key=lambda function_id: function_id or 0)
                    )
                    changed = True
            if changed and values["category"] not in created:
                rule.updated_at = stamp
                rule.save()
                updated.append(values["category"])
        report = record_import(
            "import_matter_rules",
            "catalogue.matterrule",
            rows=len(rows),
            created=created,
            updated=updated,
            file_name=file_name,
            actor=actor,
            actor_label=actor_label,
        )
    return report


TIME_LIMIT_SHEET_COLUMNS: tuple[Column, ...] = (
    Column(
        "category",
        gettext_lazy("category code"),
        gettext_lazy("The category's code."),
        required=True,
        allow_blank=False,
    ),
    Column(
        "step",
        _field_label(TimeLimit, "step"),
        gettext_lazy("The step of the closed loop the limit is for."),
        kind=ColumnKind.CHOICE,
        choices=tuple(Step.choices),
        required=True,
        allow_blank=False,
    ),
    Column(
        "level",
        _field_label(TimeLimit, "level"),
        gettext_lazy("Empty: at every level."),
        kind=ColumnKind.CHOICE,
        choices=tuple(ResponseLevel.choices),
        required=True,
    ),
    Column(
        "is_urgent",
        _field_label(TimeLimit, "is_urgent"),
        gettext_lazy("The limit for urgent cases. Empty: no."),
        kind=ColumnKind.BOOLEAN,
        required=True,
    ),
    Column(
        "amount",
        _field_label(TimeLimit, "amount"),
        gettext_lazy("Above 0, at most two decimals; whole in working days."),
        kind=ColumnKind.DECIMAL,
        required=True,
        allow_blank=False,
    ),
    Column(
        "unit",
        _field_label(TimeLimit, "unit"),
        "",
        kind=ColumnKind.CHOICE,
        choices=tuple(LimitUnit.choices),
        required=True,
        allow_blank=False,
    ),
    Column(
        "source",
        _field_label(TimeLimit, "source"),
        gettext_lazy("Where the value comes from (a local rule)."),
    ),
)


def _amount_problems(number: int, amount: Decimal, unit: str) -> list[CellProblem]:
    if amount <= 0 or amount > MAX_LIMIT_AMOUNT:
        message = _("The amount must be above 0 and at most %(max)s.") % {"max": MAX_LIMIT_AMOUNT}
    elif amount != amount.quantize(Decimal("0.01")):
        message = _("The amount has more than two decimals.")
    elif unit == LimitUnit.WORKING_DAYS and amount != amount.to_integral_value():
        message = _("A limit in working days must be a whole number (write working hours instead).")
    else:
        return []
    return [CellProblem(number, "amount", message)]


def import_time_limits(
    rows: Sequence[SheetRow],
    *,
    known_problems: Sequence[CellProblem] = (),
    actor: Any = None,
    actor_label: str = "",
    file_name: str = "",
) -> ImportReport:
    """Create and update time limits, matched by (category, step, level, urgent) (audit: import_time_limits).

    A category without a matter rule gets an empty one (everything inherited). All-or-nothing,
    idempotent, never deletes a limit.
    """
    problems = list(known_problems)
    categories = dict(
        CaseCategory.objects.filter(code__in=[row.values["category"] for row in rows]).values_list(
            "code", "pk"
        )
    )
    seen: dict[Any, int] = {}
    for row in rows:
        number, values = row.number, row.values
        if values["category"] not in categories:
            problems.append(
                CellProblem(
                    number, "category", _("No category has the code %(code)s.") % {"code": values["category"]}
                )
            )
        problems += _amount_problems(number, values["amount"], values["unit"])
        problems += _text_too_long(number, "source", values.get("source", ""), MAX_SOURCE_LENGTH)
        key = (values["category"], values["step"], values["level"], bool(values["is_urgent"]))
        problems += _duplicate(number, "step", key, seen, _("The same limit"))
    raise_for_problems(problems)
    updated: list[str] = []
    stamp = now()
    with transaction.atomic():
        rules = dict(
            MatterRule.objects.filter(category_id__in=categories.values()).values_list("category_id", "pk")
        )
        limits = {
            (limit.rule_id, limit.step, limit.level, limit.is_urgent): limit
            for limit in TimeLimit.objects.filter(rule_id__in=rules.values()).select_for_update()
        }
        created_keys: list[str] = []
        for row in rows:
            values = row.values
            category_id = categories[values["category"]]
            if category_id not in rules:
                rules[category_id] = MatterRule.objects.create(category_id=category_id).pk
            key = (rules[category_id], values["step"], values["level"], bool(values["is_urgent"]))
            label = f"{values['category']} {values['step']} {values['level'] or '*'}{' !' if key[3] else ''}"
            wanted = {"amount": values["amount"], "unit": values["unit"], "source": values.get("source", "")}
            limit = limits.get(key)
            if limit is None:
                TimeLimit.objects.create(
                    rule_id=key[0], step=key[1], level=key[2], is_urgent=key[3], **wanted
                )
                created_keys.append(label)
                continue
            changed = [name for name, value in wanted.items() if getattr(limit, name) != value]
            if changed:
                for name in changed:
                    setattr(limit, name, wanted[name])
                limit.updated_at = stamp
                limit.save(update_fields=[*changed, "updated_at"])
                updated.append(label)
        report = record_import(
            "import_time_limits",
            "catalogue.timelimit",
            rows=len(rows),
            created=created_keys,
            updated=updated,
            file_name=file_name,
            actor=actor,
            actor_label=actor_label,
        )
    return report


HOLIDAY_SHEET_COLUMNS: tuple[Column, ...] = (
    Column(
        "date",
        _field_label(HolidayDate, "date"),
        gettext_lazy("The day (YYYY-MM-DD). A new date creates a row, a known one updates it."),
        kind=ColumnKind.DATE,
        required=True,
        allow_blank=False,
    ),
    Column(
        "kind",
        _field_label(HolidayDate, "kind"),
        gettext_lazy("A make-up working day is a Saturday or Sunday."),
        kind=ColumnKind.CHOICE,
        choices=tuple(HolidayKind.choices),
        required=True,
        allow_blank=False,
    ),
    Column(
        "name",
        _field_label(HolidayDate, "name"),
        gettext_lazy("The holiday it belongs to, e.g. 国庆节."),
        required=True,
        allow_blank=False,
    ),
)


def import_holidays(
    rows: Sequence[SheetRow],
    *,
    known_problems: Sequence[CellProblem] = (),
    actor: Any = None,
    actor_label: str = "",
    file_name: str = "",
) -> ImportReport:
    """Create and update holidays and make-up working days, matched by date (audit: import_holidays).

    Unlike a calendar year file (load_calendar) an import never deletes a date. All-or-nothing,
    idempotent; the working calendar rebuilds from the moved `updated_at`.
    """
    problems = list(known_problems)
    seen: dict[Any, int] = {}
    for row in rows:
        number, values = row.number, row.values
        day: date = values["date"]
        problems += _duplicate(number, "date", day, seen, day.isoformat())
        if values["kind"] == HolidayKind.MAKEUP_WORKDAY and day.weekday() < 5:
            problems.append(
                CellProblem(
                    number,
                    "kind",
                    _("%(date)s is a weekday: a make-up working day is a Saturday or Sunday.")
                    % {"date": day.isoformat()},
                )
            )
        problems += _text_too_long(number, "name", values["name"], MAX_HOLIDAY_NAME_LENGTH)
    raise_for_problems(problems)
    created: list[str] = []
    updated: list[str] = []
    stamp = now()
    with transaction.atomic():
        existing = {
            holiday.date: holiday
            for holiday in HolidayDate.objects.filter(
                date__in=[row.values["date"] for row in rows]
            ).select_for_update()
        }
        for row in rows:
            values = row.values
            holiday = existing.get(values["date"])
            if holiday is None:
                HolidayDate.objects.create(date=values["date"], kind=values["kind"], name=values["name"])
                created.append(values["date"].isoformat())
            elif (holiday.kind, holiday.name) != (values["kind"], values["name"]):
                holiday.kind, holiday.name, holiday.updated_at = values["kind"], values["name"], stamp
                holiday.save(update_fields=["kind", "name", "updated_at"])
                updated.append(values["date"].isoformat())
        report = record_import(
            "import_holidays",
            "catalogue.holidaydate",
            rows=len(rows),
            created=created,
            updated=updated,
            file_name=file_name,
            actor=actor,
            actor_label=actor_label,
        )
    return report
