"""Pipelines with their stages, opportunities (商机) and their stage history."""

from __future__ import annotations

from datetime import date

from ninja import Field, Schema
from pydantic import ConfigDict

from xiaoguan.api.pagination import Page
from xiaoguan.api.schemas.common import (
    DateIn,
    DateTimeIn,
    DateTimeOut,
    ExternalId,
    IdFilter,
    MoneyIn,
    MoneyOut,
    Query200,
    Reason200,
    Text50,
    Text100,
    Text200,
    external_id_of,
    money_or_none,
    unset,
)
from xiaoguan.api.schemas.enums import OpportunityStatus
from xiaoguan.opportunities.models import Opportunity, Pipeline, Stage, StageHistory


class StageOut(Schema):
    key: str
    name: str
    position: int
    won: bool = Field(description="进入此阶段即赢单")

    @classmethod
    def of(cls, stage: Stage) -> StageOut:
        return cls(key=stage.key, name=stage.name, position=stage.position, won=stage.is_won)


class PipelineOut(Schema):
    id: str = Field(description="流程键，如 standard")
    name: str
    stages: list[StageOut]

    @classmethod
    def of(cls, pipeline: Pipeline, stages: list[Stage]) -> PipelineOut:
        return cls(id=pipeline.external_id, name=pipeline.name, stages=[StageOut.of(s) for s in stages])


class OpportunityOut(Schema):
    id: str
    name: str
    account_id: str
    owner_id: str
    pipeline: str = Field(description="流程键")
    stage: str = Field(description="阶段键")
    stage_name: str
    product_line: str
    amount: MoneyOut | None
    currency: str
    created_at: DateTimeOut
    updated_at: DateTimeOut
    expected_close: date | None
    status: OpportunityStatus
    closed_at: DateTimeOut | None
    lost_reason: str
    competitor: str
    next_follow_up_at: DateTimeOut | None
    core_need: str = ""
    blocker: str = ""

    @classmethod
    def of(cls, opportunity: Opportunity) -> OpportunityOut:
        return cls(
            id=opportunity.external_id, name=opportunity.name, account_id=opportunity.account.external_id,
            owner_id=opportunity.owner.external_id, pipeline=opportunity.pipeline.external_id, stage=opportunity.stage.key,
            stage_name=opportunity.stage.name, product_line=opportunity.product_line, amount=money_or_none(opportunity.amount),
            currency=opportunity.currency, created_at=opportunity.created_at, updated_at=opportunity.updated_at,
            expected_close=opportunity.expected_close, status=OpportunityStatus(opportunity.status),
            closed_at=opportunity.closed_at, lost_reason=opportunity.lost_reason, competitor=opportunity.competitor,
            next_follow_up_at=opportunity.next_follow_up_at, core_need=opportunity.core_need, blocker=opportunity.blocker,
        )


class OpportunityPage(Page):
    items: list[OpportunityOut]


class OpportunityFilters(Schema):
    status: OpportunityStatus | None = None
    stage: IdFilter = Field("", description="阶段键")
    owner_id: IdFilter = ""
    pipeline: IdFilter = Field("", description="流程键")
    account_id: IdFilter = ""
    q: Query200 = Field("", description="商机名称、客户名称或编号")


class OpportunityIn(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "account_id": "xg-A-000123", "product_line": "检测设备", "amount": 300000,
            "expected_close": "2025-06-30"
        }]},
    )

    account_id: ExternalId
    name: Text200 = Field("", description="缺省为 客户名-产品线")
    owner_id: ExternalId | None = Field(None, description="负责人；缺省为客户负责人")
    pipeline: ExternalId | None = Field(None, description="流程键；缺省为 standard")
    product_line: Text100 = ""
    amount: MoneyIn | None = None
    expected_close: DateIn | None = None


class OpportunityPatch(Schema):
    """Only the fields sent change. Stage and status change through their own actions."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"amount": 320000, "expected_close": "2025-07-15"}]})

    name: Text200 = unset()
    product_line: Text100 = unset()
    amount: MoneyIn | None = None
    expected_close: DateIn | None = None
    next_follow_up_at: DateTimeIn | None = None
    # Two of the seeds' minimal five fields the stage gates ask for.
    core_need: Text200 = unset()
    blocker: Text200 = unset()


class MoveStageIn(Schema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"stage": "needs_diagnosed"}]})

    stage: Text50 = Field(description="目标阶段键，须属于商机的销售流程")
    override_reason: str = Field(
        default="", max_length=300,
        description="越过证据要求的理由：仅商机负责人的上级经理可用，记入阶段历史。缺少证据时 422，errors 逐条列出缺少的内容",
    )


class CloseLostIn(Schema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "价格高于竞品 15%", "competitor": "某友商"}]})

    reason: Reason200
    competitor: Text100 = ""


class StageHistoryOut(Schema):
    stage: str
    stage_name: str
    entered_at: DateTimeOut
    changed_by_id: str | None

    @classmethod
    def of(cls, entry: StageHistory) -> StageHistoryOut:
        return cls(stage=entry.stage.key, stage_name=entry.stage.name, entered_at=entry.entered_at, changed_by_id=external_id_of(entry.changed_by))
