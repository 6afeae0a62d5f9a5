"""Every write to the area tree: the upsert, the division import and the boundary import.

Each public function is one business step inside `transaction.atomic` that records one audit event.
Imports check everything first and raise with a report of every bad row or feature before they
write anything, so a refused import leaves the database as it was.
"""

import csv
import gzip
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from shapely.geometry import mapping
from tqdm import tqdm

from gridgov.areas import geometry
from gridgov.areas.errors import (
    AreaParentMissing,
    AreaRowInvalid,
    BoundaryImportInvalid,
    DivisionImportInvalid,
    GeometryInvalid,
)
from gridgov.areas.models import Area, AreaLevel, BoundarySource, BoundaryVersion
from gridgov.core.area_codes import (
    LEVEL_ORDER,
    SEGMENT_WIDTH,
    InvalidCode,
    Level,
    child_code,
    is_within,
    level_of,
    normalize_code,
)
from gridgov.core.area_codes import parent_code as code_parent
from gridgov.core.audit import record_audit_event
from gridgov.core.clock import now
from gridgov.core.coordinates import UnknownCoordinateSystem, check_system
from gridgov.core.spreadsheets import (
    CellProblem,
    Column,
    ColumnKind,
    ImportReport,
    SheetRow,
    raise_for_problems,
)

BUNDLED_DATA_DIR = Path(__file__).resolve().parent / "data"
NAME_MAX_LENGTH = Area._meta.get_field("name").max_length or 100
# Rows per INSERT / UPDATE statement. SQLite allows 32,766 parameters per statement; an area row
# has 16 columns. Updates are CASE expressions per column, hence smaller batches.
CREATE_BATCH = 1000
UPDATE_BATCH = 250
BOUNDARY_UPDATE_BATCH = 50
# Codes per `code IN (…)` read, below SQLite's historical 999-parameter limit.
READ_CHUNK = 900

BASIC_FIELDS = ["name", "level", "parent", "households", "updated_at"]
BOUNDARY_FIELDS = [
    "boundary",
    "boundary_source",
    "min_lon",
    "min_lat",
    "max_lon",
    "max_lat",
    "centre_lon",
    "centre_lat",
    "area_km2",
]
_METRIC_FIELDS = BOUNDARY_FIELDS[2:]


# ---------------------------------------------------------------------------------------------
# The upsert


@dataclass
class AreaRow:
    """One area to create or update. `boundary` and `households` of None leave the stored value."""

    code: str
    name: str
    level: Level
    parent_code: str | None
    boundary: dict[str, Any] | None = None
    households: int | None = None


@dataclass(frozen=True)
class UpsertReport:
    created: int
    updated: int
    unchanged: int
    # Rows whose boundary (or its measurements) was written: created with one, or changed.
    boundaries_changed: int = 0
    # BoundaryVersion.version after the call when it was bumped, else None.
    boundary_version: int | None = None

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict[str, int]:
        """The counts (and the new boundary version when there is one), for reports and logs."""
        counts = {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "boundaries_changed": self.boundaries_changed,
        }
        if self.boundary_version is not None:
            counts["boundary_version"] = self.boundary_version
        return counts


@dataclass
class _Checked:
    row: AreaRow
    level: Level
    depth: int
    name: str
    boundary: dict[str, Any] | None = None
    metrics: geometry.BoundaryMetrics | None = None


