"""gridgov/core/sqlite: SQLite writers queue on a lock file before BEGIN IMMEDIATE."""

import os
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connection

from gridgov.core.sqlite.base import DatabaseWrapper

pytestmark = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="the queue is SQLite's",
)


def another_connection(timeout: float) -> DatabaseWrapper:
    """A second connection to the test database, as another web worker would hold."""
    settings = {
        **connection.settings_dict,
        "OPTIONS": {**connection.settings_dict["OPTIONS"], "timeout": timeout},
    }
    other = DatabaseWrapper(settings, alias=f"other-{timeout}")
    other.ensure_connection()
    return other


def begin(wrapper: Any) -> None:
    wrapper._start_transaction_under_autocommit()


@pytest.mark.django_db(transaction=True)
def test_a_second_writer_waits_for_the_first_and_gives_up_after_its_timeout() -> None:
    first, second = another_connection(5), another_connection(0.05)
    try:
        assert Path(f"{connection.settings_dict['NAME']}.writer-lock").exists()
        begin(first)
        assert first.holds_writer_lock
        # Refused by the queue, not by SQLite: the message says how long it waited.
        with pytest.raises(OperationalError, match=r"database is locked \(waited 0.05 s"):
            begin(second)
        assert not second.holds_writer_lock
        first.commit()
        assert not first.holds_writer_lock
        begin(second)
        with second.cursor() as cursor:
            cursor.execute(
                "INSERT INTO cases_casecounter (district_code, day, last_value) VALUES ('1', '2026-01-01', 1)"
            )
        # A rollback lets the next writer in too, and undoes the write.
        second.rollback()
        begin(first)
        # So does closing a connection in the middle of its transaction.
        first.close()
        begin(second)
        second.commit()
        with second.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM cases_casecounter")
            assert cursor.fetchone()[0] == 0
    finally:
        first.close()
        second.close()
