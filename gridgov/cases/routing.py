"""Routing rules (pure): the escalation ladder and the unit proposed for a case."""

from dataclasses import dataclass

LADDER = ("grid", "community", "street", "district")


def next_level(level: str) -> str | None:
    """One level up, or None at the district: a case never climbs past it."""
    index = LADDER.index(level)
    return LADDER[index + 1] if index + 1 < len(LADDER) else None


def start_level(normal_level: str, area_level: str) -> str:
    """The lowest level that can handle it: the category's normal level, but never below the area
    the case was located in (a case located only to a street starts at the street)."""
    area_rank = LADDER.index(area_level) if area_level in LADDER else len(LADDER) - 1
    return LADDER[max(LADDER.index(normal_level), area_rank)]


@dataclass(frozen=True)
class Proposal:
    level: str
    department_ids: tuple[int, ...]
    # "catalogue": a department with the responsible function serves the area;
    # "territorial": none does, so the handling area keeps the case itself (属地兜底).
    reason: str


def propose_unit(
    level: str, function_codes: list[str], departments_by_function: dict[str, list[int]]
) -> Proposal:
    """The department(s) to dispatch to at `level`, first match of the responsible functions."""
    for code in function_codes:
        candidates = departments_by_function.get(code, [])
        if candidates:
            return Proposal(level, (candidates[0],), "catalogue")
    return Proposal(level, (), "territorial")
