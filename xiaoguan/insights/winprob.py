"""Win probability of every open deal: P(won by `until` | what was known at `as_of`), with the reasons.

How it learns without peeking: the model is trained on *past snapshots* of the pipeline. For weekly instants t before
as_of, every deal open at t is described only by what had been recorded before t (its stage then and how long it had
sat there, the customer's touch events, the rep's activities and the evidence they name, the rep's record of closed
deals before t …) and labelled by whether it was won within the same horizon after t. Only snapshots whose whole
horizon ended before as_of are used, so no label comes from after the as-of day. The open deals at as_of are then
described the same way and scored.

The model is a regularised logistic regression (scikit-learn) on a few log-scaled numbers per deal (time in the
stage, the speed of the stages already left, the customer's reactions to what was sent, the rep's record, recent
follow-ups, behaviours named in the logs), with the time numbers once more per stage: time hurts differently in each.
Gradient-boosted trees and more features were tried and did worse on held-out as-of days of the sample worlds. Log
loss keeps the outputs probabilities that the forecast can add up. Reasons are the model's own terms: for each group
of inputs, how far it pulls this deal's log-odds from an average deal's, said in Chinese with the deal's figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from django.db.models import Max

from xiaoguan.core.clock import clock_today, day_start
from xiaoguan.core.process_cache import ProcessCache
from xiaoguan.insights.behaviour import rule_matcher
from xiaoguan.insights.selectors import DealColumns, deal_columns
from xiaoguan.opportunities.models import Opportunity, Stage, StageHistory

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
DAY = 86_400
DEFAULT_HORIZON_DAYS = 92
SNAPSHOT_STEP_DAYS = 7
WARM_UP_DAYS = 45  # snapshots this close to the first deal see a pipeline still filling up
MIN_TRAINING_ROWS = 150
MAX_ROWS_PER_SNAPSHOT = 1500
TRAINING_YEARS_DAYS = 365  # snapshots from the last year before the horizon: older habits say less, and cost more
REP_PRIOR_DEALS = 12.0  # a rep's win rate is shrunk toward everyone's as if they had this many more closed deals
RECENT_DAYS = 14
CUSTOMER_TOUCHES = ("opened", "clicked", "downloaded", "meeting_booked")

@dataclass(frozen=True)
class DealScore:
    opportunity_pk: int
    probability: float  # P(won by `until`), 0..1
    reasons: list[str]  # Chinese, strongest first


@dataclass(frozen=True)
class _History:
    """What the database knew at as_of, arranged for fast "as of t" questions (t ≤ as_of)."""

    deals: DealColumns
    # per deal row: sorted event keys (row * 2^40 + epoch seconds) by event family
    entry_keys: I64
    entry_position: I64
    touch_keys: dict[str, I64]  # "any", "customer", "opened", "clicked", "downloaded", "meeting_booked", "sent"
    activity_keys: dict[str, I64]  # "any", per behaviour code (by recorded time)
    behaviour_labels: dict[str, str]
    positions: dict[int, dict[int, str]]  # pipeline pk -> position -> stage name


SHIFT = 1 << 40


def _keys(rows: I64, times: I64) -> I64:
    keys = rows.astype(np.int64) * SHIFT + times.astype(np.int64)
    keys.sort()
    return keys


def _count_between(keys: I64, rows: I64, start: I64 | int, end: I64 | int) -> I64:
    """Events of each deal row with start <= time < end."""
    base = rows.astype(np.int64) * SHIFT
    return np.searchsorted(keys, base + end, side="left") - np.searchsorted(keys, base + start, side="left")  # type: ignore[no-any-return]


def _first_after(keys: I64, rows: I64, start: int) -> I64:
    """Time of each deal row's first event at or after `start`, or -1."""
    base = rows.astype(np.int64) * SHIFT
    i = np.searchsorted(keys, base + start, side="left")
    out = np.full(len(rows), -1, dtype=np.int64)
    ok = (i < len(keys)) & (keys[np.clip(i, 0, len(keys) - 1)] < base + SHIFT) if len(keys) else np.zeros(len(rows), dtype=bool)
    out[ok] = keys[i[ok]] - base[ok]
    return out


