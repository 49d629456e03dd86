"""Heatmap region × month: target attainment, and the chance to reach the target in the months not over yet.

Rows are the regions of the selected people (a person's region is the region team above their team). Columns are
the calendar months the period touches, whole months, and the period as a whole.

- Target of a region in a month: the region's own team target when the filter stops at the region (no team or rep
  chosen) and one exists; else the chosen team's target; else the sum of the selected people's own targets. A
  quarterly target counts a third in each of its months, a yearly one a twelfth. With a product line chosen, only
  targets of that product line count; without, targets for all product lines (a scope with only per-product-line
  targets counts their sum). Only targets the viewer may see (targets.selectors) are used.
- Won: contract value of deals won in the month, by owner.
- Attainment = won ÷ target. Bands: green ≥ 100 %, amber ≥ 80 %, red below.
- Completion probability, for the current and later months and for the period: the forecast simulation's draws
  (`forecast_compute(...).samples`), summed over the region's selected reps, plus what was already won in the month
  before the forecast's as-of day, compared with the target: the share of draws that reach it. Bands: green ≥ 70 %,
  amber ≥ 40 %, red below. The current month and the period are forecast from today 00:00; a later month from its first
  day, with today's pipeline (what closes before then is not taken out: a rough figure, and the page says so); at most
  `MAX_CHANCE_MONTHS` months get one.
  Forecasts come from `forecast.forecast_cached` (one per window, shared between processes, warmed by the worker).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from xiaoguan.core.clock import clock_today, day_start
from xiaoguan.insights.drill import Drill, deal_condition, drill_register, param_month
from xiaoguan.insights.filters import CockpitFilter
from xiaoguan.insights.forecast import forecast_cached
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.org.models import Team, User
from xiaoguan.org.selectors import team_region_id
from xiaoguan.targets.models import Target
from xiaoguan.targets.selectors import target_list_visible_to

ATTAINMENT_GREEN = 1.0
ATTAINMENT_AMBER = 0.8
PROBABILITY_GREEN = 0.7
PROBABILITY_AMBER = 0.4
MAX_MONTHS = 12
MAX_CHANCE_MONTHS = 3  # each month is one forecast (seconds on a big database): this month and the next two


@dataclass(frozen=True)
class HeatCell:
    month: date | None  # None: the whole period
    target: float | None
    won: float
    probability: float | None  # None: the month is over, or no target, or no forecast
    started: bool = True  # False for a month still to come: no attainment yet (0 % would read as failing)

    @property
    def attainment(self) -> float | None:
        return self.won / self.target if self.target and self.started else None

    @property
    def attainment_band(self) -> str:
        return band(self.attainment, green=ATTAINMENT_GREEN, amber=ATTAINMENT_AMBER)

    @property
    def probability_band(self) -> str:
        return band(self.probability, green=PROBABILITY_GREEN, amber=PROBABILITY_AMBER)


@dataclass(frozen=True)
class HeatRow:
    region: Team | None  # None: people outside any region
    cells: list[HeatCell]
    total: HeatCell


@dataclass(frozen=True)
class Heatmap:
    months: list[date]
    rows: list[HeatRow]
    has_targets: bool
    forecast_state: str  # "ok" | "missing" (no model yet) | "filtered" (product line / pipeline chosen) | "past"
    as_of: datetime
    chance_months: list[date]  # the months that get a completion probability


def band(value: float | None, *, green: float, amber: float) -> str:
    if value is None:
        return "none"
    return "green" if value >= green else "amber" if value >= amber else "red"


def period_months(cockpit: CockpitFilter) -> list[date]:
    """The first days of the calendar months the period touches (at most MAX_MONTHS, the last ones)."""
    months, month = [], cockpit.start.replace(day=1)
    while month <= cockpit.end:
        months.append(month)
        month = _next_month(month)
    return months[-MAX_MONTHS:]


def _next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def heatmap_compute(*, cockpit: CockpitFilter, viewer: User, with_chances: bool = False, today: date | None = None) -> Heatmap:
    """Targets, won value and attainment per region and month; with `with_chances`, the completion probabilities too
    (seconds on a big database the first time: the page loads them separately)."""
    today = today or clock_today()
    as_of = day_start(today)
    months = period_months(cockpit)
    people = list(User.objects.filter(pk__in=cockpit.owner_ids).values_list("pk", "team_id"))
    region_of = {pk: (team_region_id(team_id) if team_id is not None else None) for pk, team_id in people}

    won = _won_by_owner_month(cockpit, months)
    targets = _targets(cockpit, viewer=viewer, months=months, region_of=region_of)
    regions = {t.pk: t for t in Team.objects.filter(pk__in=[r for r in region_of.values() if r is not None])}
    # A row per region with selected people; the region-less row only when it holds something.
    keys: list[int | None] = []
    keys += [t.pk for t in sorted(regions.values(), key=lambda t: t.path)]
    if None in region_of.values() and any(region_of.get(o) is None for (o, _m) in won):
        keys.append(None)

    won_windows: dict[tuple[datetime, datetime], dict[int, float]] = {}

    def won_before(*, since: datetime, before: datetime, owners: list[int]) -> float:
        if (since, before) not in won_windows:
            won_windows[(since, before)] = _won_by_owner(cockpit, since=since, before=before)
        return sum(won_windows[(since, before)].get(o, 0.0) for o in owners)

    state = forecast_state(cockpit, months=months, today=today)
    chance_months = [m for m in months if _next_month(m) > today][:MAX_CHANCE_MONTHS]
    rows = []
    for key in keys:
        owners = [pk for pk, r in region_of.items() if r == key]
        cells = []
        for month in months:
            target = targets.get((key, month))
            won_month = sum(won.get((o, month), 0.0) for o in owners)
            probability = None
            if with_chances and state == "ok" and target and month in chance_months:
                start = max(as_of, day_start(month))
                before = won_before(since=day_start(month), before=start, owners=owners)
                probability, state = _chance(owners, start=start, until=day_start(_next_month(month)), already=before, target=target)
            cells.append(HeatCell(month=month, target=target, won=won_month, probability=probability, started=month <= today))
        period_targets = [c.target for c in cells if c.target is not None]
        total_target = sum(period_targets) if period_targets else None
        total_probability = None
        if with_chances and state == "ok" and total_target and months and day_start(_next_month(months[-1])) > as_of:
            start = max(as_of, day_start(months[0]))
            before = won_before(since=day_start(months[0]), before=start, owners=owners)
            total_probability, state = _chance(owners, start=start, until=day_start(_next_month(months[-1])), already=before, target=total_target)
        total = HeatCell(month=None, target=total_target, won=sum(c.won for c in cells), probability=total_probability)
        rows.append(HeatRow(region=regions[key] if key is not None else None, cells=cells, total=total))
    return Heatmap(
        months=months, rows=rows, has_targets=any(c.target for r in rows for c in r.cells), forecast_state=state, as_of=as_of,
        chance_months=chance_months,
    )  # fmt: skip


def forecast_state(cockpit: CockpitFilter, *, months: list[date], today: date) -> str:
    """Whether completion probabilities can be shown: "ok", or why not ("filtered", "past")."""
    if cockpit.product_line or cockpit.pipeline is not None:
        return "filtered"  # the simulation knows no product line or pipeline: no honest probability
    if not any(_next_month(m) > today for m in months):
        return "past"
    return "ok"


def _won_by_owner_month(cockpit: CockpitFilter, months: list[date]) -> dict[tuple[int, date], float]:
    if not months:
        return {}
    rows = (
        Opportunity.objects.filter(
            deal_condition(cockpit), status=Opportunity.Status.WON,
            closed_at__gte=day_start(months[0]), closed_at__lt=day_start(_next_month(months[-1])),
        )
        .order_by().annotate(month=TruncMonth("closed_at")).values("owner_id", "month").annotate(total=Sum("amount"))
    )  # fmt: skip
    return {(r["owner_id"], _as_date(r["month"])): float(r["total"] or 0) for r in rows}


def _as_date(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value  # type: ignore[no-any-return]


def _won_by_owner(cockpit: CockpitFilter, *, since: datetime, before: datetime) -> dict[int, float]:
    """Contract value won in [since, before) per owner of the filter (one grouped query)."""
    if before <= since:
        return {}
    rows = (
        Opportunity.objects.filter(deal_condition(cockpit), status=Opportunity.Status.WON, closed_at__gte=since, closed_at__lt=before)
        .order_by().values("owner_id").annotate(total=Sum("amount")).values_list("owner_id", "total")
    )  # fmt: skip
    return {owner: float(total or 0) for owner, total in rows}


_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2})|-Q([1-4]))?$")


def target_months(period: str) -> list[date]:
    """The months a target's period covers: `2025-11` one, `2025-Q4` three, `2025` twelve; [] for anything else."""
    found = _PERIOD.match(period.strip())
    if not found:
        return []
    year = int(found.group(1))
    if found.group(2):
        month = int(found.group(2))
        return [date(year, month, 1)] if 1 <= month <= 12 else []
    if found.group(3):
        first = 3 * (int(found.group(3)) - 1) + 1
        return [date(year, first + i, 1) for i in range(3)]
    return [date(year, m, 1) for m in range(1, 13)]


