"""Target calibration (目标校准, seeds article 000 "三阶校准机制"): a proposed target per rep, and how likely each target is.

The proposal, per active rep, for a target period of `months` months (a month or a quarter):

    proposed = reach per month × months × conversion × healthy deal size

- effective reach: distinct customers (accounts; a lead that is no account yet counts on its own) the rep actually
  reached in the last 6 full months before the period starts — visits, check-ins, meetings, demos, and calls of at
  least 60 s (or, with no duration logged, with something written) — leaving out the records the authenticity scoring
  flags (insights/authenticity.py). Mass messages, e-mails and documents sent are not reach ("非群发、非无效拨打").
  Per month: divided by the months the rep was in post in that window (a rep hired 2 months ago: by 2).
- conversion: deals the rep won in the same 6 months per customer reached, shrunk toward the region's rate as if the
  rep had CONVERSION_PRIOR more reached customers at the region's rate (a rep with 12 customers and 2 wins is not a
  16 % rep yet).
- healthy deal size (健康成交模型): per region and product line, the mean of the deals won in the last 12 months, each
  deal capped at the company's 95th percentile of its product line (one giant deal does not raise everyone's
  baseline); a cell with fewer than DEAL_PRIOR wins is topped up to DEAL_PRIOR with the company's figure for the line.
  The rep's size is the average over product lines weighted by the rep's own mix of wins (shrunk toward the region's
  mix by MIX_PRIOR wins).

So the formula is the rep's proven run-rate taken apart into the factors a manager can talk about (how many customers,
how well converted, how big), each measured on honest records and steadied where the rep's own sample is small.

Completion probability: P(target reached) = share of simulations in which (won in the period before as-of +
simulated won value from as-of to the period's end) ≥ target. The simulations are the forecast's
(`forecast_compute(...).samples`: won value per rep per simulation, open pipeline and deals not yet created), summed
over a team's reps within each simulation, so a team's probability is not the product of its reps'.

Read-only: writes nothing (the monthly report's snapshot is written by targets.services).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from xiaoguan.activities.models import Activity
from xiaoguan.core.clock import day_start, org_tz
from xiaoguan.insights.selectors import ActivityColumns, activity_columns, deal_account_pairs, lead_account_pairs, won_deal_rows
from xiaoguan.org.models import Role, Team, User
from xiaoguan.targets.periods import TargetPeriod, month_add
from xiaoguan.targets.selectors import target_amounts

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

WINDOW_MONTHS = 6  # effective reach and conversion
DEAL_MODEL_MONTHS = 12  # the healthy deal model (seeds: "近12个月各区域客单价分布")
CALL_MIN_SECONDS = 60
CONVERSION_PRIOR = 30.0  # reached customers at the region's rate
MIX_PRIOR = 4.0  # wins in the region's product mix
DEAL_PRIOR = 10  # wins: a region × product-line cell with fewer is topped up with the company's figure
SIZE_CAP_QUANTILE = 0.95
ROUND_TO = 1000
ADJUST_LIMIT = 0.15  # managers move a proposal by at most ±15 % (seeds: "支持管理者手动微调±15%")
# Red / amber / green of the heatmap: green when the target is reached in at least 70 % of the simulations.
GREEN_AT = 0.70
AMBER_AT = 0.40
QUANTILES = 101  # points kept of each simulated distribution: P of an adjusted target without simulating again
FLAG_LOOKBACK = timedelta(days=14)  # records typed this long before the window are scored with it (their context)
LATE_TYPING = timedelta(days=14)  # records of the window typed up to this long after it count
NO_PRODUCT_LINE = ""


def band(probability: float | None) -> str:
    """'green' / 'amber' / 'red' (or '' when unknown), with the thresholds above."""
    if probability is None:
        return ""
    if probability >= GREEN_AT:
        return "green"
    return "amber" if probability >= AMBER_AT else "red"


def completion_probability(attained: F64, target: float | None) -> float | None:
    """Share of simulated outcomes (already won + simulated, one per simulation) that reach `target`."""
    if target is None:
        return None
    if target <= 0:
        return 1.0
    if attained.size == 0:
        return 0.0
    # A cent below the target is not the target missed: simulated sums of floats carry rounding noise.
    return float(np.mean(attained >= target - 0.005))


def attained_samples(*, samples: F64 | None, rep_pks: Sequence[int], members: Sequence[int], won_so_far: float) -> F64:
    """Per simulation: what `members` (user pks) have won already plus what they win in the simulated rest of the period.

    Members the simulation has no column for win nothing more. Without simulations (none given) the one outcome is
    what is won already.
    """
    if samples is None:
        return np.array([won_so_far], dtype=np.float64)
    column = {pk: i for i, pk in enumerate(rep_pks)}
    cols = [column[pk] for pk in members if pk in column]
    simulated = samples[:, cols].sum(axis=1) if cols else np.zeros(samples.shape[0])
    return np.asarray(simulated, dtype=np.float64) + won_so_far


def quantiles_of(attained: F64) -> list[float]:
    return [round(float(v), 2) for v in np.quantile(attained, np.linspace(0.0, 1.0, QUANTILES))]


def probability_from_quantiles(quantiles: Sequence[float] | None, target: float | None) -> float | None:
    """P(outcome ≥ target) read off the kept quantiles (to about ±1 %): for targets changed after the simulation."""
    if quantiles is None or target is None:
        return None
    if target <= 0:
        return 1.0
    q = np.asarray(quantiles, dtype=np.float64)
    return float(np.mean(q >= target - 0.005))


@dataclass(frozen=True)
class DealCell:
    """The healthy deal model of one region (None: reps without a region) and product line."""

    region_pk: int | None
    region: str
    product_line: str
    wins: int
    median: float
    mean: float
    healthy: float


@dataclass
class RepFit:
    user_pk: int
    name: str
    external_id: str
    team_pk: int | None
    region_pk: int | None
    region: str
    active_months: float
    reach: int
    excluded: int  # effective records left out because the authenticity scoring flags them
    wins: int
    won_amount: float
    own_conversion: float | None
    region_conversion: float
    conversion: float
    mix: dict[str, float]
    deal_size: float
    proposed: float
    imposed: float | None = None
    won_so_far: float = 0.0
    p_proposed: float | None = None
    p_imposed: float | None = None
    quantiles: list[float] | None = None
    reasons: list[str] = field(default_factory=list)


@dataclass
class GroupFit:
    """A team of the tree (company, region, team) with every active rep in its subtree."""

    team_pk: int
    name: str
    kind: str
    path: str
    depth: int
    rep_pks: list[int]
    proposed: float
    imposed: float | None
    imposed_source: str  # "team": the team's own target; "reps": the sum of its reps' targets; "": none
    won_so_far: float = 0.0
    p_proposed: float | None = None
    p_imposed: float | None = None
    quantiles: list[float] | None = None


@dataclass
class TargetFit:
    period: str
    as_of: datetime
    months: int
    window_start: date
    window_end: date
    deal_window_start: date
    reps: list[RepFit]
    groups: list[GroupFit]
    deal_model: list[DealCell]
    simulated: bool = False
    simulations: int = 0
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        """The figures as the report snapshot keeps them (JSON types only)."""
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        for key in ("window_start", "window_end", "deal_window_start"):
            data[key] = getattr(self, key).isoformat()
        data["thresholds"] = {"green": GREEN_AT, "amber": AMBER_AT}
        data["adjust_limit"] = ADJUST_LIMIT
        return data


# ------------------------------------------------------------------------------------------------------------- proposal


def calibration_window(*, period: TargetPeriod, as_of: datetime) -> tuple[date, date]:
    """The 6 full months before the period starts — or before the as-of month, for a period that has not begun."""
    as_of_month = as_of.astimezone(org_tz()).date().replace(day=1)
    end = min(period.start, as_of_month)
    return month_add(end, -WINDOW_MONTHS), end


def _teams() -> tuple[dict[int, Team], dict[int, Team | None]]:
    """Every team, and each team's region (the region-kind team on its path; None above the regions)."""
    teams = {t.pk: t for t in Team.objects.all()}
    region_of: dict[int, Team | None] = {}
    for pk, team in teams.items():
        ids = [int(x) for x in team.path.strip("/").split("/") if x]
        region_of[pk] = next((teams[i] for i in ids if i in teams and teams[i].kind == Team.Kind.REGION), None)
    return teams, region_of


