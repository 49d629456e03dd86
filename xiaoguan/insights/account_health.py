"""Customer health index (客户健康度), 0–100 per account, with its reasons.

Five parts, each 0–100, weighted in `HEALTH_PARTS` (the one table); a part that does not apply to an account (no open
deal, no invoice; no touch tracking in use at all) is left out and the others share its weight:

- 跟进新近度 (recency): days since anyone recorded an activity with the customer — 100 up to 7 days, 0 from 60 days;
- 互动热度 (engagement): the engagement score (engagement app: decayed opens, clicks, downloads, meetings booked),
  100·s/(s+5) — 50 at the silent-customer bar of the default policy;
- 商机进展 (deal progress): the customer's furthest open deal, 40 at the first stage rising to 100 at the stage before
  the won one, halved after 30 days in its stage and a fifth after 90;
- 回款 (receivables): 100 with nothing overdue, falling to 0 at 90 days past the oldest unpaid due date;
- 客户沉默 (silence): days since the customer's own last behaviour (opened, clicked, downloaded, booked) — 100 within the
  policy's silent hours, 0 from 30 days.

Health is "now", not a period's. The list shows the customers in play — an open deal, an unpaid invoice or a deal won
in the last year — unless asked for every account (a prospect lost a year ago is not a customer in trouble). One
org-wide computation per 10-minute slot (a few grouped queries), shared by every viewer; each sees only the accounts
their filter's people own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from django.db.models import Max, Min, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from xiaoguan.activities.models import Activity
from xiaoguan.core.clock import org_tz
from xiaoguan.core.process_cache import ProcessCache
from xiaoguan.customers.models import Account
from xiaoguan.engagement.models import TouchEvent
from xiaoguan.engagement.selectors import WEIGHTED_KINDS, engagement_policy_current, engagement_scores
from xiaoguan.insights.filters import CockpitFilter
from xiaoguan.opportunities.models import Opportunity, Stage, StageHistory
from xiaoguan.receivables.models import Invoice

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
DAY = 86400.0

# (code, label, weight). Weights are relative: they are renormalised over the parts an account has.
HEALTH_PARTS: tuple[tuple[str, str, float], ...] = (
    ("recency", N_("跟进新近度"), 30.0),
    ("engagement", N_("互动热度"), 20.0),
    ("progress", N_("商机进展"), 20.0),
    ("receivables", N_("回款"), 15.0),
    ("silence", N_("客户沉默"), 15.0),
)
RECENT_DAYS, FORGOTTEN_DAYS = 7.0, 60.0
ENGAGEMENT_HALF = 5.0
STALL_DAYS, DEAD_DAYS = 30.0, 90.0
OVERDUE_ZERO_DAYS = 90.0
SILENCE_ZERO_DAYS = 30.0
BANDS = tuple(range(0, 100, 10))  # the distribution chart's bins: [0,10) … [90,100]
WEAK = 50.0  # a part under this is named among the reasons
ACTIVE_WON_DAYS = 365


@dataclass(frozen=True)
class HealthFrame:
    """Every account's parts (NaN where a part does not apply) and index, aligned."""

    now: datetime
    pks: I64
    owner: I64  # 0 when unowned
    parts: F64  # shape (accounts, len(HEALTH_PARTS))
    index: F64
    last_activity_days: F64  # NaN: never
    silence_days: F64
    engagement: F64
    overdue_days: F64
    overdue_amount: F64
    stage_name: list[str]
    stage_days: F64
    active: npt.NDArray[np.bool_]  # an open deal, an unpaid invoice, or a deal won in the last year


def _ramp(days: F64, full: float, zero: float) -> F64:
    """100 up to `full` days, 0 from `zero` days, linear between; NaN (never) counts as `zero`."""
    d = np.where(np.isnan(days), zero, days)
    return np.clip((zero - d) / (zero - full), 0.0, 1.0) * 100.0


def _days_since(values: dict[int, datetime], pks: I64, now: datetime) -> F64:
    out = np.full(len(pks), np.nan)
    for i, pk in enumerate(pks.tolist()):
        at = values.get(pk)
        if at is not None:
            out[i] = max(0.0, (now - at).total_seconds() / DAY)
    return out


