"""Which behaviours go with won deals: the behaviour-vs-conversion table of the cockpit (seeds, article 001).

For the deals closed (won or lost) in the cockpit period, each behaviour in `BEHAVIOURS` is looked for in what happened
on the deal before it closed: its activity records (kind and content) and the customer's touch events (a proposal
opened, a quote clicked, a meeting booked). Per behaviour the table shows how many deals had it, their win rate with a
95 % Wilson interval, the median days from creation to close, and the lift: the win rate with it divided by the win
rate of the deals without it. A last row counts the deals with none of the behaviours.

`BEHAVIOURS` is the one place the detection rules live: a rule is a list of word groups (the content must contain a
word of every group), optionally limited to some activity kinds, or touch-event kinds on documents whose name holds a
word. A group written `@code` takes the words of that keyword dictionary of the evidence app (the competitor list an
admin keeps on 设置 → 关键词证据), so a competitor added there counts here too.

The numbers are associations, not causes: a deal that was going well anyway gets a sample sent. The page says so.

Set-wise: one query per side (activities, touch events) grouped by deal, each behaviour a `MAX(CASE WHEN … )` column;
the arithmetic on numpy arrays.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import numpy.typing as npt
from django.db import connection
from django.db.models import Case, F, IntegerField, Max, Q, QuerySet, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from xiaoguan.activities.models import Activity
from xiaoguan.core.clock import clock_now
from xiaoguan.core.process_cache import ProcessCache
from xiaoguan.engagement.models import TouchEvent
from xiaoguan.evidence.matcher import DictionarySpec, Matcher
from xiaoguan.evidence.selectors import keyword_dictionary_list
from xiaoguan.insights.drill import Drill, drill_register
from xiaoguan.insights.filters import CockpitFilter
from xiaoguan.opportunities.models import Opportunity, Stage, StageHistory

B = npt.NDArray[np.bool_]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

# Rows with fewer deals than this are hidden (listed by name): a win rate of 3 out of 4 says nothing.
MIN_DEALS = 20
Z95 = 1.959963984540054
NONE_CODE = "none"
ALL_CODE = "all"

_ENGAGED = (TouchEvent.Kind.OPENED, TouchEvent.Kind.CLICKED, TouchEvent.Kind.DOWNLOADED)


@dataclass(frozen=True)
class BehaviourRule:
    """One behaviour and how to see it.

    Activities: every group in `words` must contribute a word to the content (a group of one word is a plain
    "contains"); `kinds`, when given, limits the activity kinds. A rule with neither words nor kinds reads no activity.
    Touch events: `touch_kinds` (any), on documents whose name contains one of `documents` (any document when empty).
    """

    code: str
    label: str
    words: tuple[tuple[str, ...], ...] = ()
    kinds: tuple[str, ...] = ()
    touch_kinds: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    hint: str = ""

    @property
    def reads_activities(self) -> bool:
        return bool(self.words or self.kinds)

    @property
    def reads_touches(self) -> bool:
        return bool(self.touch_kinds)


BEHAVIOURS: tuple[BehaviourRule, ...] = (
    BehaviourRule(
        "competitor_analysis", N_("分析竞品优劣势"),
        words=(("@competitor", "竞品", "友商", "竞争对手"), ("优劣", "对比分析", "竞品分析", "差异分析", "优势对比")),
        hint=N_("记录里提到竞品并做了优劣势/对比分析"),
    ),
    BehaviourRule(
        "case_report", N_("发送定制化案例报告"), words=(("案例报告", "案例集", "成功案例资料", "应用案例", "定制化案例"),),
        hint=N_("记录里提到案例报告"),
    ),
    BehaviourRule("sample_trial", N_("样品试用"), words=(("样品", "样机", "试用", "寄样", "送样"),), hint=N_("样品、样机或试用")),
    BehaviourRule("needs_survey", N_("需求调研表"), words=(("调研表", "需求调研", "需求清单"),), hint=N_("需求调研表或需求清单")),
    BehaviourRule("solution_demo", N_("方案演示"), words=(("演示", "方案讲解"),), hint=N_("记录里提到演示或方案讲解")),
    BehaviourRule("price_comparison", N_("三方比价"), words=(("比价", "货比三家"),), hint=N_("比价、三方比价截图")),
    BehaviourRule(
        "quote_sent", N_("发送报价单"), words=(("报价单",),), touch_kinds=(TouchEvent.Kind.SENT,), documents=("报价",),
        hint=N_("记录里提到报价单，或追踪的报价单已发出"),
    ),
    BehaviourRule(
        "price_objection", N_("客户嫌贵/竞品压价"), words=(("价格偏高", "价格太高", "太贵", "报价低", "更便宜", "再优惠", "压价"),),
        hint=N_("客户反馈价格偏高或竞品更便宜"),
    ),
    BehaviourRule("special_price", N_("申请特价/分期"), words=(("特价", "分期", "让利"),), hint=N_("特价审批、分期付款")),
    BehaviourRule(
        "contract_sent", N_("发出合同文本"), words=(("合同模板", "合同条款", "合同草稿", "合同文本"),),
        touch_kinds=(TouchEvent.Kind.SENT,), documents=("合同",), hint=N_("合同模板/条款发给客户，或追踪的合同已发出"),
    ),
    BehaviourRule("site_visit", N_("上门拜访"), kinds=(Activity.Kind.VISIT,), hint=N_("方式为“拜访”的记录")),
    BehaviourRule(
        "proposal_opened", N_("客户打开方案书"), touch_kinds=_ENGAGED, documents=("方案",),
        hint=N_("追踪的方案书被客户打开、点击或下载"),
    ),
    BehaviourRule(
        "quote_clicked", N_("客户点开报价单"), touch_kinds=(TouchEvent.Kind.CLICKED, TouchEvent.Kind.DOWNLOADED), documents=("报价",),
        hint=N_("追踪的报价单被客户点击或下载"),
    ),
    BehaviourRule(
        "meeting_booked", N_("客户预约会议"), touch_kinds=(TouchEvent.Kind.MEETING_BOOKED,), hint=N_("客户通过追踪链接预约了会议"),
    ),
)


def _dictionary_words() -> dict[str, tuple[str, ...]]:
    return {row.code: tuple(w for w in row.words if isinstance(w, str) and w.strip()) for row in keyword_dictionary_list().filter(enabled=True)}


def rule_words(rule: BehaviourRule, dictionaries: dict[str, tuple[str, ...]]) -> tuple[tuple[str, ...], ...]:
    """The rule's word groups with each `@code` replaced by that dictionary's words."""
    groups: list[tuple[str, ...]] = []
    for group in rule.words:
        words: list[str] = []
        for word in group:
            words += dictionaries.get(word[1:], ()) if word.startswith("@") else [word]
        groups.append(tuple(dict.fromkeys(w for w in words if w)))
    return tuple(groups)


class RuleMatcher:
    """The activity side of the rules, compiled: one Aho-Corasick pass per text (the evidence app's matcher, so
    traditional characters, full-width forms and spaces inside words are folded as the keyword scan folds them)."""

    def __init__(self, rules: tuple[BehaviourRule, ...], dictionaries: dict[str, tuple[str, ...]]) -> None:
        self.rules = rules
        specs: list[DictionarySpec] = []
        self.needs: list[frozenset[str]] = []
        for i, rule in enumerate(rules):
            groups = rule_words(rule, dictionaries) if rule.reads_activities else ()
            codes = [f"{i}:{g}" for g in range(len(groups))]
            specs += [DictionarySpec(code=c, label=c, stage_key="", words=words) for c, words in zip(codes, groups, strict=True)]
            self.needs.append(frozenset(codes))
        self.matcher = Matcher(specs)
        self.reading = [(i, rule.kinds, self.needs[i]) for i, rule in enumerate(rules) if rule.reads_activities]
        self._masks: dict[tuple[str, str], int] = {}

    def mask(self, *, kind: str, content: str) -> int:
        """Bit i set when rule i sees the behaviour in this activity. Equal texts are common: remembered."""
        key = (kind, content)
        found = self._masks.get(key)
        if found is None:
            codes = self.matcher.scan(content).codes() if content else set()
            found = 0
            for i, kinds, needs in self.reading:
                if (not kinds or kind in kinds) and needs <= codes:
                    found |= 1 << i
            if len(self._masks) < 200_000:
                self._masks[key] = found
        return found


def rule_matcher(rules: tuple[BehaviourRule, ...] = BEHAVIOURS) -> RuleMatcher:
    return RuleMatcher(rules, _dictionary_words())


def activity_matches(rule: BehaviourRule, *, kind: str, content: str) -> bool:
    """One rule on one activity (what the table counts): for explaining a deal and for tests."""
    return bool(rule_matcher((rule,)).mask(kind=kind, content=content))


def _touch_q(rule: BehaviourRule) -> Q:
    q = Q(kind__in=rule.touch_kinds)
    if rule.documents:
        any_doc = Q(pk__in=[])
        for word in rule.documents:
            any_doc |= Q(document__icontains=word)
        q &= any_doc
    return q


def closed_deals(*, start: datetime, end: datetime) -> QuerySet[Opportunity]:
    """Every deal won or lost in [start, end), whoever owns it (the viewer's share is taken from the frame later)."""
    return Opportunity.objects.filter(
        status__in=(Opportunity.Status.WON, Opportunity.Status.LOST), closed_at__gte=start, closed_at__lt=end
    )


@dataclass(frozen=True)
class DealFlags:
    """Closed deals, aligned: who owned them, how they ended, and which behaviours each showed before it closed."""

    pks: I64
    owner: I64
    pipeline: I64
    product_line: npt.NDArray[np.object_]
    reached: I64  # the highest stage position the deal ever entered (its pipeline's numbering)
    won: B
    days: F64  # creation to close
    flags: B  # shape (deals, len(rules))
    rules: tuple[BehaviourRule, ...]

    def __len__(self) -> int:
        return len(self.pks)

    def subset(self, keep: B) -> DealFlags:
        return DealFlags(
            pks=self.pks[keep], owner=self.owner[keep], pipeline=self.pipeline[keep], product_line=self.product_line[keep],
            reached=self.reached[keep], won=self.won[keep], days=self.days[keep], flags=self.flags[keep], rules=self.rules,
        )  # fmt: skip

    def column(self, code: str) -> B:
        if code == NONE_CODE:
            return ~self.flags.any(axis=1)
        if code == ALL_CODE:
            return np.ones(len(self.pks), dtype=bool)
        index = next((i for i, r in enumerate(self.rules) if r.code == code), None)
        if index is None:
            return np.zeros(len(self.pks), dtype=bool)
        return self.flags[:, index]


def _touch_flags(deals: QuerySet[Opportunity], conditions: dict[str, Q]) -> dict[int, list[int]]:
    if not conditions:
        return {}
    rows = (
        TouchEvent.objects.filter(opportunity__in=deals.values("pk"), occurred_at__lte=F("opportunity__closed_at"))
        .order_by()
        .values("opportunity_id")
        .annotate(**{name: Max(Case(When(q, then=Value(1)), default=Value(0), output_field=IntegerField())) for name, q in conditions.items()})
    )
    return {row[0]: list(row[1:]) for row in rows.values_list("opportunity_id", *conditions)}


def deal_flags_compute(*, start: datetime, end: datetime, rules: tuple[BehaviourRule, ...] = BEHAVIOURS) -> DealFlags:
    """Every deal closed in [start, end) with the behaviours seen on it up to its close (activities on the deal
    occurring no later than the close, touch events likewise)."""
    deals = closed_deals(start=start, end=end)
    base = list(deals.order_by("pk").values_list("pk", "owner_id", "pipeline_id", "product_line", "stage__position", "status", "created_at", "closed_at"))
    n = len(base)
    columns = list(zip(*base, strict=True)) if base else [()] * 8
    pks = np.asarray(columns[0], dtype=np.int64)
    reached = np.asarray(columns[4], dtype=np.int64)
    flags = np.zeros((n, len(rules)), dtype=bool)
    if n:
        row_of = {pk: i for i, pk in enumerate(pks.tolist())}
        entered = StageHistory.objects.filter(opportunity__in=deals.values("pk")).order_by().values("opportunity_id").annotate(top=Max("stage__position"))
        for pk, top in entered.values_list("opportunity_id", "top"):
            i = row_of[pk]
            reached[i] = max(reached[i], top)
        if any(r.reads_activities for r in rules):
            matcher = rule_matcher(rules)
            masks: dict[int, int] = {}
            activities = Activity.objects.filter(opportunity__in=deals.values("pk"), occurred_at__lte=F("opportunity__closed_at"))
            sql, params = activities.order_by().values_list("opportunity_id", "kind", "content").query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                mask_of = matcher.mask
                for pk, kind, content in cursor.fetchall():
                    masks[pk] = masks.get(pk, 0) | mask_of(kind=kind, content=content)
            bits = np.array([1 << b for b in range(len(rules))], dtype=np.int64)
            for pk, mask in masks.items():
                if mask:
                    flags[row_of[pk]] |= (mask & bits) != 0
        touch = {f"b{i}": _touch_q(r) for i, r in enumerate(rules) if r.reads_touches}
        touch_columns = [int(name[1:]) for name in touch]
        for pk, values in _touch_flags(deals, touch).items():
            i = row_of[pk]
            for column, value in zip(touch_columns, values, strict=True):
                flags[i, column] |= bool(value)
    return DealFlags(
        pks=pks, owner=np.asarray(columns[1], dtype=np.int64), pipeline=np.asarray(columns[2], dtype=np.int64),
        product_line=np.asarray(columns[3], dtype=object), reached=reached,
        won=np.asarray([s == Opportunity.Status.WON for s in columns[5]], dtype=bool),
        days=np.asarray([(b - a).total_seconds() / 86400 for a, b in zip(columns[6], columns[7], strict=True)], dtype=np.float64),
        flags=flags, rules=rules,
    )  # fmt: skip


# The frame of a period is the same for every viewer (each sees only their owners' rows of it) and moves slowly:
# computed once per 10-minute slot and period. Not dropped on saves: on a busy server some deal is saved every few
# seconds, and the page would pay the whole computation each time; figures up to 10 minutes old are what it shows.
_frames = ProcessCache("insights.behaviour", seconds=600, shared=True)
SLOT_SECONDS = 600


def _slot(now: datetime) -> str:
    return str(int(now.timestamp()) // SLOT_SECONDS)


def reach_positions(stage_key: str) -> dict[int, int]:
    """Pipeline pk -> the position of its stage `stage_key` (pipelines without such a stage are absent)."""
    return dict(Stage.objects.filter(key=stage_key).values_list("pipeline_id", "position")) if stage_key else {}


def reach_choices() -> list[tuple[str, str]]:
    """Stages a comparison can start from: every stage key before the won stage, in pipeline order, first name kept."""
    seen: dict[str, tuple[int, str]] = {}
    for key, name, position in Stage.objects.filter(is_won=False).order_by("position").values_list("key", "name", "position"):
        if key not in seen:
            seen[key] = (position, name)
    ordered = sorted(seen.items(), key=lambda item: item[1][0])
    return [(key, name) for key, (_position, name) in ordered[1:]]  # reaching the first stage is every deal


def deal_flags(*, f: CockpitFilter, now: datetime, reached: str = "") -> DealFlags:
    """The filter's closed deals with their behaviours: the owners it counts, its pipeline and product line, and, when
    `reached` names a stage, only the deals that got at least that far (so late-stage behaviours are compared with
    deals that had the same chance to show them)."""
    key = f"{f.start_at.isoformat()}:{f.end_at.isoformat()}:{_slot(now)}:{hash(tuple(sorted(_dictionary_words().items())))}"
    frame = _frames.get(key, lambda: deal_flags_compute(start=f.start_at, end=f.end_at))
    keep = np.isin(frame.owner, np.fromiter(f.owner_ids, dtype=np.int64, count=len(f.owner_ids)))
    if f.pipeline is not None:
        keep &= frame.pipeline == f.pipeline.pk
    if f.product_line:
        keep &= frame.product_line == f.product_line
    if reached:
        positions = reach_positions(reached)
        threshold = np.array([positions.get(int(p), 1 << 30) for p in frame.pipeline], dtype=np.int64)
        keep &= frame.reached >= threshold
    return frame.subset(keep)


def wilson_interval(successes: int, trials: int, *, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95 % by default); (0, 1) without trials."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class BehaviourRow:
    code: str
    label: str
    hint: str
    deals: int
    won: int
    low: float
    high: float
    median_days: float | None  # every closed deal with it
    median_days_won: float | None
    deals_without: int
    won_without: int

    @property
    def rate(self) -> float:
        return self.won / self.deals if self.deals else 0.0

    @property
    def rate_without(self) -> float | None:
        return self.won_without / self.deals_without if self.deals_without else None

    @property
    def lift(self) -> float | None:
        """Win rate with the behaviour minus the win rate of the deals without it (a fraction: 0.2 = 20 points).

        A difference rather than a ratio: when deals without a behaviour almost never win, a ratio of 0.81 to 0.001
        reads as "×900" and ranks noise first."""
        without = self.rate_without
        return None if without is None or self.deals == 0 else self.rate - without

    @property
    def lift_points(self) -> int | None:
        lift = self.lift
        return None if lift is None else round(100 * lift)

    @property
    def lost(self) -> int:
        return self.deals - self.won

    @property
    def ratio(self) -> float | None:
        """Win rate with it over the win rate without it (None when the deals without it never won)."""
        without = self.rate_without
        return self.rate / without if without else None


@dataclass
class BehaviourTable:
    start: date
    end: date
    deals: int
    won: int
    rows: list[BehaviourRow] = field(default_factory=list)  # shown, best lift first
    none: BehaviourRow | None = None
    hidden: list[BehaviourRow] = field(default_factory=list)  # too few deals to say anything
    min_deals: int = MIN_DEALS

    @property
    def rate(self) -> float | None:
        return self.won / self.deals if self.deals else None


def _median(values: F64) -> float | None:
    return float(np.median(values)) if len(values) else None


def _row(code: str, label: str, hint: str, mask: B, flags: DealFlags) -> BehaviourRow:
    won_with = int(flags.won[mask].sum())
    low, high = wilson_interval(won_with, int(mask.sum()))
    return BehaviourRow(
        code=code, label=label, hint=hint, deals=int(mask.sum()), won=won_with, low=low, high=high,
        median_days=_median(flags.days[mask]), median_days_won=_median(flags.days[mask & flags.won]),
        deals_without=int((~mask).sum()), won_without=int(flags.won[~mask].sum()),
    )  # fmt: skip


def behaviour_table(*, f: CockpitFilter, now: datetime, reached: str = "", min_deals: int | None = None) -> BehaviourTable:
    """The behaviour-vs-conversion table of the filter's closed deals (rows under `min_deals` deals hidden)."""
    min_deals = MIN_DEALS if min_deals is None else min_deals
    flags = deal_flags(f=f, now=now, reached=reached)
    table = BehaviourTable(start=f.start, end=f.end, deals=len(flags.pks), won=int(flags.won.sum()), min_deals=min_deals)
    for rule in flags.rules:
        row = _row(rule.code, _(rule.label), _(rule.hint) if rule.hint else "", flags.column(rule.code), flags)
        if row.deals == 0:
            continue
        (table.rows if row.deals >= min_deals else table.hidden).append(row)
    table.rows.sort(key=lambda r: (-(r.lift if r.lift is not None else -2.0), -r.deals))
    if table.deals and flags.column(NONE_CODE).any():
        table.none = _row(NONE_CODE, _("以上行为均未出现"), _("成交前没有任何上述行为（包括没有发送任何资料）"), flags.column(NONE_CODE), flags)
    return table


def behaviour_deal_ids(*, f: CockpitFilter, now: datetime, code: str, outcome: str = "", reached: str = "") -> list[int]:
    """The closed deals behind one cell of the table: the behaviour's deals (`none`: none of them; `all`: every one),
    optionally only the won or the lost."""
    flags = deal_flags(f=f, now=now, reached=reached)
    mask = flags.column(code)
    if outcome == Opportunity.Status.WON:
        mask = mask & flags.won
    elif outcome == Opportunity.Status.LOST:
        mask = mask & ~flags.won
    return [int(pk) for pk in flags.pks[mask]]


def behaviour_rule(code: str) -> BehaviourRule | None:
    return next((r for r in BEHAVIOURS if r.code == code), None)


MAX_DRILL_DEALS = 30_000  # SQLite binds at most 32,766 parameters in one statement


@drill_register("behaviour")
def _behaviour_drill(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill | None:
    """The closed deals of one row of the table (`behaviour`: a rule's code, `none` or `all`), optionally only the won
    or only the lost (`outcome`), compared from a stage (`reached`)."""
    code, outcome, reached = params.get("behaviour", ""), params.get("outcome", ""), params.get("reached", "")
    rule = behaviour_rule(code)
    if rule is None and code not in (NONE_CODE, ALL_CODE):
        return None
    ids = behaviour_deal_ids(f=cockpit, now=clock_now(), code=code, outcome=outcome, reached=reached)
    label = _(rule.label) if rule is not None else _("以上行为均未出现") if code == NONE_CODE else _("全部已关闭商机")
    parts: dict[str, str] = {Opportunity.Status.WON.value: _("赢单"), Opportunity.Status.LOST.value: _("输单")}
    part = parts.get(outcome, _("已关闭商机"))
    title = _("行为「%(label)s」· %(part)s") % {"label": label, "part": part}
    if len(ids) > MAX_DRILL_DEALS:
        ids, title = ids[:MAX_DRILL_DEALS], title + _("（仅列出前 %(n)s 个）") % {"n": MAX_DRILL_DEALS}
    return Drill(kind="deals", title=title, condition=Q(pk__in=ids), order_by=("-closed_at", "-pk"))
