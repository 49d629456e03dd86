"""/api/opportunities and /api/pipelines: deals through their stages, won, lost, reopened."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from xiaoguan.api.auth import viewer
from xiaoguan.api.errors import with_errors
from xiaoguan.api.pagination import PageParams, page_build
from xiaoguan.api.refs import References, plain_values, visible_or_404
from xiaoguan.api.schemas.common import ExternalId
from xiaoguan.api.schemas.opportunities import (
    CloseLostIn,
    MoveStageIn,
    OpportunityFilters,
    OpportunityIn,
    OpportunityOut,
    OpportunityPage,
    OpportunityPatch,
    PipelineOut,
    StageHistoryOut,
)
from xiaoguan.core.clock import clock_now
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.opportunities.selectors import opportunity_list_visible_to, opportunity_search, pipeline_list, stage_history_list
from xiaoguan.opportunities.services import (
    opportunity_close_lost,
    opportunity_close_won,
    opportunity_create,
    opportunity_move_stage,
    opportunity_reopen,
    opportunity_update,
)
from xiaoguan.org.models import User

router = Router(tags=["opportunities 商机"])
pipelines_router = Router(tags=["opportunities 商机"])


def _opportunity(user: User, opportunity_id: str) -> Opportunity:
    return visible_or_404(opportunity_list_visible_to(user=user), opportunity_id)


@router.get("", response=with_errors({200: OpportunityPage}), summary="商机列表")
def opportunities_list(request: HttpRequest, filters: Query[OpportunityFilters], page: Query[PageParams]) -> Any:
    """Newest first. `stage` is a stage key; with several pipelines, add `pipeline` to be precise."""
    user = viewer(request)
    opportunities = opportunity_search(user=user, query=filters.q, status=filters.status or "")
    if filters.pipeline:
        opportunities = opportunities.filter(pipeline__external_id=filters.pipeline)
    if filters.stage:
        opportunities = opportunities.filter(stage__key=filters.stage)
    if filters.owner_id:
        opportunities = opportunities.filter(owner__external_id=filters.owner_id)
    if filters.account_id:
        opportunities = opportunities.filter(account__external_id=filters.account_id)
    return page_build(request=request, queryset=opportunities, params=page, item=OpportunityOut.of)


@router.get("/{opportunity_id}", response=with_errors({200: OpportunityOut}), summary="商机详情")
def opportunities_get(request: HttpRequest, opportunity_id: ExternalId) -> Any:
    return OpportunityOut.of(_opportunity(viewer(request), opportunity_id))


@router.get("/{opportunity_id}/stage-history", response=with_errors({200: list[StageHistoryOut]}), summary="阶段历史")
def opportunities_stage_history(request: HttpRequest, opportunity_id: ExternalId) -> Any:
    """Every entry into a stage, oldest first."""
    opportunity = _opportunity(viewer(request), opportunity_id)
    return [StageHistoryOut.of(entry) for entry in stage_history_list(opportunity=opportunity)]


@router.post("", response=with_errors({201: OpportunityOut}), summary="新建商机")
def opportunities_create(request: HttpRequest, payload: OpportunityIn) -> Any:
    """Opens in the first stage of its pipeline."""
    user = viewer(request)
    refs = References(viewer=user)
    account = refs.account("account_id", payload.account_id)
    owner = refs.user("owner_id", payload.owner_id)
    pipeline = refs.pipeline("pipeline", payload.pipeline)
    refs.check()
    assert account is not None  # noqa: S101 - account_id is required, so check() has refused a missing one
    opportunity = opportunity_create(
        account=account, by=user, now=clock_now(), name=payload.name, owner=owner, pipeline=pipeline,
        product_line=payload.product_line, amount=payload.amount, expected_close=payload.expected_close,
    )
    return Status(201, OpportunityOut.of(opportunity))


@router.patch("/{opportunity_id}", response=with_errors({200: OpportunityOut}), summary="修改商机")
def opportunities_update(request: HttpRequest, opportunity_id: ExternalId, payload: OpportunityPatch) -> Any:
    user = viewer(request)
    opportunity = _opportunity(user, opportunity_id)
    values = plain_values(payload.model_dump(exclude_unset=True))
    return OpportunityOut.of(opportunity_update(opportunity=opportunity, by=user, now=clock_now(), values=values))


@router.post("/{opportunity_id}/move-stage", response=with_errors({200: OpportunityOut}), summary="推进/回退阶段")
def opportunities_move_stage(request: HttpRequest, opportunity_id: ExternalId, payload: MoveStageIn) -> Any:
    """Reaching the won stage (or beyond) wins the deal. A forward move needs the stages' evidence (422 lists what is
    missing); a manager may pass `override_reason`; a gate that asks for approval answers 409."""
    user = viewer(request)
    opportunity = _opportunity(user, opportunity_id)
    refs = References(viewer=user)
    stage = refs.stage("stage", opportunity.pipeline, payload.stage)
    refs.check()
    assert stage is not None  # noqa: S101 - check() refused an unknown stage
    return OpportunityOut.of(opportunity_move_stage(opportunity=opportunity, stage=stage, by=user, now=clock_now(), override_reason=payload.override_reason))


@router.post("/{opportunity_id}/close-won", response=with_errors({200: OpportunityOut}), summary="赢单")
def opportunities_close_won(request: HttpRequest, opportunity_id: ExternalId) -> Any:
    user = viewer(request)
    return OpportunityOut.of(opportunity_close_won(opportunity=_opportunity(user, opportunity_id), by=user, now=clock_now()))


@router.post("/{opportunity_id}/close-lost", response=with_errors({200: OpportunityOut}), summary="输单")
def opportunities_close_lost(request: HttpRequest, opportunity_id: ExternalId, payload: CloseLostIn) -> Any:
    user = viewer(request)
    opportunity = opportunity_close_lost(
        opportunity=_opportunity(user, opportunity_id), by=user, now=clock_now(), reason=payload.reason, competitor=payload.competitor
    )
    return OpportunityOut.of(opportunity)


@router.post("/{opportunity_id}/reopen", response=with_errors({200: OpportunityOut}), summary="重新打开")
def opportunities_reopen(request: HttpRequest, opportunity_id: ExternalId) -> Any:
    """A won deal goes back to the stage before the won stage."""
    user = viewer(request)
    return OpportunityOut.of(opportunity_reopen(opportunity=_opportunity(user, opportunity_id), by=user, now=clock_now()))


@pipelines_router.get("", response=with_errors({200: list[PipelineOut]}), summary="销售流程及阶段")
def pipelines_list(request: HttpRequest) -> Any:
    return [PipelineOut.of(p, list(p.stages.all())) for p in pipeline_list()]


@pipelines_router.get("/{pipeline_key}", response=with_errors({200: PipelineOut}), summary="销售流程详情")
def pipelines_get(request: HttpRequest, pipeline_key: ExternalId) -> Any:
    pipeline = visible_or_404(pipeline_list(), pipeline_key)
    return PipelineOut.of(pipeline, list(pipeline.stages.all()))
