"""The one injectable clock. Every time rule reads "now" here, so tests and replays (`--as-of`) can set it."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

_frozen: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("xiaoguan_clock", default=None)


def org_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def clock_now() -> datetime:
    """Now, or the instant a test or an as-of replay has set."""
    return _frozen.get() or timezone.now()


def clock_today() -> date:
    return clock_now().astimezone(org_tz()).date()


@contextmanager
def clock_frozen_at(instant: datetime) -> Iterator[datetime]:
    """Run the body as if it were `instant` (an aware datetime)."""
    if timezone.is_naive(instant):
        raise ValueError("clock_frozen_at needs an aware datetime")
    token = _frozen.set(instant)
    try:
        yield instant
    finally:
        _frozen.reset(token)


def day_start(day: date) -> datetime:
    """00:00 of `day` in the organisation's time zone."""
    return datetime.combine(day, time.min, tzinfo=org_tz())


def parse_as_of(value: str) -> datetime:
    """`YYYY-MM-DD` (00:00 of that day, organisation time) or an ISO date-time with offset (spec/cli.md)."""
    value = value.strip()
    if len(value) == 10:
        return day_start(date.fromisoformat(value))
    parsed = datetime.fromisoformat(value)
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=org_tz())
    return parsed


def parse_until(value: str) -> datetime:
    """`--until E`: the whole of day E is included, so the window ends at E+1 00:00."""
    return day_start(date.fromisoformat(value.strip()) + timedelta(days=1))
