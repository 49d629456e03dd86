"""Won contract value expected in a window [as_of, until): the open pipeline, plus deals not created yet, with an 80 % interval.

Two parts, each from what was recorded before as_of:
- **Open deals.** P(won by until) from the win model (insights/winprob.py: stage, how long the deal has sat there and how
  fast it moved before, the customer's reactions, the rep's record …) times the deal's amount times the *value ratio*:
  a won deal's stored amount is its final contract value, usually below the list amount it carried while open. The ratio
  is the mean won amount over the mean lost (list) amount of the deals closed in the last year.
- **Deals not yet created.** Each rep's recent rate of new deals (last 90 days) times G(a), the won value per new deal
  within `a` days of its creation, learnt from the deals created in the last year whose first `a` days are over. A deal
  created late in the window has little time to close, so each day of the window counts with its own remaining time.
  Seasonality: when the history covers the same window a year earlier and the 90 days before it, the rate is scaled by
  how new deals changed from those 90 days into that window last year (shrunk halfway: one year is one observation).

The interval comes from simulation: each open deal is won or not with its probability; new wins per rep are Poisson with
amounts drawn from the last year's won amounts; and every simulated world shares one factor for what the model cannot
know (a drift of the win rate or of the flow of new deals), log-normal with `MODEL_SPREAD`, set from back-tests on
the sample worlds at earlier as-of days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from xiaoguan.core.money import format_cny
from xiaoguan.core.process_cache import ProcessCache
from xiaoguan.insights.winprob import DAY, WinModel, horizon_days_of, win_model
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.org.models import User
from xiaoguan.org.selectors import team_region_id

F64 = npt.NDArray[np.float64]
RATE_DAYS = 90
HISTORY_DAYS = 365
MIN_CLOSED_FOR_RATIO = 20
MODEL_SPREAD = 0.08  # sd of the shared log-factor: the forecast's own error beyond the luck of the draw
STAGE_WEIGHTS = {1: 0.10, 2: 0.20, 3: 0.40, 4: 0.60, 5: 0.90}  # what most CRMs show, for comparison only
SEASON_SHRINK = 0.5
CHUNK = 4000


@dataclass(frozen=True)
class Forecast:
    as_of: datetime
    until: datetime  # exclusive end instant of the window [as_of, until)
    total: float
    low: float  # 10th percentile
    high: float  # 90th percentile
    by_region: dict[int | None, float]  # region team pk -> expected value (sums to total)
    by_rep: dict[int, float]  # owner user pk -> expected value
    explain: list[str]
    rep_pks: list[int]  # column order of `samples`
    samples: F64  # (n_samples, len(rep_pks)): simulated won value per rep in the window
    open_part: float = 0.0
    new_part: float = 0.0
    stage_weighted: float = 0.0  # the naive pipeline, for comparison
    deal_values: dict[int, float] = field(default_factory=dict)  # open deal pk -> expected won value in the window


@dataclass(frozen=True)
class _NewDeals:
    per_rep: dict[int, float]  # expected won value from deals not yet created
    wins_per_rep: dict[int, float]  # expected number of such wins
    amounts: F64  # won amounts to draw from
    daily_rate: float
    season: float
    season_known: bool


def forecast_compute(*, as_of: datetime, until: datetime, samples: int = 2000, seed: int = 0) -> Forecast:
    model = win_model(as_of=as_of, until=until)
    deals = model.history.deals
    rows = model.snapshot.rows
    ratio = _value_ratio(model)
    values = model.probability * deals.amount[rows] * ratio
    owners = deals.owner[rows]
    new = _new_deals(model, window_days=horizon_days_of(as_of=as_of, until=until))

    rep_pks = sorted({int(o) for o in owners} | set(new.per_rep))
    column = {pk: j for j, pk in enumerate(rep_pks)}
    by_rep = dict.fromkeys(rep_pks, 0.0)
    for owner, value in zip(owners, values, strict=True):
        by_rep[int(owner)] += float(value)
    for pk, value in new.per_rep.items():
        by_rep[pk] += value
    teams = dict(User.objects.filter(pk__in=rep_pks).values_list("pk", "team_id"))
    by_region: dict[int | None, float] = {}
    for pk, value in by_rep.items():
        team = teams.get(pk)
        region = team_region_id(team) if team is not None else None
        by_region[region] = by_region.get(region, 0.0) + value

    draws = _simulate(model, ratio, new, rep_pks, column, samples=samples, seed=seed)
    totals = draws.sum(axis=1)
    open_part = float(values.sum())
    new_part = float(sum(new.per_rep.values()))
    total = open_part + new_part
    low, high = (float(v) for v in np.percentile(totals, [10, 90])) if len(totals) else (total, total)
    stage_weighted = _stage_weighted(model, until=until)
    explain = _explain(model, ratio=ratio, new=new, open_part=open_part, new_part=new_part, low=low, high=high, stage_weighted=stage_weighted)
    return Forecast(
        as_of=as_of, until=until, total=total, low=min(low, total), high=max(high, total), by_region=by_region,
        by_rep=by_rep, explain=explain, rep_pks=rep_pks, samples=draws, open_part=open_part, new_part=new_part,
        stage_weighted=stage_weighted, deal_values={model.pk_of(i): float(v) for i, v in enumerate(values)},
    )  # fmt: skip


def _value_ratio(model: WinModel) -> float:
    """Mean won (final) amount over mean lost (list) amount, deals closed in the last year; 1 when too few."""
    d = model.history.deals
    t = int(model.as_of.timestamp())
    recent = (d.closed > 0) & (d.closed >= t - HISTORY_DAYS * DAY) & (d.amount > 0)
    won, lost = d.amount[recent & d.won], d.amount[recent & ~d.won]
    if len(won) < MIN_CLOSED_FOR_RATIO or len(lost) < MIN_CLOSED_FOR_RATIO:
        return 1.0
    return float(np.clip(won.mean() / lost.mean(), 0.5, 1.0))


def _new_deals(model: WinModel, *, window_days: int) -> _NewDeals:
    d = model.history.deals
    t = int(model.as_of.timestamp())
    first = int(d.created.min(initial=t))
    # G(a): won value within a days of creation, per deal created in the last year whose first a days are over.
    since = max(t - HISTORY_DAYS * DAY, first)
    made = (d.created >= since) & (d.created < t)
    to_win = np.where(d.won & (d.closed > 0), d.closed - d.created, np.iinfo(np.int64).max)
    ages = np.arange(window_days) + 0.5  # remaining days of a deal created on each day of the window
    value_within = np.zeros(window_days)
    count_within = np.zeros(window_days)
    for k, a in enumerate(window_days - ages):
        seen = made & (d.created <= t - a * DAY)
        n = int(seen.sum())
        if n:
            hit = seen & (to_win < a * DAY)
            value_within[k] = d.amount[hit].sum() / n
            count_within[k] = hit.sum() / n
    recent = (d.created >= t - RATE_DAYS * DAY) & (d.created < t)
    span_days = min(RATE_DAYS, max((t - first) / DAY, 1.0))
    season, season_known = _season(model, window_days=window_days)
    per_rep: dict[int, float] = {}
    wins_per_rep: dict[int, float] = {}
    active = set(User.objects.filter(is_active=True).values_list("pk", flat=True))
    for owner, n in zip(*np.unique(d.owner[recent], return_counts=True), strict=True):
        if int(owner) not in active:
            continue  # a rep who has left brings no new deals
        rate = n / span_days * season
        per_rep[int(owner)] = float(rate * value_within.sum())
        wins_per_rep[int(owner)] = float(rate * count_within.sum())
    won_recent = d.won & (d.closed >= t - HISTORY_DAYS * DAY) & (d.amount > 0)
    return _NewDeals(
        per_rep=per_rep, wins_per_rep=wins_per_rep, amounts=d.amount[won_recent], daily_rate=float(recent.sum() / span_days * season),
        season=season, season_known=season_known,
    )  # fmt: skip


def _season(model: WinModel, *, window_days: int) -> tuple[float, bool]:
    """How the flow of new deals changed, a year earlier, from the 90 days before the window into the window."""
    d = model.history.deals
    t = int(model.as_of.timestamp()) - 365 * DAY
    first = int(d.created.min(initial=t))
    if first > t - RATE_DAYS * DAY - 30 * DAY:  # no full year, or last year's 90 days were the system's first weeks
        return 1.0, False
    before = ((d.created >= t - RATE_DAYS * DAY) & (d.created < t)).sum() / RATE_DAYS
    during = ((d.created >= t) & (d.created < t + window_days * DAY)).sum() / window_days
    if before <= 0 or during <= 0:
        return 1.0, False
    return float(np.exp(SEASON_SHRINK * np.log(during / before))), True


def _simulate(model: WinModel, ratio: float, new: _NewDeals, rep_pks: list[int], column: dict[int, int], *, samples: int, seed: int) -> F64:
    rng = np.random.default_rng(seed)
    out = np.zeros((samples, len(rep_pks)))
    if not rep_pks or samples <= 0:
        return out
    deals = model.history.deals
    rows = model.snapshot.rows
    cols = np.array([column[int(o)] for o in deals.owner[rows]], dtype=np.int64)
    amounts = deals.amount[rows] * ratio
    p = model.probability
    for start in range(0, len(rows), CHUNK):
        part = slice(start, start + CHUNK)
        won = rng.random((samples, len(p[part]))) < p[part]
        contribution = won * amounts[part]
        onehot = np.zeros((len(p[part]), len(rep_pks)))
        onehot[np.arange(len(p[part])), cols[part]] = 1.0
        out += contribution @ onehot
    if len(new.amounts):
        mean_amount = float(new.amounts.mean())
        for pk, value in new.per_rep.items():
            wins = rng.poisson(value / mean_amount, size=samples)
            draws = rng.choice(new.amounts, size=int(wins.sum()))
            out[:, column[pk]] += np.bincount(np.repeat(np.arange(samples), wins), weights=draws, minlength=samples)
    factor = np.exp(rng.normal(-0.5 * MODEL_SPREAD**2, MODEL_SPREAD, size=(samples, 1)))
    return out * factor  # type: ignore[no-any-return]


def _stage_weighted(model: WinModel, *, until: datetime) -> float:
    """The naive pipeline: fixed weights by stage for open deals expected to close in the window (for comparison)."""
    window = {"expected_close__gte": model.as_of.date(), "expected_close__lt": until.date()}
    closing = dict(Opportunity.objects.filter(**window).values_list("pk", "amount"))  # the open ones are picked below
    stage = model.snapshot.x[:, model.snapshot.names.index("stage")] if len(model.snapshot.rows) else np.zeros(0)
    total = 0.0
    for i in range(len(model.snapshot.rows)):
        amount = closing.get(model.pk_of(i))
        if amount is not None:
            total += float(amount) * STAGE_WEIGHTS.get(int(stage[i]), 0.0)
    return total


def _explain(model: WinModel, *, ratio: float, new: _NewDeals, open_part: float, new_part: float, low: float, high: float, stage_weighted: float) -> list[str]:
    n_open = len(model.snapshot.rows)
    listed = float(model.history.deals.amount[model.snapshot.rows].sum()) if n_open else 0.0
    lines = [
        f"在手商机 {n_open} 个，金额合计 {format_cny(listed)}；逐个按赢单概率（阶段、停留时长、推进速度、客户反应、负责人战绩）加权，"
        f"并按近一年成交价/报价 {ratio:.0%} 折算，预计窗口内成交 {format_cny(open_part)}。",
        f"窗口内新建的商机：近 {RATE_DAYS} 天平均每天新建 {new.daily_rate:.1f} 个，按历史「新建→成交」节奏（越晚新建越来不及成交），"
        f"预计贡献 {format_cny(new_part)}（约 {sum(new.wins_per_rep.values()):.0f} 单）。",
        (f"季节性：去年同期新建商机为此前 90 天的 {new.season ** (1 / SEASON_SHRINK):.0%}，按一半计入（×{new.season:.2f}）。" if new.season_known
         else "季节性：历史不足一年（或去年同期尚在系统启用初期），未做季节调整。"),
        f"80% 区间 {format_cny(low)} – {format_cny(high)}：模拟每个商机成交与否、新单数量与金额，并计入模型自身 ±{MODEL_SPREAD:.0%} 的误差。",
        f"对照：按阶段固定比例（10/20/40/60/90%）加权、预计成交日落在窗口内的管道为 {format_cny(stage_weighted)}。",
    ]  # fmt: skip
    return lines



# One forecast per window, shared by the pages that show one (the forecast page's current quarter, the heatmap's
# months) and warmed by the worker (insights/warm.py). A forecast as of a day's 00:00 reads only what was recorded
# before it, so it holds for the day; 30 minutes bounds how long a changed model (new deals, new stages) waits.
_cached = ProcessCache("insights.forecasts", seconds=1800.0, shared=True)


def forecast_cached(*, as_of: datetime, until: datetime, samples: int = 2000) -> Forecast:
    return _cached.get(f"{as_of.isoformat()}|{until.isoformat()}|{samples}", lambda: forecast_compute(as_of=as_of, until=until, samples=samples))