def health_frame_compute(*, now: datetime) -> HealthFrame:
    accounts = list(Account.objects.order_by("pk").values_list("pk", "owner_id"))
    pks = np.asarray([a[0] for a in accounts], dtype=np.int64)
    owner = np.asarray([a[1] or 0 for a in accounts], dtype=np.int64)
    n = len(pks)
    index_of = {pk: i for i, pk in enumerate(pks.tolist())}
    parts = np.full((n, len(HEALTH_PARTS)), np.nan)

    last_activity = dict(
        Activity.objects.filter(account_id__isnull=False, occurred_at__lte=now).order_by().values("account_id")
        .annotate(last=Max("occurred_at")).values_list("account_id", "last")
    )  # fmt: skip
    activity_days = _days_since(last_activity, pks, now)
    parts[:, 0] = _ramp(activity_days, RECENT_DAYS, FORGOTTEN_DAYS)

    tracking = TouchEvent.objects.filter(occurred_at__lte=now).exists()
    engagement = np.full(n, np.nan)
    silence_days = np.full(n, np.nan)
    if tracking:
        engagement[:] = 0.0
        for pk, found in engagement_scores(subject="account", now=now).items():
            if pk in index_of:
                engagement[index_of[pk]] = found.score
        parts[:, 1] = 100.0 * engagement / (engagement + ENGAGEMENT_HALF)
        last_own = dict(
            TouchEvent.objects.filter(account_id__isnull=False, kind__in=WEIGHTED_KINDS, occurred_at__lte=now).order_by()
            .values("account_id").annotate(last=Max("occurred_at")).values_list("account_id", "last")
        )  # fmt: skip
        silence_days = _days_since(last_own, pks, now)
        quiet_full = engagement_policy_current().silent_hours / 24.0
        parts[:, 4] = _ramp(silence_days, quiet_full, SILENCE_ZERO_DAYS)

    stage_name = [""] * n
    stage_days = np.full(n, np.nan)
    won_position = dict(Stage.objects.filter(is_won=True).values_list("pipeline_id", "position"))
    open_deals = Opportunity.objects.filter(status=Opportunity.Status.OPEN, created_at__lte=now)
    entered = dict(
        StageHistory.objects.filter(opportunity__in=open_deals.values("pk"), entered_at__lte=now).order_by()
        .values("opportunity_id").annotate(last=Max("entered_at")).values_list("opportunity_id", "last")
    )  # fmt: skip
    for deal, account, pipeline, position, name, created in open_deals.values_list(
        "pk", "account_id", "pipeline_id", "stage__position", "stage__name", "created_at"
    ):
        i = index_of.get(account)
        top = won_position.get(pipeline)
        if i is None:
            continue
        fraction = min(1.0, (position - 1) / (top - 2)) if top is not None and top > 2 else 0.0
        days = max(0.0, (now - (entered.get(deal) or created)).total_seconds() / DAY)
        score = 40.0 + 60.0 * fraction
        score *= 0.2 if days > DEAD_DAYS else 0.5 if days > STALL_DAYS else 1.0
        if np.isnan(parts[i, 2]) or score > parts[i, 2]:
            parts[i, 2], stage_name[i], stage_days[i] = score, name, days

    active = ~np.isnan(parts[:, 2])
    recent_wins = Opportunity.objects.filter(status=Opportunity.Status.WON, closed_at__gt=now - timedelta(days=ACTIVE_WON_DAYS), closed_at__lte=now)
    for account in recent_wins.values_list("account_id", flat=True):
        if account in index_of:
            active[index_of[account]] = True

    overdue_days = np.full(n, np.nan)
    overdue_amount = np.zeros(n)
    today = now.astimezone(org_tz()).date()
    invoiced = set(Invoice.objects.filter(issued_on__lte=today).values_list("account_id", flat=True).distinct())
    for pk in invoiced:
        if pk in index_of:
            parts[index_of[pk], 3] = 100.0
    unpaid = Q(paid_on__isnull=True) | Q(paid_on__gt=today)
    for account, oldest in Invoice.objects.filter(unpaid, due_on__lt=today).order_by().values("account_id").annotate(
        oldest=Min("due_on")
    ).values_list("account_id", "oldest"):
        i = index_of.get(account)
        if i is not None:
            overdue_days[i] = (today - oldest).days
            parts[i, 3] = float(_ramp(np.array([overdue_days[i]]), 0.0, OVERDUE_ZERO_DAYS)[0])
    for account in Invoice.objects.filter(unpaid, issued_on__lte=today).values_list("account_id", flat=True):
        if account in index_of:
            active[index_of[account]] = True
    for account, amount in Invoice.objects.filter(unpaid, due_on__lt=today).values_list("account_id", "amount"):
        i = index_of.get(account)
        if i is not None:
            overdue_amount[i] += float(amount)

    weights = np.array([w for _c, _l, w in HEALTH_PARTS])
    present = ~np.isnan(parts)
    total_weight = (present * weights).sum(axis=1)
    index = np.where(total_weight > 0, np.nansum(parts * weights, axis=1) / np.where(total_weight > 0, total_weight, 1), np.nan)
    return HealthFrame(
        now=now, pks=pks, owner=owner, parts=parts, index=index, last_activity_days=activity_days, silence_days=silence_days,
        engagement=engagement, overdue_days=overdue_days, overdue_amount=overdue_amount, stage_name=stage_name, stage_days=stage_days,
        active=active,
    )  # fmt: skip


