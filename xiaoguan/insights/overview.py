"""The cockpit's headline figures for a filter: deals won, lost and created in the period, the open pipeline, new
leads and follow-ups. One aggregate query per entity; each figure has its drill-down."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from xiaoguan.activities.models import Activity
from xiaoguan.insights.drill import Drill, deal_condition, drill_register
from xiaoguan.insights.filters import CockpitFilter
from xiaoguan.leads.models import Lead
from xiaoguan.opportunities.models import Opportunity


@dataclass(frozen=True)
class Overview:
    won_count: int
    won_amount: float
    lost_count: int
    created_count: int
    open_count: int
    open_amount: float
    leads_new: int
    activities: int

    @property
    def win_rate(self) -> float | None:
        """Won / (won + lost) among the deals closed in the period."""
        closed = self.won_count + self.lost_count
        return self.won_count / closed if closed else None


def _won(cockpit: CockpitFilter) -> Q:
    return Q(status=Opportunity.Status.WON, closed_at__gte=cockpit.start_at, closed_at__lt=cockpit.end_at)


def _lost(cockpit: CockpitFilter) -> Q:
    return Q(status=Opportunity.Status.LOST, closed_at__gte=cockpit.start_at, closed_at__lt=cockpit.end_at)


def _created(cockpit: CockpitFilter) -> Q:
    return Q(created_at__gte=cockpit.start_at, created_at__lt=cockpit.end_at)


def _leads_new(cockpit: CockpitFilter) -> Q:
    return Q(owner_id__in=sorted(cockpit.owner_ids), created_at__gte=cockpit.start_at, created_at__lt=cockpit.end_at)


def _activities(cockpit: CockpitFilter) -> Q:
    return Q(owner_id__in=sorted(cockpit.owner_ids), occurred_at__gte=cockpit.start_at, occurred_at__lt=cockpit.end_at)


OPEN = Q(status=Opportunity.Status.OPEN)


def overview_compute(*, cockpit: CockpitFilter) -> Overview:
    """The headline figures; open deals are those open now (the pipeline a manager works with), whatever the period."""
    deals = Opportunity.objects.filter(deal_condition(cockpit)).order_by()
    figures = deals.aggregate(
        won_count=Count("pk", filter=_won(cockpit)),
        won_amount=Sum("amount", filter=_won(cockpit)),
        lost_count=Count("pk", filter=_lost(cockpit)),
        created_count=Count("pk", filter=_created(cockpit)),
        open_count=Count("pk", filter=OPEN),
        open_amount=Sum("amount", filter=OPEN),
    )
    return Overview(
        won_count=figures["won_count"],
        won_amount=float(figures["won_amount"] or 0),
        lost_count=figures["lost_count"],
        created_count=figures["created_count"],
        open_count=figures["open_count"],
        open_amount=float(figures["open_amount"] or 0),
        leads_new=Lead.objects.filter(_leads_new(cockpit)).order_by().count(),
        activities=Activity.objects.filter(_activities(cockpit)).order_by().count(),
    )


@drill_register("won")
def _drill_won(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill:
    return Drill(kind="deals", title=_("本期赢单"), condition=deal_condition(cockpit) & _won(cockpit), order_by=("-closed_at", "-pk"))


@drill_register("lost")
def _drill_lost(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill:
    return Drill(kind="deals", title=_("本期输单"), condition=deal_condition(cockpit) & _lost(cockpit), order_by=("-closed_at", "-pk"))


@drill_register("created")
def _drill_created(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill:
    return Drill(kind="deals", title=_("本期新建商机"), condition=deal_condition(cockpit) & _created(cockpit), order_by=("-created_at", "-pk"))


@drill_register("open")
def _drill_open(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill:
    return Drill(kind="deals", title=_("进行中商机"), condition=deal_condition(cockpit) & OPEN, order_by=("-amount", "-pk"))


@drill_register("leads_new")
def _drill_leads_new(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill:
    return Drill(kind="leads", title=_("本期新线索"), condition=_leads_new(cockpit), order_by=("-created_at", "-pk"))


@drill_register("activities")
def _drill_activities(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill:
    return Drill(kind="activities", title=_("本期跟进记录"), condition=_activities(cockpit), order_by=("-occurred_at", "-pk"))
