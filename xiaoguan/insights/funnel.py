"""Funnel by stage, per pipeline: the deals that reached each stage in the period, how many went on, and their amounts.

A deal *reached* a stage in the period when its stage history has an entry into that stage inside the period (a deal
that came back to a stage counts once). It *went on* when, at or after that first entry, it entered a stage further
along the same pipeline (at any time up to now): conversion = went on ÷ reached, a cohort rate that cannot exceed
100 %. Amounts are the deals' current amounts. Won and lost are the deals closed in the period; a lost deal is counted
at the stage it was lost in. One grouped SQL statement for the stages, one for the closings, over the whole
organisation once per period (insights/frames.py); each filter takes its people's share.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from xiaoguan.insights.drill import Drill, deal_condition, drill_register, param_int
from xiaoguan.insights.filters import CockpitFilter
from xiaoguan.insights.frames import FrameCache
from xiaoguan.insights.sqlparts import OPPORTUNITY, STAGE, STAGE_HISTORY, sql_instant
from xiaoguan.opportunities.models import Opportunity, Pipeline, Stage, StageHistory


@dataclass(frozen=True)
class FunnelStage:
    stage: Stage
    deals: int  # reached the stage in the period
    went_on: int  # of those, entered a later stage afterwards
    amount: float
    lost_here: int  # lost in the period while in this stage
    is_last: bool = False

    @property
    def conversion(self) -> float | None:
        return self.went_on / self.deals if self.deals and not self.is_last else None


@dataclass(frozen=True)
class PipelineFunnel:
    pipeline: Pipeline
    stages: list[FunnelStage]
    won_count: int
    won_amount: float
    lost_count: int
    lost_amount: float

    @property
    def reached_any(self) -> int:
        return max((s.deals for s in self.stages), default=0)

    @property
    def win_rate(self) -> float | None:
        closed = self.won_count + self.lost_count
        return self.won_count / closed if closed else None


@dataclass(frozen=True)
class Reach:
    """One group of `stage_reach`: deals of a pipeline (and owner) that reached a stage in the window."""

    pipeline_id: int
    stage_id: int
    owner_id: int  # 0 unless grouped by owner
    deals: int
    went_on: int
    amount: float


@dataclass(frozen=True)
class FunnelFrame:
    """The whole organisation's stage entries and closings of one period, by owner, pipeline and product line."""

    reach: list[tuple[int, int, int, str, int, int, float]]  # pipeline, stage, owner, product line, deals, went on, amount
    closed: list[tuple[int, int, int, str, str, int, float]]  # pipeline, stage, owner, product line, status, deals, amount


_frames = FrameCache("insights.funnel")


def funnel_frame(*, start_at: datetime, end_at: datetime) -> FunnelFrame:
    return _frames.get(f"{start_at.isoformat()}|{end_at.isoformat()}", lambda: _frame_read(start_at=start_at, end_at=end_at))


