"""Loading the demo: real divisions, real Hangzhou boundaries, generated grids, catalogue, users."""

import time
from collections.abc import Callable
from io import StringIO
from typing import Any

import shapely
from django.core.management import call_command
from django.db import transaction
from shapely.geometry.base import BaseGeometry

from gridgov.accounts.actions import create_user, grant_membership
from gridgov.accounts.models import Role, User
from gridgov.areas.actions import AreaRow, import_divisions, upsert_areas
from gridgov.areas.demo_grids import GENERATOR_VERSION, generate_region
from gridgov.areas.models import Area, BoundarySource
from gridgov.cases.models import Case
from gridgov.catalogue.actions import create_district_departments, load_catalogue
from gridgov.catalogue.models import Department
from gridgov.core.area_codes import Level
from gridgov.core.audit import record_audit_event
from gridgov.demo import hangzhou
from gridgov.demo.cases import load_demo_cases
from gridgov.demo.messages import load_demo_messages
from gridgov.demo.models import DemoLoad
from gridgov.intelligence import interface as intelligence

ACTOR = "manage.py load_demo"
DEMO_PASSWORD = "gridgov-demo"
# Seed of the grid generator: the same seed draws the same grids on every machine.
DEMO_SEED = 20261122
# Bumped whenever the demo's content changes (grids, catalogue, users, cases), so `make demo`
# on an older database loads the new content; stored in DemoLoad.generator_version.
DEMO_VERSION = GENERATOR_VERSION * 100 + 3
DEMO_CASES = 300


def geojson_of(geometry: BaseGeometry) -> dict[str, Any]:
    """GeoJSON with coordinates rounded to 6 decimals (about 0.1 m), enough for any map."""
    rounded = shapely.set_precision(geometry, 1e-6)
    return shapely.geometry.mapping(rounded)


def demo_is_loaded() -> bool:
    return DemoLoad.objects.filter(generator_version=DEMO_VERSION).exists()


def load_demo(
    *, progress: bool = False, force: bool = False, say: Callable[[str], None] = print
) -> dict[str, Any]:
    """Load everything the demo shows; a second call with the demo already loaded does nothing.

    Every step is itself idempotent, so `force` reloads safely: what is unchanged stays untouched.
    """
    if demo_is_loaded() and not force:
        say("The demo is already loaded (use --force to load it again).")
        return {}
    report: dict[str, Any] = {}
    started = time.monotonic()

    divisions = import_divisions(hangzhou.DATA_DIR, progress=progress)
    report["divisions"] = divisions.as_dict()
    say(f"Divisions: {divisions.as_dict()}")

    report["boundaries"] = load_real_boundaries()
    say(f"Real boundaries: {report['boundaries']}")

    report["generated"] = load_generated_areas(say)
    say(f"Generated areas: {report['generated']}")

    catalogue = load_catalogue(actor_label=ACTOR)
    report["catalogue"] = catalogue.as_dict()
    say(f"Catalogue: {report['catalogue']}")

    departments = 0
    for plan in hangzhou.REGION_PLANS:
        for district in plan.district_codes:
            departments += len(create_district_departments(district + "000000", actor_label=ACTOR))
    report["departments"] = departments
    say(f"Departments: {departments}")

    report["users"] = create_demo_users()
    say("Users: " + ", ".join(report["users"]))

    report["classifier"] = train_demo_classifier(say)
    if not Case.objects.exists():
        report["cases"] = load_demo_cases(DEMO_CASES, say=say)
        say(f"Cases: {report['cases']}")
        report["messages"] = load_demo_messages(say=say)
    report["seconds"] = round(time.monotonic() - started, 1)
    with transaction.atomic():
        DemoLoad.objects.create(generator_version=DEMO_VERSION, report=report)
        record_audit_event(action="load_demo", subject_type="demo", actor_label=ACTOR, data=report)
    return report


def train_demo_classifier(say: Callable[[str], None]) -> str:
    """The message classifier trained on the shared data, unless one is trained already."""
    version = intelligence.current_version()
    if version is not None:
        say(f"Classifier: {version} (already trained)")
        return version
    started = time.monotonic()
    call_command("classifier", "train", stdout=StringIO())
    version = intelligence.current_version()
    if version is None:
        raise LookupError("classifier train wrote no model")
    say(f"Classifier: {version} trained in {time.monotonic() - started:.0f} s")
    return version


