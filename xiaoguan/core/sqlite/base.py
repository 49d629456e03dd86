"""Django's SQLite backend with one change: write transactions queue on an OS file lock before `BEGIN IMMEDIATE`.

SQLite lets one writer in at a time and makes the others poll: its busy handler sleeps 1, 2, 5, 10 … 100 ms between
tries whatever the holder is doing, so under steady write traffic from several processes (3 web workers and the
background worker) a request that finds the lock taken sleeps far longer than the 1–3 ms the holder needs. Measured
with `xiaoguan bench leads` at 200 captures/s: the web workers used 0.4 of 2 cores and answered 22/s, the rest
asleep in the busy handler. A `flock()` waiter is woken by the kernel the moment the holder lets go.

The lock is taken when Django opens a transaction (`atomic`) and released at commit or rollback, and around each
writing statement run in autocommit mode (the task queue's and the deliveries' bookkeeping), so every writer queues
in one line. Readers never wait (WAL). In-memory databases (the test suite's default) have no file and no lock.
"""

from __future__ import annotations

import fcntl
import os
from typing import Any

from django.db.backends.sqlite3 import base

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._write_lock_fd: int | None = None

    def create_cursor(self, name: str | None = None) -> Any:
        cursor = self.connection.cursor(factory=QueuedWriteCursor)
        cursor.db = self
        return cursor

    def _write_lock_take(self) -> bool:
        """Take the lock unless this connection holds it already; True when this call took it."""
        path = self._write_lock_path()
        if path is None or self._write_lock_fd is not None:
            return False
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self._write_lock_fd = fd
        return True

    def _write_lock_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        if self.is_in_memory_db() or not name:
            return None
        return f"{name}.writelock"

    def _start_transaction_under_autocommit(self) -> None:
        self._write_lock_take()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._write_lock_release()
            raise

    def _write_lock_release(self) -> None:
        fd, self._write_lock_fd = self._write_lock_fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor drops its flock

    # Django calls these only to end the outermost transaction (savepoints have their own methods).
    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._write_lock_release()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._write_lock_release()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._write_lock_release()


class QueuedWriteCursor(base.SQLiteCursorWrapper):
    """A writing statement outside a transaction (autocommit) queues on the same lock for its own duration."""

    db: DatabaseWrapper

    def _alone(self, query: str) -> bool:
        return not self.db.in_atomic_block and query.lstrip()[:7].upper().startswith(WRITES)

    def execute(self, query: str, params: Any = None) -> Any:
        if not self._alone(query) or not self.db._write_lock_take():
            return super().execute(query, params)
        try:
            return super().execute(query, params)
        finally:
            self.db._write_lock_release()

    def executemany(self, query: str, param_list: Any) -> Any:
        if not self._alone(query) or not self.db._write_lock_take():
            return super().executemany(query, param_list)
        try:
            return super().executemany(query, param_list)
        finally:
            self.db._write_lock_release()
