import pytest

from gridgov.core.area_codes import (
    InvalidCode,
    Level,
    ancestor_codes,
    child_code,
    is_within,
    level_of,
    normalize_code,
    parent_code,
    scope_prefix,
)


@pytest.mark.parametrize(
    ("code", "level", "prefix", "parent"),
    [
        ("330000000000", Level.PROVINCE, "33", None),
        ("330100000000", Level.CITY, "3301", "330000000000"),
        ("330102000000", Level.DISTRICT, "330102", "330100000000"),
        ("330102001000", Level.STREET, "330102001", "330102000000"),
        ("330102001051", Level.COMMUNITY, "330102001051", "330102001000"),
        ("330102001051003", Level.GRID, "330102001051003", "330102001051"),
        ("330102001051003002", Level.MICRO_GRID, "330102001051003002", "330102001051003"),
    ],
)
def test_code_levels_prefixes_and_parents(code: str, level: Level, prefix: str, parent: str | None) -> None:
    assert level_of(code) == level
    assert scope_prefix(code) == prefix
    assert parent_code(code) == parent


@pytest.mark.parametrize("bad", ["", "33010", "3301020010510", "33010200105A", "000000000000"])
def test_malformed_codes_are_refused(bad: str) -> None:
    with pytest.raises(InvalidCode):
        level_of(bad)


def test_normalize_pads_short_codes_and_checks_the_level() -> None:
    assert normalize_code("330102", Level.DISTRICT) == "330102000000"
    assert normalize_code(33, Level.PROVINCE) == "330000000000"
    assert normalize_code("330102001", Level.STREET) == "330102001000"
    with pytest.raises(InvalidCode, match="too short for a district"):
        normalize_code("3301", Level.DISTRICT)
    with pytest.raises(InvalidCode, match="city code, not a district"):
        normalize_code("330100", Level.DISTRICT)
    with pytest.raises(InvalidCode, match="not a number"):
        normalize_code("33-01", Level.CITY)


def test_child_code_places_the_local_number_in_the_next_segment() -> None:
    assert child_code("330102001051", Level.COMMUNITY, 7) == "330102001051007"
    assert child_code("990101000000", Level.DISTRICT, "311") == "990101311000"
    with pytest.raises(InvalidCode):
        child_code("330102001051", Level.COMMUNITY, "1000")
    with pytest.raises(InvalidCode):
        child_code("330102001051", Level.COMMUNITY, "0")


def test_ancestors_and_scope_membership() -> None:
    assert ancestor_codes("330102001051003") == [
        "330000000000",
        "330100000000",
        "330102000000",
        "330102001000",
        "330102001051",
    ]
    assert is_within("330102001051003", "330102001000")
    assert is_within("330102001000", "330102001000")
    assert not is_within("330102002001001", "330102001000")
    # A sibling whose code merely shares leading digits is not inside.
    assert not is_within("330102001052001", "330102001051")
