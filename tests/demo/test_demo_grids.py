"""The generated demo grids: cover their region exactly, nest, and are sized like real grids."""

import math
from collections import Counter

import numpy as np
import pytest
import shapely
from shapely.geometry import box

from gridgov.areas.demo_grids import (
    CommunitySpec,
    DistrictSpec,
    RegionSpec,
    StreetSpec,
    generate_region,
    partition,
    split_households,
)
from gridgov.demo import hangzhou


def km2(geometry: shapely.Geometry, latitude: float = 30.2) -> float:
    return float(geometry.area) * 111.32**2 * math.cos(math.radians(latitude))


def test_partition_covers_the_polygon_without_overlap() -> None:
    square = box(120.0, 30.0, 120.1, 30.1)
    parts = partition(square, 7, np.random.default_rng(1))
    shapes = [shape for shape, _centre in parts]
    assert len(shapes) == 7
    assert all(not s.is_empty and s.is_valid for s in shapes)
    assert shapely.union_all(shapes).symmetric_difference(square).area == pytest.approx(0, abs=1e-12)
    overlap = sum(a.intersection(b).area for i, a in enumerate(shapes) for b in shapes[i + 1 :])
    assert overlap == pytest.approx(0, abs=1e-12)


def test_households_split_exactly() -> None:
    assert split_households(2001, 5) == [401, 400, 400, 400, 400]
    assert sum(split_households(987, 3)) == 987


def test_same_seed_draws_the_same_grids() -> None:
    region = RegionSpec(
        boundary=box(120.0, 30.0, 120.05, 30.05),
        urban_core=(120.02, 30.02),
        districts=[
            DistrictSpec(
                "330199000000",
                "测试区",
                [StreetSpec("330199001000", "测试街道", [CommunitySpec("330199001001", "一社区")])],
            )
        ],
    )
    first = generate_region(region, seed=5)
    second = generate_region(region, seed=5)
    assert [(a.code, a.geometry.wkt) for a in first] == [(a.code, a.geometry.wkt) for a in second]


@pytest.fixture(scope="module")
def xihu() -> list:
    _plan, region = next((p, r) for p, r in hangzhou.build_regions() if p.district_codes == ("330106",))
    return [region, generate_region(region, seed=1)]


def test_real_district_is_cut_into_its_real_streets_communities_and_grids(xihu: list) -> None:
    region, generated = xihu
    levels = Counter(area.level for area in generated)
    district = region.districts[0]
    assert levels["street"] == len(district.streets) == 12
    assert levels["community"] == sum(len(s.communities) for s in district.streets) == 218
    grids = [area for area in generated if area.level == "grid"]
    # Grid codes extend their community's code; numbering starts at 001 in every community.
    communities = {area.code for area in generated if area.level == "community"}
    assert all(len(g.code) == 15 and g.parent_code in communities for g in grids)
    assert {g.code[-3:] for g in grids} >= {"001"}
    union = shapely.union_all([g.geometry for g in grids])
    assert union.symmetric_difference(region.boundary).area / region.boundary.area < 1e-9


def test_grids_nest_in_their_community_and_are_sized_like_real_grids(xihu: list) -> None:
    _region, generated = xihu
    by_code = {area.code: area for area in generated}
    grids = [area for area in generated if area.level == "grid"]
    for grid in grids:
        community = by_code[grid.parent_code]
        assert grid.geometry.difference(community.geometry).area < 1e-12
    households = [g.households for g in grids]
    assert min(households) >= 225 and max(households) <= 600
    assert 330 <= sum(households) / len(households) <= 470
    urban = [km2(g.geometry) for g in grids if int(g.code[6:9]) < 100 and int(g.code[9:12]) < 200]
    median = float(np.median(urban))
    assert 0.1 <= median <= 0.5, median
