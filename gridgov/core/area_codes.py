"""Pure rules of area codes (统计用区划代码 and grid codes). No database.

    12 digits: PP CC DD SSS VVV   province, city, district/county, street/town, community/village
    15 digits: + GGG              grid (网格)
    18 digits: + MMM              micro-grid (微网格)

A code's data scope is its prefix without the trailing zero segments: street 330102001000 →
330102001, which every community and grid inside it starts with. The scope logic lives here, in
core, because accounts (which holds memberships) sits to the left of areas in the domain order.
"""

import functools
from enum import StrEnum


class Level(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"
    MICRO_GRID = "micro_grid"


LEVEL_ORDER: tuple[Level, ...] = tuple(Level)
# Where each level's own segment ends inside the code.
PREFIX_LENGTH: dict[Level, int] = {
    Level.PROVINCE: 2,
    Level.CITY: 4,
    Level.DISTRICT: 6,
    Level.STREET: 9,
    Level.COMMUNITY: 12,
    Level.GRID: 15,
    Level.MICRO_GRID: 18,
}
SEGMENT_WIDTH: dict[Level, int] = {
    level: PREFIX_LENGTH[level] - (PREFIX_LENGTH[LEVEL_ORDER[i - 1]] if i else 0)
    for i, level in enumerate(LEVEL_ORDER)
}


class InvalidCode(ValueError):
    pass


def full_length(level: Level) -> int:
    """Administrative codes are always 12 digits; grids 15 and micro-grids 18."""
    return max(12, PREFIX_LENGTH[level])


def level_of(code: str) -> Level:
    """The level a well-formed code denotes, read from its non-zero segments."""
    if not code.isdigit() or len(code) not in (12, 15, 18):
        raise InvalidCode(f"{code!r} is not a 12, 15 or 18 digit area code")
    if len(code) == 18:
        return Level.MICRO_GRID
    if len(code) == 15:
        return Level.GRID
    for level in reversed(LEVEL_ORDER[:5]):
        start = PREFIX_LENGTH[level] - SEGMENT_WIDTH[level]
        if int(code[start : PREFIX_LENGTH[level]]) != 0:
            return level
    raise InvalidCode(f"{code!r} is all zeros")


def normalize_code(raw: str | int, level: Level) -> str:
    """A full-length code from a possibly shortened one (adcode 330102 → 330102000000).

    Raises InvalidCode when the digits do not denote an area of `level`.
    """
    text = str(raw).strip()
    if not text.isdigit():
        raise InvalidCode(f"{text!r} is not a number")
    length = full_length(level)
    if len(text) > length:
        raise InvalidCode(f"{text!r} is longer than a {level.value} code ({length} digits)")
    if len(text) < PREFIX_LENGTH[level]:
        raise InvalidCode(f"{text!r} is too short for a {level.value} code")
    code = text.ljust(length, "0")
    if level_of(code) != level:
        raise InvalidCode(f"{code} is a {level_of(code).value} code, not a {level.value} code")
    return code


def child_code(parent_code: str, parent_level: Level, local: str | int) -> str:
    """The code of a child given its local number inside the parent (community 51 → …051)."""
    child_level = LEVEL_ORDER[LEVEL_ORDER.index(parent_level) + 1]
    width = SEGMENT_WIDTH[child_level]
    text = str(local).strip()
    if not text.isdigit() or len(text) > width or int(text) == 0:
        raise InvalidCode(f"{text!r} is not a {width}-digit {child_level.value} number")
    prefix = parent_code[: PREFIX_LENGTH[parent_level]] + text.zfill(width)
    return prefix.ljust(full_length(child_level), "0")


def scope_prefix(code: str) -> str:
    """The prefix every code inside this area starts with."""
    return code[: PREFIX_LENGTH[level_of(code)]]


def parent_code(code: str) -> str | None:
    """The code of the enclosing area, or None for a province."""
    level = level_of(code)
    index = LEVEL_ORDER.index(level)
    if index == 0:
        return None
    parent_level = LEVEL_ORDER[index - 1]
    return code[: PREFIX_LENGTH[parent_level]].ljust(full_length(parent_level), "0")


def ancestor_codes(code: str) -> list[str]:
    """Codes from the province down to the parent of `code`."""
    return list(_ancestors(code))


# A district has a few thousand codes, asked for again and again (every case routed, every staff
# lookup): the chain is computed once per code.
@functools.lru_cache(maxsize=65_536)
def _ancestors(code: str) -> tuple[str, ...]:
    chain: list[str] = []
    current = parent_code(code)
    while current is not None:
        chain.append(current)
        current = parent_code(current)
    return tuple(reversed(chain))


def is_within(code: str, scope_code: str) -> bool:
    """Whether `code` lies in the subtree of `scope_code` (itself included)."""
    return code.startswith(scope_prefix(scope_code))
