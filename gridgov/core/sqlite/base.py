"""Django's SQLite backend with the writers queued on a lock file (docs/production.md).

SQLite lets one writer in at a time; gridgov's transactions begin IMMEDIATE, so a second writer
waits at BEGIN in SQLite's busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50 and
then 100 ms between tries: a write of 2 ms behind another of 2 ms often waited 50 ms or more, and
under 8 clients the reports' p99 was 150 ms for a 7 ms report (bench/intake_http.py).

Here each transaction first takes an exclusive `flock` on `<database>.writer-lock`, tried at once
and then every 0.1 to 1 ms, so a waiting writer starts within a millisecond of the one before it
committing. SQLite's own lock stays authoritative (a writer that skips the queue, the sqlite3 shell
say, is still kept out by it); the queue only replaces the long sleeps. It waits as long as
SQLite's `timeout` option (20 s), then raises OperationalError("database is locked"), as SQLite
would. The lock is released at commit, at rollback and when the connection closes; an in-memory
database, or a system without `fcntl`, has no queue.
"""

import time
from pathlib import Path
from typing import Any

from django.db.backends.sqlite3 import base
from django.db.utils import OperationalError

try:
    import fcntl
except ImportError:  # not on Linux or macOS: SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]

FIRST_PAUSE_S = 0.0001
LONGEST_PAUSE_S = 0.001


# The methods overridden below are private Django API, absent from django-stubs (hence the ignores).
class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.writer_lock_file: Any = None
        self.holds_writer_lock = False

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        self._close_writer_lock()
        if fcntl is not None and not self.is_in_memory_db():
            path = Path(f"{self.settings_dict['NAME']}.writer-lock")
            self.writer_lock_file = path.open("a+b")
        return connection

    def _start_transaction_under_autocommit(self) -> None:
        self._take_writer_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_writer_lock()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._release_writer_lock()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer_lock()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._close_writer_lock()

    def _take_writer_lock(self) -> None:
        if self.writer_lock_file is None or self.holds_writer_lock:
            return
        patience = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        deadline = time.monotonic() + patience
        pause = FIRST_PAUSE_S
        while True:
            try:
                fcntl.flock(self.writer_lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise OperationalError(
                        f"database is locked (waited {patience:g} s for the writer before)"
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE_S)
            else:
                self.holds_writer_lock = True
                return

    def _release_writer_lock(self) -> None:
        if self.holds_writer_lock and self.writer_lock_file is not None:
            fcntl.flock(self.writer_lock_file.fileno(), fcntl.LOCK_UN)
        self.holds_writer_lock = False

    def _close_writer_lock(self) -> None:
        self._release_writer_lock()
        if self.writer_lock_file is not None:
            self.writer_lock_file.close()
            self.writer_lock_file = None