def _active_months(hired_on: date | None, start: date, end: date) -> float:
    full = float(WINDOW_MONTHS)
    if hired_on is None or hired_on <= start:
        return full
    if hired_on >= end:
        return 1.0
    return float(min(full, max(1.0, (end - hired_on).days / 30.4375)))


def money_text(value: float) -> str:
    """25.6万 in Chinese, 256.0k in English (the reasons are written in the language of whoever computes them)."""
    if not (get_language() or "zh-hans").startswith("zh"):
        return f"{value / 1000:,.1f}k" if abs(value) >= 1000 else f"{value:,.0f}"
    return f"{value / 10_000:,.1f}万" if abs(value) >= 10_000 else f"{value:,.0f}"


def _winsorised_mean(amounts: F64, cap: float) -> float:
    return float(np.minimum(amounts, cap).mean()) if amounts.size else 0.0


def _deal_model(
    wins: list[tuple[int, str, float | None, datetime]], region_of_rep: Mapping[int, Team | None]
) -> tuple[dict[tuple[int | None, str], float], list[DealCell], dict[str, float]]:
    """(region pk, product line) -> healthy size; the cells for display; product line -> company healthy size."""
    by_line: dict[str, list[float]] = defaultdict(list)
    by_cell: dict[tuple[int | None, str], list[float]] = defaultdict(list)
    names: dict[int | None, str] = {None: _("未分大区")}
    for owner, line, amount, _closed in wins:
        if amount is None:
            continue
        region = region_of_rep.get(owner)
        key = region.pk if region is not None else None
        if region is not None:
            names[key] = region.name
        by_line[line].append(amount)
        by_cell[(key, line)].append(amount)
    caps = {line: float(np.quantile(np.asarray(v), SIZE_CAP_QUANTILE)) for line, v in by_line.items()}
    company = {line: _winsorised_mean(np.asarray(v), caps[line]) for line, v in by_line.items()}
    healthy: dict[tuple[int | None, str], float] = {}
    cells = []
    for (region_pk, line), values in sorted(by_cell.items(), key=lambda kv: (names.get(kv[0][0], ""), kv[0][1])):
        arr = np.asarray(values)
        n = len(arr)
        mean_capped = _winsorised_mean(arr, caps[line])
        size = (n * mean_capped + max(0, DEAL_PRIOR - n) * company[line]) / max(n, DEAL_PRIOR)
        healthy[(region_pk, line)] = size
        cells.append(DealCell(
            region_pk=region_pk, region=names.get(region_pk, ""), product_line=line, wins=n, median=float(np.median(arr)),
            mean=float(arr.mean()), healthy=round(size, 2),
        ))  # fmt: skip
    return healthy, cells, company


