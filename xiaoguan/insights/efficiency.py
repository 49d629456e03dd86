"""Opportunity efficiency (商机推进效率) per region: stage advances per effective visit in the period.

- a stage advance is a stage-history entry in the period whose stage stands later in its pipeline than the deal's
  previous entry (creating a deal in its first stage, or moving it back, is no advance), counted on the deal's owner;
- an effective visit is a visit, meeting or demo occurring in the period that the authenticity scoring
  (insights/authenticity.py, as of the current 10-minute slot, on the records typed from two weeks before the period
  on) does not flag as probably invented.

Both counts are shown beside the ratio: 12 advances from 40 visits and 3 from 10 read the same as a ratio.
Per region (the owner's region), per rep within the filter, and the flagged visits left out, so each figure opens.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from xiaoguan.activities.models import Activity
from xiaoguan.core.clock import clock_now
from xiaoguan.core.process_cache import ProcessCache
from xiaoguan.insights.authenticity import authenticity_flagged_since
from xiaoguan.insights.drill import Drill, drill_register
from xiaoguan.insights.filters import CockpitFilter
from xiaoguan.insights.selectors import _epoch, _param
from xiaoguan.opportunities.models import Opportunity, Stage, StageHistory
from xiaoguan.org.models import Role, Team, User

VISIT_KINDS: tuple[str, ...] = (Activity.Kind.VISIT, Activity.Kind.MEETING, Activity.Kind.DEMO)
SCORE_LOOKBACK = timedelta(days=14)


@dataclass(frozen=True)
class AdvanceFrame:
    """Stage advances of one period, for everyone: (deal, owner, pipeline, product line) per advance."""

    deal: list[int]
    owner: list[int]
    pipeline: list[int]
    product_line: list[str]


def advances_compute(*, start: datetime, end: datetime) -> AdvanceFrame:
    """Every forward stage entry in [start, end): the deal's previous entry (any time before) stood earlier."""
    vendor = connection.vendor
    sh, st, op = StageHistory._meta.db_table, Stage._meta.db_table, Opportunity._meta.db_table
    sql = (
        f"SELECT h.opportunity_id, {_epoch('h.entered_at', vendor)}, h.id, s.position, o.owner_id, o.pipeline_id, o.product_line "  # noqa: S608
        f"FROM {sh} h JOIN {st} s ON s.id = h.stage_id JOIN {op} o ON o.id = h.opportunity_id "
        f"WHERE h.entered_at < %s AND h.opportunity_id IN (SELECT opportunity_id FROM {sh} WHERE entered_at >= %s AND entered_at < %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_param(end, vendor), _param(start, vendor), _param(end, vendor)])
        rows = cursor.fetchall()
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    start_s = int(start.timestamp())
    frame = AdvanceFrame(deal=[], owner=[], pipeline=[], product_line=[])
    previous: tuple[int, int] | None = None  # (deal, position) of the entry before
    for deal, at, _pk, position, owner, pipeline, line in rows:
        if previous is not None and previous[0] == deal and position > previous[1] and at >= start_s:
            frame.deal.append(deal)
            frame.owner.append(owner)
            frame.pipeline.append(pipeline)
            frame.product_line.append(line)
        previous = (deal, position)
    return frame


@dataclass(frozen=True)
class VisitFrame:
    """Visits, meetings and demos of one period, for everyone: per owner the count, and the flagged ones."""

    total: dict[int, int]
    flagged: dict[int, list[int]]  # owner -> ids of the flagged visits


def visits_compute(*, start: datetime, end: datetime, now: datetime) -> VisitFrame:
    """Visits of [start, end) per owner, and those the authenticity scoring flags. The scoring reads only the records
    typed from SCORE_LOOKBACK before the period to now (a window's scoring costs a fraction of the whole history's; a
    record is typed at the earliest a few minutes before it happened, and late write-ups after the period still count)."""
    rows = (
        Activity.objects.filter(kind__in=VISIT_KINDS, occurred_at__gte=start, occurred_at__lt=end).order_by()
        .values("owner_id").annotate(n=Count("pk")).values_list("owner_id", "n")
    )  # fmt: skip
    total = dict(rows)
    candidates = sorted(authenticity_flagged_since(as_of=now, since=start - SCORE_LOOKBACK))
    flagged: dict[int, list[int]] = defaultdict(list)
    for chunk_start in range(0, len(candidates), 5000):
        chunk = candidates[chunk_start : chunk_start + 5000]
        for pk, owner in Activity.objects.filter(
            pk__in=chunk, kind__in=VISIT_KINDS, occurred_at__gte=start, occurred_at__lt=end
        ).values_list("pk", "owner_id"):
            flagged[owner].append(pk)
    return VisitFrame(total=total, flagged=dict(flagged))


SLOT_SECONDS = 600
_frames = ProcessCache("insights.efficiency", seconds=SLOT_SECONDS, shared=True)


def _slot(now: datetime) -> datetime:
    return datetime.fromtimestamp(int(now.timestamp()) // SLOT_SECONDS * SLOT_SECONDS, tz=now.tzinfo)


def _frames_for(f: CockpitFilter, now: datetime) -> tuple[AdvanceFrame, VisitFrame]:
    slot = _slot(now)
    until = min(f.end_at, now)
    key = f"{f.start_at.isoformat()}:{f.end_at.isoformat()}:{slot.isoformat()}"
    return _frames.get(
        key, lambda: (advances_compute(start=f.start_at, end=until), visits_compute(start=f.start_at, end=until, now=slot))
    )


@dataclass
class EfficiencyRow:
    level: str  # "all", "region", "rep"
    label: str
    key: str
    people: frozenset[int]
    advances: int = 0
    visits: int = 0  # every visit, meeting and demo
    flagged: int = 0  # of which flagged as probably invented

    @property
    def effective(self) -> int:
        return self.visits - self.flagged

    @property
    def ratio(self) -> float | None:
        """Stage advances per effective visit."""
        return self.advances / self.effective if self.effective else None


@dataclass
class EfficiencyReport:
    rows: list[EfficiencyRow] = field(default_factory=list)


def _advances_of(frame: AdvanceFrame, f: CockpitFilter) -> list[tuple[int, int]]:
    """(deal, owner) of the period's advances within the filter (owners, pipeline, product line)."""
    return [
        (deal, owner)
        for deal, owner, pipeline, line in zip(frame.deal, frame.owner, frame.pipeline, frame.product_line, strict=True)
        if owner in f.owner_ids and (f.pipeline is None or pipeline == f.pipeline.pk) and (not f.product_line or line == f.product_line)
    ]


def efficiency_report(*, f: CockpitFilter, now: datetime) -> EfficiencyReport:
    """Advances per effective visit: everyone, each region, and each rep the filter counts."""
    advance_frame, visits = _frames_for(f, now)
    advances = _advances_of(advance_frame, f)
    per_owner: dict[int, int] = defaultdict(int)
    for _deal, owner in advances:
        per_owner[owner] += 1
    people = list(User.objects.filter(pk__in=f.owner_ids).select_related("team").order_by("team__path", "name"))
    report = EfficiencyReport()
    if f.rep is None:
        report.rows.append(EfficiencyRow(level="all", label=_("全部"), key="", people=frozenset(f.owner_ids)))
        paths = {p.team.path for p in people if p.team is not None}
        for region in Team.objects.filter(kind=Team.Kind.REGION).order_by("path"):
            if any(path.startswith(region.path) for path in paths):
                members = frozenset(p.pk for p in people if p.team is not None and p.team.path.startswith(region.path))
                report.rows.append(EfficiencyRow(level="region", label=region.name, key=region.external_id, people=members))
    for person in people:
        if person.role == Role.REP:
            report.rows.append(EfficiencyRow(level="rep", label=person.name, key=person.external_id, people=frozenset({person.pk})))
    for row in report.rows:
        row.advances = sum(per_owner.get(pk, 0) for pk in row.people)
        row.visits = sum(visits.total.get(pk, 0) for pk in row.people)
        row.flagged = sum(len(visits.flagged.get(pk, ())) for pk in row.people)
    return report


def advanced_deal_ids(*, f: CockpitFilter, now: datetime, people: Iterable[int]) -> list[int]:
    """The deals behind an advance count (a deal advanced twice is listed once)."""
    wanted = set(people)
    advance_frame, _visits = _frames_for(f, now)
    return sorted({deal for deal, owner in _advances_of(advance_frame, f) if owner in wanted})


def visit_condition(*, f: CockpitFilter, now: datetime, people: Iterable[int], flagged: bool) -> Q:
    """The visits behind a count: the effective ones, or (`flagged`) the ones the authenticity scoring left out."""
    wanted = sorted(set(people))
    _advances, visits = _frames_for(f, now)
    left_out = sorted(pk for owner in wanted for pk in visits.flagged.get(owner, ()))
    if flagged:
        return Q(pk__in=left_out)
    base = Q(owner_id__in=wanted, kind__in=VISIT_KINDS, occurred_at__gte=f.start_at, occurred_at__lt=min(f.end_at, now))
    return base & ~Q(pk__in=left_out) if left_out else base


def _scope_title(cockpit: CockpitFilter, text: str) -> str:
    scope = cockpit.rep or cockpit.team or cockpit.region
    return f"{scope.name} · {text}" if scope is not None else text


@drill_register("efficiency_advances")
def _advances_drill(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill | None:
    ids = advanced_deal_ids(f=cockpit, now=clock_now(), people=cockpit.owner_ids)[:30_000]
    return Drill(kind="deals", title=_scope_title(cockpit, _("本期阶段向前推进的商机")), condition=Q(pk__in=ids), order_by=("-pk",))


@drill_register("efficiency_visits")
def _visits_drill(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill | None:
    """The effective visits (or, with `flagged=1`, those the authenticity scoring left out)."""
    flagged = params.get("flagged") == "1"
    condition = visit_condition(f=cockpit, now=clock_now(), people=cockpit.owner_ids, flagged=flagged)
    text = _("被判为可能不实、未计入的拜访/会议/演示") if flagged else _("本期有效拜访/会议/演示")
    return Drill(kind="activities", title=_scope_title(cockpit, text), condition=condition, order_by=("-occurred_at", "-pk"))