def _chunks(items: Sequence[str], size: int = READ_CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _problem(position: int, code: str, reason: str) -> dict[str, Any]:
    return {"position": position, "code": code, "reason": reason}


def _check_rows(rows: Sequence[AreaRow]) -> list[_Checked]:
    """Check each row on its own (code, level, name, boundary); raise AreaRowInvalid listing all."""
    problems: list[dict[str, Any]] = []
    checked: list[_Checked] = []
    seen: dict[str, int] = {}
    for position, row in enumerate(rows):
        code = str(row.code)
        try:
            level = Level(row.level)
        except ValueError:
            problems.append(_problem(position, code, _("unknown level %(level)r") % {"level": row.level}))
            continue
        try:
            code_level = level_of(code)
        except InvalidCode as exc:
            problems.append(_problem(position, code, _("bad code: %(error)s") % {"error": exc}))
            continue
        if code_level != level:
            problems.append(
                _problem(
                    position,
                    code,
                    _("the code is a %(code_level)s code but the row says %(level)s")
                    % {"code_level": code_level.value, "level": level.value},
                )
            )
            continue
        if code in seen:
            problems.append(
                _problem(position, code, _("duplicate code (also row %(other)d)") % {"other": seen[code]})
            )
            continue
        seen[code] = position
        name = (row.name or "").strip()
        if not name:
            problems.append(_problem(position, code, _("the name is empty")))
        elif len(name) > NAME_MAX_LENGTH:
            problems.append(
                _problem(
                    position, code, _("the name is longer than %(max)d characters") % {"max": NAME_MAX_LENGTH}
                )
            )
        if row.households is not None and (not isinstance(row.households, int) or row.households < 0):
            problems.append(_problem(position, code, _("households must be a whole number of at least 0")))
        if level is Level.PROVINCE and row.parent_code is not None:
            problems.append(_problem(position, code, _("a province has no parent")))
        elif level is not Level.PROVINCE:
            if not row.parent_code:
                problems.append(_problem(position, code, _("the parent code is missing")))
            elif not _parent_fits(code, row.parent_code):
                problems.append(
                    _problem(
                        position,
                        code,
                        _("the code does not lie inside its parent %(parent)s") % {"parent": row.parent_code},
                    )
                )
        item = _Checked(row=row, level=level, depth=geometry.level_depth(level), name=name)
        if row.boundary is not None:
            try:
                polygon = geometry.polygonal_geometry(row.boundary, repair=False)
            except GeometryInvalid as exc:
                problems.append(_problem(position, code, str(exc.message)))
            else:
                item.boundary = polygon.as_geojson()
                item.metrics = geometry.boundary_metrics(polygon.geometry)
        checked.append(item)
    if problems:
        raise AreaRowInvalid(details={"problems": problems})
    return checked


def _parent_fits(code: str, parent: str) -> bool:
    try:
        parent_level = level_of(parent)
    except InvalidCode:
        return False
    return geometry.level_depth(parent_level) < geometry.level_depth(level_of(code)) and is_within(
        code, parent
    )


def _check_parents(checked: Sequence[_Checked]) -> None:
    """Every parent exists, in the database or at a higher level in the same batch."""
    in_batch = {item.row.code: item.depth for item in checked}
    outside = sorted(
        {
            item.row.parent_code
            for item in checked
            if item.row.parent_code and item.row.parent_code not in in_batch
        }
    )
    stored: set[str] = set()
    for chunk in _chunks(outside):
        stored.update(Area.objects.filter(code__in=chunk).values_list("code", flat=True))
    problems = [
        {"code": item.row.code, "parent": item.row.parent_code, "reason": _("the parent does not exist")}
        for item in checked
        if item.row.parent_code
        and item.row.parent_code not in in_batch
        and item.row.parent_code not in stored
    ]
    if problems:
        raise AreaParentMissing(details={"problems": problems})


def _existing_rows(codes: Sequence[str]) -> dict[str, dict[str, Any]]:
    columns = ["code", "name", "level", "parent_id", "households", "boundary_source", *_METRIC_FIELDS]
    existing: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(codes):
        for values in Area.objects.filter(code__in=chunk).values(*columns):
            existing[values["code"]] = values
    return existing


def _existing_boundaries(codes: Sequence[str]) -> dict[str, Any]:
    boundaries: dict[str, Any] = {}
    for chunk in _chunks(codes):
        boundaries.update(Area.objects.filter(code__in=chunk).values_list("code", "boundary"))
    return boundaries


def _bump_version() -> int:
    """Move the single BoundaryVersion row on (locked against concurrent bumps on PostgreSQL)."""
    BoundaryVersion.objects.get_or_create(pk=1)
    row = BoundaryVersion.objects.select_for_update().get(pk=1)
    row.version = geometry.next_boundary_version(row.version)
    row.changed_at = now()
    row.save(update_fields=["version", "changed_at"])
    return row.version


def bump_boundary_version(*, actor: Any = None, actor_label: str = "", reason: str = "") -> int:
    """Move the boundary version so every process rebuilds its locate index; returns the new version.

    For callers that write boundaries in several `upsert_areas(bump_version=False)` calls.
    """
    with transaction.atomic():
        version = _bump_version()
        record_audit_event(
            action="bump_boundary_version",
            subject_type="areas.boundary_version",
            subject_id="1",
            actor=actor,
            actor_label=actor_label,
            data={"version": version, "reason": reason},
        )
    return version


def upsert_areas(
    rows: Iterable[AreaRow],
    *,
    actor_label: str,
    boundary_source: str = "",
    bump_version: bool = True,
    actor: Any = None,
    audit_action: str = "upsert_areas",
    audit_data: Mapping[str, Any] | None = None,
    progress: bool = False,
) -> UpsertReport:
    """Create the missing areas and update the changed ones, in bulk; an identical rerun writes nothing.

    Rows are checked first (code matches level, name, parent inside which the code lies, valid
    polygonal boundary) and sorted by level, so a parent may come in the same batch; a parent
    that is neither in the batch nor in the database raises AreaParentMissing, any other bad row
    AreaRowInvalid, each with every problem listed and nothing written. A row with a boundary
    also gets its bounding box, centre and approximate area, and the boundary source
    `boundary_source` ("imported" when left empty). When any boundary changed and `bump_version`
    is set, BoundaryVersion moves so that every locate index rebuilds. `updated_at` moves only on
    rows that changed. One audit event records the counts.
    """
    if boundary_source not in BoundarySource.values:
        raise AreaRowInvalid(
            _("Unknown boundary source %(source)r.") % {"source": boundary_source},
            details={"boundary_source": boundary_source},
        )
    source = boundary_source or BoundarySource.IMPORTED.value
    checked = sorted(_check_rows(list(rows)), key=lambda item: (item.depth, item.row.code))
    with transaction.atomic():
        _check_parents(checked)
        codes = [item.row.code for item in checked]
        existing = _existing_rows(codes)
        old_boundaries = _existing_boundaries(
            [item.row.code for item in checked if item.boundary is not None and item.row.code in existing]
        )
        stamp = now()
        to_create: list[Area] = []
        basic_updates: list[Area] = []
        boundary_updates: list[Area] = []
        unchanged = 0
        boundaries_changed = 0
        for item in checked:
            row = item.row
            old = existing.get(row.code)
            wanted: dict[str, Any] = {
                "name": item.name,
                "level": item.level.value,
                "parent_id": row.parent_code,
                "households": row.households if row.households is not None else (old or {}).get("households"),
            }
            if item.boundary is not None and item.metrics is not None:
                wanted["boundary_source"] = source
                wanted.update(asdict(item.metrics))
            if old is None:
                to_create.append(Area(code=row.code, updated_at=stamp, boundary=item.boundary, **wanted))
                boundaries_changed += item.boundary is not None
                continue
            boundary_changed = item.boundary is not None and (
                old_boundaries.get(row.code) != item.boundary
                or any(old[name] != wanted[name] for name in ["boundary_source", *_METRIC_FIELDS])
            )
            basic_changed = any(
                old[name] != wanted[name] for name in ("name", "level", "parent_id", "households")
            )
            if not (boundary_changed or basic_changed):
                unchanged += 1
                continue
            area = Area(code=row.code, updated_at=stamp, **wanted)
            if boundary_changed:
                area.boundary = item.boundary
                boundary_updates.append(area)
                boundaries_changed += 1
            else:
                basic_updates.append(area)
        bar = tqdm(
            total=len(to_create) + len(basic_updates) + len(boundary_updates),
            disable=not progress,
            desc=_("writing areas"),
            unit=_("areas"),
        )
        with bar:
            for start in range(0, len(to_create), CREATE_BATCH):
                batch = to_create[start : start + CREATE_BATCH]
                Area.objects.bulk_create(batch, batch_size=CREATE_BATCH)
                bar.update(len(batch))
            for start in range(0, len(basic_updates), UPDATE_BATCH):
                batch = basic_updates[start : start + UPDATE_BATCH]
                Area.objects.bulk_update(batch, BASIC_FIELDS, batch_size=UPDATE_BATCH)
                bar.update(len(batch))
            for start in range(0, len(boundary_updates), BOUNDARY_UPDATE_BATCH):
                batch = boundary_updates[start : start + BOUNDARY_UPDATE_BATCH]
                Area.objects.bulk_update(
                    batch, BASIC_FIELDS + BOUNDARY_FIELDS, batch_size=BOUNDARY_UPDATE_BATCH
                )
                bar.update(len(batch))
        version = _bump_version() if boundaries_changed and bump_version else None
        report = UpsertReport(
            created=len(to_create),
            updated=len(basic_updates) + len(boundary_updates),
            unchanged=unchanged,
            boundaries_changed=boundaries_changed,
            boundary_version=version,
        )
        record_audit_event(
            action=audit_action,
            subject_type="areas.area",
            actor=actor,
            actor_label=actor_label,
            data={
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "boundaries_changed": report.boundaries_changed,
                "boundary_source": source if boundaries_changed else "",
                "boundary_version": version,
                **(audit_data or {}),
            },
        )
    return report


# ---------------------------------------------------------------------------------------------
# The division import (统计用区划代码)


@dataclass(frozen=True)
class _DivisionFile:
    name: str
    level: Level
    parent_column: str | None
    required: bool = True


# In tree order: each file's parents are in the file before it.
DIVISION_FILES: tuple[_DivisionFile, ...] = (
    _DivisionFile("provinces.csv", Level.PROVINCE, None),
    _DivisionFile("cities.csv", Level.CITY, "provinceCode"),
    _DivisionFile("areas.csv", Level.DISTRICT, "cityCode"),
    _DivisionFile("streets.csv", Level.STREET, "areaCode"),
    _DivisionFile("hangzhou-villages.csv", Level.COMMUNITY, "parent_code", required=False),
)


@dataclass
class _DivisionState:
    rows: list[AreaRow] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    # (level, code as written) → the 12-digit code it stands for. A merged placeholder row maps to
    # its parent's code.
    resolved: dict[tuple[Level, str], str] = field(default_factory=dict)
    # (level, code as written) → "file:line" of a rejected row, to explain its children's errors.
    rejected: dict[tuple[Level, str], str] = field(default_factory=dict)
    # 12-digit code → (name, parent, "file:line")
    seen: dict[str, tuple[str, str | None, str]] = field(default_factory=dict)
    merged: int = 0
    duplicates: int = 0


def _division_path(data_dir: Path, spec: _DivisionFile) -> Path | None:
    for candidate in (data_dir / spec.name, data_dir / f"{spec.name}.gz"):
        if candidate.is_file():
            return candidate
    return None


@contextmanager
def _open_text(path: Path) -> Iterator[io.TextIOWrapper]:
    """A CSV file as text, gzip-compressed or not; a byte-order mark is ignored."""
    with gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as raw:
        yield io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


class _DivisionReader:
    """Reads one division file into the shared state, noting every bad row."""

    def __init__(self, path: Path, spec: _DivisionFile, state: _DivisionState) -> None:
        self.path = path
        self.label = path.name
        self.spec = spec
        self.state = state
        self.parent_level = LEVEL_ORDER[LEVEL_ORDER.index(spec.level) - 1] if spec.parent_column else None

    def bad(self, line: int, reason: str, raw_code: str = "") -> None:
        self.state.problems.append({"file": self.label, "line": line, "code": raw_code, "reason": reason})
        if raw_code:
            self.state.rejected.setdefault((self.spec.level, raw_code), f"{self.label}:{line}")

    def read(self, *, progress: bool) -> None:
        spec = self.spec
        try:
            with _open_text(self.path) as handle:
                reader = csv.reader(handle)
                header = [column.strip() for column in next(reader, [])]
                needed = ["code", "name"] + ([spec.parent_column] if spec.parent_column else [])
                missing = [column for column in needed if column not in header]
                if missing:
                    self.bad(1, _("missing columns: %(columns)s") % {"columns": ", ".join(missing)})
                    return
                position = {column: header.index(column) for column in needed}
                for record in tqdm(
                    reader, disable=not progress, desc=self.label, unit=_("rows"), leave=False
                ):
                    line = reader.line_num
                    if not any(value.strip() for value in record):
                        continue
                    if len(record) < len(header):
                        self.bad(
                            line,
                            _("the row has %(count)d fields, the header %(header)d")
                            % {"count": len(record), "header": len(header)},
                        )
                        continue
                    self.row(
                        line,
                        raw_code=record[position["code"]].strip(),
                        name=record[position["name"]].strip(),
                        raw_parent=record[position[spec.parent_column]].strip() if spec.parent_column else "",
                    )
        except (OSError, UnicodeDecodeError, csv.Error, EOFError) as exc:
            self.bad(0, _("cannot read the file: %(error)s") % {"error": exc})

    def parent_of(self, line: int, raw_code: str, raw_parent: str) -> str | None:
        """The parent's 12-digit code, or None after noting why there is none."""
        assert self.parent_level is not None
        parent = self.state.resolved.get((self.parent_level, raw_parent))
        if parent is not None:
            return parent
        rejected_at = self.state.rejected.get((self.parent_level, raw_parent))
        if rejected_at:
            reason = _("its parent %(parent)s is itself a bad row (%(where)s)") % {
                "parent": raw_parent,
                "where": rejected_at,
            }
        elif not raw_parent:
            reason = _("the parent code is empty")
        else:
            reason = _("unknown parent %(parent)s") % {"parent": raw_parent}
        self.bad(line, reason, raw_code)
        return None

    def row(self, line: int, *, raw_code: str, name: str, raw_parent: str) -> None:
        state, level = self.state, self.spec.level
        if not raw_code:
            self.bad(line, _("the code is empty"))
            return
        if not name:
            self.bad(line, _("the name is empty"), raw_code)
            return
        if len(name) > NAME_MAX_LENGTH:
            self.bad(
                line, _("the name is longer than %(max)d characters") % {"max": NAME_MAX_LENGTH}, raw_code
            )
            return
        parent: str | None = None
        if self.parent_level is not None:
            parent = self.parent_of(line, raw_code, raw_parent)
            if parent is None:
                return
        try:
            code = normalize_code(raw_code, level)
        except InvalidCode as exc:
            # The statistics bureau lists a city without counties (东莞, 中山, 儋州) as its own
            # county, and 金门县 as its own township: same digits, same name as the parent. Such a
            # row is the parent itself; its children attach to the parent.
            if (
                parent is not None
                and raw_code.isdigit()
                and raw_code.ljust(12, "0") == parent
                and name == state.seen[parent][0]
            ):
                state.resolved[(level, raw_code)] = parent
                state.merged += 1
                return
            self.bad(line, _("bad code %(code)s: %(error)s") % {"code": raw_code, "error": exc}, raw_code)
            return
        if parent is not None and not is_within(code, parent):
            self.bad(
                line,
                _("the code %(code)s does not lie inside its parent %(parent)s")
                % {"code": code, "parent": parent},
                raw_code,
            )
            return
        previous = state.seen.get(code)
        if previous is not None:
            if previous[0] == name and previous[1] == parent:
                state.resolved[(level, raw_code)] = code
                state.duplicates += 1
                return
            self.bad(
                line,
                _("the code %(code)s is already used by %(name)s (%(where)s)")
                % {"code": code, "name": previous[0], "where": previous[2]},
                raw_code,
            )
            return
        state.seen[code] = (name, parent, f"{self.label}:{line}")
        state.resolved[(level, raw_code)] = code
        state.rows.append(AreaRow(code=code, name=name, level=level, parent_code=parent))


def import_divisions(
    data_dir: Path,
    *,
    progress: bool,
    actor: Any = None,
    actor_label: str = "manage.py import_divisions",
) -> UpsertReport:
    """Load the 统计用区划代码 files of `data_dir` into the area tree; all or nothing.

    Files: provinces.csv (code, name), cities.csv (+ provinceCode), areas.csv (+ cityCode),
    streets.csv or streets.csv.gz (+ areaCode) and, when present, hangzhou-villages.csv
    (+ parent_code). Shortened codes are padded to 12 digits. Names are kept as the bureau
    publishes them (a municipality's city-level unit is "市辖区"). Every row is checked first; any
    bad row (bad code, unknown parent, a code reused with another name…) raises
    DivisionImportInvalid with `details["problems"]` = [{file, line, code, reason}, …] and nothing
    is written. Areas not in the files (grids, other imports) are left alone.
    """
    data_dir = Path(data_dir)
    state = _DivisionState()
    used: list[str] = []
    for spec in DIVISION_FILES:
        path = _division_path(data_dir, spec)
        if path is None:
            if spec.required:
                state.problems.append(
                    {"file": spec.name, "line": 0, "code": "", "reason": _("the file is missing")}
                )
            continue
        used.append(path.name)
        _DivisionReader(path, spec, state).read(progress=progress)
    if state.problems:
        count = len(state.problems)
        raise DivisionImportInvalid(
            ngettext(
                "%(count)d bad row in the division files; nothing was imported.",
                "%(count)d bad rows in the division files; nothing was imported.",
                count,
            )
            % {"count": count},
            details={"problems": state.problems},
        )
    return upsert_areas(
        state.rows,
        actor=actor,
        actor_label=actor_label,
        audit_action="import_divisions",
        audit_data={
            "data_dir": str(data_dir),
            "files": used,
            "rows": len(state.rows),
            "merged_placeholders": state.merged,
            "repeated_rows": state.duplicates,
        },
        progress=progress,
    )


# ---------------------------------------------------------------------------------------------
# The boundary import (GeoJSON)


@dataclass(frozen=True)
class FeatureNote:
    """One feature of a GeoJSON file and what happened to it (index counts from 0)."""

    index: int | None
    code: str
    reason: str


@dataclass(frozen=True)
class BoundaryImportReport:
    features: int
    created: int
    updated: int
    unchanged: int
    # Invalid geometries that make_valid turned into valid polygons; they were imported.
    repaired: tuple[FeatureNote, ...] = ()
    # Bad features left out (only with skip_invalid).
    skipped: tuple[FeatureNote, ...] = ()
    boundary_version: int | None = None

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        return {
            "features": self.features,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "repaired": [asdict(note) for note in self.repaired],
            "skipped": [asdict(note) for note in self.skipped],
            "boundary_version": self.boundary_version,
        }


def _feature_code(value: Any, *, level: Level, parent: Area | None) -> str:
    """The full code a feature's code property stands for; raises InvalidCode."""
    if value is None or isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise InvalidCode(_("%(value)r is not a code") % {"value": value})
    text = str(int(value)) if isinstance(value, float) else str(value).strip()
    if parent is None:
        return normalize_code(text, level)
    if len(text) <= SEGMENT_WIDTH[level]:
        return child_code(parent.code, Level(parent.level), text)
    code = normalize_code(text, level)
    if code_parent(code) != parent.code:
        raise InvalidCode(_("%(code)s does not lie in %(parent)s") % {"code": code, "parent": parent.code})
    return code


def _load_feature_collection(path: Path) -> list[Any]:
    try:
        with Path(path).open("rb") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise BoundaryImportInvalid(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc},
            details={"problems": [{"index": None, "code": "", "reason": str(exc)}]},
        ) from exc
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        reason = _("the file is not a GeoJSON FeatureCollection")
        raise BoundaryImportInvalid(
            _("%(path)s is not a GeoJSON FeatureCollection.") % {"path": path},
            details={"problems": [{"index": None, "code": "", "reason": reason}]},
        )
    features: list[Any] = data["features"]
    return features