def _targets(
    cockpit: CockpitFilter, *, viewer: User, months: list[date], region_of: Mapping[int, int | None]
) -> dict[tuple[int | None, date], float]:
    """(region, month) → target, by the rule in the module's docstring."""
    wanted = set(months)
    years = Q()
    for year in sorted({m.year for m in months}):
        years |= Q(period__startswith=str(year))
    rows = target_list_visible_to(user=viewer).filter(years)
    if cockpit.product_line:
        rows = rows.filter(product_line=cockpit.product_line)
    # scope → month → {product line → amount}
    per_scope: dict[tuple[str, int], dict[date, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for kind, user_id, team_id, period, product_line, given in rows.values_list("scope_kind", "user_id", "team_id", "period", "product_line", "amount"):
        covered = target_months(period)
        for month in covered:
            if month in wanted:
                share = per_scope[(kind, user_id if kind == Target.ScopeKind.USER else team_id)][month]
                share[product_line] = share.get(product_line, 0.0) + float(given) / len(covered)

    def amount(kind: str, pk: int, month: date) -> float | None:
        lines = per_scope.get((kind, pk), {}).get(month)
        if not lines:
            return None
        return lines[""] if "" in lines and not cockpit.product_line else sum(lines.values())

    result: dict[tuple[int | None, date], float] = {}
    for region in set(region_of.values()):
        owners = [pk for pk, r in region_of.items() if r == region]
        for month in months:
            value: float | None = None
            if cockpit.rep is None and cockpit.team is None and region is not None:
                value = amount(Target.ScopeKind.TEAM, region, month)
            if value is None and cockpit.rep is None and cockpit.team is not None:
                value = amount(Target.ScopeKind.TEAM, cockpit.team.pk, month)
            if value is None:
                found = [a for a in (amount(Target.ScopeKind.USER, o, month) for o in owners) if a is not None]
                value = sum(found) if found else None
            if value is not None:
                result[(region, month)] = value
    return result


def _chance(owners: list[int], *, start: datetime, until: datetime, already: float, target: float) -> tuple[float | None, str]:
    """P(already + simulated won value of `owners` in [start, until) ≥ target), and "ok" or "missing"."""
    forecast = forecast_cached(as_of=start, until=until)
    if forecast is None:  # no simulation to read (a forecast stand-in may give none)
        return None, "missing"
    wanted = set(owners)
    columns = [i for i, pk in enumerate(forecast.rep_pks) if pk in wanted]
    draws = forecast.samples[:, columns].sum(axis=1) if columns else np.zeros(len(forecast.samples))
    return float(np.mean(already + draws >= target - 0.005)), "ok"


# ---- drill-down: the deals won in a month (the region comes with the filter) ---------------------------------


@drill_register("won_month")
def _drill_won_month(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill | None:
    month = param_month(params)
    if month is None:
        return None
    condition = deal_condition(cockpit) & Q(
        status=Opportunity.Status.WON, closed_at__gte=day_start(month), closed_at__lt=day_start(_next_month(month))
    )
    where = cockpit.region.name if cockpit.region else _("全部大区")
    title = _("%(where)s · %(month)s 赢单") % {"where": where, "month": month.strftime("%Y-%m")}
    return Drill(kind="deals", title=title, condition=condition, order_by=("-closed_at", "-pk"))