def _last_before(keys: I64, rows: I64, end: int) -> I64:
    """Time of each deal row's last event before `end`, or -1."""
    base = rows.astype(np.int64) * SHIFT
    i = np.searchsorted(keys, base + end, side="left") - 1
    ok = (i >= 0) & (keys[np.clip(i, 0, None)] >= base) if len(keys) else np.zeros(len(rows), dtype=bool)
    out = np.full(len(rows), -1, dtype=np.int64)
    if len(keys):
        out[ok] = keys[i[ok]] - base[ok]
    return out


def _history(as_of: datetime) -> _History:
    deals = deal_columns(before=as_of)

    def row_of(pks: I64) -> I64:
        """Deal row of each pk (deals come sorted by pk), -1 for a deal not in the columns."""
        if not len(deals.pk):
            return np.full(len(pks), -1, dtype=np.int64)
        at = np.clip(np.searchsorted(deals.pk, pks), 0, len(deals.pk) - 1)
        return np.where(deals.pk[at] == pks, at, -1)

    entry_rows = row_of(deals.entry_opportunity) if len(deals.entry_opportunity) else np.zeros(0, dtype=np.int64)
    order = np.lexsort((deals.entry_at, entry_rows))
    entry_rows, entry_at, entry_pos = entry_rows[order], deals.entry_at[order], deals.entry_position[order]
    keep = entry_rows >= 0
    entry_keys = entry_rows[keep] * SHIFT + entry_at[keep]

    # Touch events count for the deal they name (one naming only an account could be about any of its deals).
    touch_rows = row_of(deals.touch_opportunity) if len(deals.touch_opportunity) else np.zeros(0, dtype=np.int64)
    touch_keys: dict[str, I64] = {"any": _keys(touch_rows[touch_rows >= 0], deals.touch_at[touch_rows >= 0])}
    for kind in ("sent", "opened", "clicked", "downloaded", "meeting_booked"):
        code = deals.touch_kinds.index(kind)
        m = (touch_rows >= 0) & (deals.touch_kind == code)
        touch_keys[kind] = _keys(touch_rows[m], deals.touch_at[m])
    customer = np.isin(deals.touch_kind, [deals.touch_kinds.index(k) for k in CUSTOMER_TOUCHES]) & (touch_rows >= 0)
    touch_keys["customer"] = _keys(touch_rows[customer], deals.touch_at[customer])

    activity_keys, behaviour_labels = _activity_keys(deals, row_of(deals.activity_opportunity))
    positions: dict[int, dict[int, str]] = {}
    for pipeline_id, position, name in Stage.objects.values_list("pipeline_id", "position", "name"):
        positions.setdefault(pipeline_id, {})[position] = name
    return _History(
        deals=deals, entry_keys=entry_keys, entry_position=entry_pos[keep], touch_keys=touch_keys,
        activity_keys=activity_keys, behaviour_labels=behaviour_labels, positions=positions,
    )  # fmt: skip