def _lookup(keys: I64, values: I64, query: I64) -> I64:
    """values[keys == q] for each q (keys sorted, unique); 0 where q is not a key."""
    if not keys.size or not query.size:
        return np.zeros(query.size, dtype=np.int64)
    at = np.clip(np.searchsorted(keys, query), 0, keys.size - 1)
    return np.where(keys[at] == query, values[at], 0)


def _effective_touches(cols: ActivityColumns, *, since: datetime, until: datetime, owners: Sequence[int]) -> tuple[I64, I64, I64]:
    """(owner, customer, activity pk) of the effective touches in [since, until) by `owners`.

    Effective: a visit, check-in, meeting or demo; a call of at least CALL_MIN_SECONDS, or with no (or zero) duration
    logged but something written. The customer is the activity's account, else its deal's, else the account its lead
    became or belongs to; a lead that is no account yet is minus its id.
    """
    kinds = {k: i for i, k in enumerate(cols.kinds)}
    meetings = np.isin(cols.kind, [kinds[k] for k in (Activity.Kind.VISIT, Activity.Kind.CHECK_IN, Activity.Kind.MEETING, Activity.Kind.DEMO)])
    written = np.fromiter((bool(text.strip()) for text in cols.contents), dtype=bool, count=len(cols.contents))
    has_text = written[cols.content] if cols.contents else np.zeros(len(cols), dtype=bool)
    calls = (cols.kind == kinds[Activity.Kind.CALL]) & ((cols.duration >= CALL_MIN_SECONDS) | ((cols.duration == 0) & has_text))
    mask = (
        (meetings | calls) & (cols.occurred >= int(since.timestamp())) & (cols.occurred < int(until.timestamp()))
        & np.isin(cols.owner, np.asarray(list(owners), dtype=np.int64))
    )  # fmt: skip
    account, deal, lead = cols.account[mask], cols.opportunity[mask], cols.lead[mask]
    via_deal = (account == 0) & (deal > 0)
    if via_deal.any():
        account[via_deal] = _lookup(*deal_account_pairs(pks=np.unique(deal[via_deal]).tolist()), deal[via_deal])
    via_lead = (account == 0) & (lead > 0)
    if via_lead.any():
        found = _lookup(*lead_account_pairs(pks=np.unique(lead[via_lead]).tolist()), lead[via_lead])
        account[via_lead] = np.where(found > 0, found, -lead[via_lead])
    return cols.owner[mask], account, cols.pk[mask]


