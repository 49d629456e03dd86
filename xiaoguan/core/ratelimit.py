"""Fixed-window rate limits over Django's cache: "at most N hits per key in each W-second window".

Limits are configured by name in `settings.XIAOGUAN_RATE_LIMITS` (`{"webform": "20/600"}`: 20 per 10 minutes);
a name not configured uses the default given at the call site. The counter lives in the default cache, so the
limit is per process with the in-memory cache and shared by every worker with Redis or the database cache.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from xiaoguan.core.clock import clock_now


@dataclass(frozen=True)
class Rate:
    limit: int
    window_seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """`"20/600"` → 20 hits per 600 s; `"0/60"` blocks everything; a limit below 0 is refused."""
        count, _, window = text.partition("/")
        rate = cls(limit=int(count), window_seconds=int(window or 60))
        if rate.limit < 0 or rate.window_seconds <= 0:
            raise ValueError(f"bad rate {text!r}")
        return rate


def rate_for(name: str, default: str) -> Rate:
    configured: dict[str, str] = getattr(settings, "XIAOGUAN_RATE_LIMITS", {}) or {}
    return Rate.parse(configured.get(name, default))


def rate_limit_hit(*, name: str, key: str, rate: Rate, at: float | None = None) -> bool:
    """Count one hit of `key` against the limit called `name`; True when the hit is over the limit (refuse it)."""
    # The injectable clock: a test freezes it, so a burst never straddles two windows by chance.
    at = clock_now().timestamp() if at is None else at
    window = int(at // rate.window_seconds)
    digest = hashlib.blake2b(key.encode(), digest_size=12).hexdigest()
    cache_key = f"xg:rl:{name}:{digest}:{window}"
    # add() is a no-op when the counter exists; incr() is atomic on Redis/memcached and under the local cache's lock.
    cache.add(cache_key, 0, timeout=rate.window_seconds + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.add(cache_key, 1, timeout=rate.window_seconds + 1)
        count = 1
    return count > rate.limit


def client_ip(request: HttpRequest) -> str:
    """The caller's address. Behind a reverse proxy, set XIAOGUAN_TRUSTED_PROXIES to how many proxies append to
    X-Forwarded-For; the address that many hops from the right is the client's. Unset: REMOTE_ADDR."""
    proxies = int(getattr(settings, "XIAOGUAN_TRUSTED_PROXIES", 0) or 0)
    if proxies > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return str(request.META.get("REMOTE_ADDR", "") or "")
