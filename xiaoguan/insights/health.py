"""Process health against the seeds' thresholds, per region, team and rep (the cockpit's 过程健康诊断).

The five lines (seeds 001–004), each in `HEALTH_THRESHOLDS`, the one table of targets:
- first response: median time from a lead's assignment to its first contact ≤ 2 h (wall clock, as the lead clock's SLA
  board counts it; a lead never contacted counts as slower than any contacted one), beside the share within 2 h;
- contacted in 72 h: ≥ 95 % of the leads assigned in the period contacted within 72 h of assignment;
- touch channels: ≥ 3 distinct channels (call, visit, WeCom, e-mail, meeting, demo, material …) per customer with an
  open deal, counted over the period, mean per customer;
- concrete logs: ≥ 80 % of the period's activity records name a concrete action — a document, a date, a quantity, a
  next step or what the customer said — rather than 保持联系 / 跟进中 / 已沟通 (`CONCRETE_PATTERNS`, the one definition);
- new valid leads: ≥ 15 leads per rep per week assigned in the period and not disqualified.

Leads only count once their window has passed (2 h, 72 h) so a lead assigned a minute ago is not a failure yet.

The heavy reads (every lead assigned and every activity of the period, for everyone) are done once per period and
10-minute slot and shared by every viewer, who sees only the rows of the people their filter counts.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

import numpy as np
import numpy.typing as npt
from django.db import connection
from django.db.models import F, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from xiaoguan.activities.models import Activity
from xiaoguan.core.clock import clock_now
from xiaoguan.core.process_cache import ProcessCache
from xiaoguan.engagement.models import TouchEvent
from xiaoguan.insights.drill import Drill, drill_register
from xiaoguan.insights.filters import CockpitFilter
from xiaoguan.insights.selectors import _epoch, _param
from xiaoguan.leads.models import Lead
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.org.models import Role, Team, User

B = npt.NDArray[np.bool_]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

HOUR = 3600
NEVER = np.inf  # the response time of a lead never contacted
AMBER_WITHIN = 0.10  # a miss within 10 % of the target shows amber, a bigger one red

Band = Literal["green", "amber", "red", "none"]


# ------------------------------------------------------------------------------------------------ the thresholds


@dataclass(frozen=True)
class Threshold:
    code: str
    label: str
    target: float
    at_most: bool  # True: the value must be ≤ target; False: ≥ target
    unit: Literal["minutes", "share", "number"]
    rule: str  # the seeds' line, as the page states it
    short: str = ""  # a chart axis label

    def passes(self, value: float) -> bool:
        return value <= self.target if self.at_most else value >= self.target

    def band(self, value: float | None) -> Band:
        if value is None:
            return "none"
        if self.passes(value):
            return "green"
        miss = (value - self.target) / self.target if self.at_most else (self.target - value) / self.target
        return "amber" if miss <= AMBER_WITHIN else "red"


# The seeds' thresholds, in one place. Kept as code for now; a settings page would store rows of the same shape.
HEALTH_THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("first_response", N_("首次响应（中位数）"), 120.0, True, "minutes", N_("线索分配后 2 小时内首次联系"), N_("首次响应")),
    Threshold("contacted_72h", N_("72 小时联系率"), 0.95, False, "share", N_("≥ 95% 的线索在 72 小时内联系"), N_("72h 联系")),
    Threshold("channels", N_("客户触达渠道"), 3.0, False, "number", N_("每个有进行中商机的客户 ≥ 3 种触达渠道"), N_("触达渠道")),
    Threshold("concrete", N_("具体动作记录占比"), 0.80, False, "share", N_("≥ 80% 的跟进记录写明具体动作"), N_("具体动作")),
    Threshold("valid_leads", N_("人均周新增有效线索"), 15.0, False, "number", N_("每位销售每周 ≥ 15 条有效新线索"), N_("有效线索/周")),
)


def health_thresholds() -> dict[str, Threshold]:
    return {t.code: t for t in HEALTH_THRESHOLDS}


# ------------------------------------------------------------------------------------------------ concrete actions

# A record names a concrete action when its content matches one of these (Python `re` and the databases' regular
# expressions read them alike: plain alternation and character classes only). What does not match is filler such as
# the examples below.
CONCRETE_PATTERNS: tuple[tuple[str, str], ...] = (
    (N_("资料"), "报价|合同|方案|调研表|案例|样品|样机|资料|标书|截图|清单|报告|协议|发票|演示|PPT|ppt|视频|手册|白皮书|图纸|说明书"),
    (N_("时间"), "[0-9０-９]+月[0-9０-９]+|[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}|下周|本周|明天|后天|月底|月初|周[一二三四五六日末]|星期[一二三四五六日天]"),
    (N_("数量"), "[0-9０-９]+(\\.[0-9]+)? ?(万|元|块|台|套|人|个|家|份|箱|次|%|％|点|折|天|周|年)"),
    (N_("下一步"), "下一步|下次|约定|约见|约了|安排|计划|预计|待客户|申请|审批|提交|发送|回传|签署|签约|盖章|付款|回款"),
    (N_("客户反馈"), "客户(有|暂无|没有|要求|提出|反馈|认可|关注|希望|表示|同意|拒绝|确认|在比较|决定|担心|质疑)|决策人"),
)
FILLER_EXAMPLES: tuple[str, ...] = ("保持联系", "跟进中", "已沟通", "已电话沟通", "微信联系客户", "客户拜访，关系维护", "拜访客户，了解近况")
CONCRETE_REGEX = "|".join(f"({pattern})" for _label, pattern in CONCRETE_PATTERNS)
_concrete = re.compile(CONCRETE_REGEX)


def is_concrete(content: str) -> bool:
    """Whether an activity's content names a concrete action (the same test the drill-down's SQL makes)."""
    return bool(content) and _concrete.search(content) is not None


def concrete_condition() -> Q:
    """The same test as a condition on activities (a regular expression in the database)."""
    return Q(content__regex=CONCRETE_REGEX)


# ------------------------------------------------------------------------------------------------ touch channels

# Channels a customer is reached through. A note is the rep's own memo, not a touch; a check-in is a visit.
ACTIVITY_CHANNELS: dict[str, str] = {
    Activity.Kind.CALL: N_("电话"),
    Activity.Kind.VISIT: N_("拜访"),
    Activity.Kind.CHECK_IN: N_("拜访"),
    Activity.Kind.WECOM_MESSAGE: N_("企业微信"),
    Activity.Kind.EMAIL: N_("邮件"),
    Activity.Kind.MEETING: N_("会议"),
    Activity.Kind.DEMO: N_("演示"),
    Activity.Kind.DOCUMENT_SENT: N_("资料"),
}
TOUCH_CHANNELS: dict[str, str] = {
    TouchEvent.Kind.SENT: N_("资料"),
    TouchEvent.Kind.DELIVERED: N_("资料"),
    TouchEvent.Kind.OPENED: N_("资料"),
    TouchEvent.Kind.CLICKED: N_("资料"),
    TouchEvent.Kind.DOWNLOADED: N_("资料"),
    TouchEvent.Kind.MEETING_BOOKED: N_("会议"),
}
CHANNELS: tuple[str, ...] = tuple(dict.fromkeys([*ACTIVITY_CHANNELS.values(), *TOUCH_CHANNELS.values()]))
_CHANNEL_BIT = {label: 1 << i for i, label in enumerate(CHANNELS)}


def channel_count(mask: int) -> int:
    return int(mask).bit_count()


# ------------------------------------------------------------------------------------------------ the period's frame


@dataclass(frozen=True)
class OwnerFigures:
    """One person's share of the period: what every group containing them adds up."""

    responses: F64  # seconds to first contact of their leads assigned ≥ 2 h ago (NEVER when not contacted)
    matured_72h: int  # leads assigned ≥ 72 h ago
    contacted_72h: int  # of which contacted within 72 h
    valid: int  # leads assigned and not disqualified
    activities: int
    concrete: int
    channels: I64  # channel counts of the customers whose open deal they own


