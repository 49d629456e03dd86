"""Three-layer verification (seeds, article 002): behaviour, quality, result — per rep and per team, plus last-minute work.

- behaviour: stage updates per rep per workday (Monday to Friday) in the window, counted on the deal's owner;
- quality: of the follow-ups planned on A-grade customers that fell due in the window (the account's and its deals' next
  follow-up times, follow-up to-dos), the share honoured — someone recorded an activity with the customer within a day
  of the planned time. Grade is the account's own A/B/C; when no account in the organisation carries a grade, the A
  customers are derived: the top fifth of accounts by open deal amount (the page says so);
- result: days from entering 需求诊断 (`needs_diagnosed`) to entering 方案演示 (`solution_demo`), for deals whose demo
  stage was entered in the result window (longer: the step is rarer than a day's updates); median per rep and team;
- last-minute work: of the to-dos finished in the window, the share finished in the 2 hours before they fell due.

Read-only and set-wise: a handful of column reads, then arithmetic in Python/numpy.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from xiaoguan.insights.selectors import account_touch_times, follow_up_plans, open_pipeline_by_account, stage_entries, tasks_done
from xiaoguan.org.models import User

WINDOW = timedelta(days=30)
RESULT_WINDOW = timedelta(days=180)
HONOURED_WITHIN = timedelta(days=1)
LAST_MINUTE = timedelta(hours=2)
DERIVED_A_SHARE = 0.2
DIAGNOSED, DEMO = "needs_diagnosed", "solution_demo"


@dataclass
class Layers:
    """One row of the report: a rep or a team."""

    stage_updates: int = 0
    workdays: int = 0
    reps: int = 1
    a_planned: int = 0
    a_honoured: int = 0
    result_days: list[float] = field(default_factory=list)
    tasks_done: int = 0
    tasks_last_minute: int = 0

    @property
    def updates_per_day(self) -> float | None:
        return self.stage_updates / (self.workdays * self.reps) if self.workdays and self.reps else None

    @property
    def quality(self) -> float | None:
        return self.a_honoured / self.a_planned if self.a_planned else None

    @property
    def result_median_days(self) -> float | None:
        return float(np.median(self.result_days)) if self.result_days else None

    @property
    def last_minute_share(self) -> float | None:
        return self.tasks_last_minute / self.tasks_done if self.tasks_done else None

    def add(self, other: Layers) -> None:
        self.reps += other.reps
        self.stage_updates += other.stage_updates
        self.a_planned += other.a_planned
        self.a_honoured += other.a_honoured
        self.result_days += other.result_days
        self.tasks_done += other.tasks_done
        self.tasks_last_minute += other.tasks_last_minute


@dataclass
class VerificationReport:
    since: datetime
    until: datetime
    result_since: datetime
    grade_derived: bool
    by_rep: dict[int, Layers]
    by_team: dict[int | None, Layers]


def _result_days(entries: list[tuple[int, int, str, datetime]], *, since: datetime) -> dict[int, list[float]]:
    """Owner -> days from first entering 需求诊断 to first entering 方案演示, for demos entered since `since`."""
    first: dict[tuple[int, str], datetime] = {}
    owner_of: dict[int, int] = {}
    for owner, opportunity, key, at in entries:
        if key in (DIAGNOSED, DEMO) and ((opportunity, key) not in first or at < first[opportunity, key]):
            first[opportunity, key] = at
            owner_of[opportunity] = owner
    out: dict[int, list[float]] = defaultdict(list)
    for (opportunity, key), demo_at in first.items():
        if key != DEMO or demo_at < since:
            continue
        diagnosed_at = first.get((opportunity, DIAGNOSED))
        if diagnosed_at is not None and diagnosed_at <= demo_at:
            out[owner_of[opportunity]].append((demo_at - diagnosed_at).total_seconds() / 86400)
    return out


def verification_report(*, until: datetime, reps: list[User], window: timedelta = WINDOW) -> VerificationReport:
    """The three layers for `reps` over [until - window, until), and per team (the reps' own teams)."""
    since, result_since = until - window, until - RESULT_WINDOW
    workdays = int(np.busday_count(since.date(), until.date()))
    wanted = {r.pk for r in reps}
    rows: dict[int, Layers] = {pk: Layers(workdays=workdays) for pk in wanted}

    entries = stage_entries(since=result_since - timedelta(days=365), before=until)
    for owner, _opportunity, _key, at in entries:
        if owner in rows and at >= since:
            rows[owner].stage_updates += 1
    for owner, days in _result_days(entries, since=result_since).items():
        if owner in rows:
            rows[owner].result_days += days

    plans = [p for p in follow_up_plans(since=since, before=until) if p[0] in rows]
    derived = not any(grade for _o, _a, grade, _d in plans) and bool(plans)
    if derived:
        pipeline = open_pipeline_by_account()
        ranked = sorted(pipeline, key=lambda a: -pipeline[a])
        a_accounts = set(ranked[: max(1, round(len(ranked) * DERIVED_A_SHARE))]) if ranked else set()
        a_plans = [p for p in plans if p[1] in a_accounts]
    else:
        a_plans = [p for p in plans if p[2] == "A"]
    touches: dict[int, list[datetime]] = defaultdict(list)
    accounts = sorted({a for _o, a, _g, _d in a_plans})
    for account, at in account_touch_times(accounts=accounts, since=since - HONOURED_WITHIN, before=until + HONOURED_WITHIN):
        touches[account].append(at)
    for times in touches.values():
        times.sort()
    for owner, account, _grade, due in a_plans:
        times = touches.get(account, [])
        rows[owner].a_planned += 1
        rows[owner].a_honoured += int(bisect_right(times, due + HONOURED_WITHIN) > bisect_left(times, due - HONOURED_WITHIN))

    for owner, due, done in tasks_done(since=since, before=until):
        if owner in rows:
            rows[owner].tasks_done += 1
            rows[owner].tasks_last_minute += int(due - LAST_MINUTE <= done <= due)

    teams: dict[int | None, Layers] = {}
    for rep in reps:
        team = teams.setdefault(rep.team_id, Layers(workdays=workdays, reps=0))
        team.add(rows[rep.pk])
    return VerificationReport(
        since=since, until=until, result_since=result_since, grade_derived=derived, by_rep=rows, by_team=teams
    )
