"""Progress of a long import on stderr: rows done, rows per second, time left."""

from __future__ import annotations

import time
from typing import Protocol

BIG_FOLDER_ROWS = 50_000


class Stream(Protocol):
    def write(self, text: str, /) -> object: ...

    def flush(self) -> object: ...


class Progress:
    """Prints at most every `interval` seconds; silent without a stream or for small folders."""

    def __init__(self, *, stream: Stream | None, total: int, interval: float = 2.0) -> None:
        self.stream = stream if total >= BIG_FOLDER_ROWS else None
        self.total = max(total, 1)
        self.interval = interval
        self.done = 0
        self.started = time.monotonic()
        self.last = self.started

    def advance(self, rows: int, *, label: str) -> None:
        self.done += rows
        if self.stream is None:
            return
        now = time.monotonic()
        if now - self.last < self.interval:
            return
        self.last = now
        self._print(label, now)

    def finish(self, label: str) -> None:
        if self.stream is not None:
            self._print(label, time.monotonic())

    def _print(self, label: str, now: float) -> None:
        elapsed = max(now - self.started, 1e-6)
        rate = self.done / elapsed
        left = max(self.total - self.done, 0) / rate if rate else 0
        share = min(self.done / self.total, 1.0)
        if self.stream is None:
            return
        self.stream.write(
            f"{label}  {self.done:,} 行 · {rate:,.0f} 行/秒 · {share:.0%} · 预计剩余 {int(left) // 60}:{int(left) % 60:02d}\n"
        )
        self.stream.flush()
