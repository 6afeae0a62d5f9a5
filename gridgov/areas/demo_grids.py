"""Generated grid polygons for the demo (pure: shapely and numpy, no database).

No public street, community or grid polygons exist for Hangzhou, so the demo draws them: each real
district boundary is cut into its real streets, each street into its real communities and villages,
and each community into grids of about 300–500 households. Everything drawn here is marked as
generated wherever it is stored or shown.

How a polygon is cut into n parts (`partition`): sample points inside it, run a few rounds of
k-means (Lloyd) on them, take the Voronoi cells of the n centres and clip them to the polygon. With
uniform samples the parts have about equal areas; when cutting a district into streets the samples
are denser near the urban core, so urban streets (街道) come out small and central, and towns (镇)
and townships (乡) large and outlying, as in reality.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

# Bumped whenever the output changes, so a loaded demo knows it is stale.
GENERATOR_VERSION = 1

# Households per grid, from Chinese grid rules (300–500 户 per urban grid).
HOUSEHOLDS_PER_GRID = 400
URBAN_COMMUNITY_HOUSEHOLDS = (2000, 3600)  # 社区 (居委会, village codes 001–199)
RURAL_VILLAGE_HOUSEHOLDS = (450, 1100)  # 村 (村委会, village codes 200–399)
# How much denser street centres are at a region's urban core than at its edge; tuned so that the
# median urban grid comes out at 0.1–0.3 km² (see docs/areas.md for the measured distribution).
CORE_DENSITY = 6


@dataclass(frozen=True)
class CommunitySpec:
    code: str
    name: str


@dataclass(frozen=True)
class StreetSpec:
    code: str
    name: str
    communities: Sequence[CommunitySpec]

    @property
    def is_urban(self) -> bool:
        """Township codes 001–099 are 街道; 100–199 镇; 200–399 乡 (统计用区划代码)."""
        return int(self.code[6:9]) < 100


@dataclass(frozen=True)
class DistrictSpec:
    code: str
    name: str
    streets: Sequence[StreetSpec]


@dataclass(frozen=True)
class RegionSpec:
    """A real boundary and the districts that now share it (the 2021 reform merged and split some)."""

    boundary: BaseGeometry
    urban_core: tuple[float, float]
    districts: Sequence[DistrictSpec]
    # Radius (degrees) of the dense urban core around `urban_core`.
    core_radius: float = 0.07


@dataclass
class GeneratedArea:
    code: str
    name: str
    level: str
    parent_code: str
    geometry: BaseGeometry
    households: int | None = None
    children: list["GeneratedArea"] = field(default_factory=list, repr=False)


def sample_points(
    polygon: BaseGeometry,
    count: int,
    rng: np.random.Generator,
    *,
    core: tuple[float, float] | None = None,
    core_radius: float = 0.05,
) -> np.ndarray:
    """`count` random points inside `polygon`; denser near `core` when one is given."""
    min_x, min_y, max_x, max_y = polygon.bounds
    shapely.prepare(polygon)
    chosen: list[np.ndarray] = []
    have = 0
    attempts = 0
    while have < count and attempts < 200:
        attempts += 1
        batch = max(4 * (count - have), 256)
        xs = rng.uniform(min_x, max_x, batch)
        ys = rng.uniform(min_y, max_y, batch)
        if core is not None:
            distance_sq = (xs - core[0]) ** 2 + (ys - core[1]) ** 2
            # Acceptance falls off with distance: the core is CORE_DENSITY times denser than the edge.
            floor = 1.0 / CORE_DENSITY
            accept = floor + (1 - floor) * np.exp(-distance_sq / (2 * core_radius**2))
            keep = rng.uniform(0, 1, batch) < accept
            xs, ys = xs[keep], ys[keep]
        inside = shapely.contains_xy(polygon, xs, ys)
        points = np.column_stack([xs[inside], ys[inside]])
        chosen.append(points)
        have += len(points)
    if have < count:
        raise ValueError("could not sample enough points inside the polygon")
    return np.concatenate(chosen)[:count]


def kmeans_centres(points: np.ndarray, n: int, rng: np.random.Generator, rounds: int = 12) -> np.ndarray:
    """n centres by Lloyd's k-means; each final centre is snapped to its nearest sample point, so
    it lies inside the polygon and its Voronoi cell is never empty after clipping."""
    centres = points[rng.choice(len(points), size=n, replace=False)].copy()
    for _ in range(rounds):
        distance = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        nearest = distance.argmin(axis=1)
        for index in range(n):
            members = points[nearest == index]
            if len(members):
                centres[index] = members.mean(axis=0)
    snapped = np.empty_like(centres)
    taken: set[int] = set()
    for index, centre in enumerate(centres):
        order = np.argsort(((points - centre) ** 2).sum(axis=1))
        pick = next(int(i) for i in order if int(i) not in taken)
        taken.add(pick)
        snapped[index] = points[pick]
    return snapped


def partition(
    polygon: BaseGeometry,
    n: int,
    rng: np.random.Generator,
    *,
    core: tuple[float, float] | None = None,
    core_radius: float = 0.05,
) -> list[tuple[BaseGeometry, tuple[float, float]]]:
    """Cut `polygon` into n parts that cover it exactly; returns (part, centre) pairs."""
    if n == 1:
        point = polygon.representative_point()
        return [(polygon, (point.x, point.y))]
    samples = sample_points(polygon, max(30 * n, 600), rng, core=core, core_radius=core_radius)
    centres = kmeans_centres(samples, n, rng)
    sites = shapely.multipoints(centres)
    cells = shapely.voronoi_polygons(sites, extend_to=polygon.envelope.buffer(0.01))
    # voronoi_polygons does not keep the input order: match each cell to the site inside it.
    by_site: dict[int, BaseGeometry] = {}
    site_points = shapely.points(centres)
    for cell in shapely.get_parts(cells):
        hits = np.nonzero(shapely.contains(cell, site_points) | shapely.touches(cell, site_points))[0]
        if len(hits):
            by_site[int(hits[0])] = cell
    parts: list[tuple[BaseGeometry, tuple[float, float]]] = []
    for index, centre in enumerate(centres):
        clipped = shapely.make_valid(shapely.intersection(by_site[index], polygon))
        parts.append((polygonal(clipped), (float(centre[0]), float(centre[1]))))
    return parts


def polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """Only the polygon parts of a clipping result (intersections may add stray lines or points)."""
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    polygons = [part for part in shapely.get_parts(geometry) if part.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polygons)


def households_for(community: CommunitySpec, rng: np.random.Generator) -> int:
    is_urban_community = int(community.code[9:12]) < 200
    low, high = URBAN_COMMUNITY_HOUSEHOLDS if is_urban_community else RURAL_VILLAGE_HOUSEHOLDS
    return int(rng.integers(low, high + 1))


def grid_name(community_name: str, number: int) -> str:
    return f"{community_name}第{number}网格"


def generate_region(region: RegionSpec, seed: int) -> list[GeneratedArea]:
    """Districts (only when a region holds several), streets, communities and grids of one region."""
    rng = np.random.default_rng(seed)
    generated: list[GeneratedArea] = []
    district_parts: list[tuple[DistrictSpec, BaseGeometry]]
    if len(region.districts) == 1:
        district_parts = [(region.districts[0], region.boundary)]
    else:
        weights = [sum(len(s.communities) for s in d.streets) for d in region.districts]
        district_parts = split_by_weight(region.boundary, region.districts, weights, region.urban_core, rng)
        for district, shape in district_parts:
            generated.append(
                GeneratedArea(district.code, district.name, "district", district.code[:4] + "00000000", shape)
            )

    for district, district_shape in district_parts:
        streets = sorted(district.streets, key=lambda s: (not s.is_urban, s.code))
        street_parts = partition(
            district_shape, len(streets), rng, core=region.urban_core, core_radius=region.core_radius
        )
        # Urban streets take the parts nearest the core, towns and townships the outer ones.
        street_parts.sort(key=lambda part: distance(part[1], region.urban_core))
        for street, (street_shape, _centre) in zip(streets, street_parts, strict=True):
            generated.append(GeneratedArea(street.code, street.name, "street", district.code, street_shape))
            communities = list(street.communities)
            community_parts = partition(street_shape, len(communities), rng)
            community_parts.sort(key=lambda part: (round(-part[1][1], 3), part[1][0]))
            for community, (community_shape, _c) in zip(communities, community_parts, strict=True):
                households = households_for(community, rng)
                grid_count = max(1, round(households / HOUSEHOLDS_PER_GRID))
                generated.append(
                    GeneratedArea(
                        community.code, community.name, "community", street.code, community_shape, households
                    )
                )
                grid_parts = partition(community_shape, grid_count, rng)
                # Grids are numbered west→east, north→south inside their community (西安 DB6101/T 3185).
                grid_parts.sort(key=lambda part: (round(-part[1][1], 3), part[1][0]))
                shares = split_households(households, grid_count)
                for number, ((grid_shape, _g), share) in enumerate(zip(grid_parts, shares, strict=True), 1):
                    generated.append(
                        GeneratedArea(
                            f"{community.code}{number:03d}",
                            grid_name(community.name, number),
                            "grid",
                            community.code,
                            grid_shape,
                            share,
                        )
                    )
    return generated


def split_by_weight(
    polygon: BaseGeometry,
    districts: Sequence[DistrictSpec],
    weights: Sequence[int],
    core: tuple[float, float],
    rng: np.random.Generator,
) -> list[tuple[DistrictSpec, BaseGeometry]]:
    """Share a region between its districts: cut it into many small parts and give each district
    a contiguous run of them (ordered by angle round the centre), in proportion to `weights`."""
    pieces = partition(polygon, 40, rng)
    centre = polygon.representative_point()
    pieces.sort(key=lambda p: float(np.arctan2(p[1][1] - centre.y, p[1][0] - centre.x)))
    total = sum(weights)
    result: list[tuple[DistrictSpec, BaseGeometry]] = []
    start = 0
    for index, (district, weight) in enumerate(zip(districts, weights, strict=True)):
        end = len(pieces) if index == len(districts) - 1 else start + max(1, round(40 * weight / total))
        shape = shapely.union_all([piece for piece, _c in pieces[start:end]])
        result.append((district, polygonal(shape)))
        start = end
    return result


def split_households(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if index < extra else 0) for index in range(parts)]


def distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(np.hypot(a[0] - b[0], a[1] - b[1]))
