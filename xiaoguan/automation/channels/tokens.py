"""Access tokens of the work-notice APIs, kept in Django's cache until shortly before they expire.

Both WeCom and DingTalk hand out a token valid for `expires_in` seconds (7200) and ask callers to cache it: fetching
one per message runs into their gettoken rate limits. A token the platform calls expired or invalid before its time
(40014, 42001 on both) is fetched again once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

from xiaoguan.automation.channels.base import DeliveryFailed

# Stop using a token a little before the platform does, so a slow request never carries an expired one.
EXPIRY_MARGIN_S = 300
TOKEN_EXPIRED_CODES = frozenset({40014, 42001})


def token_cache_key(*, platform: str, base: str, app_id: str, secret: str) -> str:
    # The secret is part of the key (hashed, never stored) so rotating it takes effect at once.
    digest = hashlib.sha256(f"{base}\n{app_id}\n{secret}".encode()).hexdigest()[:24]
    return f"xiaoguan:notify-token:{platform}:{digest}"


def token_get(*, key: str, fetch: Callable[[], tuple[str, int]], refresh: bool = False) -> str:
    """The cached token, or a fresh one from `fetch` (returning token, expires_in seconds) stored for next time."""
    if not refresh:
        token = cache.get(key)
        if token:
            return str(token)
    token, expires_in = fetch()
    cache.set(key, token, timeout=max(expires_in - EXPIRY_MARGIN_S, 60))
    return token


def token_forget(*, key: str) -> None:
    cache.delete(key)


def token_from(data: dict[str, Any]) -> tuple[str, int]:
    """(access_token, expires_in) from a gettoken answer whose errcode was 0."""
    token = data.get("access_token")
    if not token:
        raise DeliveryFailed("gettoken 响应没有 access_token", retryable=False)
    try:
        expires_in = int(data.get("expires_in", 7200))
    except (TypeError, ValueError):
        expires_in = 7200
    return str(token), expires_in


def post_with_token(*, key: str, fetch: Callable[[], tuple[str, int]], url_for: Callable[[str], str], payload: dict[str, Any]) -> dict[str, Any]:
    """POST with the cached access token; when the platform says the token expired, fetch a new one and try once more."""
    from xiaoguan.automation.channels.http import code_of, post_json

    data: dict[str, Any] = {}
    for refresh in (False, True):
        data = post_json(url_for(token_get(key=key, fetch=fetch, refresh=refresh)), payload)
        if code_of(data, "errcode") not in TOKEN_EXPIRED_CODES:
            break
        token_forget(key=key)
    return data
