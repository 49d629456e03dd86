"""What every channel shares: the message, the one failure type, and the rules for what is worth retrying."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class Message:
    """One notification as the channels send it. `link` is an absolute URL or ""."""

    title: str
    body: str = ""
    link: str = ""


class DeliveryFailed(Exception):
    """A send that did not arrive. `retryable` says whether trying again later may succeed (a receiver that is down,
    a rate limit) or cannot (a wrong address, a rejected signature, a missing setting)."""

    def __init__(self, detail: str, *, retryable: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retryable = retryable

    def __str__(self) -> str:
        return self.detail


def truncate_bytes(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes on a character boundary (the platforms count bytes, not characters)."""
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    return encoded[: max(limit - 3, 0)].decode(errors="ignore") + "…"


# DingTalk and Feishu refuse a signature whose timestamp is more than an hour from their own clock.
SIGNATURE_TOLERANCE = timedelta(minutes=10)


def signing_instant(now: datetime) -> datetime:
    """The instant a bot signature carries: `now` as given when it is live, the wall clock when `now` is a replay
    (`xiaoguan sweep --as-of`, a frozen clock) that the platform would reject as stale."""
    wall = datetime.now(tz=UTC)
    return now if abs(now - wall) <= SIGNATURE_TOLERANCE else wall
