"""Field work reuses the cases' small world: grids A, B (one community) and C (another street)."""

from gridgov.core.coordinates import gcj02_to_wgs84
from tests.cases.conftest import World, world  # the fixture, reused

# Inside grid A as stored (GCJ-02, the default storage system), and the same place as a phone's GPS
# (WGS-84) reports it: the server must convert the one into the other.
IN_GRID_A = (120.105, 30.205)
GPS_IN_GRID_A = gcj02_to_wgs84(*IN_GRID_A)
IN_GRID_C = (120.145, 30.205)
GPS_IN_GRID_C = gcj02_to_wgs84(*IN_GRID_C)

__all__ = ["GPS_IN_GRID_A", "GPS_IN_GRID_C", "IN_GRID_A", "IN_GRID_C", "World", "world"]