@dataclass(frozen=True)
class PeriodFrame:
    """Everything the five lines need for one period, for everyone (each viewer takes their people's rows)."""

    now: datetime
    by_owner: dict[int, OwnerFigures]
    # customers with a deal open at the period's end: account -> (deal owner, channel mask over the period)
    open_accounts: dict[int, tuple[int, int]]
    open_deal_rows: list[tuple[int, int, int, str]]  # (account, owner, pipeline, product line) of those open deals
    weeks: float  # elapsed weeks of the period (up to now)


def _lead_rows(start: datetime, end: datetime) -> list[tuple[int, int, int | None, str]]:
    vendor = connection.vendor
    table = Lead._meta.db_table
    sql = (
        f"SELECT owner_id, {_epoch('assigned_at', vendor)}, {_epoch('first_contact_at', vendor)}, status FROM {table} "  # noqa: S608
        "WHERE owner_id IS NOT NULL AND assigned_at >= %s AND assigned_at < %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_param(start, vendor), _param(end, vendor)])
        return list(cursor.fetchall())


def _activity_counts(start: datetime, end: datetime) -> dict[int, tuple[int, int]]:
    """Owner -> (activities occurring in [start, end), of which concrete). Equal texts are tested once."""
    vendor = connection.vendor
    sql = f"SELECT owner_id, content FROM {Activity._meta.db_table} WHERE occurred_at >= %s AND occurred_at < %s"  # noqa: S608
    seen: dict[str, bool] = {}
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    with connection.cursor() as cursor:
        cursor.execute(sql, [_param(start, vendor), _param(end, vendor)])
        while rows := cursor.fetchmany(20_000):
            for owner, content in rows:
                concrete = seen.get(content)
                if concrete is None:
                    concrete = seen[content] = is_concrete(content)
                    if len(seen) > 300_000:
                        seen.clear()
                counts = totals[owner]
                counts[0] += 1
                counts[1] += concrete
    return {owner: (n, c) for owner, (n, c) in totals.items()}


def _open_deals_at(instant: datetime) -> list[tuple[int, int, int, str]]:
    """(account, owner, pipeline, product line) of every deal open at `instant` (created before it, not closed by it)."""
    return list(
        Opportunity.objects.filter(created_at__lt=instant)
        .filter(Q(closed_at__isnull=True, status=Opportunity.Status.OPEN) | Q(closed_at__gte=instant))
        .values_list("account_id", "owner_id", "pipeline_id", "product_line")
    )


def _channel_masks(accounts: set[int], start: datetime, end: datetime) -> dict[int, int]:
    """Account -> the channels it was reached through in [start, end) (activities on it, its customer's touch events)."""
    masks: dict[int, int] = defaultdict(int)
    if not accounts:
        return masks
    rows = Activity.objects.filter(occurred_at__gte=start, occurred_at__lt=end, account_id__isnull=False).order_by().values_list("account_id", "kind").distinct()
    for account, kind in rows:
        label = ACTIVITY_CHANNELS.get(kind)
        if label is not None and account in accounts:
            masks[account] |= _CHANNEL_BIT[label]
    touches = TouchEvent.objects.filter(occurred_at__gte=start, occurred_at__lt=end, account_id__isnull=False).order_by().values_list("account_id", "kind").distinct()
    for account, kind in touches:
        label = TOUCH_CHANNELS.get(kind)
        if label is not None and account in accounts:
            masks[account] |= _CHANNEL_BIT[label]
    return masks


def period_frame_compute(*, start: datetime, end: datetime, now: datetime) -> PeriodFrame:
    until = min(end, now)
    now_s = int(now.timestamp())
    leads = _lead_rows(start, until)
    owner = np.fromiter((r[0] for r in leads), dtype=np.int64, count=len(leads))
    assigned = np.fromiter((r[1] for r in leads), dtype=np.int64, count=len(leads))
    response = np.fromiter((NEVER if r[2] is None else max(0, r[2] - r[1]) for r in leads), dtype=np.float64, count=len(leads))
    valid = np.fromiter((r[3] != Lead.Status.DISQUALIFIED for r in leads), dtype=bool, count=len(leads))
    matured_2h = assigned <= now_s - 2 * HOUR
    matured_72h = assigned <= now_s - 72 * HOUR
    in_72h = matured_72h & (response <= 72 * HOUR)

    open_rows = _open_deals_at(until)
    masks = _channel_masks({row[0] for row in open_rows}, start, until)
    open_accounts: dict[int, tuple[int, int]] = {}
    for account, deal_owner, _pipeline, _line in sorted(open_rows, key=lambda r: (r[0], r[1])):
        open_accounts.setdefault(account, (deal_owner, masks.get(account, 0)))
    channels: dict[int, list[int]] = defaultdict(list)
    for deal_owner, mask in open_accounts.values():
        channels[deal_owner].append(channel_count(mask))

    activities = _activity_counts(start, until)
    order = np.argsort(owner, kind="stable")
    owners, first = np.unique(owner[order], return_index=True)
    ends = [*first[1:].tolist(), len(order)] if len(first) else []
    bounds = dict(zip(owners.tolist(), zip(first.tolist(), ends, strict=True), strict=True))
    by_owner: dict[int, OwnerFigures] = {}
    for pk in set(bounds) | set(activities) | set(channels):
        a, b = bounds.get(pk, (0, 0))
        rows = order[a:b]
        n, c = activities.get(pk, (0, 0))
        by_owner[pk] = OwnerFigures(
            responses=response[rows[matured_2h[rows]]], matured_72h=int(matured_72h[rows].sum()), contacted_72h=int(in_72h[rows].sum()),
            valid=int(valid[rows].sum()), activities=n, concrete=c, channels=np.asarray(channels.get(pk, []), dtype=np.int64),
        )  # fmt: skip
    return PeriodFrame(
        now=now, by_owner=by_owner, open_accounts=open_accounts, open_deal_rows=open_rows,
        weeks=max(0.0, (until - start).total_seconds() / (7 * 86400)),
    )  # fmt: skip


SLOT_SECONDS = 600
_frames = ProcessCache("insights.health", seconds=SLOT_SECONDS, shared=True)


def period_frame(*, f: CockpitFilter, now: datetime) -> PeriodFrame:
    """The period's frame as of the current 10-minute slot (shared by every viewer and every page of the process)."""
    slot = datetime.fromtimestamp(int(now.timestamp()) // SLOT_SECONDS * SLOT_SECONDS, tz=now.tzinfo)
    key = f"{f.start_at.isoformat()}:{f.end_at.isoformat()}:{slot.isoformat()}"
    return _frames.get(key, lambda: period_frame_compute(start=f.start_at, end=f.end_at, now=slot))


# ------------------------------------------------------------------------------------------------ the figures


@dataclass(frozen=True)
class Figure:
    """One line's value for one group, with what it was computed from and its band against the threshold."""

    code: str
    value: float | None
    base: int  # leads, customers or records it is computed over (reps for valid leads)
    band: Band
    detail: str = ""  # the sentence behind the value
    short: str = ""  # a few characters under the value in a table cell


@dataclass
class HealthRow:
    level: Literal["all", "region", "team", "rep"]
    label: str
    key: str  # the region/team/rep external id ("" for everyone)
    people: frozenset[int]
    figures: dict[str, Figure] = field(default_factory=dict)

    @property
    def failing(self) -> int:
        return sum(1 for f in self.figures.values() if f.band in ("amber", "red"))


@dataclass
class HealthReport:
    thresholds: list[Threshold]
    rows: list[HealthRow]
    weeks: float
    now: datetime


def _share(mask: B) -> float | None:
    return float(mask.mean()) if len(mask) else None


def _minutes_text(value: float) -> str:
    if not np.isfinite(value):
        return _("未联系")
    if value < 120:
        return _("%(m)s 分钟") % {"m": round(value)}
    return _("%(h).1f 小时") % {"h": value / 60}


def figures_for(people: frozenset[int], *, frame: PeriodFrame, reps: frozenset[int], f: CockpitFilter) -> dict[str, Figure]:
    """The five lines for a set of people (their leads, records, customers; the reps among them for intake)."""
    t = health_thresholds()
    parts = [frame.by_owner[pk] for pk in people if pk in frame.by_owner]
    out: dict[str, Figure] = {}

    response = np.concatenate([p.responses for p in parts]) if parts else np.zeros(0)
    if len(response):
        middle = float(np.median(response))
        within = float((response <= 2 * HOUR).mean())
        detail = _("%(n)s 条线索，2 小时内联系 %(p)s%%") % {"n": len(response), "p": round(within * 100)}
        short = _("2 小时内 %(p)s%%") % {"p": round(within * 100)}
        if np.isfinite(middle):
            out["first_response"] = Figure("first_response", middle / 60, len(response), t["first_response"].band(middle / 60), detail, short)
        else:
            out["first_response"] = Figure("first_response", None, len(response), "red", _("过半线索尚未联系；") + detail, short)
    else:
        out["first_response"] = Figure("first_response", None, 0, "none", _("本期没有已分配 2 小时以上的线索"))

    matured = sum(p.matured_72h for p in parts)
    share = sum(p.contacted_72h for p in parts) / matured if matured else None
    out["contacted_72h"] = Figure(
        "contacted_72h", share, matured, t["contacted_72h"].band(share),
        _("%(n)s 条线索（已分配满 72 小时）") % {"n": matured} if matured else _("本期没有已分配满 72 小时的线索"),
        _("%(n)s 条") % {"n": matured} if matured else "",
    )  # fmt: skip

    if f.pipeline is None and not f.product_line:
        counts = np.concatenate([p.channels for p in parts]) if parts else np.zeros(0, dtype=np.int64)
    else:
        counts = np.array([channel_count(mask) for mask in _open_accounts_of(people, frame=frame, f=f).values()], dtype=np.int64)
    if len(counts):
        mean = float(counts.mean())
        reached = float((counts >= t["channels"].target).mean())
        out["channels"] = Figure(
            "channels", mean, len(counts), t["channels"].band(mean),
            _("%(n)s 个客户，其中 %(p)s%% 达到 3 种") % {"n": len(counts), "p": round(reached * 100)},
            _("%(n)s 个客户") % {"n": len(counts)},
        )  # fmt: skip
    else:
        out["channels"] = Figure("channels", None, 0, "none", _("没有进行中商机的客户"))

    total = sum(p.activities for p in parts)
    concrete = sum(p.concrete for p in parts)
    value = concrete / total if total else None
    out["concrete"] = Figure(
        "concrete", value, total, t["concrete"].band(value),
        _("%(n)s 条记录中 %(c)s 条") % {"n": total, "c": concrete} if total else _("本期没有跟进记录"),
        _("%(n)s 条") % {"n": total} if total else "",
    )  # fmt: skip

    rep_ids = people & reps
    if rep_ids and frame.weeks >= 1 / 7:
        valid = sum(frame.by_owner[pk].valid for pk in rep_ids if pk in frame.by_owner)
        per_week = valid / (len(rep_ids) * frame.weeks)
        out["valid_leads"] = Figure(
            "valid_leads", per_week, len(rep_ids), t["valid_leads"].band(per_week),
            _("%(v)s 条有效线索 ÷ %(r)s 人 ÷ %(w).1f 周") % {"v": valid, "r": len(rep_ids), "w": frame.weeks},
            _("%(r)s 人") % {"r": len(rep_ids)},
        )  # fmt: skip
    else:
        out["valid_leads"] = Figure("valid_leads", None, len(rep_ids), "none", _("没有销售或周期尚未开始"))
    return out


def _open_accounts_of(people: frozenset[int], *, frame: PeriodFrame, f: CockpitFilter) -> dict[int, int]:
    """Account -> channel mask, for the customers with a deal open at the period's end owned by `people` (and of the
    filter's pipeline and product line)."""
    if f.pipeline is None and not f.product_line:
        return {account: mask for account, (owner, mask) in frame.open_accounts.items() if owner in people}
    wanted = {
        account for account, owner, pipeline, line in frame.open_deal_rows
        if owner in people and (f.pipeline is None or pipeline == f.pipeline.pk) and (not f.product_line or line == f.product_line)
    }  # fmt: skip
    return {account: frame.open_accounts[account][1] for account in wanted if account in frame.open_accounts}


def process_health(*, f: CockpitFilter, now: datetime) -> HealthReport:
    """The five lines for everyone the filter counts, per region, per team and per rep, against the thresholds."""
    frame = period_frame(f=f, now=now)
    people = list(User.objects.filter(pk__in=f.owner_ids).select_related("team").order_by("team__path", "name"))
    reps = frozenset(p.pk for p in people if p.role == Role.REP)
    rows: list[HealthRow] = []
    everyone = frozenset(f.owner_ids)
    if f.rep is None:
        rows.append(HealthRow(level="all", label=_("全部"), key="", people=everyone))
        for team in _groups(people):
            members = frozenset(p.pk for p in people if p.team is not None and p.team.path.startswith(team.path))
            level: Literal["region", "team"] = "region" if team.kind == Team.Kind.REGION else "team"
            rows.append(HealthRow(level=level, label=team.name, key=team.external_id, people=members))
    for person in people:
        if person.pk in reps:
            rows.append(HealthRow(level="rep", label=person.name, key=person.external_id, people=frozenset({person.pk})))
    for row in rows:
        row.figures = figures_for(row.people, frame=frame, reps=reps, f=f)
    return HealthReport(thresholds=list(HEALTH_THRESHOLDS), rows=rows, weeks=frame.weeks, now=frame.now)


def _groups(people: Iterable[User]) -> list[Team]:
    """The regions and teams the people sit in (with the regions above teams), in tree order."""
    paths = {p.team.path for p in people if p.team is not None}
    return [
        t for t in Team.objects.filter(kind__in=(Team.Kind.REGION, Team.Kind.TEAM)).order_by("path")
        if any(path.startswith(t.path) for path in paths)
    ]  # fmt: skip


# ------------------------------------------------------------------------------------------------ the records behind


def offending_leads(*, people: Iterable[int], f: CockpitFilter, now: datetime, code: str) -> Q:
    """The leads behind a failing lead line: assigned in the period to `people` and not contacted within the window
    (2 h for first response, 72 h for the 72-hour line), among those whose window has passed."""
    window = timedelta(hours=2) if code == "first_response" else timedelta(hours=72)
    until = min(f.end_at, now - window)
    late = Q(first_contact_at__isnull=True) | Q(first_contact_at__gt=F("assigned_at") + window)
    return Q(owner_id__in=sorted(people), assigned_at__gte=f.start_at, assigned_at__lt=until) & late


def offending_activities(*, people: Iterable[int], f: CockpitFilter, now: datetime) -> Q:
    """The period's records of `people` that name no concrete action."""
    until = min(f.end_at, now)
    return Q(owner_id__in=sorted(people), occurred_at__gte=f.start_at, occurred_at__lt=until) & ~concrete_condition()


def offending_accounts(*, people: frozenset[int], f: CockpitFilter, now: datetime) -> list[tuple[int, int]]:
    """(account, channels) of the customers with open deals reached through fewer channels than the threshold."""
    frame = period_frame(f=f, now=now)
    target = health_thresholds()["channels"].target
    found = [(account, channel_count(mask)) for account, mask in _open_accounts_of(people, frame=frame, f=f).items()]
    return sorted(((a, n) for a, n in found if n < target), key=lambda item: (item[1], item[0]))


def channel_names(mask: int) -> list[str]:
    return [_(label) for label in CHANNELS if mask & _CHANNEL_BIT[label]]


def account_channels(*, accounts: Iterable[int], f: CockpitFilter, now: datetime) -> dict[int, int]:
    frame = period_frame(f=f, now=now)
    return {a: frame.open_accounts[a][1] for a in accounts if a in frame.open_accounts}


def rep_intake(*, people: frozenset[int], f: CockpitFilter, now: datetime) -> dict[int, int]:
    """Valid leads assigned in the period per person (for the drill-down of the intake line)."""
    frame = period_frame(f=f, now=now)
    return {pk: frame.by_owner[pk].valid if pk in frame.by_owner else 0 for pk in people}


def _line_title(cockpit: CockpitFilter, text: str) -> str:
    scope = cockpit.rep or cockpit.team or cockpit.region
    return f"{scope.name} · {text}" if scope is not None else text


@drill_register("health_leads")
def _leads_drill(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill | None:
    """Leads behind a failing lead line (`line`: first_response or contacted_72h)."""
    line = params.get("line", "")
    if line not in ("first_response", "contacted_72h"):
        return None
    text = _("分配后 2 小时内未联系的线索") if line == "first_response" else _("分配后 72 小时内未联系的线索")
    condition = offending_leads(people=cockpit.owner_ids, f=cockpit, now=clock_now(), code=line)
    return Drill(kind="leads", title=_line_title(cockpit, text), condition=condition, order_by=("assigned_at", "pk"))


@drill_register("health_concrete")
def _concrete_drill(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill | None:
    condition = offending_activities(people=cockpit.owner_ids, f=cockpit, now=clock_now())
    return Drill(kind="activities", title=_line_title(cockpit, _("没有写明具体动作的跟进记录")), condition=condition, order_by=("-occurred_at", "-pk"))


@drill_register("health_intake")
def _intake_drill(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill | None:
    """The valid leads the filter's reps received in the period (what the per-week intake line counts)."""
    reps = sorted(User.objects.filter(pk__in=cockpit.owner_ids, role=Role.REP).values_list("pk", flat=True))
    until = min(cockpit.end_at, clock_now())
    condition = Q(owner_id__in=reps, assigned_at__gte=cockpit.start_at, assigned_at__lt=until) & ~Q(status=Lead.Status.DISQUALIFIED)
    return Drill(kind="leads", title=_line_title(cockpit, _("本期分配的有效线索")), condition=condition, order_by=("-assigned_at", "-pk"))

