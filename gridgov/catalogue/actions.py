"""Every write to functions, categories and departments. Each is one transaction with its audit event.

Who may call these is decided by the entry points: today the command line and the Django admin,
both for administrators.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction

from gridgov.areas.models import Area, AreaLevel
from gridgov.catalogue.datafiles import DATA_DIR, CatalogueData, read_catalogue
from gridgov.catalogue.errors import AreaUnknown, CatalogueDataInvalid, DepartmentInvalid, NotADistrict
from gridgov.catalogue.models import CaseCategory, Department, DepartmentFunction
from gridgov.core.area_codes import InvalidCode, Level, normalize_code, scope_prefix
from gridgov.core.audit import record_audit_event
from gridgov.core.clock import now


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
    """
    data, errors = read_catalogue(data_dir or DATA_DIR)
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
