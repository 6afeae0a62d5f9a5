"""SQLite query plans under chosen statistics, for the tests that pin an index's use."""

from typing import Any


def sqlite_plan(sql: str, params: Any, statistics: dict[tuple[str, str], str] | None = None) -> list[str]:
    """EXPLAIN QUERY PLAN's lines, planned with the given sqlite_stat1 statistics (table, index) ->
    stat, or with none: another test may have run ANALYZE on the shared test database, and the
    planner's choice follows the statistics, not these few rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sqlite_master")  # makes sure sqlite_stat1 exists
        cursor.execute("DELETE FROM sqlite_stat1")
        for (table, index), stat in (statistics or {}).items():
            cursor.execute(
                "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (%s, %s, %s)", [table, index, stat]
            )
        cursor.execute("ANALYZE sqlite_master")  # reloads the statistics
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        lines = [str(row[3]) for row in cursor.fetchall()]
        cursor.execute("DELETE FROM sqlite_stat1")
        cursor.execute("ANALYZE sqlite_master")
    return lines
