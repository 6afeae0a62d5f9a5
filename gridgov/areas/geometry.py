"""Geometry helpers and the in-memory locate index (placeholder until built)."""


def containing_area_codes(lon: float, lat: float) -> list[str]:
    """Codes of every area whose boundary contains the point, smallest (deepest) first."""
    raise NotImplementedError
