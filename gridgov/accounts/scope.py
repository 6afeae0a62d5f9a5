"""A user's data scope, as plain values (no database).

Area-scoped data are filtered by code prefix: a street worker sees every code that starts with
the street's prefix. Department-scoped data are filtered by department id. A global scope
(administrators and leaders of the root, or superusers) sees everything.
"""

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q

from gridgov.core.area_codes import scope_prefix


@dataclass(frozen=True)
class Scope:
    area_prefixes: frozenset[str] = field(default_factory=frozenset)
    department_ids: frozenset[int] = field(default_factory=frozenset)
    is_global: bool = False

    @classmethod
    def everything(cls) -> "Scope":
        return cls(is_global=True)

    @classmethod
    def for_area_codes(cls, codes: list[str], department_ids: list[int] | None = None) -> "Scope":
        prefixes = {scope_prefix(code) for code in codes}
        # A prefix already inside another one adds nothing.
        kept = {p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes)}
        return cls(area_prefixes=frozenset(kept), department_ids=frozenset(department_ids or []))

    @property
    def is_empty(self) -> bool:
        return not self.is_global and not self.area_prefixes and not self.department_ids

    def covers_code(self, code: str) -> bool:
        return self.is_global or any(code.startswith(prefix) for prefix in self.area_prefixes)

    def covers_department(self, department_id: int) -> bool:
        return self.is_global or department_id in self.department_ids

    def area_q(self, field_name: str = "code") -> Q:
        """A filter keeping the rows whose area code field lies inside the scope."""
        if self.is_global:
            return Q()
        condition = Q(pk__in=[])
        for prefix in sorted(self.area_prefixes):
            condition |= code_prefix_q(field_name, prefix)
        return condition


def code_prefix_q(field_name: str, prefix: str) -> Q:
    """`field LIKE 'prefix%'` in a form each database answers from its index.

    SQLite only uses an index for LIKE under a NOCASE collation, so there a prefix becomes the
    range [prefix, prefix + ':'), ':' being the character after '9'. PostgreSQL's LIKE uses the
    varchar_pattern_ops index Django creates for indexed text columns.
    """
    if connection.vendor == "sqlite":
        return Q(**{f"{field_name}__gte": prefix, f"{field_name}__lt": prefix + ":"})
    return Q(**{f"{field_name}__startswith": prefix})


# A prefix this short names a district or more (区县: 6 digits): a large share of all rows.
WIDE_PREFIX_LENGTH = 6


def period_prefix_q(field_name: str, prefix: str) -> Q:
    """The rows of the areas under `prefix`, for a query that also bounds a time column.

    For a narrow prefix (a street or below) the area's index is the better road, as code_prefix_q
    gives it. A district or more holds so large a share of the rows that reading the period's rows
    by the time index and keeping the area's is cheaper; SQLite's planner cannot tell (it estimates
    ranges without statistics) and would take the area index, so for a wide prefix the condition is
    a plain LIKE, which no index answers. PostgreSQL, which estimates both, gets the same form.
    """
    if len(prefix) > WIDE_PREFIX_LENGTH:
        return code_prefix_q(field_name, prefix)
    return Q(**{f"{field_name}__startswith": prefix})
