"""Stage dwell time: how many days deals stay in each stage, per pipeline, and which stage holds them longest.

A *stay* runs from a deal's entry into a stage to its next stage entry (forward or back) or, for a deal closed in that
stage, to its closing. Stays in the won stage and after it (delivery) are left out: they are not selling time.
- completed stays: those that ended inside the period (up to now);
- open stays: those still running at the period's end (or now, when the period runs on), measured so far.
The median and 75th percentile of each are shown separately. The bottleneck is the stage with the largest median of
completed stays among stages with at least `MIN_STAYS` of them (the longest usual wait in the selection).

The stays come from one SQL statement (a window function over the stage history: each entry's next entry), as epoch
seconds, over the whole organisation once per period (insights/frames.py); percentiles of each filter's share in numpy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from xiaoguan.core.clock import clock_now
from xiaoguan.insights.drill import Drill, drill_register, param_int
from xiaoguan.insights.filters import CockpitFilter
from xiaoguan.insights.frames import FRAME_SECONDS, FrameCache
from xiaoguan.insights.sqlparts import OPPORTUNITY, STAGE, STAGE_HISTORY, deal_where, sql_epoch, sql_instant
from xiaoguan.opportunities.models import Pipeline, Stage

DAY = 86400.0
MIN_STAYS = 5


@dataclass(frozen=True)
class StageDwell:
    stage: Stage
    completed: int
    median_days: float | None
    p75_days: float | None
    open_count: int
    open_median_days: float | None
    open_p75_days: float | None
    is_bottleneck: bool = False


@dataclass(frozen=True)
class PipelineDwell:
    pipeline: Pipeline
    stages: list[StageDwell]

    @property
    def bottleneck(self) -> StageDwell | None:
        return next((s for s in self.stages if s.is_bottleneck), None)


def dwell_cut(cockpit: CockpitFilter, *, now: datetime | None = None) -> datetime:
    """Where the period stops counting: its end, or now when it has not ended yet (rounded down to the frames' slot,
    so that the views of a few minutes share one frame)."""
    now = now or clock_now()
    slot = int(FRAME_SECONDS)
    return min(cockpit.end_at, datetime.fromtimestamp(int(now.timestamp()) // slot * slot, tz=now.tzinfo))


def _stays_sql(*, start_at: datetime, cut: datetime, where: str = "1 = 1", params: Sequence[Any] = ()) -> tuple[str, list[Any]]:
    """(opportunity, owner, pipeline, stage, product line, entered, ended) of the stays before the won stage that
    overlap [start_at, cut), for the deals `where` (on `o`) selects; times in epoch seconds, ended -1 while it runs.

    Entries from the cut on are left out: a stay they would end is running at the cut, and so is one that ends at a
    closing after the cut. Deals closed before the period cannot have such a stay and are left out too."""
    sql = f"""
        SELECT w.opportunity_id, w.owner_id, w.pipeline_id, w.stage_id, w.product_line,
               {sql_epoch("w.entered_at")} AS entered, COALESCE({sql_epoch("w.ended_at")}, -1) AS ended
        FROM (
            SELECT h.opportunity_id, o.owner_id, o.pipeline_id, h.stage_id, o.product_line, h.entered_at,
                   COALESCE(
                       LEAD(h.entered_at) OVER (PARTITION BY h.opportunity_id ORDER BY h.entered_at, h.id),
                       CASE WHEN o.status <> 'open' THEN o.closed_at END
                   ) AS ended_at
            FROM {OPPORTUNITY} o CROSS JOIN {STAGE_HISTORY} h
            WHERE h.opportunity_id = o.id AND h.entered_at < %s AND (o.status = 'open' OR o.closed_at >= %s) AND {where}
        ) w
        WHERE (w.ended_at IS NULL OR w.ended_at >= %s)
          AND w.stage_id IN (
              SELECT s.id FROM {STAGE} s
              WHERE s.position < COALESCE((SELECT MIN(s3.position) FROM {STAGE} s3 WHERE s3.pipeline_id = s.pipeline_id AND s3.is_won), 1000)
          )
    """  # noqa: S608 - table names and placeholders only
    return sql, [sql_instant(cut), sql_instant(start_at), *params, sql_instant(start_at)]


@dataclass(frozen=True)
class StayFrame:
    """Every deal's stays overlapping one period, as columns."""

    owner: npt.NDArray[np.int64]
    pipeline: npt.NDArray[np.int64]
    stage: npt.NDArray[np.int64]
    product_line: npt.NDArray[np.object_]
    days: npt.NDArray[np.float64]
    running: npt.NDArray[np.bool_]


_frames = FrameCache("insights.dwell")