SLOT_SECONDS = 600
_frames = ProcessCache("insights.account_health", seconds=SLOT_SECONDS, shared=True)


def health_frame(*, now: datetime) -> HealthFrame:
    slot = datetime.fromtimestamp(int(now.timestamp()) // SLOT_SECONDS * SLOT_SECONDS, tz=now.tzinfo)
    return _frames.get(slot.isoformat(), lambda: health_frame_compute(now=slot))


@dataclass(frozen=True)
class AccountHealth:
    account_pk: int
    index: float
    parts: dict[str, float | None]
    reasons: list[str]  # weakest part first


@dataclass
class HealthList:
    now: datetime
    total: int
    rows: list[AccountHealth]  # the requested page, worst first
    histogram: list[int]  # accounts per band of BANDS
    median: float | None
    parts_used: list[str]  # codes of the parts that apply to at least one of the accounts


def _reasons(frame: HealthFrame, i: int) -> list[str]:
    found: list[tuple[float, str]] = []
    p = frame.parts[i]
    if p[0] < WEAK:
        days = frame.last_activity_days[i]
        found.append((p[0], _("从未有跟进记录") if np.isnan(days) else _("已 %(d)s 天没有跟进") % {"d": int(days)}))
    if not np.isnan(p[1]) and p[1] < WEAK:
        found.append((p[1], _("互动热度低（触点价值分 %(s).1f）") % {"s": frame.engagement[i]}))
    if not np.isnan(p[2]) and p[2] < WEAK:
        found.append((p[2], _("商机停在「%(stage)s」%(d)s 天") % {"stage": frame.stage_name[i], "d": int(frame.stage_days[i])}))
    if not np.isnan(p[3]) and p[3] < 100:
        found.append((p[3], _("应收逾期 %(d)s 天，共 ¥%(a)s") % {"d": int(frame.overdue_days[i]), "a": f"{frame.overdue_amount[i]:,.0f}"}))
    if not np.isnan(p[4]) and p[4] < WEAK:
        days = frame.silence_days[i]
        found.append((p[4], _("客户从未打开或点击过资料") if np.isnan(days) else _("客户 %(d)s 天没有任何互动") % {"d": int(days)}))
    found.sort(key=lambda item: item[0])
    return [text for _score, text in found]


def account_health_list(
    *, f: CockpitFilter, now: datetime, everyone: bool = False, account_ids: set[int] | None = None, band: int | None = None,
    offset: int = 0, limit: int = 50,
) -> HealthList:
    """The health of the accounts the filter's people own (optionally only those with deals of its pipeline/product
    line), worst first; by default only the customers in play (an open deal, an unpaid invoice or a win in the last
    year), with `everyone` all of them; `band` (0, 10, … 90) keeps one bin of the distribution."""
    frame = health_frame(now=now)
    keep = np.isin(frame.owner, np.fromiter(f.owner_ids, dtype=np.int64, count=len(f.owner_ids))) & ~np.isnan(frame.index)
    if not everyone:
        keep &= frame.active
    if f.pipeline is not None or f.product_line:
        deals = Opportunity.objects.filter(owner_id__in=list(f.owner_ids))
        if f.pipeline is not None:
            deals = deals.filter(pipeline=f.pipeline)
        if f.product_line:
            deals = deals.filter(product_line=f.product_line)
        wanted = np.fromiter(set(deals.values_list("account_id", flat=True)), dtype=np.int64)
        keep &= np.isin(frame.pks, wanted)
    if account_ids is not None:
        keep &= np.isin(frame.pks, np.fromiter(account_ids, dtype=np.int64, count=len(account_ids)))
    chosen = np.flatnonzero(keep)
    values = frame.index[chosen]
    bins = np.minimum((values // 10).astype(np.int64), 9)
    histogram = np.bincount(bins, minlength=10).tolist() if len(values) else [0] * 10
    median = float(np.median(values)) if len(values) else None
    used = [code for j, (code, _l, _w) in enumerate(HEALTH_PARTS) if len(chosen) and (~np.isnan(frame.parts[chosen, j])).any()]
    if band is not None:
        chosen = chosen[bins == band // 10]
        values = frame.index[chosen]
    order = chosen[np.lexsort((frame.pks[chosen], values))]
    rows = []
    for i in order[offset : offset + limit].tolist():
        rows.append(
            AccountHealth(
                account_pk=int(frame.pks[i]), index=float(frame.index[i]),
                parts={code: None if np.isnan(frame.parts[i, j]) else float(frame.parts[i, j]) for j, (code, _l, _w) in enumerate(HEALTH_PARTS)},
                reasons=_reasons(frame, i),
            )
        )  # fmt: skip
    return HealthList(now=frame.now, total=len(order), rows=rows, histogram=histogram, median=median, parts_used=used)


def health_parts() -> list[tuple[str, str, float]]:
    return [(code, _(label), weight) for code, label, weight in HEALTH_PARTS]