def _frame_read(*, start_at: datetime, end_at: datetime) -> FunnelFrame:
    """Two grouped statements over every deal. A deal whose current stage lies beyond the one it entered has gone on
    (its last move came after that entry); only the others need the look through their history (a deal that went on
    and came back, or that stopped there)."""
    reach_sql = f"""
        SELECT o.pipeline_id, f.stage_id, o.owner_id, o.product_line, COUNT(*),
               SUM(CASE WHEN now_at.position > s.position THEN 1 WHEN EXISTS (
                   SELECT 1 FROM {STAGE_HISTORY} h2 JOIN {STAGE} s2 ON s2.id = h2.stage_id
                   WHERE h2.opportunity_id = f.opportunity_id AND h2.entered_at >= f.first_at AND s2.position > s.position
               ) THEN 1 ELSE 0 END),
               SUM(COALESCE(o.amount, 0))
        FROM (
            SELECT h.opportunity_id, h.stage_id, MIN(h.entered_at) AS first_at FROM {STAGE_HISTORY} h
            WHERE h.entered_at >= %s AND h.entered_at < %s
            GROUP BY h.opportunity_id, h.stage_id
        ) f
        JOIN {OPPORTUNITY} o ON o.id = f.opportunity_id
        JOIN {STAGE} s ON s.id = f.stage_id
        JOIN {STAGE} now_at ON now_at.id = o.stage_id
        GROUP BY o.pipeline_id, f.stage_id, o.owner_id, o.product_line
    """  # noqa: S608 - table names and placeholders only
    closed_sql = f"""
        SELECT o.pipeline_id, o.stage_id, o.owner_id, o.product_line, o.status, COUNT(*), SUM(COALESCE(o.amount, 0))
        FROM {OPPORTUNITY} o WHERE o.status <> 'open' AND o.closed_at >= %s AND o.closed_at < %s
        GROUP BY o.pipeline_id, o.stage_id, o.owner_id, o.product_line, o.status
    """  # noqa: S608 - table names and placeholders only
    window = [sql_instant(start_at), sql_instant(end_at)]
    with connection.cursor() as cursor:
        cursor.execute(reach_sql, window)
        reach = [(int(p), int(s), int(o), pl or "", int(n), int(w or 0), float(a or 0)) for p, s, o, pl, n, w, a in cursor.fetchall()]
        cursor.execute(closed_sql, window)
        closed = [(int(p), int(s), int(o), pl or "", st, int(n), float(a or 0)) for p, s, o, pl, st, n, a in cursor.fetchall()]
    return FunnelFrame(reach=reach, closed=closed)


def _counted(cockpit: CockpitFilter, pipeline_id: int, owner_id: int, product_line: str) -> bool:
    return (
        owner_id in cockpit.owner_ids
        and (not cockpit.product_line or product_line == cockpit.product_line)
        and (cockpit.pipeline is None or pipeline_id == cockpit.pipeline.pk)
    )


def stage_reach(*, cockpit: CockpitFilter, by_owner: bool = False) -> list[Reach]:
    """Deals that reached each stage in [cockpit.start_at, cockpit.end_at) and how many went on: the filter's share
    of the period's frame, per pipeline and stage (and owner)."""
    frame = funnel_frame(start_at=cockpit.start_at, end_at=cockpit.end_at)
    sums: dict[tuple[int, int, int], list[float]] = {}
    for pipeline_id, stage_id, owner_id, product_line, deals, went_on, amount in frame.reach:
        if _counted(cockpit, pipeline_id, owner_id, product_line):
            total = sums.setdefault((pipeline_id, stage_id, owner_id if by_owner else 0), [0, 0, 0.0])
            total[0] += deals
            total[1] += went_on
            total[2] += amount
    return [Reach(p, s, o, int(n), int(w), float(a)) for (p, s, o), (n, w, a) in sums.items()]


def closed_counts(*, cockpit: CockpitFilter) -> list[tuple[int, int, int, str, int, float]]:
    """(pipeline, stage, owner, status, deals, amount) of the deals the filter counts closed in the period."""
    frame = funnel_frame(start_at=cockpit.start_at, end_at=cockpit.end_at)
    return [(p, s, o, st, n, a) for p, s, o, pl, st, n, a in frame.closed if _counted(cockpit, p, o, pl)]


