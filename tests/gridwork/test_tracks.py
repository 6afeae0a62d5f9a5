"""Track length without GPS noise (pure arithmetic)."""

import pytest

from gridgov.gridwork.tracks import MAX_ACCURACY_M, TrackPoint, haversine_m, track_length_m

# One degree of latitude is about 111.195 km on the mean sphere.
METRE = 1 / 111_195.0


def north(metres: float, accuracy: float | None = 5.0) -> TrackPoint:
    return TrackPoint(120.1, 30.2 + metres * METRE, accuracy)


def test_haversine_of_a_known_distance() -> None:
    assert haversine_m(120.1, 30.2, 120.1, 30.2 + 1000 * METRE) == pytest.approx(1000, rel=1e-4)
    assert haversine_m(120.1, 30.2, 120.1, 30.2) == 0


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        ([], 0),
        ([north(0)], 0),
        ([north(0), north(30), north(60)], 60),
        # standing still: every step inside the error circle adds nothing
        ([north(0, 10), north(3, 10), north(6, 10), north(2, 10)], 0),
        # small steps add up from the last anchor once they leave the error circle
        ([north(0, 10), north(6, 10), north(12, 10), north(18, 10)], 12),
        # a wild position (accuracy worse than the limit) is skipped
        ([north(0), north(30), north(900, MAX_ACCURACY_M + 1), north(60)], 60),
        # no accuracy given: every step counts
        ([north(0, None), north(2, None), north(4, None)], 4),
    ],
)
def test_track_length(points: list[TrackPoint], expected: float) -> None:
    assert track_length_m(points) == pytest.approx(expected, abs=0.2)
