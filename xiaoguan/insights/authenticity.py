"""Authenticity of activity records: how likely each record describes something that did not happen, and why.

No single habit gives a faker away: honest reps log late (same-evening write-ups, a Friday summary of real calls, a
phone syncing a day of offline visits, business cards after a trade fair) and lazy honest reps write the same empty
phrases. So each record collects independent pieces of evidence, each worth a fixed number of log-odds, and is flagged
only when several agree:

- back-filling: typed in a run with other records seconds to minutes apart whose claimed times span several days
  (a day's offline visits synced at once span one day, and are not evidence);
- the gap between claimed and typed time (late, or typed *before* it happened);
- a claimed duration that overlaps the same rep's other records;
- a check-in position far from the account's city, or impossible travel between consecutive positioned records
  (blamed on the less plausible record of the pair, so an honest visit next to an invented one keeps its name);
- no trace: the customer touched nothing (tracked documents, links) around it, the deal did not move, nobody else
  recorded anything with the account in those days;
- generic content, a weak hint only;
- the rep's own pattern: when a rep's share of suspicious records of one kind stands far above the organisation's
  typical rep, each of that rep's doubtful records counts a little more.

Everything is computed on whole columns (numpy), never record by record through the ORM: 3M activities in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from xiaoguan.activities.models import Activity
from xiaoguan.core.clock import org_tz
from xiaoguan.core.process_cache import ProcessCache
from xiaoguan.engagement.models import TouchEvent
from xiaoguan.geo.selectors import city_resolve
from xiaoguan.insights.selectors import (
    ActivityColumns,
    TraceColumns,
    account_cities,
    activity_columns,
    activity_external_ids,
    trace_columns,
    user_external_ids,
)
from xiaoguan.opportunities.models import StageHistory

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

HOUR = 3600
DAY = 86400
# Flag at this probability: the evidence must clearly outweigh the organisation's low base rate of invented records.
THRESHOLD = 0.6

# Log-odds. The prior says most records are real; each weight is how much one kind of evidence moves that belief.
PRIOR = -4.5
W_LATE_3H = 0.5
W_LATE_1D = 0.8  # on top of W_LATE_3H
W_BEFORE_IT_HAPPENED = 3.0
W_BACKFILL_BURST = 2.2
W_OVERLAP = 0.8
W_FAR_FROM_CITY = 3.0
W_FAR_FROM_CITY_MAX = 5.0  # reached at FAR_KM_MAX: a check-in in another province is hard to explain
W_TRAVEL_LINK = 1.6  # per impossible hop blamed on the record
W_NO_CUSTOMER_TRACE = 1.0
W_NOBODY_ELSE = 1.2
W_TRACE_SEEN = -0.8
W_GENERIC = 0.3
W_REP_PATTERN = 0.5  # per log-odds of the rep's excess share beyond one

BURST_GAP_S = 600  # typed at most 10 minutes after the previous record
BURST_MIN = 5
BEFORE_TOLERANCE_S = 12 * 60
FAR_KM = 100.0
FAR_KM_MAX = 500.0
TRAVEL_MIN_KM = 80.0
TRAVEL_MAX_KMH = 150.0
TOUCH_WINDOW_S = 7 * DAY
STAGE_WINDOW_S = 14 * DAY
OTHERS_WINDOW_S = 3 * DAY
SUSPICIOUS_LOGIT = -1.0  # "a doubtful record" when the rep's own pattern is measured
REP_SHRINK = 20.0  # a rep's share is pulled toward the typical rep's by this many pseudo-records
REP_MIN_RECORDS = 10


@dataclass
class Evidence:
    """Per-record features and the final log-odds, aligned with the ActivityColumns they came from."""

    gap: I64
    burst_n: I64
    burst_days: I64
    burst_minutes: F64
    overlap: B
    far_km: F64
    far: B
    travel_links: I64
    travel_kmh: F64
    travel_km: F64
    touches: I64
    stage_moves: I64
    others: I64
    has_target: B
    generic: B
    rep_share: F64
    typical_share: F64
    rep_boost: F64
    logit: F64

    @property
    def score(self) -> F64:
        return 1.0 / (1.0 + np.exp(-self.logit))


@dataclass(frozen=True)
class FlaggedActivity:
    pk: int
    activity_id: str
    owner_pk: int
    score: float
    reasons: list[str]


@dataclass(frozen=True)
class RepRate:
    activities: int
    flagged: int

    @property
    def rate(self) -> float:
        """Share of the rep's records flagged (0 when the rep recorded nothing)."""
        return self.flagged / self.activities if self.activities else 0.0