def _parent_for_import(parent_code: str | None, level: Level) -> Area | None:
    if parent_code is None:
        return None
    parent = Area.objects.filter(code=str(parent_code).strip()).first()
    if parent is None:
        reason = _("the parent area %(code)s does not exist") % {"code": parent_code}
        raise BoundaryImportInvalid(
            reason, details={"problems": [{"index": None, "code": "", "reason": reason}]}
        )
    depth = geometry.level_depth(parent.level)
    if depth + 1 >= len(LEVEL_ORDER) or LEVEL_ORDER[depth + 1] != level:
        reason = _("level %(level)s is not the level below the parent's (%(parent_level)s)") % {
            "level": level.value,
            "parent_level": parent.level,
        }
        raise BoundaryImportInvalid(
            reason, details={"problems": [{"index": None, "code": "", "reason": reason}]}
        )
    return parent


def import_boundaries(
    path: Path,
    *,
    level: Level,
    code_field: str,
    name_field: str,
    parent_code: str | None = None,
    skip_invalid: bool = False,
    coordinate_system: str | None = None,
    actor: Any = None,
    actor_label: str,
) -> BoundaryImportReport:
    """Attach the polygons of a GeoJSON FeatureCollection to areas of `level`, creating missing ones.

    Each feature's `code_field` property gives the code: with `parent_code` a short value is the
    child's local number inside that parent (BoroCD 311 under 990101000000 → 990101311000) and
    `level` must be the parent's next level; without it the value is a full or shortened code
    (adcode 330102 → 330102000000) whose parent must exist. `name_field` names areas that are
    created or have an empty name; existing names are kept. Geometries must be Polygon or
    MultiPolygon; an invalid one is repaired when it stays polygonal and reported in `repaired`.

    By default any bad feature raises BoundaryImportInvalid with every bad feature in
    `details["problems"]` ([{index, code, reason}, …]) and nothing is imported; with
    `skip_invalid` the good features are imported and the bad ones reported in `skipped`.

    `coordinate_system` names the file's system ("wgs84" or "gcj02"); its polygons are converted
    to the storage system (settings.GRIDGOV_COORDINATE_SYSTEM). None means they are in it already.
    """
    level = Level(level)
    if coordinate_system is not None:
        try:
            check_system(coordinate_system)
        except UnknownCoordinateSystem as exc:
            raise BoundaryImportInvalid(details={"coordinate_system": str(exc)}) from exc
    features = _load_feature_collection(path)
    parent = _parent_for_import(parent_code, level)
    problems: list[FeatureNote] = []
    repaired: list[FeatureNote] = []
    good: list[tuple[int, str, str, dict[str, Any]]] = []
    first_index: dict[str, int] = {}
    for index, feature in enumerate(features):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if (
            not isinstance(feature, dict)
            or feature.get("type") != "Feature"
            or not isinstance(properties, dict)
        ):
            problems.append(FeatureNote(index, "", _("not a GeoJSON Feature with properties")))
            continue
        raw_code = properties.get(code_field)
        shown = "" if raw_code is None else str(raw_code)
        if raw_code is None or shown.strip() == "":
            problems.append(FeatureNote(index, "", _("no %(field)s property") % {"field": code_field}))
            continue
        try:
            code = _feature_code(raw_code, level=level, parent=parent)
        except InvalidCode as exc:
            problems.append(FeatureNote(index, shown, _("bad code: %(error)s") % {"error": exc}))
            continue
        name = properties.get(name_field)
        name = "" if name is None else str(name).strip()
        if not name:
            problems.append(FeatureNote(index, code, _("no %(field)s property") % {"field": name_field}))
            continue
        if len(name) > NAME_MAX_LENGTH:
            problems.append(
                FeatureNote(
                    index, code, _("the name is longer than %(max)d characters") % {"max": NAME_MAX_LENGTH}
                )
            )
            continue
        if code in first_index:
            problems.append(
                FeatureNote(
                    index,
                    code,
                    _("the code is also given by feature %(other)d") % {"other": first_index[code]},
                )
            )
            continue
        try:
            checked = geometry.polygonal_geometry(feature.get("geometry") or {})
            if coordinate_system is not None:
                moved = geometry.to_storage_system(checked.geometry, coordinate_system)
                checked = geometry.polygonal_geometry(mapping(moved))
        except GeometryInvalid as exc:
            problems.append(FeatureNote(index, code, str(exc.message)))
            continue
        if checked.repaired:
            repaired.append(
                FeatureNote(index, code, _("repaired: %(reason)s") % {"reason": checked.invalid_reason})
            )
        first_index[code] = index
        good.append((index, code, name, checked.as_geojson()))

    with transaction.atomic():
        codes = [code for _index, code, _name, _boundary in good]
        stored: dict[str, str] = {}
        for chunk in _chunks(codes):
            stored.update(Area.objects.filter(code__in=chunk).values_list("code", "name"))
        parents: dict[str, str | None] = {
            code: parent.code if parent else code_parent(code) for code in codes
        }
        needed = sorted({p for p in parents.values() if p is not None})
        existing_parents: set[str] = set()
        for chunk in _chunks(needed):
            existing_parents.update(Area.objects.filter(code__in=chunk).values_list("code", flat=True))
        rows: list[AreaRow] = []
        for index, code, name, boundary in good:
            wanted_parent = parents[code]
            if wanted_parent is not None and wanted_parent not in existing_parents:
                problems.append(
                    FeatureNote(
                        index,
                        code,
                        _("the parent area %(parent)s does not exist") % {"parent": wanted_parent},
                    )
                )
                continue
            rows.append(
                AreaRow(
                    code=code,
                    name=stored.get(code) or name,
                    level=level,
                    parent_code=wanted_parent,
                    boundary=boundary,
                )
            )
        problems.sort(key=lambda note: -1 if note.index is None else note.index)
        if problems and not skip_invalid:
            raise BoundaryImportInvalid(
                ngettext(
                    "%(count)d of %(total)d features is bad; nothing was imported.",
                    "%(count)d of %(total)d features are bad; nothing was imported.",
                    len(problems),
                )
                % {"count": len(problems), "total": len(features)},
                details={"problems": [asdict(note) for note in problems]},
            )
        imported_codes = {row.code for row in rows}
        imported_indexes = {index for index, code, _name, _boundary in good if code in imported_codes}
        repaired_imported = tuple(note for note in repaired if note.index in imported_indexes)
        upsert = upsert_areas(
            rows,
            actor=actor,
            actor_label=actor_label,
            boundary_source=BoundarySource.IMPORTED,
            audit_action="import_boundaries",
            audit_data={
                "file": str(path),
                "level": level.value,
                "parent": parent.code if parent else None,
                "features": len(features),
                "repaired": [asdict(note) for note in repaired_imported],
                "skipped": [asdict(note) for note in problems],
            },
        )
    return BoundaryImportReport(
        features=len(features),
        created=upsert.created,
        updated=upsert.updated,
        unchanged=upsert.unchanged,
        repaired=repaired_imported,
        skipped=tuple(problems),
        boundary_version=upsert.boundary_version,
    )


