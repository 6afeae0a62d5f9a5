"""WGS-84 ↔ GCJ-02: published reference points, round trips, and the identity outside China."""

import pytest

from gridgov.core.coordinates import gcj02_to_wgs84, is_outside_china, wgs84_to_gcj02

# (WGS-84 lon, lat) → (GCJ-02 lon, lat): widely published reference values of the transform.
REFERENCE = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # Shanghai
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # Shenzhen
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # Beijing
]


@pytest.mark.parametrize(("wgs", "gcj"), REFERENCE)
def test_forward_matches_the_reference_points(wgs: tuple[float, float], gcj: tuple[float, float]) -> None:
    lon, lat = wgs84_to_gcj02(*wgs)
    assert lon == pytest.approx(gcj[0], abs=1e-9)
    assert lat == pytest.approx(gcj[1], abs=1e-9)


@pytest.mark.parametrize(("wgs", "gcj"), REFERENCE)
def test_inverse_returns_to_the_gps_point(wgs: tuple[float, float], gcj: tuple[float, float]) -> None:
    lon, lat = gcj02_to_wgs84(*gcj)
    assert lon == pytest.approx(wgs[0], abs=1e-8)
    assert lat == pytest.approx(wgs[1], abs=1e-8)


@pytest.mark.parametrize(
    "point",
    [(-122.4194, 37.7749), (2.3522, 48.8566), (151.2093, -33.8688), (71.0, 30.0), (120.0, 56.0)],
)
def test_outside_china_nothing_moves(point: tuple[float, float]) -> None:
    assert is_outside_china(*point)
    assert wgs84_to_gcj02(*point) == point
    assert gcj02_to_wgs84(*point) == point


def test_the_shift_in_hangzhou_is_a_few_hundred_metres() -> None:
    lon, lat = wgs84_to_gcj02(120.105, 30.205)
    assert (round(lon - 120.105, 6), round(lat - 30.205, 6)) == (0.004798, -0.002276)