@dataclass
class AuthenticityReport:
    as_of: datetime
    threshold: float
    flagged: list[FlaggedActivity] = field(default_factory=list)
    by_rep: dict[int, RepRate] = field(default_factory=dict)  # owner pk -> figures
    user_ids: dict[int, str] = field(default_factory=dict)  # owner pk -> external id

    def as_dict(self, *, as_of_text: str) -> dict[str, Any]:
        """The JSON of spec/cli.md (external ids)."""
        return {
            "as_of": as_of_text,
            "flagged": [{"activity_id": f.activity_id, "score": round(f.score, 3), "reasons": f.reasons} for f in self.flagged],
            "by_rep": {
                self.user_ids.get(pk, str(pk)): {"activities": r.activities, "flagged": r.flagged, "rate": round(r.rate, 4)}
                for pk, r in sorted(self.by_rep.items(), key=lambda item: self.user_ids.get(item[0], ""))
            },
        }


def _haversine_km(lat1: F64, lng1: F64, lat2: F64, lng2: F64) -> F64:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat, dlng = p2 - p1, np.radians(lng2) - np.radians(lng1)
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlng / 2) ** 2
    return 12742.0 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))  # type: ignore[no-any-return]


def _count_near(keys_sorted: I64, entity: I64, at: I64, window: int) -> I64:
    """How many (entity, time) keys lie within ±window seconds of each (entity, at); entity 0 means none."""
    base = entity << 32
    lo = np.searchsorted(keys_sorted, base + np.maximum(at - window, 0), side="left")
    hi = np.searchsorted(keys_sorted, base + at + window, side="right")
    return np.where(entity > 0, hi - lo, 0).astype(np.int64)


def _keys(entity: I64, at: I64) -> I64:
    keep = entity > 0
    return np.sort((entity[keep] << 32) + at[keep])


def _city_coordinates(accounts: I64, cities: dict[int, str]) -> tuple[F64, F64]:
    """Coordinates of each record's account city (NaN when unknown): one lookup per distinct account."""
    uniq, inverse = np.unique(accounts, return_inverse=True)
    lat = np.full(len(uniq), np.nan)
    lng = np.full(len(uniq), np.nan)
    for i, pk in enumerate(uniq.tolist()):
        text = cities.get(pk)
        info = city_resolve(text) if text else None
        if info is not None:
            lat[i], lng[i] = info.lat, info.lng
    return lat[inverse], lng[inverse]