# ---------------------------------------------------------------------------------------------
# The spreadsheet import (admin: 从 Excel 导入). Boundaries are not edited in Excel.

AREA_SHEET_COLUMNS: tuple[Column, ...] = (
    Column(
        "code",
        gettext_lazy("code"),
        gettext_lazy(
            "The 12-digit division code (统计用区划代码), 15 digits for a grid, 18 for a micro-grid. "
            "It identifies the area: a new code creates an area, a known one updates it."
        ),
        required=True,
        allow_blank=False,
    ),
    Column("name", gettext_lazy("name"), gettext_lazy("The area's name."), required=True, allow_blank=False),
    Column(
        "level",
        gettext_lazy("level"),
        gettext_lazy("The level the code denotes."),
        kind=ColumnKind.CHOICE,
        choices=tuple(AreaLevel.choices),
        required=True,
        allow_blank=False,
    ),
    Column(
        "parent_code",
        gettext_lazy("parent code"),
        gettext_lazy(
            "The code of the area it lies in, from the database or an earlier row; empty only for a province."
        ),
        required=True,
    ),
    Column(
        "households",
        gettext_lazy("households"),
        gettext_lazy("Number of households, a whole number; an empty cell keeps the stored number."),
        kind=ColumnKind.INTEGER,
    ),
)


