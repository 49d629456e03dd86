"""Evidence-gated stages: a forward move without the evidence is refused with the list; a manager overrides with a
reason kept in stage history; a gate may ask for approval; admins change the criteria, versioned."""

from __future__ import annotations

import io
from datetime import datetime

import pytest

from tests.factories.evidence import give_evidence, give_fields
from tests.factories.sales import AccountFactory, OpportunityFactory, stage
from xiaoguan.automation.models import Notification
from xiaoguan.core.clock import org_tz
from xiaoguan.core.errors import NotAllowedError, ValidationFailedError
from xiaoguan.core.history import history_list_for
from xiaoguan.documents.services import document_store
from xiaoguan.opportunities.models import DEFAULT_STAGES, Opportunity, Pipeline, Stage, StageHistory, StageMoveRequest
from xiaoguan.opportunities.services import (
    StageApprovalRequiredError,
    StageEvidenceMissingError,
    opportunity_move_stage,
    stage_gate_update,
    stage_move_decide,
    stage_move_request,
)

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n%%EOF\n"


@pytest.fixture
def deal(org):  # type: ignore[no-untyped-def]
    """An open deal of the rep, in 需求诊断 (leaving 线索确认 is free)."""
    opp = OpportunityFactory(account=AccountFactory(owner=org.rep), owner=org.rep)
    opportunity_move_stage(opportunity=opp, stage=stage("needs_diagnosed"), by=org.rep, now=_t("2025-03-04 10:00"))
    return opp


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=org_tz())


def test_moving_on_without_evidence_is_refused_with_exactly_what_is_missing(org, deal):  # type: ignore[no-untyped-def]
    # when the rep moves the deal from 需求诊断 to 方案演示 with nothing filled in or uploaded
    with pytest.raises(StageEvidenceMissingError) as refused:
        opportunity_move_stage(opportunity=deal, stage=stage("solution_demo"), by=org.rep, now=_t("2025-03-05 10:00"))
    # then the refusal names each missing criterion of 需求诊断, and the deal stayed where it was
    assert [m.code for m in refused.value.missing] == [
        "field:next_follow_up_at", "field:core_need", "field:blocker", "doc:requirements_survey",
    ]
    assert refused.value.message == "不能推进阶段。“需求诊断”缺少：填写下次跟进时间（晚于现在）；填写核心诉求；填写卡点问题；上传需求调研表"
    assert refused.value.field_errors["stage"][-1] == "需求诊断：上传需求调研表"
    deal.refresh_from_db()
    assert deal.stage.key == "needs_diagnosed" and StageHistory.objects.filter(opportunity=deal).count() == 1


def test_with_the_fields_and_the_survey_uploaded_the_move_goes_through(org, deal):  # type: ignore[no-untyped-def]
    give_fields(deal)
    document_store(file=io.BytesIO(PDF), name="需求调研表.pdf", kind="requirements_survey", uploaded_by=org.rep, now=_t("2025-03-05 09:00"), opportunity=deal)
    opportunity_move_stage(opportunity=deal, stage=stage("solution_demo"), by=org.rep, now=_t("2025-03-05 10:00"))
    deal.refresh_from_db()
    assert deal.stage.key == "solution_demo"


def test_skipping_stages_needs_the_evidence_of_every_stage_skipped(org, deal):  # type: ignore[no-untyped-def]
    give_fields(deal)
    with pytest.raises(StageEvidenceMissingError) as refused:
        opportunity_move_stage(opportunity=deal, stage=stage("contract_signed"), by=org.rep, now=_t("2025-03-05 10:00"))
    by_stage = {(m.stage, m.code) for m in refused.value.missing}
    assert ("需求诊断", "doc:requirements_survey") in by_stage
    assert ("方案演示", "act:demo|act:meeting|sent:proposal|doc:proposal") in by_stage
    assert ("报价谈判", "sent:quote") in by_stage and ("报价谈判", "kw:price_comparison|doc:price_comparison") in by_stage
    assert ("报价谈判", "field:amount") not in by_stage  # the factory's deal has an amount
    assert deal.status == Opportunity.Status.OPEN


def test_moving_back_is_never_gated(org, deal):  # type: ignore[no-untyped-def]
    opportunity_move_stage(opportunity=deal, stage=stage("lead_confirmed"), by=org.rep, now=_t("2025-03-05 10:00"))
    deal.refresh_from_db()
    assert deal.stage.key == "lead_confirmed"


def test_a_manager_overrides_with_a_reason_kept_in_stage_history(org, deal):  # type: ignore[no-untyped-def]
    # given the deal without evidence; when the rep's manager moves it on with a reason
    now = _t("2025-03-05 10:00")
    opportunity_move_stage(opportunity=deal, stage=stage("solution_demo"), by=org.manager, now=now, override_reason="客户口头确认需求，调研表下周补")
    # then it moved, and the stage history keeps who, why and what was missing
    entry = StageHistory.objects.get(opportunity=deal, stage__key="solution_demo")
    assert entry.changed_by == org.manager and entry.override_reason == "客户口头确认需求，调研表下周补"
    assert [m["code"] for m in entry.missing][-1] == "doc:requirements_survey"
    assert history_list_for(subject=deal).first().note == "越过证据要求：客户口头确认需求，调研表下周补"


