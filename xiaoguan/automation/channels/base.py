"""What every channel shares: the message, the one failure type, and the rules for what is worth retrying."""

from __future__ import annotations

from dataclasses import dataclass


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
