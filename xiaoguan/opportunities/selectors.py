"""Reads of pipelines and opportunities, always through the visibility rule."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from xiaoguan.opportunities.models import Opportunity, Pipeline, Stage, StageHistory
from xiaoguan.org.models import User
from xiaoguan.org.visibility import assigned_scope, owner_scope, scope_any, scope_apply


def opportunity_list_visible_to(*, user: User) -> QuerySet[Opportunity]:
    opportunities = Opportunity.objects.select_related("owner", "account", "stage", "pipeline")
    return scope_apply(opportunities, scope_any(owner_scope(user=user), assigned_scope(user=user, model=Opportunity)))


def opportunity_search(*, user: User, query: str = "", status: str = "", pipeline: Pipeline | None = None) -> QuerySet[Opportunity]:
    opportunities = opportunity_list_visible_to(user=user)
    if status:
        opportunities = opportunities.filter(status=status)
    if pipeline is not None:
        opportunities = opportunities.filter(pipeline=pipeline)
    query = query.strip()
    if query:
        opportunities = opportunities.filter(Q(name__icontains=query) | Q(account__name__icontains=query) | Q(external_id=query))
    return opportunities.order_by("-created_at", "-pk")


def pipeline_list() -> QuerySet[Pipeline]:
    return Pipeline.objects.prefetch_related("stages").order_by("pk")


def stage_list(*, pipeline: Pipeline) -> QuerySet[Stage]:
    return pipeline.stages.order_by("position")


def stage_history_list(*, opportunity: Opportunity) -> QuerySet[StageHistory]:
    return opportunity.stage_history.select_related("stage", "changed_by").order_by("entered_at", "pk")
