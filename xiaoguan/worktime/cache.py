"""The in-memory snapshot of holidays, working hours and the team tree that the business-time arithmetic reads.

The capture path calls the arithmetic for every lead (200 a second), so it must not query the database. A process
keeps one snapshot; edits in this process drop it at once (signals, and again on commit), and every
`CHECK_EVERY` seconds the process compares a cheap stamp (row counts, latest change) so edits made by another
process show up within that time.
"""

from __future__ import annotations

import threading
import time as monotonic_time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Max

from xiaoguan.core.clock import org_tz
from xiaoguan.worktime.bundled import bundled_days, bundled_years
from xiaoguan.worktime.hours import periods_parse, weekdays_parse

CHECK_EVERY = 10.0
# A team created a moment ago in another process: rebuild for it, but not more than once a second.
UNKNOWN_TEAM_REBUILD_EVERY = 1.0
DAY_CACHE_LIMIT = 200_000

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)
MON_TO_FRI = frozenset(range(5))
DEFAULT_PERIODS = ((9 * 60, 12 * 60), (13 * 60 + 30, 18 * 60))


@dataclass(frozen=True, slots=True)
class Schedule:
    """Working hours in effect for a team: weekdays (Monday = 0) and periods in minutes of the day."""

    key: int  # the WorkSchedule row (0 for the built-in fallback)
    weekdays: frozenset[int]
    periods: tuple[tuple[int, int], ...]


FALLBACK_SCHEDULE = Schedule(key=0, weekdays=MON_TO_FRI, periods=DEFAULT_PERIODS)

Stamp = tuple[object, ...]


@dataclass(slots=True)
class Snapshot:
    stamp: Stamp
    tz: ZoneInfo
    table: dict[date, bool]  # date -> is a workday, for the years the table holds
    table_years: frozenset[int]
    bundled_years: frozenset[int]
    default: Schedule
    by_team: dict[int, Schedule]
    built_at: float
    # (schedule key, date ordinal) -> working intervals of that day as UTC microseconds since the epoch.
    days: dict[tuple[int, int], tuple[tuple[int, int], ...]] = field(default_factory=dict)

    def special_day(self, day: date) -> bool | None:
        """True (make-up workday), False (holiday) or None (an ordinary day: its weekday decides)."""
        if day.year in self.table_years:
            return self.table.get(day)
        if day.year in self.bundled_years:
            bundled = bundled_days().get(day)
            return None if bundled is None else bundled.is_workday
        return None

    def is_workday(self, day: date, schedule: Schedule) -> bool:
        special = self.special_day(day)
        return day.weekday() in schedule.weekdays if special is None else special

    def schedule_for(self, team_id: int | None) -> Schedule | None:
        if team_id is None:
            return self.default
        return self.by_team.get(team_id)

    def intervals(self, schedule: Schedule, day: date) -> tuple[tuple[int, int], ...]:
        key = (schedule.key, day.toordinal())
        hit = self.days.get(key)
        if hit is not None:
            return hit
        if self.is_workday(day, schedule):
            # Wall-clock arithmetic inside the day (same tzinfo), then to UTC: right on a day with a DST change too.
            midnight = datetime.combine(day, time.min, tzinfo=self.tz)
            hit = tuple(
                ((midnight + timedelta(minutes=a) - EPOCH) // ONE_MICROSECOND, (midnight + timedelta(minutes=b) - EPOCH) // ONE_MICROSECOND)
                for a, b in schedule.periods
            )
        else:
            hit = ()
        if len(self.days) >= DAY_CACHE_LIMIT:
            self.days.clear()
        self.days[key] = hit
        return hit


class _State:
    def __init__(self) -> None:
        self.snapshot: Snapshot | None = None
        self.next_check = 0.0
        self.lock = threading.Lock()


_state = _State()


def _stamp() -> Stamp:
    from xiaoguan.org.models import Team
    from xiaoguan.worktime.models import Holiday, WorkSchedule

    holidays = Holiday.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    schedules = WorkSchedule.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    teams = Team.objects.aggregate(n=Count("id"), top=Max("id"))
    return (holidays["n"], holidays["at"], schedules["n"], schedules["at"], teams["n"], teams["top"])


def _schedule_of(row_id: int, weekdays: str, periods: str) -> Schedule:
    try:
        return Schedule(key=row_id, weekdays=weekdays_parse(weekdays), periods=periods_parse(periods))
    except ValueError:
        # Rows are validated on save; one edited behind the services' back must not stop the capture path.
        return Schedule(key=row_id, weekdays=MON_TO_FRI, periods=DEFAULT_PERIODS)


def _build() -> Snapshot:
    from xiaoguan.org.models import Team
    from xiaoguan.worktime.models import Holiday, WorkSchedule

    stamp = _stamp()
    table = {day: kind == Holiday.Kind.WORKDAY for day, kind in Holiday.objects.values_list("date", "kind")}
    own: dict[int, Schedule] = {}
    default = FALLBACK_SCHEDULE
    for row_id, team_id, weekdays, periods in WorkSchedule.objects.values_list("id", "team_id", "weekdays", "periods"):
        schedule = _schedule_of(row_id, weekdays, periods)
        if team_id is None:
            default = schedule
        else:
            own[team_id] = schedule
    by_team: dict[int, Schedule] = {}
    for team_id, path in Team.objects.values_list("id", "path"):
        # "/1/5/9/": the nearest ancestor (the team itself first) with hours of its own decides.
        chain = [int(p) for p in path.strip("/").split("/") if p.isdigit()] or [team_id]
        by_team[team_id] = next((own[t] for t in reversed(chain) if t in own), own.get(team_id, default))
    return Snapshot(
        stamp=stamp,
        tz=org_tz(),
        table=table,
        table_years=frozenset(d.year for d in table),
        bundled_years=bundled_years(),
        default=default,
        by_team=by_team,
        built_at=monotonic_time.monotonic(),
    )


def snapshot() -> Snapshot:
    """The current snapshot: built on first use, re-checked against the database every CHECK_EVERY seconds."""
    snap, now = _state.snapshot, monotonic_time.monotonic()
    if snap is not None and now < _state.next_check:
        return snap
    with _state.lock:
        snap = _state.snapshot
        if snap is None or _stamp() != snap.stamp:
            snap = _build()
            _state.snapshot = snap
        _state.next_check = now + CHECK_EVERY
        return snap


def schedule_for(team_id: int | None) -> tuple[Snapshot, Schedule]:
    snap = snapshot()
    schedule = snap.schedule_for(team_id)
    if schedule is None:
        if monotonic_time.monotonic() - snap.built_at > UNKNOWN_TEAM_REBUILD_EVERY:
            worktime_cache_clear()
            snap = snapshot()
        schedule = snap.schedule_for(team_id) or snap.default
    return snap, schedule


def worktime_cache_clear() -> None:
    """Forget the snapshot; the next call rebuilds it. Edits call this; tests call it after a rollback."""
    _state.snapshot = None
    _state.next_check = 0.0
