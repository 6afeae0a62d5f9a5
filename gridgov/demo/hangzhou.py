"""The demo's Hangzhou: real codes and district boundaries, generated streets, communities and grids.

The bundled district boundaries date from 2020, before the 2021 reform; the codes are the 2022
edition. Each 2020 boundary therefore becomes a *region* shared by the districts that now lie in
it: 下城 joined 拱墅 (so 拱墅 today is exactly 下城 + 拱墅 of 2020), 江干 was shared between 上城
and the new 钱塘 (which also took towns from 萧山: we ignore that part), and 余杭 was split into
余杭 and 临平. Where a region holds several of today's districts, their boundaries are generated.
"""

import csv
import gzip
import json
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from gridgov.areas.demo_grids import CommunitySpec, DistrictSpec, RegionSpec, StreetSpec
from gridgov.areas.geometry import to_storage_system
from gridgov.core.coordinates import GCJ02, convert_point
from gridgov.core.mapping import storage_system

DATA_DIR = Path(__file__).resolve().parent.parent / "areas" / "data"
# The bundled boundary files are GCJ-02 (DataV); they are converted when gridgov stores WGS-84.
SOURCE_SYSTEM = GCJ02
HANGZHOU_CITY_CODE = "330100000000"


@dataclass(frozen=True)
class RegionPlan:
    boundary_adcodes: tuple[int, ...]  # 2020 polygons forming the region
    core_adcode: int  # whose government seat is the urban core
    district_codes: tuple[str, ...]  # today's 6-digit district codes inside it


REGION_PLANS = (
    RegionPlan((330102, 330104), 330102, ("330102", "330114")),
    RegionPlan((330103, 330105), 330103, ("330105",)),
    RegionPlan((330106,), 330106, ("330106",)),
    RegionPlan((330108,), 330108, ("330108",)),
    RegionPlan((330109,), 330109, ("330109",)),
    RegionPlan((330110,), 330110, ("330110", "330113")),
    RegionPlan((330111,), 330111, ("330111",)),
    RegionPlan((330112,), 330112, ("330112",)),
    RegionPlan((330122,), 330122, ("330122",)),
    RegionPlan((330127,), 330127, ("330127",)),
    RegionPlan((330182,), 330182, ("330182",)),
)


def read_district_boundaries() -> dict[int, tuple[BaseGeometry, tuple[float, float]]]:
    with (DATA_DIR / "hangzhou-districts-2020.geojson").open(encoding="utf-8") as handle:
        collection = json.load(handle)
    return {
        int(feature["properties"]["adcode"]): (
            to_storage_system(shape(feature["geometry"]), SOURCE_SYSTEM),
            convert_point(
                float(feature["properties"]["center"][0]),
                float(feature["properties"]["center"][1]),
                SOURCE_SYSTEM,
                storage_system(),
            ),
        )
        for feature in collection["features"]
    }


def read_city_boundary() -> BaseGeometry:
    with (DATA_DIR / "zhejiang-cities.geojson").open(encoding="utf-8") as handle:
        collection = json.load(handle)
    for feature in collection["features"]:
        if int(feature["properties"]["adcode"]) == 330100:
            return to_storage_system(shape(feature["geometry"]), SOURCE_SYSTEM)
    raise LookupError("Hangzhou is missing from zhejiang-cities.geojson")


def read_districts() -> dict[str, DistrictSpec]:
    """Today's Hangzhou districts with their real streets and communities (codes and names)."""
    district_names: dict[str, str] = {}
    with (DATA_DIR / "areas.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["code"].startswith("3301"):
                district_names[row["code"]] = row["name"]
    street_names: dict[str, str] = {}
    with gzip.open(DATA_DIR / "streets.csv.gz", "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["code"].startswith("3301"):
                street_names[row["code"]] = row["name"]
    communities: dict[str, list[CommunitySpec]] = {}
    with (DATA_DIR / "hangzhou-villages.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            communities.setdefault(row["parent_code"], []).append(CommunitySpec(row["code"], row["name"]))
    districts: dict[str, DistrictSpec] = {}
    for code, name in sorted(district_names.items()):
        streets = [
            StreetSpec(
                street_code + "000", street_name, sorted(communities.get(street_code, []), key=code_of)
            )
            for street_code, street_name in sorted(street_names.items())
            if street_code.startswith(code) and communities.get(street_code)
        ]
        districts[code] = DistrictSpec(code + "000000", name, streets)
    return districts


def code_of(community: CommunitySpec) -> str:
    return community.code


def build_regions() -> list[tuple[RegionPlan, RegionSpec]]:
    boundaries = read_district_boundaries()
    districts = read_districts()
    regions = []
    for plan in REGION_PLANS:
        polygon = shapely.union_all([boundaries[adcode][0] for adcode in plan.boundary_adcodes])
        regions.append(
            (
                plan,
                RegionSpec(
                    boundary=polygon,
                    urban_core=boundaries[plan.core_adcode][1],
                    districts=[districts[code] for code in plan.district_codes],
                ),
            )
        )
    return regions