def _level_label(level: str) -> str:
    return str(AreaLevel(level).label)


def _area_sheet_problems(row: SheetRow, seen: dict[str, int]) -> list[CellProblem]:
    """What is wrong with one row, alone or against the rows above it (its parent's existence aside)."""
    number, values = row.number, row.values
    code, level, parent = values["code"], values["level"], values.get("parent_code") or ""
    problems: list[CellProblem] = []
    try:
        code_level = level_of(code)
    except InvalidCode:
        problems.append(
            CellProblem(
                number,
                "code",
                _("%(code)s is not an area code: 12 digits, 15 for a grid, 18 for a micro-grid.")
                % {"code": code},
            )
        )
        code_level = None
    if code_level is not None and code_level != level:
        problems.append(
            CellProblem(
                number,
                "level",
                _("The code %(code)s is of level %(code_level)s.")
                % {"code": code, "code_level": _level_label(code_level)},
            )
        )
    if code in seen:
        problems.append(
            CellProblem(
                number,
                "code",
                _("The code %(code)s is also on row %(row)d.") % {"code": code, "row": seen[code]},
            )
        )
    seen.setdefault(code, number)
    if len(values["name"]) > NAME_MAX_LENGTH:
        problems.append(
            CellProblem(
                number, "name", _("The name is longer than %(max)d characters.") % {"max": NAME_MAX_LENGTH}
            )
        )
    households = values.get("households")
    if households is not None and households < 0:
        problems.append(CellProblem(number, "households", _("Households cannot be below 0.")))
    if level == Level.PROVINCE and parent:
        problems.append(
            CellProblem(number, "parent_code", _("A province has no parent; leave this cell empty."))
        )
    elif level != Level.PROVINCE and not parent:
        problems.append(
            CellProblem(number, "parent_code", _("Every area but a province needs its parent's code."))
        )
    elif parent and code_level is not None and not _parent_fits(code, parent):
        problems.append(
            CellProblem(
                number,
                "parent_code",
                _("%(code)s does not lie inside %(parent)s.") % {"code": code, "parent": parent},
            )
        )
    return problems


