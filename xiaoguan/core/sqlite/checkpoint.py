"""The WAL checkpoint beside the writers: `xiaoguan serve` runs it four times a second on SQLite.

A checkpoint copies the write-ahead log into the database file and syncs it (~8 ms per fsync on the 2-core bench
machine). Left to SQLite, it runs inside whichever commit crosses the threshold, while that request holds the write
lock; PASSIVE here never blocks a writer or a reader. The automatic one (settings: `wal_autocheckpoint`) stays as a
safety net for processes that write without a server beside them.
"""

from __future__ import annotations

import logging
import os
import threading

from django.db import connections

log = logging.getLogger(__name__)


def checkpoints_start(*, every: float = 0.25) -> threading.Event | None:
    """Start the checkpoint thread when the database is SQLite; returns the event that stops it."""
    if connections["default"].vendor != "sqlite":
        return None
    stop = threading.Event()
    threading.Thread(target=_checkpoint_forever, args=(every, stop), name="wal-checkpoint", daemon=True).start()
    return stop


def _checkpoint_forever(every: float, stop: threading.Event) -> None:
    # Low CPU priority for this thread alone (Linux schedules threads): copying pages waits behind requests.
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass
    conn = connections.create_connection("default")
    try:
        while not stop.wait(every):
            try:
                with conn.cursor() as cursor:
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:
                log.exception("WAL checkpoint failed")
    finally:
        conn.close()
