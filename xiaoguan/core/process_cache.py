"""A per-process copy of reads that rarely change and are needed on every request (rules, preferences, policies).

Each entry lives for `seconds`; a save or delete of one of `models` in this process drops the whole copy at once (and
so does a settings override in tests). Another process sees a change within `seconds`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from django.core.signals import setting_changed
from django.db import models
from django.db.models.signals import post_delete, post_save

_all: list[ProcessCache] = []


def process_caches_clear() -> None:
    """Drop every per-process copy: after writes that send no save signals (bulk loads), and between tests."""
    for cache in _all:
        cache.clear()


class ProcessCache:
    def __init__(self, name: str, *, seconds: float, models: Iterable[type[models.Model]] = ()) -> None:
        self.seconds = seconds
        self._entries: dict[str, tuple[float, Any]] = {}
        _all.append(self)
        for model in models:
            post_save.connect(self.clear, sender=model, dispatch_uid=f"{name}.saved.{model._meta.label}", weak=False)
            post_delete.connect(self.clear, sender=model, dispatch_uid=f"{name}.deleted.{model._meta.label}", weak=False)
        setting_changed.connect(self.clear, dispatch_uid=f"{name}.settings", weak=False)

    def get[T](self, key: str, load: Callable[[], T]) -> T:
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry is None or now - entry[0] > self.seconds:
            entry = self._entries[key] = (now, load())
        value: T = entry[1]
        return value

    def clear(self, **_signal: Any) -> None:
        self._entries.clear()