def calibration_propose(
    *, period: TargetPeriod, as_of: datetime, flagged: frozenset[int] | set[int] | None = None
) -> TargetFit:
    """The proposal for every active rep, with its factors and reasons (no probabilities yet: `target_fit_compute`).

    `flagged`: activity pks to leave out of the reach; None scores the window with the authenticity model.
    """
    window_start, window_end = calibration_window(period=period, as_of=as_of)
    since, until = day_start(window_start), day_start(window_end)
    deal_since = day_start(month_add(window_end, -DEAL_MODEL_MONTHS))
    teams, region_of = _teams()
    reps = list(
        User.objects.filter(role=Role.REP, is_active=True).order_by("team__path", "name", "pk")
        .values_list("pk", "name", "external_id", "team_id", "hired_on")
    )  # fmt: skip
    rep_region = {pk: (region_of.get(team_id) if team_id else None) for pk, _n, _e, team_id, _h in reps}

    # One read of the window's records serves both the authenticity scoring and the reach. Records typed more than
    # LATE_TYPING after the window closed are not reach: back-filling a closed window is what the reach must not reward.
    cols = activity_columns(before=min(as_of, until + LATE_TYPING), since=since - FLAG_LOOKBACK)
    if flagged is None:
        from xiaoguan.insights.authenticity import authenticity_flagged_in

        flagged = set(authenticity_flagged_in(cols, as_of=as_of))
    touch_owner, touch_customer, touch_pk = _effective_touches(cols, since=since, until=until, owners=[rep[0] for rep in reps])
    known_flags = np.fromiter(flagged, dtype=np.int64, count=len(flagged))
    dropped = np.isin(touch_pk, known_flags) if flagged else np.zeros(len(touch_pk), dtype=bool)
    excluded = defaultdict(int, zip(*np.unique(touch_owner[dropped], return_counts=True), strict=True))
    # One int64 per (rep, customer): the owner in the high bits, the customer (negative for a bare lead) shifted positive.
    pairs = np.unique((touch_owner[~dropped] << 34) + (touch_customer[~dropped] + (1 << 33)))
    reach = defaultdict(int, zip(*np.unique(pairs >> 34, return_counts=True), strict=True))

    model_wins = won_deal_rows(since=deal_since, before=min(until, as_of))
    healthy, cells, company = _deal_model(model_wins, rep_region)
    window_wins = [w for w in model_wins if w[3] >= since]
    wins_by_rep: dict[int, list[tuple[str, float | None]]] = defaultdict(list)
    for owner, line, amount, _closed in window_wins:
        wins_by_rep[owner].append((line, amount))

    # Region rates and mixes, from the reps of each region (everyone's when a region has no reach at all).
    region_reach: dict[int | None, int] = defaultdict(int)
    region_wins: dict[int | None, int] = defaultdict(int)
    region_mix: dict[int | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for pk, *_rest in reps:
        key = rep_region[pk].pk if rep_region[pk] is not None else None  # type: ignore[union-attr]
        region_reach[key] += int(reach[pk])
        region_wins[key] += len(wins_by_rep[pk])
        for line, _amount in wins_by_rep[pk]:
            region_mix[key][line] += 1
    all_reach, all_wins = sum(region_reach.values()), sum(region_wins.values())
    company_rate = all_wins / all_reach if all_reach else 0.0
    company_mix: dict[str, int] = defaultdict(int)
    for counts in region_mix.values():
        for line, n in counts.items():
            company_mix[line] += n

    fits: list[RepFit] = []
    for pk, name, external_id, team_id, hired_on in reps:
        region = rep_region[pk]
        key = region.pk if region is not None else None
        r, wins = int(reach[pk]), wins_by_rep[pk]
        rate_region = region_wins[key] / region_reach[key] if region_reach[key] else company_rate
        conversion = (len(wins) + CONVERSION_PRIOR * rate_region) / (r + CONVERSION_PRIOR)
        base_mix = region_mix[key] if region_mix[key] else company_mix
        base_total = sum(base_mix.values())
        own: dict[str, int] = defaultdict(int)
        for line, _amount in wins:
            own[line] += 1
        lines = sorted(set(base_mix) | set(own))
        denominator = len(wins) + (MIX_PRIOR if base_total else 0.0)
        mix: dict[str, float] = {
            line: (own[line] + (MIX_PRIOR * base_mix.get(line, 0) / base_total if base_total else 0.0)) / denominator
            for line in lines
        } if denominator else {}  # fmt: skip
        deal_size = sum(share * healthy.get((key, line), company.get(line, 0.0)) for line, share in mix.items())
        months_in_post = _active_months(hired_on, window_start, window_end)
        per_month = r / months_in_post
        raw = per_month * period.months * conversion * deal_size
        proposed = float(round(raw / ROUND_TO) * ROUND_TO)
        fit = RepFit(
            user_pk=pk, name=name, external_id=external_id, team_pk=team_id, region_pk=key, region=region.name if region else "",
            active_months=round(months_in_post, 2), reach=r, excluded=int(excluded[pk]), wins=len(wins),
            won_amount=float(sum(a for _line, a in wins if a is not None)), own_conversion=(len(wins) / r) if r else None,
            region_conversion=rate_region, conversion=conversion, mix={k: round(v, 4) for k, v in mix.items()},
            deal_size=round(deal_size, 2), proposed=proposed,
        )  # fmt: skip
        fit.reasons = _reasons(fit, per_month=per_month, months=period.months)
        fits.append(fit)

    groups = _groups(teams, fits)
    return TargetFit(
        period=period.code, as_of=as_of, months=period.months, window_start=window_start, window_end=window_end,
        deal_window_start=month_add(window_end, -DEAL_MODEL_MONTHS), reps=fits, groups=groups, deal_model=cells,
    )  # fmt: skip


def _reasons(fit: RepFit, *, per_month: float, months: int) -> list[str]:
    out = [
        _("近%(window)s个月有效触达 %(reach)s 个客户（月均 %(per_month).1f）") % {"window": WINDOW_MONTHS, "reach": fit.reach, "per_month": per_month}
        + (_("，已剔除 %(n)s 条疑似不实记录") % {"n": fit.excluded} if fit.excluded else "")
    ]
    if fit.active_months < WINDOW_MONTHS:
        out.append(_("在岗不满%(window)s个月：按 %(months).1f 个月折算月均") % {"window": WINDOW_MONTHS, "months": fit.active_months})
    own = "—" if fit.own_conversion is None else f"{fit.own_conversion:.1%}"
    out.append(
        _("触达→赢单 %(conversion).1f%%（本人 %(wins)s 单 / %(reach)s 客户 = %(own)s，向所在大区 %(region).1f%% 校正）")
        % {"conversion": fit.conversion * 100, "wins": fit.wins, "reach": fit.reach, "own": own, "region": fit.region_conversion * 100}
    )
    top = sorted(fit.mix.items(), key=lambda kv: -kv[1])[:3]
    mix_text = "、".join(f"{line or _('未分产品线')} {share:.0%}" for line, share in top)
    out.append(_("健康客单价 %(size)s（产品结构：%(mix)s）") % {"size": money_text(fit.deal_size), "mix": mix_text or "—"})
    out.append(
        _("月均触达 %(per_month).1f × %(months)s 个月 × 转化 %(conversion).1f%% × 客单价 %(size)s ≈ %(proposed)s")
        % {"per_month": per_month, "months": months, "conversion": fit.conversion * 100, "size": money_text(fit.deal_size),
           "proposed": money_text(fit.proposed)}
    )  # fmt: skip
    if fit.reach < CONVERSION_PRIOR:
        out.append(_("有效触达样本较少，建议值主要参考大区水平，请结合实际微调"))
    return out


def _groups(teams: Mapping[int, Team], fits: Sequence[RepFit]) -> list[GroupFit]:
    rep_path = {f.user_pk: teams[f.team_pk].path for f in fits if f.team_pk is not None and f.team_pk in teams}
    groups = []
    for team in sorted(teams.values(), key=lambda t: t.path):
        members = [f for f in fits if rep_path.get(f.user_pk, "").startswith(team.path)]
        if not members:
            continue
        groups.append(GroupFit(
            team_pk=team.pk, name=team.name, kind=team.kind, path=team.path, depth=team.path.count("/") - 2,
            rep_pks=[f.user_pk for f in members], proposed=float(sum(f.proposed for f in members)), imposed=None, imposed_source="",
        ))  # fmt: skip
    return groups


# ---------------------------------------------------------------------------------------------------------- probability

# (as_of, until) -> (rep pks, samples of shape (simulations, reps)), or None when no simulation can be had.
Simulator = Callable[[datetime, datetime], tuple[list[int], F64] | None]


def forecast_simulator(as_of: datetime, until: datetime) -> tuple[list[int], F64] | None:
    """The forecast's simulations of won value per rep in [as_of, until)."""
    from xiaoguan.insights.forecast import forecast_compute  # the win model and its training load only when needed

    forecast = forecast_compute(as_of=as_of, until=until)
    return list(forecast.rep_pks), np.asarray(forecast.samples, dtype=np.float64)


def target_fit_compute(
    *,
    period: TargetPeriod,
    as_of: datetime,
    simulate: Simulator = forecast_simulator,
    flagged: frozenset[int] | set[int] | None = None,
) -> TargetFit:
    """Proposal, imposed targets, what is won so far and the completion probabilities, per rep and per team."""
    fit = calibration_propose(period=period, as_of=as_of, flagged=flagged)
    amounts = target_amounts(period=period.code)
    start = period.start_at
    won: dict[int, float] = defaultdict(float)
    for owner, _line, amount, _closed in won_deal_rows(since=start, before=min(as_of, period.end_at)):
        won[owner] += amount or 0.0
    for rep in fit.reps:
        rep.imposed = float(amounts.users[rep.user_pk]) if rep.user_pk in amounts.users else None
        rep.won_so_far = won[rep.user_pk] if as_of > start else 0.0
    by_pk = {rep.user_pk: rep for rep in fit.reps}
    for group in fit.groups:
        members = [by_pk[pk] for pk in group.rep_pks]
        group.won_so_far = float(sum(m.won_so_far for m in members))
        if group.team_pk in amounts.teams:
            group.imposed, group.imposed_source = float(amounts.teams[group.team_pk]), "team"
        elif any(m.imposed is not None for m in members):
            group.imposed, group.imposed_source = float(sum(m.imposed or 0.0 for m in members)), "reps"

    samples: F64 | None = None
    rep_pks: list[int] = []
    if as_of < start:
        fit.note = _("周期尚未开始：完成概率在周期开始后计算（模拟从数据截至时刻算起）。")
    elif as_of >= period.end_at:
        fit.simulated, fit.note = True, _("周期已结束：完成情况即实际成交。")
    else:
        simulated = simulate(as_of, period.end_at)
        if simulated is None:
            fit.note = _("预测模型尚未就绪：只给出建议目标，暂无完成概率。")
        else:
            rep_pks, samples = simulated
            fit.simulated, fit.simulations = True, int(samples.shape[0])
    if not fit.simulated:
        return fit

    for rep in fit.reps:
        attained = attained_samples(samples=samples, rep_pks=rep_pks, members=[rep.user_pk], won_so_far=rep.won_so_far)
        rep.p_proposed = completion_probability(attained, rep.proposed)
        rep.p_imposed = completion_probability(attained, rep.imposed)
        rep.quantiles = quantiles_of(attained)
    for group in fit.groups:
        attained = attained_samples(samples=samples, rep_pks=rep_pks, members=group.rep_pks, won_so_far=group.won_so_far)
        group.p_proposed = completion_probability(attained, group.proposed)
        group.p_imposed = completion_probability(attained, group.imposed)
        group.quantiles = quantiles_of(attained)
    return fit
