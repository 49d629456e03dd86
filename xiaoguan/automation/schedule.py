"""Schedules of periodic jobs, in the organisation's time zone: `every 30m`, `daily 08:30`, `weekly mon 08:00`, `monthly 1 08:00`."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from xiaoguan.core.clock import org_tz

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_EVERY = re.compile(r"every (\d+)([smh])")
_UNITS = {"s": 1, "m": 60, "h": 3600}


def _clock_time(text: str) -> time:
    hour, minute = text.split(":")
    return time(int(hour), int(minute))


def schedule_next(schedule: str, *, after: datetime) -> datetime:
    """The first run strictly after `after`. Raises ValueError on a schedule it cannot read."""
    words = schedule.strip().lower().split()
    if match := _EVERY.fullmatch(" ".join(words)):
        return after + timedelta(seconds=int(match[1]) * _UNITS[match[2]])
    local = after.astimezone(org_tz())
    if len(words) == 2 and words[0] == "daily":
        at = _clock_time(words[1])
        candidate = datetime.combine(local.date(), at, tzinfo=org_tz())
        return candidate if candidate > local else datetime.combine(local.date() + timedelta(days=1), at, tzinfo=org_tz())
    if len(words) == 3 and words[0] == "weekly" and words[1] in _WEEKDAYS:
        at, weekday = _clock_time(words[2]), _WEEKDAYS.index(words[1])
        day = local.date() + timedelta(days=(weekday - local.weekday()) % 7)
        candidate = datetime.combine(day, at, tzinfo=org_tz())
        return candidate if candidate > local else candidate + timedelta(days=7)
    if len(words) == 3 and words[0] == "monthly" and words[1].isdigit() and 1 <= int(words[1]) <= 28:
        at, day_of_month = _clock_time(words[2]), int(words[1])
        year, month = local.year, local.month
        for _ in range(2):
            candidate = datetime.combine(local.date().replace(year=year, month=month, day=day_of_month), at, tzinfo=org_tz())
            if candidate > local:
                return candidate
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        raise AssertionError("unreachable: the next month always qualifies")
    raise ValueError(f"unreadable schedule: {schedule!r}")


def schedule_first(schedule: str, *, now: datetime) -> datetime:
    """When a job newly known to the sweep first runs: an interval job ("every 60m", rules that watch the data) at
    once, so a fresh installation acts on what it finds from the first sweep; a job with a time of day at that time."""
    if _EVERY.fullmatch(" ".join(schedule.strip().lower().split())):
        return now
    return schedule_next(schedule, after=now)