def load_real_boundaries() -> dict[str, int]:
    """Hangzhou city and every district whose 2020 boundary still fits it today."""
    district_boundaries = hangzhou.read_district_boundaries()
    rows = [
        AreaRow(
            hangzhou.HANGZHOU_CITY_CODE,
            "杭州市",
            Level.CITY,
            "330000000000",
            boundary=geojson_of(hangzhou.read_city_boundary()),
        )
    ]
    names = dict(
        Area.objects.filter(level=Level.DISTRICT, code__startswith="3301").values_list("code", "name")
    )
    for plan in hangzhou.REGION_PLANS:
        if len(plan.district_codes) != 1:
            continue
        code = plan.district_codes[0] + "000000"
        polygon = shapely.union_all([district_boundaries[adcode][0] for adcode in plan.boundary_adcodes])
        rows.append(
            AreaRow(code, names[code], Level.DISTRICT, hangzhou.HANGZHOU_CITY_CODE, geojson_of(polygon))
        )
    result = upsert_areas(rows, actor_label=ACTOR, boundary_source=BoundarySource.IMPORTED)
    return result.as_dict()


def load_generated_areas(say: Callable[[str], None]) -> dict[str, int]:
    rows: list[AreaRow] = []
    for index, (plan, region) in enumerate(hangzhou.build_regions()):
        started = time.monotonic()
        generated = generate_region(region, seed=DEMO_SEED + index)
        for area in generated:
            rows.append(
                AreaRow(
                    area.code,
                    area.name,
                    Level(area.level),
                    area.parent_code,
                    boundary=geojson_of(area.geometry),
                    households=area.households,
                )
            )
        grids = sum(1 for area in generated if area.level == Level.GRID)
        say(f"  {'+'.join(plan.district_codes)}: {grids} grids in {time.monotonic() - started:.1f}s")
    result = upsert_areas(rows, actor_label=ACTOR, boundary_source=BoundarySource.GENERATED)
    return result.as_dict()


def first_code(level: Level, prefix: str) -> str:
    code = (
        Area.objects.filter(level=level, code__startswith=prefix)
        .order_by("code")
        .values_list("code", flat=True)
    ).first()
    if code is None:
        raise LookupError(f"no {level} under {prefix}")
    return code


def create_demo_users() -> list[str]:
    """One account per role, all in 上城区 (330102), so each sees a different slice of it."""
    district = "330102000000"
    street = first_code(Level.STREET, "330102")
    community = first_code(Level.COMMUNITY, street[:9])
    grid = first_code(Level.GRID, community)
    handler_department = Department.objects.filter(
        area_id=district, function__code="urban-management"
    ).first()
    plan: list[tuple[str, str, Role | None, str | None, int | None, bool]] = [
        ("admin", "系统管理员", Role.ADMINISTRATOR, None, None, True),
        ("leader", "上城区值班长", Role.LEADER, district, None, False),
        ("dispatcher", "上城区派遣员", Role.DISPATCHER, district, None, False),
        ("clerk", "上城区受理员", Role.INTAKE_CLERK, district, None, False),
        ("community_worker", "社区社工", Role.COMMUNITY_WORKER, community, None, False),
        ("grid_leader", "网格长", Role.GRID_LEADER, grid, None, False),
        ("grid_worker", "网格员", Role.GRID_WORKER, grid, None, False),
        (
            "handler",
            "城管处置员",
            Role.DEPARTMENT_HANDLER,
            None,
            handler_department.pk if handler_department else None,
            False,
        ),
        ("resident", "居民", None, None, None, False),
    ]
    created = []
    for username, display_name, role, area_code, department_id, is_superuser in plan:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = create_user(
                username=username,
                password=DEMO_PASSWORD,
                display_name=display_name,
                is_staff=role not in (None, Role.RESIDENT),
                is_superuser=is_superuser,
                actor_label=ACTOR,
            )
        if role is not None and (role != Role.DEPARTMENT_HANDLER or department_id is not None):
            grant_membership(
                user=user, role=role, area_code=area_code, department_id=department_id, actor_label=ACTOR
            )
        created.append(username)
    return created