def test_a_rep_cannot_override_and_a_manager_needs_a_reason(org, deal):  # type: ignore[no-untyped-def]
    now = _t("2025-03-05 10:00")
    with pytest.raises(NotAllowedError):
        opportunity_move_stage(opportunity=deal, stage=stage("solution_demo"), by=org.rep, now=now, override_reason="我觉得可以了")
    with pytest.raises(StageEvidenceMissingError):
        opportunity_move_stage(opportunity=deal, stage=stage("solution_demo"), by=org.manager, now=now, override_reason="  ")
    deal.refresh_from_db()
    assert deal.stage.key == "needs_diagnosed"


def _long_cycle_deal(org):  # type: ignore[no-untyped-def]
    pipeline = Pipeline.objects.create(external_id="long_cycle", name="长周期流程")
    Stage.objects.bulk_create(Stage(pipeline=pipeline, key=k, name=n, position=i, is_won=w) for i, (k, n, w) in enumerate(DEFAULT_STAGES, start=1))
    opp = give_evidence(OpportunityFactory(account=AccountFactory(owner=org.rep), owner=org.rep, pipeline=pipeline))
    Opportunity.objects.filter(pk=opp.pk).update(stage=pipeline.stages.get(key="quote_negotiation"))
    opp.refresh_from_db()
    return opp


def test_long_cycle_quotes_need_approval_then_the_manager_approves(org):  # type: ignore[no-untyped-def]
    # given a long-cycle deal in 报价谈判 with all its evidence
    opp = _long_cycle_deal(org)
    won = opp.pipeline.stages.get(key="contract_signed")
    now = _t("2025-03-05 10:00")
    # when the rep moves it to 合同签署, the gate asks for approval
    with pytest.raises(StageApprovalRequiredError):
        opportunity_move_stage(opportunity=opp, stage=won, by=org.rep, now=now)
    # so the rep requests it; the manager is told
    request = stage_move_request(opportunity=opp, stage=won, by=org.rep, now=now)
    assert Notification.objects.filter(recipient=org.manager, kind="stage_approval", subject_id=opp.pk).count() == 1
    # when the manager approves, the deal moves (won), with the approver in its stage history, and the rep is told
    stage_move_decide(request=request, by=org.manager, now=_t("2025-03-05 11:00"), approve=True)
    opp.refresh_from_db()
    assert opp.status == Opportunity.Status.WON
    entry = StageHistory.objects.get(opportunity=opp, stage=won)
    assert (entry.changed_by, entry.approved_by) == (org.rep, org.manager)
    assert StageMoveRequest.objects.get(pk=request.pk).status == "approved"
    assert Notification.objects.filter(recipient=org.rep, kind="stage_approval").count() == 1


def test_a_rejection_needs_a_note_and_leaves_the_deal_where_it_is(org):  # type: ignore[no-untyped-def]
    opp = _long_cycle_deal(org)
    won = opp.pipeline.stages.get(key="contract_signed")
    request = stage_move_request(opportunity=opp, stage=won, by=org.rep, now=_t("2025-03-05 10:00"))
    with pytest.raises(ValidationFailedError):
        stage_move_decide(request=request, by=org.manager, now=_t("2025-03-05 11:00"), approve=False)
    with pytest.raises(NotAllowedError):  # the rep does not approve his own move
        stage_move_decide(request=request, by=org.rep, now=_t("2025-03-05 11:00"), approve=True)
    stage_move_decide(request=request, by=org.manager, now=_t("2025-03-05 11:00"), approve=False, note="价格还要再谈")
    opp.refresh_from_db()
    assert opp.stage.key == "quote_negotiation" and StageMoveRequest.objects.get(pk=request.pk).status == "rejected"


def test_admins_change_a_gate_versioned_and_the_next_move_follows_it(org, deal):  # type: ignore[no-untyped-def]
    survey = stage("needs_diagnosed")
    gate = stage_gate_update(stage=survey, by=org.admin, now=_t("2025-03-05 09:00"), required_actions=["act:visit"], required_fields=[], needs_approval=False)
    gate = stage_gate_update(
        stage=survey, by=org.admin, now=_t("2025-03-05 09:30"), required_actions=["act:visit", "doc:minutes"], required_fields=[], needs_approval=False
    )
    assert gate.version == 2
    assert history_list_for(subject=survey.pipeline).count() == 2
    with pytest.raises(StageEvidenceMissingError) as refused:
        opportunity_move_stage(opportunity=deal, stage=stage("solution_demo"), by=org.rep, now=_t("2025-03-05 10:00"))
    assert [m.code for m in refused.value.missing] == ["act:visit", "doc:minutes"]
    with pytest.raises(NotAllowedError):
        stage_gate_update(stage=survey, by=org.manager, now=_t("2025-03-05 09:00"), required_actions=[], required_fields=[], needs_approval=False)
    with pytest.raises(ValidationFailedError):
        stage_gate_update(stage=survey, by=org.admin, now=_t("2025-03-05 09:00"), required_actions=["doc:nonsense"], required_fields=[], needs_approval=False)


def test_enforce_gates_false_is_for_recorded_history(org, deal):  # type: ignore[no-untyped-def]
    opportunity_move_stage(opportunity=deal, stage=stage("quote_negotiation"), by=org.rep, now=_t("2025-03-05 10:00"), enforce_gates=False)
    deal.refresh_from_db()
    assert deal.stage.key == "quote_negotiation"