def _activity_keys(deals: DealColumns, rows: I64) -> tuple[dict[str, I64], dict[str, str]]:
    on_deal = rows >= 0
    rows, recorded = rows[on_deal], deals.activity_recorded[on_deal]
    kind, content = deals.activity_kind[on_deal], deals.activity_content[on_deal]
    keys: dict[str, I64] = {"any": _keys(rows, recorded)}
    # The behaviours of the cockpit's behaviour table (insights/behaviour.py: the one place their rules live), found
    # once per distinct (kind, text) pair.
    matcher = rule_matcher()
    n_texts = max(len(deals.activity_texts), 1)
    pairs, pair_of = np.unique(kind * n_texts + content, return_inverse=True)
    masks = np.array(
        [matcher.mask(kind=deals.activity_kinds[int(p) // n_texts], content=deals.activity_texts[int(p) % n_texts]) for p in pairs],
        dtype=np.int64,
    ).reshape(-1)
    labels: dict[str, str] = {}
    for bit, rule in enumerate(matcher.rules):
        if f"kw:{rule.code}" not in MODEL_NUMBERS:
            continue
        labels[rule.code] = str(rule.label)
        m = ((masks[pair_of] >> bit) & 1).astype(bool) if len(pair_of) else np.zeros(0, dtype=bool)
        keys[f"kw:{rule.code}"] = _keys(rows[m], recorded[m])
    return keys, labels


# ---- features of the deals open at an instant t ---------------------------------------------------------------------

@dataclass(frozen=True)
class _Snapshot:
    rows: I64  # deal rows open at t
    x: F64
    names: list[str]


def _open_rows(h: _History, t: int) -> I64:
    d = h.deals
    return np.flatnonzero((d.created < t) & ((d.closed == 0) | (d.closed >= t)))


def _features(h: _History, t: int, rows: I64) -> _Snapshot:
    d = h.deals
    cols: dict[str, F64] = {}
    # Where the deal stood at t: the last stage it had entered, and since when.
    entered = _last_before(h.entry_keys, rows, t)
    n_entries = _count_between(h.entry_keys, rows, 0, t)
    last_index = np.searchsorted(h.entry_keys, rows * SHIFT + t, side="left") - 1
    has_entry = entered >= 0
    stage = np.ones(len(rows))
    if len(h.entry_position):
        stage[has_entry] = h.entry_position[last_index[has_entry]]
    since = np.where(has_entry, entered, d.created[rows])
    age = (t - d.created[rows]) / DAY
    cols["pipeline"] = d.pipeline[rows].astype(np.float64)
    cols["stage"] = stage
    cols["days_in_stage"] = (t - since) / DAY
    cols["age_days"] = age
    cols["stages_entered"] = n_entries.astype(np.float64)
    # How long the stages it has already left took: the deal's own speed, not blurred by the stay still under way.
    first_entered = _first_after(h.entry_keys, rows, 0)
    finished = np.maximum(n_entries - 1, 0)
    span = np.where((finished > 0) & (first_entered >= 0), since - first_entered, 0)
    cols["past_stage_days"] = np.where(finished > 0, span / np.maximum(finished, 1) / DAY, np.nan)

    closed_before = (d.closed > 0) & (d.closed < t)
    size = int(d.owner.max(initial=0)) + 1
    rep_closed = np.bincount(d.owner[closed_before], minlength=size).astype(np.float64)
    rep_won = np.bincount(d.owner[closed_before & d.won], minlength=size).astype(np.float64)
    overall = rep_won.sum() / max(rep_closed.sum(), 1.0)
    rate = (rep_won + REP_PRIOR_DEALS * overall) / (rep_closed + REP_PRIOR_DEALS)
    cols["rep_win_rate"] = rate[d.owner[rows]]

    tk = h.touch_keys
    cols["touch_all"] = _count_between(tk["any"], rows, 0, t).astype(np.float64)
    for kind in ("sent", "opened", "clicked", "downloaded", "meeting_booked"):
        cols[kind] = _count_between(tk[kind], rows, 0, t).astype(np.float64)
    # What the customer did (not what we sent): opening, clicking, downloading, booking.
    cols["customer_silent_days"] = _silent_days(_last_before(tk["customer"], rows, t), since_created=age, t=t)
    cols["customer_per_sent"] = (cols["opened"] + cols["clicked"] + cols["downloaded"] + cols["meeting_booked"]) / np.maximum(cols["sent"], 1)
    ak = h.activity_keys
    cols["act_recent"] = _count_between(ak["any"], rows, t - RECENT_DAYS * DAY, t).astype(np.float64)
    for code in h.behaviour_labels:
        cols[f"kw:{code}"] = _count_between(ak[f"kw:{code}"], rows, 0, t).astype(np.float64)
    names = list(cols)
    return _Snapshot(rows=rows, x=np.column_stack([cols[n] for n in names]) if len(rows) else np.zeros((0, len(names))), names=names)


def _silent_days(last: I64, *, since_created: F64, t: int) -> F64:
    """Days since the last event; a deal that never had one counts from its creation."""
    return np.where(last >= 0, (t - last) / DAY, since_created)


# ---- the model ------------------------------------------------------------------------------------------------------

# What the model reads (measured on the sample worlds at several as-of days: more features made it worse, not better).
# The amount is not among them: a won deal's stored amount is its final contract value (after the discount), an open
# or lost deal's is the list amount, so the amount would tell the model which training deals were won.
MODEL_NUMBERS = (
    "days_in_stage", "age_days", "stages_entered", "past_stage_days", "customer_silent_days", "touch_all",
    "customer_per_sent", "rep_win_rate", "act_recent",
    "kw:competitor_analysis", "kw:case_report", "kw:sample_trial", "kw:price_comparison",
)  # fmt: skip
# Time hurts differently in each stage: these numbers also enter once per (pipeline, stage).
PER_STAGE = ("days_in_stage", "past_stage_days", "customer_silent_days", "age_days")
REGULARISATION_C = 0.1


@dataclass(frozen=True)
class _Design:
    """Raw feature rows -> the model's inputs: log1p of the numbers (gaps -> the training median), a one-hot of
    (pipeline, stage), the per-stage copies of the time numbers, all standardised on the training rows."""

    names: list[str]  # raw feature names
    columns: list[int]  # raw column of each model number
    medians: F64
    stages: list[tuple[float, float]]  # (pipeline, stage) of each one-hot column
    mean: F64
    scale: F64

    @classmethod
    def fit(cls, x: F64, names: list[str]) -> _Design:
        columns = [names.index(n) for n in MODEL_NUMBERS]
        logs = np.log1p(np.maximum(x[:, columns], 0))
        medians = np.nan_to_num(np.nanmedian(logs, axis=0)) if len(x) else np.zeros(len(columns))
        pipe, stage = x[:, names.index("pipeline")], x[:, names.index("stage")]
        stages = sorted({(float(a), float(b)) for a, b in zip(pipe, stage, strict=True)})
        draft = cls(names=names, columns=columns, medians=medians, stages=stages, mean=np.zeros(0), scale=np.zeros(0))
        raw = draft._raw(x)
        scale = raw.std(axis=0)
        return cls(names=names, columns=columns, medians=medians, stages=stages, mean=raw.mean(axis=0), scale=np.where(scale > 0, scale, 1.0))

    def _raw(self, x: F64) -> F64:
        logs = np.log1p(np.maximum(x[:, self.columns], 0))
        logs = np.where(np.isnan(logs), self.medians, logs)
        pipe, stage = x[:, self.names.index("pipeline")], x[:, self.names.index("stage")]
        onehot = np.column_stack([(pipe == a) & (stage == b) for a, b in self.stages]).astype(np.float64)
        per_stage = [onehot * logs[:, [MODEL_NUMBERS.index(n)]] for n in PER_STAGE]
        return np.hstack([logs, onehot, *per_stage])

    def transform(self, x: F64) -> F64:
        return (self._raw(x) - self.mean) / self.scale

    def groups(self) -> dict[str, list[int]]:
        """Model inputs by the reason they speak to (see `REASON_GROUPS`)."""
        n, k = len(MODEL_NUMBERS), len(self.stages)
        out: dict[str, list[int]] = {}
        for i, name in enumerate(MODEL_NUMBERS):
            out.setdefault(REASON_OF[name], []).append(i)
        out.setdefault("stage", []).extend(range(n, n + k))
        for j, name in enumerate(PER_STAGE):
            out[REASON_OF[name]].extend(range(n + k * (j + 1), n + k * (j + 2)))
        return out


REASON_OF = {
    "days_in_stage": "time", "age_days": "time", "stages_entered": "time", "past_stage_days": "time",
    "customer_silent_days": "customer", "touch_all": "customer", "customer_per_sent": "customer",
    "rep_win_rate": "rep", "act_recent": "activity",
    "kw:competitor_analysis": "kw:competitor_analysis", "kw:case_report": "kw:case_report",
    "kw:sample_trial": "kw:sample_trial", "kw:price_comparison": "kw:price_comparison",
}  # fmt: skip


@dataclass(frozen=True)
class _Fitted:
    design: _Design
    coef: F64
    intercept: float

    def logit(self, x: F64) -> F64:
        return self.design.transform(x) @ self.coef + self.intercept  # type: ignore[no-any-return]

    def predict(self, x: F64) -> F64:
        return 1.0 / (1.0 + np.exp(-self.logit(x)))  # type: ignore[no-any-return]


def _fit(x: F64, y: npt.NDArray[np.bool_], names: list[str]) -> _Fitted:
    from sklearn.linear_model import LogisticRegression

    design = _Design.fit(x, names)
    model = LogisticRegression(C=REGULARISATION_C, max_iter=3000).fit(design.transform(x), y)
    return _Fitted(design=design, coef=model.coef_[0].astype(np.float64), intercept=float(model.intercept_[0]))


@dataclass(frozen=True)
class WinModel:
    """A model fitted for one as-of instant and one horizon, and the open deals it scores."""

    as_of: datetime
    horizon_days: int
    snapshot: _Snapshot  # the deals open at as_of
    probability: F64  # per snapshot row
    base_rate: float  # share of training deals won within the horizon
    training_rows: int
    history: _History
    fitted: _Fitted | None  # None: too little history, base rates by stage instead
    stage_rates: dict[tuple[float, float], float]  # (pipeline, stage) -> share won within the horizon, in training
    typical_stay: dict[tuple[float, float], float]  # (pipeline, stage) -> median days in stage, in training
    peers: dict[tuple[float, float], F64]  # (pipeline, stage) -> the model inputs of an average training deal there

    def pk_of(self, row: int) -> int:
        return int(self.history.deals.pk[self.snapshot.rows[row]])


def _training(h: _History, *, as_of_epoch: int, horizon: int) -> tuple[F64, npt.NDArray[np.bool_], list[str], I64]:
    d = h.deals
    first = int(d.created.min(initial=as_of_epoch))
    xs: list[F64] = []
    ys: list[npt.NDArray[np.bool_]] = []
    ts: list[I64] = []
    names: list[str] = []
    t = as_of_epoch - horizon
    oldest = max(first + WARM_UP_DAYS * DAY, t - TRAINING_YEARS_DAYS * DAY)
    rng = np.random.default_rng(0)  # the same sample every time: the same data gives the same model
    while t > oldest:
        rows = _open_rows(h, t)
        if len(rows) > MAX_ROWS_PER_SNAPSHOT:  # a big pipeline: a sample of each week says as much, far cheaper
            rows = np.sort(rng.choice(rows, MAX_ROWS_PER_SNAPSHOT, replace=False))
        if len(rows):
            snap = _features(h, t, rows)
            names = snap.names
            closed = d.closed[rows]
            xs.append(snap.x)
            ys.append(d.won[rows] & (closed >= t) & (closed < t + horizon))
            ts.append(np.full(len(rows), t, dtype=np.int64))
        t -= SNAPSHOT_STEP_DAYS * DAY
    if not xs:
        return np.zeros((0, 0)), np.zeros(0, dtype=bool), names, np.zeros(0, dtype=np.int64)
    return np.vstack(xs), np.concatenate(ys), names, np.concatenate(ts)


def horizon_days_of(*, as_of: datetime, until: datetime | None) -> int:
    end = until or as_of + timedelta(days=DEFAULT_HORIZON_DAYS)
    return max(1, math.ceil((end - as_of).total_seconds() / DAY))


def win_model(*, as_of: datetime, until: datetime | None = None) -> WinModel:
    """Fit on past snapshots and score the deals open at as_of (cached per process for the same data)."""
    horizon_days = horizon_days_of(as_of=as_of, until=until)
    key = f"{as_of.isoformat()}:{horizon_days}:{_data_signature()}"
    return _models.get(key, lambda: _win_model(as_of=as_of, horizon_days=horizon_days))


_models = ProcessCache("insights.win_models", seconds=600.0, models=())


def _data_signature() -> str:
    """Changes when deals or stage entries change: a cached model is for the data it saw."""
    deals = Opportunity.objects.aggregate(n=Max("pk"), u=Max("updated_at"))
    entries = StageHistory.objects.aggregate(n=Max("pk"))
    return f"{deals['n']}:{deals['u']}:{entries['n']}"


def _win_model(*, as_of: datetime, horizon_days: int) -> WinModel:
    h = _history(as_of)
    t = int(as_of.timestamp())
    snapshot = _features(h, t, _open_rows(h, t))
    x, y, names, _times = _training(h, as_of_epoch=t, horizon=horizon_days * DAY)
    base = float(y.mean()) if len(y) else 0.2
    stage_rates: dict[tuple[float, float], float] = {}
    typical_stay: dict[tuple[float, float], float] = {}
    if len(y):
        pipe, stage, stay = (x[:, names.index(n)] for n in ("pipeline", "stage", "days_in_stage"))
        for key in {(float(a), float(b)) for a, b in zip(pipe, stage, strict=True)}:
            m = (pipe == key[0]) & (stage == key[1])
            stage_rates[key] = float((y[m].sum() + 2 * base) / (m.sum() + 2))
            typical_stay[key] = float(np.median(stay[m]))
    fitted = _fit(x, y, names) if len(y) >= MIN_TRAINING_ROWS and 0 < y.sum() < len(y) else None
    peers: dict[tuple[float, float], F64] = {}
    if fitted is not None:
        z = fitted.design.transform(x)
        for key in stage_rates:
            peers[key] = z[(pipe == key[0]) & (stage == key[1])].mean(axis=0)
    if fitted is not None and len(snapshot.rows):
        probability = fitted.predict(snapshot.x)
    else:
        sn = snapshot.names
        keys = [(float(a), float(b)) for a, b in zip(snapshot.x[:, sn.index("pipeline")], snapshot.x[:, sn.index("stage")], strict=True)] if len(snapshot.rows) else []
        probability = np.array([stage_rates.get(k, base) for k in keys], dtype=np.float64)
    return WinModel(
        as_of=as_of, horizon_days=horizon_days, snapshot=snapshot, probability=probability, base_rate=base,
        training_rows=len(y), history=h, fitted=fitted, stage_rates=stage_rates, typical_stay=typical_stay, peers=peers,
    )  # fmt: skip


def win_scores(*, as_of: datetime, until: datetime | None = None) -> dict[int, DealScore]:
    """Every deal open at as_of (keyed by opportunity pk) with P(won by until) and its reasons."""
    model = win_model(as_of=as_of, until=until)
    reasons = win_reasons(model)
    return {
        model.pk_of(i): DealScore(opportunity_pk=model.pk_of(i), probability=float(p), reasons=reasons[i])
        for i, p in enumerate(model.probability)
    }


# ---- reasons --------------------------------------------------------------------------------------------------------

MAX_REASONS = 4
MIN_REASON_LOGIT = 0.12  # smaller pulls than this are not worth a line


def win_reasons(model: WinModel) -> list[list[str]]:
    """Per open deal: its stage and the stage's usual rate, then the strongest pulls up (↑) or down (↓) against an
    average training deal in the same stage, each with the deal's own figures."""
    snap = model.snapshot
    if not len(snap.rows):
        return []
    col = {n: snap.x[:, i] for i, n in enumerate(snap.names)}
    contributions: dict[str, F64] = {}
    if model.fitted is not None:
        z = model.fitted.design.transform(snap.x)
        keys = zip(col["pipeline"], col["stage"], strict=True)
        reference = np.array([model.peers.get((float(a), float(b)), np.zeros(z.shape[1])) for a, b in keys]).reshape(z.shape)
        pulls = (z - reference) * model.fitted.coef
        contributions = {g: pulls[:, idx].sum(axis=1) for g, idx in model.fitted.design.groups().items() if g != "stage"}
    positions = model.history.positions
    out: list[list[str]] = []
    for i in range(len(snap.rows)):
        key = (float(col["pipeline"][i]), float(col["stage"][i]))
        stage_name = positions.get(int(key[0]), {}).get(int(key[1]), f"第{int(key[1])}阶段")
        reasons = [f"处于「{stage_name}」：同阶段商机 {model.horizon_days} 天内赢单约 {model.stage_rates.get(key, model.base_rate):.0%}"]
        ranked = sorted(((g, float(c[i])) for g, c in contributions.items()), key=lambda gc: -abs(gc[1]))
        for group, pull in ranked:
            if len(reasons) >= MAX_REASONS or abs(pull) < MIN_REASON_LOGIT:
                break
            text = _reason_text(group, i, col, model, key, up=pull > 0)
            if text:
                reasons.append(("↑ " if pull > 0 else "↓ ") + text)
        out.append(reasons)
    return out


def _reason_text(group: str, i: int, col: dict[str, F64], model: WinModel, key: tuple[float, float], *, up: bool) -> str:
    if group == "time":
        stay = f"本阶段已停留 {col['days_in_stage'][i]:.0f} 天（同阶段通常 {model.typical_stay.get(key, 0):.0f} 天）"
        past = col["past_stage_days"][i]
        if np.isnan(past):
            return f"{stay}，创建 {col['age_days'][i]:.0f} 天尚未推进过阶段"
        return f"{stay}，此前平均 {past:.0f} 天推进一个阶段"
    if group == "customer":
        reactions = col["opened"][i] + col["clicked"][i] + col["downloaded"][i] + col["meeting_booked"][i]
        if reactions == 0:
            return "客户尚未打开或点击过发送的资料"
        if up:
            return f"客户对发送的资料有过反应：累计 {reactions:.0f} 次打开/点击/下载/预约，最近一次在 {col['customer_silent_days'][i]:.0f} 天前"
        return f"客户已 {col['customer_silent_days'][i]:.0f} 天没有打开/点击资料（此前累计 {reactions:.0f} 次）"
    if group == "rep":
        return f"负责人历史赢单率 {col['rep_win_rate'][i]:.0%}"
    if group == "activity":
        return f"近 {RECENT_DAYS} 天跟进 {col['act_recent'][i]:.0f} 次"
    if group.startswith("kw:"):
        label = model.history.behaviour_labels.get(group[3:], group[3:])
        return f"已有「{label}」" if col[group][i] > 0 else f"尚无「{label}」"
    return ""


_today = ProcessCache("insights.win_scores_today", seconds=6 * 3600.0, shared=True)


def win_scores_today() -> dict[int, DealScore]:
    """Scores as of 00:00 today (92-day horizon), computed once a day per process for the board and the deal pages.
    A deal created today has none yet; the page says so."""
    as_of = day_start(clock_today())
    return _today.get(as_of.isoformat(), lambda: win_scores(as_of=as_of))