def _frame_read(*, start_at: datetime, cut: datetime) -> StayFrame:
    sql, params = _stays_sql(start_at=start_at, cut=cut)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    columns = list(zip(*rows, strict=True)) or [()] * 7
    entered, ended = np.asarray(columns[5], dtype=np.int64), np.asarray(columns[6], dtype=np.int64)
    cut_s = int(cut.timestamp())
    running = (ended == -1) | (ended >= cut_s)
    return StayFrame(
        owner=np.asarray(columns[1], dtype=np.int64), pipeline=np.asarray(columns[2], dtype=np.int64),
        stage=np.asarray(columns[3], dtype=np.int64), product_line=np.asarray([p or "" for p in columns[4]], dtype=object),
        days=np.where(running, cut_s - entered, ended - entered) / DAY, running=running,
    )  # fmt: skip


def dwell_compute(*, cockpit: CockpitFilter, now: datetime | None = None) -> list[PipelineDwell]:
    cut = dwell_cut(cockpit, now=now)
    if cut <= cockpit.start_at:
        return []
    frame = _frames.get(f"{cockpit.start_at.isoformat()}|{cut.isoformat()}", lambda: _frame_read(start_at=cockpit.start_at, cut=cut))
    keep = np.isin(frame.owner, np.fromiter(cockpit.owner_ids, dtype=np.int64, count=len(cockpit.owner_ids)))
    if cockpit.product_line:
        keep &= frame.product_line == cockpit.product_line
    completed, running = keep & ~frame.running, keep & frame.running

    pipelines = Pipeline.objects.prefetch_related("stages").order_by("pk")
    if cockpit.pipeline is not None:
        pipelines = pipelines.filter(pk=cockpit.pipeline.pk)
    result = []
    for pipeline in pipelines:
        stages = sorted(pipeline.stages.all(), key=lambda s: s.position)
        won_at = min((s.position for s in stages if s.is_won), default=None)
        rows_out = []
        for stage in stages:
            if won_at is not None and stage.position >= won_at:
                break
            here = (frame.pipeline == pipeline.pk) & (frame.stage == stage.pk)
            done, still = frame.days[here & completed], frame.days[here & running]
            rows_out.append(
                StageDwell(
                    stage=stage, completed=len(done), median_days=_pct(done, 50), p75_days=_pct(done, 75),
                    open_count=len(still), open_median_days=_pct(still, 50), open_p75_days=_pct(still, 75),
                )
            )
        if not any(r.completed or r.open_count for r in rows_out):
            continue
        ranked = [r for r in rows_out if r.completed >= MIN_STAYS and r.median_days is not None]
        if ranked:
            worst = max(ranked, key=lambda r: r.median_days or 0.0)
            rows_out = [StageDwell(**{**r.__dict__, "is_bottleneck": r is worst}) for r in rows_out]
        result.append(PipelineDwell(pipeline=pipeline, stages=rows_out))
    return result


def _pct(values: np.ndarray[Any, Any], q: float) -> float | None:
    return float(np.percentile(values, q)) if len(values) else None


# ---- drill-downs: the deals behind a stage's stays, from the same statement -----------------------------------


def _drill(cockpit: CockpitFilter, params: Mapping[str, str], *, running: bool) -> Drill | None:
    stage_pk = param_int(params, "stage")
    stage = Stage.objects.select_related("pipeline").filter(pk=stage_pk).first() if stage_pk is not None else None
    if stage is None:
        return None
    cut = dwell_cut(cockpit)
    where, where_params = deal_where(cockpit, alias="o")
    sql, sql_params = _stays_sql(start_at=cockpit.start_at, cut=cut, where=where, params=where_params)
    cut_s = int(cut.timestamp())
    test = "(t.ended = -1 OR t.ended >= %s)" if running else "(t.ended <> -1 AND t.ended < %s)"
    ids = RawSQL(f"SELECT t.opportunity_id FROM ({sql}) t WHERE t.stage_id = %s AND {test}", (*sql_params, stage.pk, cut_s))  # noqa: S608, S611
    label = {"pipeline": stage.pipeline.name, "stage": stage.name}
    title = (_("%(pipeline)s · 仍停留在“%(stage)s”的商机") if running else _("%(pipeline)s · 本期离开“%(stage)s”的商机")) % label
    return Drill(kind="deals", title=title, condition=Q(pk__in=ids), order_by=("-amount", "-pk"))


@drill_register("dwell_completed")
def _drill_completed(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill | None:
    return _drill(cockpit, params, running=False)


@drill_register("dwell_open")
def _drill_open(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill | None:
    return _drill(cockpit, params, running=True)
