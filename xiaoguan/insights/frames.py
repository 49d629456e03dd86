"""Org-wide frames of the cockpit, kept per process for a few minutes.

A cockpit figure for a period is the same computation for every viewer; only the people counted differ. So the
funnel, dwell and radar read the whole organisation's rows for a period once (grouped by owner, pipeline and product
line), keep that frame for `FRAME_SECONDS`, and each request sums the part its filter's `owner_ids` allows. The first
view of a period after the frame expires pays the full read (about a second or two on the 1M-lead database); the
others are quick. Figures are therefore up to `FRAME_SECONDS` old, which the pages say.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from xiaoguan.core.process_cache import ProcessCache

FRAME_SECONDS = 600.0
MAX_FRAMES = 24


class FrameCache(ProcessCache):
    """A ProcessCache that keeps at most `limit` entries: the frames of periods nobody looks at any more go first."""

    def __init__(self, name: str, *, seconds: float = FRAME_SECONDS, limit: int = MAX_FRAMES) -> None:
        super().__init__(name, seconds=seconds, shared=True)
        self.limit = limit

    def get[T](self, key: str, load: Callable[[], T]) -> T:
        entries: dict[str, tuple[float, Any]] = self._entries
        if key not in entries and len(entries) >= self.limit:
            del entries[min(entries, key=lambda k: entries[k][0])]
        return super().get(key, load)
