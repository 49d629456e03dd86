"""SQLite writers queue on a file lock (xiaoguan/core/sqlite): a second writer waits for the first to commit, is woken at
once, and autocommit writes queue in the same line."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from xiaoguan.core.sqlite.base import DatabaseWrapper

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the write queue is SQLite's")


@pytest.fixture(autouse=True)
def _own_files(django_db_blocker):  # type: ignore[no-untyped-def]
    # These tests open their own database files, outside the test database.
    with django_db_blocker.unblock():
        yield


def _wrapper(path: Path) -> DatabaseWrapper:
    settings = {**connection.settings_dict, "NAME": str(path), "TEST": {}}
    return DatabaseWrapper(settings, alias=f"queue-{path.name}-{threading.get_ident()}")


def test_a_second_writer_waits_for_the_first_and_runs_right_after(tmp_path: Path) -> None:
    path = tmp_path / "queue.sqlite3"
    setup = _wrapper(path)
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT, at REAL)")
    setup.close()
    events: list[tuple[str, float]] = []
    first_in = threading.Event()

    def first() -> None:
        db = _wrapper(path)
        with _atomic(db):
            db.cursor().execute("INSERT INTO t (who, at) VALUES ('first', %s)", [time.monotonic()])
            first_in.set()
            time.sleep(0.3)  # holds the write lock
            events.append(("first commits", time.monotonic()))
        db.close()

    def second() -> None:
        db = _wrapper(path)
        first_in.wait()
        started = time.monotonic()
        with _atomic(db):
            events.append(("second begins", time.monotonic()))
            db.cursor().execute("INSERT INTO t (who, at) VALUES ('second', %s)", [started])
        db.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert [name for name, _at in events] == ["first commits", "second begins"]
    # woken by the kernel when the lock is let go, not after a busy-handler sleep
    assert events[1][1] - events[0][1] < 0.05
    assert Path(f"{path}.writelock").exists()
    check = _wrapper(path)
    with check.cursor() as cursor:
        cursor.execute("SELECT who FROM t ORDER BY id")
        assert [row[0] for row in cursor.fetchall()] == ["first", "second"]
    check.close()


def test_an_autocommit_write_waits_for_an_open_write_transaction(tmp_path: Path) -> None:
    path = tmp_path / "auto.sqlite3"
    setup = _wrapper(path)
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)")
    setup.close()
    order: list[str] = []
    holding = threading.Event()

    def holder() -> None:
        db = _wrapper(path)
        with _atomic(db):
            db.cursor().execute("INSERT INTO t (who) VALUES ('txn')")
            holding.set()
            time.sleep(0.2)
            order.append("txn commits")
        db.close()

    def autocommit() -> None:
        db = _wrapper(path)
        holding.wait()
        db.cursor().execute("INSERT INTO t (who) VALUES ('auto')")  # no transaction: queues on the same lock
        order.append("auto written")
        db.close()

    threads = [threading.Thread(target=holder), threading.Thread(target=autocommit)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert order == ["txn commits", "auto written"]


class _atomic:
    """transaction.atomic on a connection object that is not in django.db.connections."""

    def __init__(self, db: DatabaseWrapper) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
        self.db.in_atomic_block = True

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.db.in_atomic_block = False
        if exc_type is None:
            self.db.commit()
        else:
            self.db.rollback()
        self.db.set_autocommit(True)
