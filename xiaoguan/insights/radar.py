"""Rep capability radar: six axes, each 0–100, from what a rep's own records show over a window of their history.

The window is the cockpit period, stretched back to at least `MIN_WINDOW_DAYS` (a quarter holds too few deals per rep
to say much), and it stops today. Every axis is a plain share or rate of the rep's own records, so it can be checked:

- 获客 prospecting: valid leads per week (leads received in the window not marked invalid); 15 a week (the seeds'
  bar for a rep) or more scores 100, proportionally below.
- 需求诊断 diagnosis, 方案演示 demo, 商务谈判 negotiation: of the rep's deals that entered the stage three, two and
  one before the won stage (标准流程: 需求诊断, 方案演示, 报价谈判) in the window, the share that went on to a later
  stage (the funnel's conversion, funnel.stage_reach). Score = the share × 100.
- 成交 closing: won ÷ (won + lost) of the rep's deals closed in the window, × 100.
- 跟进纪律 follow-up discipline: the mean of (a) the share of the leads received in the window's last 30 days (created
  then and assigned) first contacted within 24 h of assignment and (b) the share of the rep's deals open at the window's end with a follow-up recorded on the deal
  in the 14 days before it; × 100. One of the two alone when the other has nothing to measure.

An axis with nothing to measure is None (shown as "—", drawn as 0). The team's median is the median over the active
reps of the rep's own team, among the people the viewer may see, of each axis' score (reps without a score left out).
All measures are grouped by owner in the database, for the whole organisation once per window (insights/frames.py):
the stage and closing counts from the funnel's frame of the same window, leads and follow-ups from two statements.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoguan.activities.models import Activity
from xiaoguan.core.clock import clock_today, day_start
from xiaoguan.insights.drill import Drill, deal_condition, drill_register
from xiaoguan.insights.filters import CockpitFilter
from xiaoguan.insights.frames import FrameCache
from xiaoguan.insights.funnel import closed_counts, stage_reach
from xiaoguan.insights.sqlparts import sql_epoch, sql_instant
from xiaoguan.leads.models import Lead
from xiaoguan.opportunities.models import Opportunity, Pipeline, StageHistory
from xiaoguan.org.models import User

MIN_WINDOW_DAYS = 180
LEADS_PER_WEEK_FULL = 15.0
FIRST_CONTACT_HOURS = 24
FOLLOW_UP_DAYS = 14
TIMELY_DAYS = 30

AXES: list[tuple[str, object]] = [
    ("prospecting", gettext_lazy("获客")),
    ("diagnosis", gettext_lazy("需求诊断")),
    ("demo", gettext_lazy("方案演示")),
    ("negotiation", gettext_lazy("商务谈判")),
    ("closing", gettext_lazy("成交")),
    ("follow_up", gettext_lazy("跟进纪律")),
]
# Stage axes: how many stages before the pipeline's won stage.
STAGE_AXES = {"diagnosis": 3, "demo": 2, "negotiation": 1}


@dataclass(frozen=True)
class Axis:
    score: float | None  # 0–100
    value: float | None  # the rate or count per week behind it
    n: int  # what it was measured on (leads, deals, …)


@dataclass(frozen=True)
class RadarWindow:
    start: date
    end: date  # inclusive

    @property
    def weeks(self) -> float:
        return ((self.end - self.start).days + 1) / 7


def radar_window(cockpit: CockpitFilter, *, today: date | None = None) -> RadarWindow:
    end = min(cockpit.end, today or clock_today())
    start = min(cockpit.start, end - timedelta(days=MIN_WINDOW_DAYS - 1))
    return RadarWindow(start=start, end=end)


def radar_compute(*, cockpit: CockpitFilter, rep_ids: list[int], today: date | None = None) -> dict[int, dict[str, Axis]]:
    """The six axes for each of `rep_ids` (the cockpit's product line and pipeline apply; its people do not)."""
    window = radar_window(cockpit, today=today)
    scope = replace(cockpit, start=window.start, end=window.end, owner_ids=frozenset(rep_ids))
    result: dict[int, dict[str, Axis]] = {pk: {} for pk in rep_ids}
    if not rep_ids:
        return result
    frame = _frames.get(f"{scope.start_at.isoformat()}|{scope.end_at.isoformat()}", lambda: _frame_read(scope.start_at, scope.end_at))
    lead_rows = frame.leads

    axis_of_stage = _stage_axes(scope)
    reached: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in stage_reach(cockpit=scope, by_owner=True):
        axis = axis_of_stage.get(row.stage_id)
        if axis is not None:
            reached[(row.owner_id, axis)][0] += row.deals
            reached[(row.owner_id, axis)][1] += row.went_on
    closed: dict[int, dict[str, int]] = defaultdict(lambda: {"won": 0, "lost": 0})
    for _pipeline, _stage, owner, status, n, _amount in closed_counts(cockpit=scope):
        closed[owner][status] = closed[owner].get(status, 0) + n
    kept: dict[int, dict[str, int]] = defaultdict(lambda: {"open": 0, "touched": 0})
    for owner, pipeline_id, product_line, n_open, n_touched in frame.kept:
        if (not scope.product_line or product_line == scope.product_line) and (scope.pipeline is None or pipeline_id == scope.pipeline.pk):
            kept[owner]["open"] += n_open
            kept[owner]["touched"] += n_touched

    for pk in rep_ids:
        lead = lead_rows.get(pk, {})
        valid = int(lead.get("valid", 0))
        per_week = valid / window.weeks
        axes = {"prospecting": Axis(score=min(100.0, 100 * per_week / LEADS_PER_WEEK_FULL), value=per_week, n=valid)}
        for axis in STAGE_AXES:
            entered, went_on = reached.get((pk, axis), [0, 0])
            axes[axis] = _share(went_on, entered)
        won, lost = closed[pk]["won"], closed[pk]["lost"]
        axes["closing"] = _share(won, won + lost)
        contact = _share(int(lead.get("on_time", 0)), int(lead.get("assigned", 0)))
        follow = _share(kept[pk]["touched"], kept[pk]["open"])
        parts = [a for a in (contact, follow) if a.score is not None]
        axes["follow_up"] = Axis(
            score=sum(a.score or 0.0 for a in parts) / len(parts) if parts else None,
            value=sum(a.value or 0.0 for a in parts) / len(parts) if parts else None,
            n=contact.n + follow.n,
        )
        result[pk] = axes
    return result


@dataclass(frozen=True)
class RadarFrame:
    """The whole organisation's lead and follow-up counts for one window (the stage and closing counts come from the
    funnel's frame of the same window)."""

    leads: dict[int, dict[str, int]]  # owner -> valid, assigned, on_time
    kept: list[tuple[int, int, str, int, int]]  # owner, pipeline, product line, deals open at the end, of them followed up


_frames = FrameCache("insights.radar")


def _frame_read(start_at: datetime, end_at: datetime) -> RadarFrame:
    lead = Lead._meta.db_table
    # Owner and status only: the (owner, status, created_at) index answers it alone, where reading the lead rows
    # themselves costs seconds at 1M leads.
    owners = list(User.objects.values_list("pk", flat=True))
    valid_sql = f"""
        SELECT owner_id, status, COUNT(*) FROM {lead}
        WHERE owner_id IN ({", ".join(["%s"] * len(owners))}) AND created_at >= %s AND created_at < %s
        GROUP BY owner_id, status
    """  # noqa: S608 - table names and placeholders only
    timely_sql = f"""
        SELECT owner_id, COUNT(*),
               SUM(CASE WHEN first_contact_at IS NOT NULL AND {sql_epoch("first_contact_at")} - {sql_epoch("assigned_at")} <= %s
                   THEN 1 ELSE 0 END)
        FROM {lead} WHERE created_at >= %s AND created_at < %s AND owner_id IS NOT NULL AND assigned_at IS NOT NULL
        GROUP BY owner_id
    """  # noqa: S608 - table names and placeholders only
    opportunity, activity = Opportunity._meta.db_table, Activity._meta.db_table
    kept_sql = f"""
        SELECT o.owner_id, o.pipeline_id, o.product_line, COUNT(*),
               SUM(CASE WHEN EXISTS (
                   SELECT 1 FROM {activity} a WHERE a.opportunity_id = o.id AND a.occurred_at >= %s AND a.occurred_at < %s
               ) THEN 1 ELSE 0 END)
        FROM {opportunity} o
        WHERE o.created_at < %s AND (o.status = 'open' OR o.closed_at >= %s)
        GROUP BY o.owner_id, o.pipeline_id, o.product_line
    """  # noqa: S608 - table names and placeholders only
    since = end_at - timedelta(days=FOLLOW_UP_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(valid_sql, [*owners, sql_instant(start_at), sql_instant(end_at)])
        leads: dict[int, dict[str, int]] = {}
        for o, status, n in cursor.fetchall():
            counts = leads.setdefault(int(o), {"valid": 0, "assigned": 0, "on_time": 0})
            counts["valid"] += int(n) if status != Lead.Status.DISQUALIFIED else 0
        cursor.execute(timely_sql, [FIRST_CONTACT_HOURS * 3600, sql_instant(timely_since(start_at, end_at)), sql_instant(end_at)])
        for o, assigned, on_time in cursor.fetchall():
            counts = leads.setdefault(int(o), {"valid": 0, "assigned": 0, "on_time": 0})
            counts.update(assigned=int(assigned or 0), on_time=int(on_time or 0))
        cursor.execute(kept_sql, [sql_instant(since), sql_instant(end_at), sql_instant(end_at), sql_instant(end_at)])
        kept = [(int(o), int(p), pl or "", int(n), int(t or 0)) for o, p, pl, n, t in cursor.fetchall()]
    return RadarFrame(leads=leads, kept=kept)


def timely_since(start_at: datetime, end_at: datetime) -> datetime:
    """First-contact timeliness looks at the window's last `TIMELY_DAYS` only: recent habit, and a bounded read."""
    return max(start_at, end_at - timedelta(days=TIMELY_DAYS))


def _share(hits: int, total: int) -> Axis:
    return Axis(score=100 * hits / total, value=hits / total, n=total) if total else Axis(score=None, value=None, n=0)


def open_at_condition(instant: object) -> Q:
    """Deals that existed and were still open at `instant`."""
    return Q(created_at__lt=instant) & (Q(status=Opportunity.Status.OPEN) | Q(closed_at__gte=instant))


def _stage_axes(cockpit: CockpitFilter) -> dict[int, str]:
    """Stage pk → stage axis, for every pipeline (or the chosen one)."""
    pipelines = Pipeline.objects.prefetch_related("stages")
    if cockpit.pipeline is not None:
        pipelines = pipelines.filter(pk=cockpit.pipeline.pk)
    found: dict[int, str] = {}
    for pipeline in pipelines:
        stages = list(pipeline.stages.all())
        won_at = min((s.position for s in stages if s.is_won), default=None)
        if won_at is None:
            continue
        for stage in stages:
            for axis, before in STAGE_AXES.items():
                if stage.position == won_at - before:
                    found[stage.pk] = axis
    return found


def radar_median(radars: Mapping[int, Mapping[str, Axis]]) -> dict[str, float | None]:
    """Per axis, the median score over the reps that have one."""
    out: dict[str, float | None] = {}
    for key, _label in AXES:
        scores = [axes[key].score for axes in radars.values() if key in axes and axes[key].score is not None]
        out[key] = statistics.median(s for s in scores if s is not None) if scores else None
    return out


# ---- drill-downs: the records behind an axis (the window and the rep come in the filter) --------------------


@drill_register("radar_leads")
def _drill_leads(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill:
    condition = Q(owner_id__in=sorted(cockpit.owner_ids), created_at__gte=cockpit.start_at, created_at__lt=cockpit.end_at) & ~Q(
        status=Lead.Status.DISQUALIFIED
    )
    return Drill(kind="leads", title=_("有效线索（未判为无效）"), condition=condition, order_by=("-created_at", "-pk"))


@drill_register("radar_assigned")
def _drill_assigned(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill:
    since = timely_since(cockpit.start_at, cockpit.end_at)
    condition = Q(owner_id__in=sorted(cockpit.owner_ids), created_at__gte=since, created_at__lt=cockpit.end_at, assigned_at__isnull=False)
    title = _("最近 30 天收到并已分配的线索（看首次联系是否在 24 小时内）")
    return Drill(kind="leads", title=title, condition=condition, order_by=("-created_at", "-pk"))


@drill_register("radar_stage")
def _drill_stage(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill | None:
    axis = params.get("axis", "")
    if axis not in STAGE_AXES:
        return None
    stages = [pk for pk, a in _stage_axes(cockpit).items() if a == axis]
    entries = StageHistory.objects.filter(stage_id__in=stages, entered_at__gte=cockpit.start_at, entered_at__lt=cockpit.end_at)
    label = dict(AXES)[axis]
    return Drill(
        kind="deals", title=_("期间进入“%(axis)s”阶段的商机") % {"axis": label},
        condition=deal_condition(cockpit) & Q(pk__in=entries.values("opportunity_id")), order_by=("-amount", "-pk"),
    )  # fmt: skip


@drill_register("radar_open")
def _drill_open(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill:
    end_at = day_start(min(cockpit.end, clock_today()) + timedelta(days=1))
    return Drill(
        kind="deals", title=_("期末仍在进行的商机（看最近 14 天是否有跟进）"),
        condition=deal_condition(cockpit) & open_at_condition(end_at), order_by=("-amount", "-pk"),
    )  # fmt: skip
