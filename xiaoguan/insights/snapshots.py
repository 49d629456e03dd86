"""Weekly forecast snapshots: what the model said each Monday about the rest of the quarter, per team and company.

A snapshot is taken as of Monday 00:00 (organisation time) for the window [Monday, first day of next quarter), so
every Monday of a quarter forecasts the same quarter end and the weeks can be compared against the actual. One
`forecast_compute` per Monday serves every scope: the company's figures are the model's own; a team's expected
value is its region's (`by_region`) or the sum of its people's (`by_rep`), and its 80 % interval comes from the
simulated outcomes of its people's columns added up draw by draw (not from adding percentiles, which would be too wide).

The model only reads what was recorded before its as-of instant, so a snapshot computed today for a past Monday
(the backfill) says what the model would have said then.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from xiaoguan.core.bulk import chunked
from xiaoguan.core.clock import day_start, org_tz
from xiaoguan.core.money import format_cny, money_round
from xiaoguan.insights.filters import period_bounds
from xiaoguan.insights.models import ForecastSnapshot
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.org.models import Role, Team, User
from xiaoguan.org.visibility import SEE_ALL_ROLES

if TYPE_CHECKING:
    from xiaoguan.insights.forecast import Forecast

SNAPSHOT_SAMPLES = 2000

type ForecastFunction = Callable[..., Forecast]


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def quarter_bounds(day: date) -> tuple[date, date]:
    """First and last day (inclusive) of the calendar quarter containing `day`."""
    return period_bounds(period="quarter", today=day)


def mondays(first: date, last: date) -> Iterator[date]:
    """The Mondays in [first, last]."""
    day = first + timedelta(days=(7 - first.weekday()) % 7)
    while day <= last:
        yield day
        day += timedelta(days=7)


@dataclass(frozen=True)
class SnapshotScope:
    team: Team | None  # None: the whole company
    owner_ids: frozenset[int]


def snapshot_scopes() -> list[SnapshotScope]:
    """The company, every region and every team below one, each with the people in its subtree (today's org chart)."""
    people = list(User.objects.filter(team__isnull=False).values_list("pk", "team__path"))
    scopes = [SnapshotScope(team=None, owner_ids=frozenset(User.objects.values_list("pk", flat=True)))]
    for team in Team.objects.filter(kind__in=[Team.Kind.REGION, Team.Kind.TEAM]).order_by("path"):
        scopes.append(SnapshotScope(team=team, owner_ids=frozenset(pk for pk, path in people if path.startswith(team.path))))
    return scopes


def won_by_owner(*, since: datetime, before: datetime) -> dict[int, Decimal]:
    """Contract value won in [since, before), per deal owner."""
    rows = (
        Opportunity.objects.filter(status=Opportunity.Status.WON, closed_at__gte=since, closed_at__lt=before, amount__isnull=False)
        .order_by().values("owner_id").annotate(value=Sum("amount")).values_list("owner_id", "value")
    )
    return {owner: value or Decimal(0) for owner, value in rows}


def _money(value: float) -> Decimal:
    return money_round(Decimal(repr(float(value))))


@dataclass(frozen=True)
class ScopeFigures:
    total: float
    low: float
    high: float


def scope_figures(*, forecast: Forecast, owner_ids: frozenset[int] | set[int] | None, region_pk: int | None = None) -> ScopeFigures:
    """The forecast for the people in `owner_ids` (None: everyone), with its own 10th/90th percentiles.

    A region's expected value is the model's `by_region` figure (which also holds deals not yet created that the model
    places in the region); otherwise the sum of the people's `by_rep`.
    """
    if owner_ids is None:
        return ScopeFigures(total=forecast.total, low=forecast.low, high=forecast.high)
    columns = [i for i, pk in enumerate(forecast.rep_pks) if pk in owner_ids]
    if region_pk is not None and region_pk in forecast.by_region:
        total = float(forecast.by_region[region_pk])
    else:
        total = float(sum(value for pk, value in forecast.by_rep.items() if pk in owner_ids))
    if not columns or forecast.samples.size == 0:
        return ScopeFigures(total=total, low=total, high=total)
    draws = np.asarray(forecast.samples)[:, columns].sum(axis=1)
    # The draws' mean may differ a little from the expected value above (it is a finite sample); shift the interval
    # by the difference so the band is centred where the number it surrounds is.
    shift = total - float(draws.mean())
    low, high = (float(v) + shift for v in np.percentile(draws, [10, 90]))
    return ScopeFigures(total=total, low=max(0.0, min(low, total)), high=max(high, total))


def open_value_by_owner(forecast: Forecast) -> dict[int, float]:
    """The open-pipeline part of the forecast per deal owner (the model reports it per deal)."""
    owners: dict[int, int] = {}
    for pks in chunked(sorted(forecast.deal_values), 5000):
        owners.update(Opportunity.objects.filter(pk__in=pks).values_list("pk", "owner_id"))
    by_owner: dict[int, float] = defaultdict(float)
    for pk, value in forecast.deal_values.items():
        if pk in owners:
            by_owner[owners[pk]] += value
    return by_owner


def _parts(forecast: Forecast, owner_ids: frozenset[int] | None, total: float, open_by_owner: dict[int, float]) -> tuple[Decimal, Decimal]:
    """A scope's forecast split into open deals on the as-of day and deals not yet created (the rest of its total)."""
    if owner_ids is None:
        return _money(forecast.open_part), _money(forecast.new_part)
    open_value = sum(v for pk, v in open_by_owner.items() if pk in owner_ids)
    return _money(open_value), _money(max(0.0, total - open_value))


def scope_explain(
    *, forecast: Forecast, owner_ids: frozenset[int] | None, figures: ScopeFigures, won_before: Decimal, as_of: datetime, names: dict[int, str],
) -> list[str]:
    """What to say about a scope's forecast. The company (owner_ids None) keeps the model's own sentences; a narrower
    scope gets sentences about its own people only, since the model's speak of the whole company."""
    day = as_of.astimezone(org_tz()).strftime("%m-%d")
    lines = [
        _("截至 %(day)s 本季度已成交 %(won)s；模型预计季度末前再成交 %(total)s（80%% 区间 %(low)s – %(high)s）。") % {
            "day": day, "won": format_cny(won_before), "total": format_cny(figures.total),
            "low": format_cny(figures.low), "high": format_cny(figures.high),
        }
    ]
    if owner_ids is None:
        return lines + list(forecast.explain)
    top = sorted(((v, pk) for pk, v in forecast.by_rep.items() if pk in owner_ids and v > 0), reverse=True)[:3]
    if top:
        people = "、".join(f"{names.get(pk, '?')} {format_cny(v)}" for v, pk in top)
        lines.append(_("预计贡献最多：%(people)s。") % {"people": people})
    return lines


def snapshot_take(*, week: date, now: datetime, compute: ForecastFunction | None = None, replace: bool = False) -> int:
    """Take the snapshots of the Monday `week` for every scope that has none yet; returns how many rows were written.

    Safe to run twice (and by two workers at once: the unique constraints keep one row per week and scope). Nothing
    is computed when every scope already has its row.
    """
    if week.weekday() != 0:
        raise ValueError(f"{week} is not a Monday")
    as_of = day_start(week)
    if as_of > now:
        raise ValueError(f"{week} is in the future")
    scopes = snapshot_scopes()
    if replace:
        ForecastSnapshot.objects.filter(week=week).delete()
    taken = set(ForecastSnapshot.objects.filter(week=week).values_list("team_id", flat=True))
    missing = [s for s in scopes if (s.team.pk if s.team else None) not in taken]
    if not missing:
        return 0
    first, last = quarter_bounds(week)
    until = day_start(last + timedelta(days=1))
    if compute is None:
        # Imported here: the model pulls in its learning libraries, which pages that only read snapshots never need.
        from xiaoguan.insights.forecast import forecast_compute

        compute = forecast_compute
    forecast = compute(as_of=as_of, until=until, samples=SNAPSHOT_SAMPLES)
    won = won_by_owner(since=day_start(first), before=as_of)
    names = dict(User.objects.filter(pk__in=list(forecast.by_rep)).values_list("pk", "name"))
    open_by_owner = open_value_by_owner(forecast)
    rows = []
    for scope in missing:
        owners = None if scope.team is None else scope.owner_ids
        region_pk = scope.team.pk if scope.team is not None and scope.team.kind == Team.Kind.REGION else None
        figures = scope_figures(forecast=forecast, owner_ids=owners, region_pk=region_pk)
        won_before = sum((v for pk, v in won.items() if owners is None or pk in owners), Decimal(0))
        open_part, new_part = _parts(forecast, owners, figures.total, open_by_owner)
        rows.append(ForecastSnapshot(
            week=week, team=scope.team, quarter_start=first, as_of=as_of, until=until,
            total=_money(figures.total), low=_money(figures.low), high=_money(figures.high), won_before=money_round(won_before),
            open_part=open_part, new_part=new_part,
            explain=scope_explain(forecast=forecast, owner_ids=owners, figures=figures, won_before=won_before, as_of=as_of, names=names),
            taken_at=now,
        ))
    with transaction.atomic():
        created = ForecastSnapshot.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)