def import_areas(
    rows: Sequence[SheetRow],
    *,
    known_problems: Sequence[CellProblem] = (),
    actor: Any = None,
    actor_label: str = "",
    file_name: str = "",
) -> ImportReport:
    """Create and update areas from spreadsheet rows (code, name, level, parent_code, households).

    Every row is checked first (code and level agree, the parent contains the code and exists in
    the database or the file, no code twice); any problem, `known_problems` included, raises
    SpreadsheetRowsInvalid naming each row and column, and nothing is written. Boundaries are
    left alone; an empty households cell keeps the stored number. Rows as stored count as
    unchanged: importing the same file twice writes nothing (and no audit event) the second time.
    Writes go through `upsert_areas` (audit action `import_areas`).
    """
    problems = list(known_problems)
    seen: dict[str, int] = {}
    for row in rows:
        problems.extend(_area_sheet_problems(row, seen))
    with transaction.atomic():
        in_file = set(seen)
        parents = sorted(
            {row.values["parent_code"] for row in rows if row.values.get("parent_code")} - in_file
        )
        stored_parents: set[str] = set()
        for chunk in _chunks(parents):
            stored_parents.update(Area.objects.filter(code__in=chunk).values_list("code", flat=True))
        parent_checked = {problem.row for problem in problems if problem.column == "parent_code"}
        for row in rows:
            parent = row.values.get("parent_code")
            if row.number in parent_checked:
                continue
            if parent and parent not in in_file and parent not in stored_parents:
                problems.append(
                    CellProblem(
                        row.number,
                        "parent_code",
                        _("No area has the code %(parent)s, neither stored nor in this file.")
                        % {"parent": parent},
                    )
                )
        raise_for_problems(problems)
        existing = _existing_rows([row.values["code"] for row in rows])
        created_codes: list[str] = []
        updated_codes: list[str] = []
        for row in rows:
            values = row.values
            old = existing.get(values["code"])
            if old is None:
                created_codes.append(values["code"])
            elif (
                old["name"] != values["name"]
                or old["level"] != values["level"]
                or old["parent_id"] != (values.get("parent_code") or None)
                or (values.get("households") is not None and old["households"] != values["households"])
            ):
                updated_codes.append(values["code"])
        if not (created_codes or updated_codes):
            return ImportReport(unchanged=len(rows))
        area_rows = [
            AreaRow(
                code=row.values["code"],
                name=row.values["name"],
                level=Level(row.values["level"]),
                parent_code=row.values.get("parent_code") or None,
                households=row.values.get("households"),
            )
            for row in rows
        ]
        try:
            report = upsert_areas(
                area_rows,
                actor=actor,
                actor_label=actor_label,
                audit_action="import_areas",
                audit_data={
                    "file": file_name,
                    "created_codes": created_codes,
                    "updated_codes": updated_codes,
                },
            )
        except (AreaRowInvalid, AreaParentMissing) as error:
            # upsert_areas checks the same rules; should it still find something, name the rows.
            number_of = {row.values["code"]: row.number for row in rows}
            raise_for_problems(
                [
                    CellProblem(
                        number_of.get(str(problem.get("code")), 0), "", str(problem.get("reason", ""))
                    )
                    for problem in error.details.get("problems", [])
                ]
            )
            raise
    return ImportReport(created=report.created, updated=report.updated, unchanged=report.unchanged)