def evidence_compute(
    cols: ActivityColumns, traces: TraceColumns, cities: dict[int, str], *, utc_offset_s: int = 8 * HOUR
) -> Evidence:
    """Every piece of evidence for every record, and the combined log-odds that it did not happen."""
    n = len(cols)
    owner, occ, rec = cols.owner, cols.occurred, cols.recorded
    gap = rec - occ

    # Runs of typing: the same rep, each record typed within BURST_GAP_S of the previous one.
    by_typing = np.lexsort((rec, owner))
    o_s, r_s = owner[by_typing], rec[by_typing]
    new_run = np.ones(n, dtype=bool)
    new_run[1:] = (o_s[1:] != o_s[:-1]) | (r_s[1:] - r_s[:-1] > BURST_GAP_S)
    run = np.cumsum(new_run) - 1
    run_size = np.bincount(run)
    day = (occ[by_typing] + utc_offset_s) // DAY
    run_day = np.unique((run << 24) + (day - day.min() if n else day))
    run_days = np.bincount(run_day >> 24, minlength=len(run_size))
    starts = np.flatnonzero(new_run)
    ends = np.append(starts[1:], n) - 1 if n else starts
    run_minutes = (r_s[ends] - r_s[starts]) / 60.0
    burst_n = np.empty(n, dtype=np.int64)
    burst_days = np.empty(n, dtype=np.int64)
    burst_minutes = np.empty(n, dtype=np.float64)
    burst_n[by_typing], burst_days[by_typing], burst_minutes[by_typing] = run_size[run], run_days[run], run_minutes[run]
    backfill = (burst_n >= BURST_MIN) & (burst_days >= 2)

    # Claimed durations that overlap the same rep's other records.
    by_time = np.lexsort((occ, owner))
    o_t, occ_t = owner[by_time], occ[by_time]
    end_t = occ_t + cols.duration[by_time]
    rank = np.cumsum(np.r_[True, o_t[1:] != o_t[:-1]]) if n else np.zeros(0, dtype=np.int64)
    big = np.int64(1) << 36
    running_end = np.maximum.accumulate(rank * big + end_t) if n else end_t
    same_prev = np.r_[False, o_t[1:] == o_t[:-1]]
    prev_end = np.r_[np.int64(0), running_end[:-1] - rank[1:] * big] if n else end_t
    ovl_t = same_prev & (prev_end > occ_t)
    ovl_t[:-1] |= same_prev[1:] & (end_t[:-1] > occ_t[1:])
    overlap = np.empty(n, dtype=bool)
    overlap[by_time] = ovl_t

    # Check-in position against the account's city.
    acc_lat, acc_lng = _city_coordinates(cols.account, cities)
    far_km = _haversine_km(cols.lat, cols.lng, acc_lat, acc_lng)
    known_km = np.nan_to_num(far_km, nan=0.0)
    far = known_km > FAR_KM
    far_extra = np.clip((known_km - FAR_KM) / (FAR_KM_MAX - FAR_KM), 0.0, 1.0)

    # Traces of the customer and the deal.
    touches = _count_near(_keys(traces.touch_account, traces.touch_at), cols.account, occ, TOUCH_WINDOW_S)
    touches += _count_near(_keys(traces.touch_opportunity, traces.touch_at), cols.opportunity, occ, TOUCH_WINDOW_S)
    stage_moves = _count_near(_keys(traces.stage_opportunity, traces.stage_at), cols.opportunity, occ, STAGE_WINDOW_S)
    others = np.maximum(_count_near(_keys(cols.account, occ), cols.account, occ, OTHERS_WINDOW_S) - 1, 0)
    has_target = (cols.account > 0) | (cols.opportunity > 0)
    no_customer_trace = has_target & (touches == 0) & (stage_moves == 0)

    counts = np.bincount(cols.content, minlength=len(cols.contents))
    generic_content = counts >= max(20, int(0.0015 * n))
    generic_content[[i for i, text in enumerate(cols.contents) if not text.strip()]] = True
    generic = generic_content[cols.content] if n else np.zeros(0, dtype=bool)

    logit = np.full(n, PRIOR)
    logit += W_LATE_3H * (gap > 3 * HOUR) + W_LATE_1D * (gap > DAY)
    logit += W_BEFORE_IT_HAPPENED * (gap < -BEFORE_TOLERANCE_S)
    logit += (
        W_BACKFILL_BURST * backfill
        + W_OVERLAP * overlap
        + W_FAR_FROM_CITY * far
        + (W_FAR_FROM_CITY_MAX - W_FAR_FROM_CITY) * far_extra
    )
    logit += W_NO_CUSTOMER_TRACE * no_customer_trace + W_NOBODY_ELSE * (no_customer_trace & (others == 0))
    logit += W_TRACE_SEEN * (has_target & ~no_customer_trace)
    logit += W_GENERIC * generic

    # Impossible travel between consecutive positioned records of one rep, blamed on the less plausible of the two.
    travel_links = np.zeros(n, dtype=np.int64)
    travel_kmh = np.zeros(n, dtype=np.float64)
    travel_km = np.zeros(n, dtype=np.float64)
    placed = by_time[~np.isnan(cols.lat[by_time])]
    if len(placed) > 1:
        a, b = placed[:-1], placed[1:]
        km = _haversine_km(cols.lat[a], cols.lng[a], cols.lat[b], cols.lng[b])
        hours = np.maximum(np.abs(occ[b] - occ[a]) / HOUR, 0.1)
        kmh = km / hours
        bad = (owner[a] == owner[b]) & (km > TRAVEL_MIN_KM) & (kmh > TRAVEL_MAX_KMH)
        blame_a = bad & (logit[a] >= logit[b] - 0.5)
        blame_b = bad & (logit[b] >= logit[a] - 0.5)
        for ends_, blame in ((a, blame_a), (b, blame_b)):
            np.add.at(travel_links, ends_[blame], 1)
            np.maximum.at(travel_kmh, ends_[blame], kmh[blame])
            np.maximum.at(travel_km, ends_[blame], km[blame])
    logit += W_TRAVEL_LINK * travel_links

    # The rep's own pattern against the typical rep's, per kind of record.
    group = owner * 64 + cols.kind
    groups, ginv = np.unique(group, return_inverse=True)
    g_n = np.bincount(ginv).astype(np.float64)
    g_sus = np.bincount(ginv, weights=(logit >= SUSPICIOUS_LOGIT).astype(np.float64))
    g_kind = groups % 64
    typical = np.zeros(len(cols.kinds) or 1)
    for k in range(len(cols.kinds)):
        sel = (g_kind == k) & (g_n >= REP_MIN_RECORDS)
        typical[k] = float(np.median(g_sus[sel] / g_n[sel])) if sel.any() else 0.0
    g_typical = typical[g_kind] if len(groups) else np.zeros(0)
    g_share = np.clip((g_sus + REP_SHRINK * g_typical) / (g_n + REP_SHRINK), 0.005, 0.995)
    base = np.maximum(g_typical, 0.005)
    lift = np.log(g_share / (1 - g_share)) - np.log(base / (1 - base))
    g_boost = W_REP_PATTERN * np.maximum(lift - 1.0, 0.0)
    rep_boost = g_boost[ginv] if n else np.zeros(0)
    logit += rep_boost

    return Evidence(
        gap=gap, burst_n=burst_n, burst_days=burst_days, burst_minutes=burst_minutes, overlap=overlap,
        far_km=far_km, far=far, travel_links=travel_links, travel_kmh=travel_kmh, travel_km=travel_km,
        touches=touches, stage_moves=stage_moves, others=others, has_target=has_target, generic=generic,
        rep_share=(g_sus / g_n)[ginv] if n else np.zeros(0), typical_share=g_typical[ginv] if n else np.zeros(0),
        rep_boost=rep_boost, logit=logit,
    )  # fmt: skip


