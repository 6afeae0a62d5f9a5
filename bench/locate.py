"""Locate: points per second in a batch and the latency of one call, against a raw shapely STRtree.

The areas are the demo's own: a throwaway database gets the real division tree of Hangzhou and its
real district boundaries, then the generated streets, communities and grids, by the very functions
`manage.py load_demo` calls (import_divisions, load_real_boundaries, load_generated_areas), which
draw about 12,700 grids. gridgov's locate index holds every area with a boundary (grids and the
coarser areas around them), so the baseline is a raw shapely STRtree over those same polygons.

Measured, each beside the raw STRtree in the same run:
- batch: gridgov.areas.geometry.locate_points over N points (quick 100,000, full 1,000,000), best of
  3, against `tree.query(points, predicate=…)` for "within" and "intersects", whichever is faster;
- one call: locate_point(lon, lat) one point at a time, p50 and p99, against tree.query(point, …),
  the two calls interleaved point by point (paired_latencies_us);
  the boundary-version read that locate_point does on every call is timed alone too, to explain;
- building the index from the database, against building the raw tree from ready geometries.

Points: a grid drawn at random, then a point uniform in its bounding box (seeded), so points are as
dense as grids are, like cases, and a few fall outside every grid as at a real district's edge.
"""

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely

from bench.harness import Row, Skip, bench_database, ratio_at_least, ratio_below, say

NAME = "locate"
SEED = 6
BATCH_POINTS = {True: 100_000, False: 1_000_000}
SINGLE_CALLS = {True: 5_000, False: 50_000}
TARGET_RATIO = 0.8


def load_demo_grids() -> dict[str, int]:
    """The demo's divisions, real boundaries and generated areas in the benchmark database, once."""
    bench_database()
    from gridgov.areas.models import Area
    from gridgov.core.area_codes import Level

    if not Area.objects.filter(level=Level.GRID, boundary__isnull=False).exists():
        from gridgov.areas.actions import import_divisions
        from gridgov.demo import hangzhou
        from gridgov.demo.actions import load_generated_areas, load_real_boundaries

        if not hangzhou.DATA_DIR.is_dir():
            raise Skip(f"the demo's division data {hangzhou.DATA_DIR} is absent")
        started = time.perf_counter()
        say("locate: loading the demo's divisions, boundaries and generated grids…")
        import_divisions(hangzhou.DATA_DIR, progress=False)
        load_real_boundaries()
        load_generated_areas(say)
        say(f"locate: areas loaded in {time.perf_counter() - started:.0f} s")
    return {
        "grids": Area.objects.filter(level=Level.GRID, boundary__isnull=False).count(),
        "areas_with_boundary": Area.objects.filter(boundary__isnull=False).count(),
    }


def best_of(rounds: int, function: Callable[[], Any]) -> tuple[float, Any]:
    """(fastest wall time in seconds, last result) of `rounds` calls."""
    best, result = float("inf"), None
    for _ in range(rounds):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    return best, result


def latencies_us(function: Callable[[float, float], Any], xs: np.ndarray, ys: np.ndarray) -> list[float]:
    """The duration of each call, in microseconds."""
    durations = []
    clock = time.perf_counter_ns
    for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
        started = clock()
        function(x, y)
        durations.append((clock() - started) / 1000)
    return durations


def paired_latencies_us(
    first: Callable[[float, float], Any],
    second: Callable[[float, float], Any],
    xs: np.ndarray,
    ys: np.ndarray,
) -> tuple[list[float], list[float]]:
    """The duration of each call of `first` and of `second` on the same points, in microseconds,
    interleaved (each point: one then the other, which goes first alternating), so that both meet
    the same state of the machine: measured one after the other, a whole run of 5,000 calls moved
    by up to 1.5× with what ran before it."""
    clock = time.perf_counter_ns
    durations: tuple[list[float], list[float]] = ([], [])
    calls = (first, second)
    for number, (x, y) in enumerate(zip(xs.tolist(), ys.tolist(), strict=True)):
        for which in (number % 2, 1 - number % 2):
            started = clock()
            calls[which](x, y)
            durations[which].append((clock() - started) / 1000)
    return durations


def p99(values: list[float]) -> float:
    return float(np.percentile(values, 99))


