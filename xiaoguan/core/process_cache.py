"""A per-process copy of reads that rarely change and are needed on every request (rules, preferences, policies).

Each entry lives for `seconds`; a save or delete of one of `models` in this process drops the whole copy at once (and
so does a settings override in tests). Another process sees a change within `seconds`.

`shared=True` is for the expensive analytics (the cockpit's org-wide frames, today's win probabilities): an entry
computed by one process — usually the worker's warm-up job — is also kept in the `frames` cache (settings.CACHES: a
file cache under var/, Redis with the RQ profile), so the web processes find it instead of each computing it again.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.signals import setting_changed
from django.db import models
from django.db.models.signals import post_delete, post_save

_all: list[ProcessCache] = []


def process_caches_clear() -> None:
    """Drop every per-process copy: after writes that send no save signals (bulk loads), and between tests."""
    for cache in _all:
        cache.clear()
    # The shared entries are dropped by moving to a new generation of keys (never by clearing the backend: with the
    # RQ profile it is the Redis that also holds the task queues).
    backend = caches[SHARED_CACHE]
    if isinstance(backend, LocMemCache):  # this process's own: simply emptied (markers included)
        backend.clear()
        return
    try:
        backend.incr(GENERATION_KEY)
    except ValueError:
        backend.set(GENERATION_KEY, 2, timeout=None)


SHARED_CACHE = "frames"
GENERATION_KEY = "generation"
# Set to the monotonic instant a refresh began: entries older than that are computed again (once), newer ones are used.
_refreshing: ContextVar[float | None] = ContextVar("process_cache_refreshing", default=None)


@contextmanager
def process_caches_refreshing() -> Iterator[None]:
    """Within: every entry made before this began is computed afresh, once, and stored (the warm-up job renews what
    the pages will read; a piece several others use, like the authenticity report under every brief, is still
    computed only once)."""
    token = _refreshing.set(time.monotonic())
    try:
        yield
    finally:
        _refreshing.reset(token)


class ProcessCache:
    def __init__(self, name: str, *, seconds: float, models: Iterable[type[models.Model]] = (), shared: bool = False) -> None:
        self.name = name
        self.seconds = seconds
        self.shared = shared
        self._entries: dict[str, tuple[float, Any]] = {}
        _all.append(self)
        for model in models:
            post_save.connect(self.clear, sender=model, dispatch_uid=f"{name}.saved.{model._meta.label}", weak=False)
            post_delete.connect(self.clear, sender=model, dispatch_uid=f"{name}.deleted.{model._meta.label}", weak=False)
        setting_changed.connect(self.clear, dispatch_uid=f"{name}.settings", weak=False)

    def get[T](self, key: str, load: Callable[[], T]) -> T:
        entry = self._entries.get(key)
        now = time.monotonic()
        refresh_began = _refreshing.get()
        if entry is not None and refresh_began is not None and entry[0] < refresh_began:
            entry = None
        if entry is None or now - entry[0] > self.seconds:
            entry = self._entries[key] = (now, self._shared_get(key, load) if self.shared else load())
        value: T = entry[1]
        return value

    def _shared_get[T](self, key: str, load: Callable[[], T]) -> T:
        # Hashed: cache keys have length and character limits; the name keeps one cache's keys apart from another's.
        backend = caches[SHARED_CACHE]
        generation = backend.get(GENERATION_KEY) or 1
        shared_key = f"{generation}:{self.name}:{hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()}"
        found = None if _refreshing.get() is not None else backend.get(shared_key)
        if found is not None:
            value: T = found
            return value
        value = load()
        # Kept twice as long as here: the warm-up job replaces it before the web processes could miss it.
        backend.set(shared_key, value, timeout=2 * self.seconds)
        return value

    def clear(self, **_signal: Any) -> None:
        self._entries.clear()