def snapshots_backfill(*, first: date, last: date, now: datetime, compute: ForecastFunction | None = None, replace: bool = False) -> dict[date, int]:
    """The snapshots of every Monday in [first, last] up to today, as the model would have taken them then."""
    today = now.astimezone(org_tz()).date()
    return {week: snapshot_take(week=week, now=now, compute=compute, replace=replace) for week in mondays(first, min(last, today))}


def snapshot_scopes_visible(*, user: User) -> list[Team | None]:
    """Scopes whose snapshots the user may read: everything for director/admin (None = the company first), the
    regions and teams inside a manager's own subtree, nothing for the rest."""
    teams = Team.objects.filter(kind__in=[Team.Kind.REGION, Team.Kind.TEAM]).order_by("path")
    if not user.is_active:
        return []
    if user.role in SEE_ALL_ROLES:
        return [None, *teams]
    if user.role == Role.MANAGER and user.team is not None and user.team.path:
        mine: list[Team | None] = list(teams.filter(path__startswith=user.team.path))
        if user.team.kind == Team.Kind.COMPANY:
            mine.insert(0, None)
        return mine
    return []


def snapshot_weeks_by_scope(*, teams: list[Team | None], quarter_start: date) -> dict[int | None, list[ForecastSnapshot]]:
    """The quarter's snapshots per scope (team pk, None for the company), oldest week first."""
    found: dict[int | None, list[ForecastSnapshot]] = defaultdict(list)
    team_ids = [t.pk for t in teams if t is not None]
    rows = ForecastSnapshot.objects.filter(quarter_start=quarter_start).order_by("week")
    for row in rows:
        if row.team_id in team_ids or (row.team_id is None and None in teams):
            found[row.team_id].append(row)
    return found
