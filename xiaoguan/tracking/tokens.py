"""A link's token: its id in base 36 followed by 22 characters of HMAC-SHA256 over that id.

The MAC is checked before anything is read, so a forged or mistyped token costs no database query; it cannot be
guessed (128 bits) and it names exactly one link. The key is derived from `XIAOGUAN_TRACKING_KEY` (or SECRET_KEY):
changing it invalidates every link sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from django.conf import settings

MAC_CHARS = 22
MAX_TOKEN_CHARS = MAC_CHARS + 13  # base 36 of a 64-bit id


@lru_cache(maxsize=4)
def _key(secret: str) -> bytes:
    return hashlib.sha256(b"xiaoguan.tracking.v1:" + secret.encode()).digest()


def _mac(payload: str) -> str:
    secret = getattr(settings, "XIAOGUAN_TRACKING_KEY", "") or settings.SECRET_KEY
    digest = hmac.new(_key(secret), payload.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def token_for(link_id: int) -> str:
    payload = _base36(link_id)
    return payload + _mac(payload)


def token_link_id(token: str) -> int | None:
    """The link id a genuine token names, or None for anything forged, truncated or malformed."""
    if not (MAC_CHARS < len(token) <= MAX_TOKEN_CHARS):
        return None
    payload, mac = token[:-MAC_CHARS], token[-MAC_CHARS:]
    if not payload.isascii() or not payload.isalnum() or payload != payload.lower():
        return None
    if not hmac.compare_digest(mac, _mac(payload)):
        return None
    return int(payload, 36)
