"""Reads of worktime: is a day a workday, business-time arithmetic, the calendar-coverage warning, the admin lists.

The arithmetic is pure with respect to the database (an in-memory snapshot, see cache.py) and runs in
microseconds: it is on the capture path of every lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from xiaoguan.worktime.bundled import bundled_years
from xiaoguan.worktime.cache import EPOCH, schedule_for, snapshot
from xiaoguan.worktime.models import Holiday, WorkSchedule

# A schedule that never works (every day a holiday) must not loop for ever: ten years without a working minute is an error.
MAX_DAYS_SCANNED = 3660
ONE_DAY = timedelta(days=1)
MICROSECONDS_PER_MINUTE = 60_000_000


class NoWorkingTimeError(ValueError):
    """No working minute in the next ten years: the schedule or the holiday table is wrong."""


def _micros(instant: datetime) -> int:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("business-time arithmetic needs an aware datetime")
    delta = instant - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _instant(micros: int, tz: tzinfo) -> datetime:
    seconds, fraction = divmod(micros, 1_000_000)
    return datetime.fromtimestamp(seconds, tz).replace(microsecond=fraction)


def is_workday(day: date, *, team_id: int | None = None) -> bool:
    """Whether people work on `day`: the holiday table (or the bundled calendar) first, then the team's weekdays.

    A year neither covers counts Monday to Friday (or the team's weekdays); `calendar_warning` says so."""
    snap, schedule = schedule_for(team_id)
    return snap.is_workday(day, schedule)


def business_time_add(*, start: datetime, minutes: int, team_id: int | None) -> datetime:
    """The earliest instant at which `minutes` working minutes of the team have passed since `start`.

    Friday 17:30 + 60 → Monday 09:30 with the default hours; holidays are skipped, make-up workdays count. The
    result is in the organisation's time zone; `minutes=0` gives `start` back."""
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    if minutes == 0:
        return start
    snap, schedule = schedule_for(team_id)
    tz = snap.tz
    now_us = _micros(start)
    remaining = minutes * MICROSECONDS_PER_MINUTE
    day = start.astimezone(tz).date()
    for _scanned in range(MAX_DAYS_SCANNED):
        for begin, end in snap.intervals(schedule, day):
            if end <= now_us:
                continue
            begin = max(begin, now_us)
            if remaining <= end - begin:
                return _instant(begin + remaining, tz)
            remaining -= end - begin
        day += ONE_DAY
    raise NoWorkingTimeError(f"team {team_id}: no working time within {MAX_DAYS_SCANNED} days of {start.isoformat()}")


def business_minutes_between(*, start: datetime, end: datetime, team_id: int | None) -> int:
    """Whole working minutes of the team between `start` and `end` (negative when `end` is earlier)."""
    if end < start:
        return -business_minutes_between(start=end, end=start, team_id=team_id)
    snap, schedule = schedule_for(team_id)
    tz = snap.tz
    lo, hi = _micros(start), _micros(end)
    day, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    total = 0
    while day <= last:
        for begin, finish in snap.intervals(schedule, day):
            overlap = min(finish, hi) - max(begin, lo)
            if overlap > 0:
                total += overlap
        day += ONE_DAY
    return total // MICROSECONDS_PER_MINUTE


def calendar_uncovered_years(*, today: date) -> list[int]:
    """This year and next, less those the holiday table or the bundled calendar covers."""
    snap = snapshot()
    return [y for y in (today.year, today.year + 1) if y not in snap.table_years and y not in snap.bundled_years]


def calendar_warning(*, today: date) -> str | None:
    """The banner text when this year's or next year's holidays are unknown (base.html shows it), else None."""
    years = calendar_uncovered_years(today=today)
    if not years:
        return None
    return _(
        "%(years)s 年的法定节假日和调休尚未收录：这些日期暂按周一至周五计算工作时间。"
        "请管理员在“工作日历”页录入，或升级 chinese-calendar。"
    ) % {"years": "、".join(str(y) for y in years)}


@dataclass(frozen=True, slots=True)
class YearCoverage:
    year: int
    rows: int
    bundled: bool

    @property
    def covered(self) -> bool:
        return self.rows > 0 or self.bundled


def holiday_list_for_year(*, year: int) -> QuerySet[Holiday]:
    return Holiday.objects.filter(date__year=year).order_by("date")


def holiday_years(*, today: date) -> list[YearCoverage]:
    """Years worth showing on the admin page: every year the table holds, this one and the next, newest first."""
    counts: dict[int, int] = {}
    for day in Holiday.objects.values_list("date", flat=True):
        counts[day.year] = counts.get(day.year, 0) + 1
    years = set(counts) | {today.year, today.year + 1}
    bundled = bundled_years()
    return [YearCoverage(year=y, rows=counts.get(y, 0), bundled=y in bundled) for y in sorted(years, reverse=True)]


def work_schedule_list() -> QuerySet[WorkSchedule]:
    """The company default first, then teams in tree order."""
    return WorkSchedule.objects.select_related("team").order_by(F("team__path").asc(nulls_first=True))