def sample_points(grid_bounds: np.ndarray, count: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    chosen = grid_bounds[rng.integers(0, len(grid_bounds), count)]
    xs = rng.uniform(chosen[:, 0], chosen[:, 2])
    ys = rng.uniform(chosen[:, 1], chosen[:, 3])
    return xs, ys


def run(quick: bool) -> list[Row]:
    counts = load_demo_grids()
    from gridgov.areas import geometry

    # Building the index: from the database (read, parse, check, sort, prepare, tree) and raw.
    geometry.invalidate_locate_index()
    build_seconds, index = best_of(1, geometry._locate_index)
    polygons = [shapely.from_wkb(shapely.to_wkb(g)) for g in index.geometries]  # unprepared copies
    raw_build_seconds, tree = best_of(3, lambda: shapely.STRtree(polygons))
    if len(polygons) != counts["areas_with_boundary"]:
        raise RuntimeError(f"the index holds {len(polygons)} areas, the database {counts}")

    rng = np.random.default_rng(SEED)
    grid_bounds = np.array(
        [g.bounds for g, code in zip(index.geometries, index.codes, strict=True) if len(code) == 15]
    )
    xs, ys = sample_points(grid_bounds, BATCH_POINTS[quick], rng)
    lons, lats = xs.tolist(), ys.tolist()

    batch_seconds, located = best_of(3, lambda: geometry.locate_points(lons, lats))
    raw_results: dict[str, float] = {}
    raw_hits: dict[str, int] = {}
    for predicate in ("within", "intersects"):

        def raw_batch(predicate: str = predicate) -> Any:
            return tree.query(shapely.points(xs, ys), predicate=predicate)

        seconds, pairs = best_of(3, raw_batch)
        raw_results[predicate] = seconds
        raw_hits[predicate] = len(np.unique(pairs[0]))
    raw_predicate = min(raw_results, key=lambda p: raw_results[p])
    found = sum(code is not None for code in located)
    if found != raw_hits["intersects"]:
        raise RuntimeError(
            f"locate_points found an area for {found} points, the raw tree for {raw_hits['intersects']}"
        )

    count = SINGLE_CALLS[quick]
    sx, sy = sample_points(grid_bounds, count, rng)
    geometry.locate_point(float(sx[0]), float(sy[0]))  # warm

    def raw_one(x: float, y: float) -> Any:
        return tree.query(shapely.Point(x, y), predicate=raw_predicate)

    ours, raw = paired_latencies_us(geometry.locate_point, raw_one, sx, sy)
    version_reads = latencies_us(lambda _x, _y: geometry._current_key(), sx[:2000], sy[:2000])

    points = len(xs)
    areas = counts["areas_with_boundary"]
    batch_label = f"batch of {points:,} points, {areas:,} areas ({counts['grids']:,} grids)"
    return [
        Row(
            batch_label,
            points / batch_seconds,
            "points/s",
            baseline=points / raw_results[raw_predicate],
            target=ratio_at_least(TARGET_RATIO),
            note=(
                f"baseline: shapely STRtree.query(points, predicate={raw_predicate!r}) "
                f"(within {points / raw_results['within']:,.0f}/s, "
                f"intersects {points / raw_results['intersects']:,.0f}/s); "
                f"{found:,} of {points:,} points fall in an area"
            ),
        ),
        Row(
            f"one call p50 ({count:,} calls)",
            statistics.median(ours),
            "µs",
            baseline=statistics.median(raw),
            target=ratio_below(1 / TARGET_RATIO),
            note=(
                "locate_point reads the boundary version (one primary-key query) on every call: "
                f"that read alone has p50 {statistics.median(version_reads):.0f} µs"
            ),
        ),
        Row(
            f"one call p99 ({count:,} calls)",
            p99(ours),
            "µs",
            baseline=p99(raw),
            target=ratio_below(1 / TARGET_RATIO),
        ),
        Row(
            "boundary version read p50 (inside each call)",
            statistics.median(version_reads),
            "µs",
        ),
        Row(
            f"index build, {areas:,} areas",
            build_seconds * 1000,
            "ms",
            baseline=raw_build_seconds * 1000,
            note="ours reads, parses and checks every boundary from the database; the baseline only "
            "builds an STRtree over ready geometries",
        ),
    ]
