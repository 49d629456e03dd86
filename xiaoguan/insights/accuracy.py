"""Forecast accuracy tracking: each Monday's snapshot against what the quarter actually brought, per scope.

A snapshot forecasts the rest of the quarter; the page compares its *landing* (already won before that Monday plus
the forecast of the rest) with the quarter's actual won value, because that is the number a manager commits to and
the one the calls are in. The error of a finished quarter's weekly snapshot is |landing − actual| / actual; the error
on the window alone (|forecast − won after that Monday| / won after that Monday) is kept beside it, since late in the
quarter the landing is mostly known wins and its error says little about the model.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import accumulate

from django.db.models import Q

from xiaoguan.core.clock import day_start
from xiaoguan.insights.calls import calls_by_week
from xiaoguan.insights.models import ForecastSnapshot
from xiaoguan.insights.snapshots import mondays, quarter_bounds
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.org.models import Team


@dataclass(frozen=True)
class AccuracyWeek:
    week: date
    snapshot: ForecastSnapshot | None
    won_to_date: float | None  # won in the quarter before this Monday; None for a Monday still ahead
    commit: float | None
    best_case: float | None
    error: float | None  # finished quarters: |landing − actual| / actual
    window_error: float | None  # finished quarters: |forecast − won from this Monday on| / that
    commit_error: float | None
    window_forecast: float | None = None  # the snapshot's forecast of the rest of the quarter
    window_actual: float | None = None  # finished quarters: what was won from this Monday to the quarter's end

    @property
    def landing(self) -> float | None:
        return None if self.snapshot is None else self.snapshot.landing

    @property
    def landing_low(self) -> float | None:
        return None if self.snapshot is None else float(self.snapshot.won_before + self.snapshot.low)

    @property
    def landing_high(self) -> float | None:
        return None if self.snapshot is None else float(self.snapshot.won_before + self.snapshot.high)


@dataclass(frozen=True)
class AccuracySeries:
    team: Team | None
    quarter_start: date
    quarter_end: date  # inclusive
    finished: bool
    actual: float  # won in the quarter: to date, or the whole quarter when finished
    weeks: list[AccuracyWeek]

    @property
    def snapshots(self) -> list[AccuracyWeek]:
        return [w for w in self.weeks if w.snapshot is not None]

    @property
    def mean_error(self) -> float | None:
        errors = [w.error for w in self.weeks if w.error is not None]
        return sum(errors) / len(errors) if errors else None

    @property
    def mean_window_error(self) -> float | None:
        """Σ |forecast − actual| ÷ Σ actual over the weekly windows: a plain mean would let the last days of the
        quarter (a tiny actual, so a huge relative error) outweigh the weeks that carry the quarter."""
        pairs = [(w.window_forecast, w.window_actual) for w in self.weeks if w.window_forecast is not None and w.window_actual]
        actual = sum(a for _f, a in pairs if a is not None)
        return sum(abs(f - a) for f, a in pairs if f is not None and a is not None) / actual if actual > 0 else None


def _relative_error(forecast: float, actual: float) -> float | None:
    return abs(forecast - actual) / actual if actual > 0 else None


def won_timeline(*, owner_ids: frozenset[int] | None, since: datetime, before: datetime) -> tuple[list[datetime], list[float]]:
    """Won deals' close instants in [since, before), sorted, with the running total of their value."""
    deals = Opportunity.objects.filter(status=Opportunity.Status.WON, closed_at__gte=since, closed_at__lt=before, amount__isnull=False)
    if owner_ids is not None:
        deals = deals.filter(owner_id__in=list(owner_ids))
    rows = sorted((at, float(amount)) for at, amount in deals.values_list("closed_at", "amount") if at is not None and amount is not None)
    return [at for at, _amount in rows], list(accumulate(amount for _at, amount in rows))


def accuracy_series(*, team: Team | None, owner_ids: frozenset[int] | None, quarter_start: date, now: datetime) -> AccuracySeries:
    """The weeks of one quarter for one scope: snapshots, calls, won to date and, once the quarter is over, errors."""
    first, last = quarter_bounds(quarter_start)
    end = day_start(last + timedelta(days=1))
    finished = now >= end
    times, running = won_timeline(owner_ids=owner_ids, since=day_start(first), before=min(end, now))
    actual = running[-1] if running else 0.0

    def won_before(instant: datetime) -> float:
        index = bisect_left(times, instant)
        return running[index - 1] if index else 0.0

    snapshots = ForecastSnapshot.objects.filter(quarter_start=first)
    snapshots = snapshots.filter(team__isnull=True) if team is None else snapshots.filter(team=team)
    by_week = {s.week: s for s in snapshots}
    weeks = sorted(set(mondays(first, last)) | set(by_week))
    calls = calls_by_week(team=team, quarter_start=first, weeks=weeks)
    out: list[AccuracyWeek] = []
    for week in weeks:
        at = day_start(week)
        snapshot = by_week.get(week)
        # A call stands in the weeks after it was made, up to this week: the weeks ahead have no call yet.
        commit = calls[week].commit if at <= now else None
        best = calls[week].best_case if at <= now else None
        error = window_error = commit_error = window_actual = None
        if finished and snapshot is not None:
            window_actual = actual - won_before(at)
            error = _relative_error(snapshot.landing, actual)
            window_error = _relative_error(float(snapshot.total), window_actual)
        if finished and commit is not None:
            commit_error = _relative_error(float(commit.amount), actual)
        out.append(AccuracyWeek(
            week=week, snapshot=snapshot, won_to_date=won_before(at) if at <= now else None,
            commit=float(commit.amount) if commit else None, best_case=float(best.amount) if best else None,
            error=error, window_error=window_error, commit_error=commit_error,
            window_forecast=float(snapshot.total) if snapshot is not None else None, window_actual=window_actual,
        ))
    return AccuracySeries(team=team, quarter_start=first, quarter_end=last, finished=finished, actual=actual, weeks=out)


def snapshot_quarters(*, teams: list[Team | None]) -> list[date]:
    """Quarters (first days) with any snapshot of these scopes, newest first."""
    rows = ForecastSnapshot.objects.all()
    team_ids = [t.pk for t in teams if t is not None]
    if None in teams:
        rows = rows.filter(Q(team__isnull=True) | Q(team_id__in=team_ids))
    else:
        rows = rows.filter(team_id__in=team_ids)
    return sorted(set(rows.values_list("quarter_start", flat=True)), reverse=True)