def _reason_texts() -> dict[str, str]:
    """The reasons' wording, translated once per report (a gettext call per flagged record costs more than the scoring)."""
    return {
        "days": _("%(n)s 天"),
        "hours": _("%(n)s 小时"),
        "before": _("录入时间比声称的发生时间还早 %(d)s"),
        "burst": _("与另外 %(k)s 条记录在 %(m)s 分钟内连续录入，声称发生在 %(days)s 个不同日期（集中补录）"),
        "far": _("签到位置距客户所在城市 %(km)s 公里"),
        "travel": _("与本人相邻的定位记录相距 %(km)s 公里，需以约 %(v)s 公里/小时移动"),
        "nothing": _("前后 7 天客户无任何触点行为、商机前后 14 天无阶段变化、前后 3 天无其他跟进记录"),
        "no_customer": _("前后 7 天客户无任何触点行为，商机前后 14 天无阶段变化"),
        "late": _("发生 %(d)s后才录入"),
        "overlap": _("声称的时长与本人其他记录的时间重叠"),
        "pattern": _("该销售同类记录中 %(p)s%% 有类似疑点（同事中位数 %(m)s%%）"),
        "generic": _("内容为高频套话「%(text)s」"),
        "empty": _("内容为空"),
    }


def _duration_text(seconds: int, texts: dict[str, str]) -> str:
    if seconds >= 2 * DAY:
        return texts["days"] % {"n": seconds // DAY}
    return texts["hours"] % {"n": max(seconds // HOUR, 1)}


def reasons_for(
    ev: Evidence, i: int, *, contents: list[str], content_code: int, texts: dict[str, str] | None = None
) -> list[str]:
    """Why record i looks invented, strongest evidence first, in the organisation's language."""
    t = texts or _reason_texts()
    out: list[tuple[float, str]] = []
    gap = int(ev.gap[i])
    if gap < -BEFORE_TOLERANCE_S:
        out.append((W_BEFORE_IT_HAPPENED, t["before"] % {"d": _duration_text(-gap, t)}))
    if ev.burst_n[i] >= BURST_MIN and ev.burst_days[i] >= 2:
        minutes = max(1, round(float(ev.burst_minutes[i])))
        out.append((W_BACKFILL_BURST, t["burst"] % {"k": int(ev.burst_n[i]) - 1, "m": minutes, "days": int(ev.burst_days[i])}))
    if ev.far[i]:
        out.append((W_FAR_FROM_CITY_MAX, t["far"] % {"km": round(float(ev.far_km[i]))}))
    if ev.travel_links[i]:
        hop = {"km": round(float(ev.travel_km[i])), "v": round(float(ev.travel_kmh[i]))}
        out.append((W_TRAVEL_LINK * float(ev.travel_links[i]), t["travel"] % hop))
    if ev.has_target[i] and ev.touches[i] == 0 and ev.stage_moves[i] == 0:
        if ev.others[i] == 0:
            out.append((W_NO_CUSTOMER_TRACE + W_NOBODY_ELSE, t["nothing"]))
        else:
            out.append((W_NO_CUSTOMER_TRACE, t["no_customer"]))
    if gap > DAY:
        out.append((W_LATE_3H + W_LATE_1D, t["late"] % {"d": _duration_text(gap, t)}))
    elif gap > 3 * HOUR:
        out.append((W_LATE_3H, t["late"] % {"d": _duration_text(gap, t)}))
    if ev.overlap[i]:
        out.append((W_OVERLAP, t["overlap"]))
    if ev.rep_boost[i] > 0:
        share = {"p": round(100 * float(ev.rep_share[i])), "m": round(100 * float(ev.typical_share[i]), 1)}
        out.append((float(ev.rep_boost[i]), t["pattern"] % share))
    if ev.generic[i]:
        text = contents[content_code].strip()
        out.append((W_GENERIC, t["generic"] % {"text": text[:30]} if text else t["empty"]))
    out.sort(key=lambda item: -item[0])
    return [text for _w, text in out]


def authenticity_report(*, as_of: datetime, database: str = "default", threshold: float = THRESHOLD) -> AuthenticityReport:
    """Score every activity recorded before `as_of`; flag those at or above `threshold`, each with its reasons."""
    cols = activity_columns(before=as_of, database=database)
    traces = trace_columns(before=as_of, database=database)
    offset = as_of.astimezone(org_tz()).utcoffset()
    ev = evidence_compute(
        cols, traces, account_cities(database=database), utc_offset_s=int(offset.total_seconds()) if offset else 8 * HOUR
    )
    score = ev.score
    hit = np.flatnonzero(score >= threshold)
    hit = hit[np.argsort(-score[hit], kind="stable")]
    pks = cols.pk[hit].tolist()
    external = activity_external_ids(pks=pks, database=database)
    report = AuthenticityReport(as_of=as_of, threshold=threshold, user_ids=user_external_ids(database=database))
    texts = _reason_texts()
    for i, pk in zip(hit.tolist(), pks, strict=True):
        reasons = reasons_for(ev, i, contents=cols.contents, content_code=int(cols.content[i]), texts=texts)
        report.flagged.append(
            FlaggedActivity(
                pk=pk, activity_id=external.get(pk, str(pk)), owner_pk=int(cols.owner[i]), score=float(score[i]), reasons=reasons
            )
        )
    owners, totals = np.unique(cols.owner, return_counts=True)
    flagged_per_owner = dict(zip(*np.unique(cols.owner[hit], return_counts=True), strict=True))
    for pk, total in zip(owners.tolist(), totals.tolist(), strict=True):
        report.by_rep[pk] = RepRate(activities=total, flagged=int(flagged_per_owner.get(pk, 0)))
    return report


def authenticity_flagged_in(cols: ActivityColumns, *, as_of: datetime, threshold: float = THRESHOLD) -> dict[int, float]:
    """Activity pk -> score of the flagged records among `cols`, a recent window of records scored on that window alone.

    For analyses of a window (target calibration's effective reach): reading only the window costs a fraction of the
    whole history. The traces (touches, stage moves) start TOUCH/STAGE_WINDOW before the window's first record so a
    record at its start still sees the customer's reactions around it; the rep's own pattern is measured on the window.
    """
    if not len(cols):
        return {}
    first = datetime.fromtimestamp(int(cols.recorded.min()), tz=UTC) - timedelta(seconds=max(TOUCH_WINDOW_S, STAGE_WINDOW_S))
    traces = trace_columns(before=as_of, since=first)
    offset = as_of.astimezone(org_tz()).utcoffset()
    ev = evidence_compute(cols, traces, account_cities(), utc_offset_s=int(offset.total_seconds()) if offset else 8 * HOUR)
    score = ev.score
    hit = np.flatnonzero(score >= threshold)
    return dict(zip(cols.pk[hit].tolist(), score[hit].tolist(), strict=True))


def authenticity_flagged_since(*, as_of: datetime, since: datetime, threshold: float = THRESHOLD) -> dict[int, float]:
    """The flagged records typed in [since, as_of), scored on that window (authenticity_flagged_in)."""
    return authenticity_flagged_in(activity_columns(before=as_of, since=since), as_of=as_of, threshold=threshold)


# Pages ask often and the answer moves slowly: one computation per 10-minute slot, dropped when records change here.
_reports = ProcessCache("insights.authenticity", seconds=600, models=(Activity, TouchEvent, StageHistory))
SLOT = timedelta(minutes=10)


def authenticity_report_recent(*, now: datetime) -> AuthenticityReport:
    """The report as of the start of the current 10-minute slot (what the manager pages show)."""
    slot = now - timedelta(seconds=now.timestamp() % SLOT.total_seconds())
    # Keyed by language too: the reasons are written in the reader's language.
    return _reports.get(f"{get_language()}:{slot.isoformat()}", lambda: authenticity_report(as_of=slot))