def funnel_compute(*, cockpit: CockpitFilter) -> list[PipelineFunnel]:
    """One funnel per pipeline that has deals in the selection (only the chosen pipeline when the filter names one)."""
    reach = {(r.pipeline_id, r.stage_id): r for r in stage_reach(cockpit=cockpit)}
    lost_here: dict[int, int] = {}
    closed: dict[tuple[int, str], tuple[int, float]] = {}
    for pipeline_id, stage_id, _owner, status, n, amount in closed_counts(cockpit=cockpit):
        if status == Opportunity.Status.LOST:
            lost_here[stage_id] = lost_here.get(stage_id, 0) + n
        count, total = closed.get((pipeline_id, status), (0, 0.0))
        closed[(pipeline_id, status)] = (count + n, total + amount)
    pipelines = Pipeline.objects.prefetch_related("stages").order_by("pk")
    if cockpit.pipeline is not None:
        pipelines = pipelines.filter(pk=cockpit.pipeline.pk)
    funnels = []
    for pipeline in pipelines:
        stages = sorted(pipeline.stages.all(), key=lambda s: s.position)
        rows = [
            FunnelStage(
                stage=s,
                deals=reach[(pipeline.pk, s.pk)].deals if (pipeline.pk, s.pk) in reach else 0,
                went_on=reach[(pipeline.pk, s.pk)].went_on if (pipeline.pk, s.pk) in reach else 0,
                amount=reach[(pipeline.pk, s.pk)].amount if (pipeline.pk, s.pk) in reach else 0.0,
                lost_here=lost_here.get(s.pk, 0),
                is_last=s is stages[-1],
            )
            for s in stages
        ]
        won = closed.get((pipeline.pk, Opportunity.Status.WON), (0, 0.0))
        lost = closed.get((pipeline.pk, Opportunity.Status.LOST), (0, 0.0))
        if any(r.deals or r.lost_here for r in rows) or won[0] or lost[0]:
            funnels.append(PipelineFunnel(pipeline=pipeline, stages=rows, won_count=won[0], won_amount=won[1], lost_count=lost[0], lost_amount=lost[1]))
    return funnels


# ---- drill-downs: the same definitions as Django conditions on Opportunity -------------------------------------


def _stage(params: Mapping[str, str]) -> Stage | None:
    pk = param_int(params, "stage")
    return Stage.objects.select_related("pipeline").filter(pk=pk).first() if pk is not None else None


def reached_condition(cockpit: CockpitFilter, stage: Stage) -> Q:
    entries = StageHistory.objects.filter(stage=stage, entered_at__gte=cockpit.start_at, entered_at__lt=cockpit.end_at)
    return deal_condition(cockpit) & Q(pk__in=entries.values("opportunity_id"))


def went_on_condition(cockpit: CockpitFilter, stage: Stage) -> Q:
    first = (
        StageHistory.objects.filter(
            opportunity=OuterRef(OuterRef("pk")), stage=stage, entered_at__gte=cockpit.start_at, entered_at__lt=cockpit.end_at
        ).order_by("entered_at").values("entered_at")[:1]
    )  # fmt: skip
    later = StageHistory.objects.filter(
        opportunity=OuterRef("pk"), stage__pipeline_id=stage.pipeline_id, stage__position__gt=stage.position, entered_at__gte=Subquery(first)
    )
    return reached_condition(cockpit, stage) & Q(Exists(later))


def lost_here_condition(cockpit: CockpitFilter, stage: Stage) -> Q:
    return deal_condition(cockpit) & Q(
        stage=stage, status=Opportunity.Status.LOST, closed_at__gte=cockpit.start_at, closed_at__lt=cockpit.end_at
    )


@drill_register("funnel_reached")
def _drill_reached(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill | None:
    stage = _stage(params)
    if stage is None:
        return None
    title = _("%(pipeline)s · 本期进入“%(stage)s”的商机") % {"pipeline": stage.pipeline.name, "stage": stage.name}
    return Drill(kind="deals", title=title, condition=reached_condition(cockpit, stage), order_by=("-amount", "-pk"))


@drill_register("funnel_went_on")
def _drill_went_on(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill | None:
    stage = _stage(params)
    if stage is None:
        return None
    title = _("%(pipeline)s · 本期进入“%(stage)s”并继续推进的商机") % {"pipeline": stage.pipeline.name, "stage": stage.name}
    return Drill(kind="deals", title=title, condition=went_on_condition(cockpit, stage), order_by=("-amount", "-pk"))


@drill_register("funnel_lost_here")
def _drill_lost_here(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill | None:
    stage = _stage(params)
    if stage is None:
        return None
    title = _("%(pipeline)s · 本期在“%(stage)s”输掉的商机") % {"pipeline": stage.pipeline.name, "stage": stage.name}
    return Drill(kind="deals", title=title, condition=lost_here_condition(cockpit, stage), order_by=("-closed_at", "-pk"))
