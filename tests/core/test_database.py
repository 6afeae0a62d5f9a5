"""The suite runs on the database the environment names, configured as settings says.

`.ci/run` runs the suite twice, on SQLite and with DATABASE_URL on a real PostgreSQL server; these
tests prove that each run really talks to the database it claims to.
"""

import os
import sqlite3
from pathlib import Path

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, connections, transaction
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteDatabaseWrapper
from pytest_django import DjangoDbBlocker

DATABASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRESQL = DATABASE_URL.startswith(("postgres://", "postgresql://"))

only_sqlite = pytest.mark.skipif(ON_POSTGRESQL, reason="DATABASE_URL names PostgreSQL")
only_postgresql = pytest.mark.skipif(not ON_POSTGRESQL, reason="DATABASE_URL does not name PostgreSQL")


def pragma(cursor: object, name: str) -> object:
    cursor.execute(f"PRAGMA {name}")  # type: ignore[attr-defined]
    return cursor.fetchone()[0]  # type: ignore[attr-defined]


def test_the_connection_is_the_database_that_database_url_names(db: None) -> None:
    assert connection.vendor == ("postgresql" if ON_POSTGRESQL else "sqlite")
    assert settings.IS_POSTGRESQL is ON_POSTGRESQL


@only_postgresql
def test_postgresql_runs_a_real_server_in_a_test_database(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT version(), current_database(), pg_encoding_to_char(encoding) FROM pg_database"
            " WHERE datname = current_database()"
        )
        version, database, encoding = cursor.fetchone()
    assert version.startswith("PostgreSQL ")
    # pytest-django's own database (test_<name>, with a _gw<n> suffix under xdist), never the real one.
    assert database.startswith("test_")
    assert encoding == "UTF8"


@only_sqlite
def test_sqlite_test_connection_applies_the_settings_pragmas(db: None) -> None:
    """The SQLite test database is a file per test process (settings TEST NAME), set up like production."""
    assert "memory" not in str(connection.settings_dict["NAME"])
    with connection.cursor() as cursor:
        assert pragma(cursor, "foreign_keys") == 1
        assert pragma(cursor, "busy_timeout") == 20000
        assert pragma(cursor, "synchronous") == 1  # NORMAL
        assert pragma(cursor, "journal_mode") == "wal"


@only_sqlite
def test_a_sqlite_file_database_runs_in_wal_mode_with_foreign_keys_and_immediate_transactions(
    tmp_path: Path, django_db_blocker: DjangoDbBlocker
) -> None:
    """A connection made from settings, as the demo makes it, to a file database."""
    database_file = tmp_path / "gridgov.sqlite3"
    file_connection = SQLiteDatabaseWrapper(
        {
            **connection.settings_dict,
            "NAME": database_file,
            "OPTIONS": settings.DATABASES["default"]["OPTIONS"],
        },
        alias="file_probe",
    )
    connections["file_probe"] = file_connection
    with django_db_blocker.unblock():
        try:
            with file_connection.cursor() as cursor:
                assert pragma(cursor, "journal_mode") == "wal"
                assert pragma(cursor, "foreign_keys") == 1
                assert pragma(cursor, "busy_timeout") == 20000
                assert pragma(cursor, "synchronous") == 1  # NORMAL
                cursor.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
                cursor.execute("CREATE TABLE child (parent_id INTEGER REFERENCES parent (id))")
                assert database_file.with_name("gridgov.sqlite3-wal").exists()
                with pytest.raises(IntegrityError, match="FOREIGN KEY constraint failed"):
                    cursor.execute("INSERT INTO child (parent_id) VALUES (42)")
            # BEGIN IMMEDIATE takes the write lock before the first write, so a second writer
            # waits at BEGIN instead of failing half-way through its transaction.
            with transaction.atomic(using="file_probe"):
                other_writer = sqlite3.connect(database_file, timeout=0)
                try:
                    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                        other_writer.execute("INSERT INTO parent (id) VALUES (1)")
                finally:
                    other_writer.close()
        finally:
            del connections["file_probe"]
            file_connection.close()
