"""Deals move through stages, are won or lost with a reason, and can be reopened; every step leaves history."""

from __future__ import annotations

import pytest

from tests.factories.evidence import give_evidence
from tests.factories.org import UserFactory
from tests.factories.sales import OpportunityFactory, stage
from xiaoguan.core.errors import InvalidStateError, NotAllowedError, ValidationFailedError
from xiaoguan.core.history import history_list_for
from xiaoguan.opportunities.models import Opportunity, StageHistory
from xiaoguan.opportunities.services import (
    opportunity_close_lost,
    opportunity_close_won,
    opportunity_move_stage,
    opportunity_reopen,
)

pytestmark = pytest.mark.django_db


def test_moving_a_stage_writes_stage_history_and_change_history(clock):  # type: ignore[no-untyped-def]
    # given an open deal in the first stage, with the evidence its gates ask for
    opp = give_evidence(OpportunityFactory())
    now = clock.at("2025-03-05 10:00")
    # when its owner moves it to 方案演示
    opportunity_move_stage(opportunity=opp, stage=stage("solution_demo"), by=opp.owner, now=now)
    # then the stage history has the entry and the change history names old and new
    entry = StageHistory.objects.get(opportunity=opp)
    assert (entry.stage.key, entry.entered_at, entry.changed_by) == ("solution_demo", now, opp.owner)
    assert history_list_for(subject=opp).first().changes["stage"] == ["线索确认", "方案演示"]


def test_reaching_the_won_stage_wins_the_deal(clock):  # type: ignore[no-untyped-def]
    opp = give_evidence(OpportunityFactory())
    opportunity_move_stage(opportunity=opp, stage=stage("contract_signed"), by=opp.owner, now=clock.at("2025-03-05 10:00"))
    opp.refresh_from_db()
    assert opp.status == Opportunity.Status.WON and opp.closed_at is not None


def test_close_won_moves_to_contract_signed(clock):  # type: ignore[no-untyped-def]
    opp = give_evidence(OpportunityFactory())
    opportunity_close_won(opportunity=opp, by=opp.owner, now=clock.at("2025-03-05 10:00"))
    opp.refresh_from_db()
    assert opp.stage.key == "contract_signed" and opp.status == "won"


def test_lost_without_reason_is_refused_and_changes_nothing(clock):  # type: ignore[no-untyped-def]
    # given an open deal
    opp = OpportunityFactory()
    # when it is closed lost with a blank reason
    with pytest.raises(ValidationFailedError) as refused:
        opportunity_close_lost(opportunity=opp, by=opp.owner, now=clock.at("2025-03-05 10:00"), reason="  ")
    # then the reason field carries the message and the deal is still open
    assert "reason" in refused.value.field_errors
    opp.refresh_from_db()
    assert opp.status == "open" and not history_list_for(subject=opp).exists()


def test_lost_with_reason_and_competitor_then_reopen(clock):  # type: ignore[no-untyped-def]
    opp = OpportunityFactory()
    opportunity_close_lost(opportunity=opp, by=opp.owner, now=clock.at("2025-03-05 10:00"), reason="价格", competitor="西门子")
    opp.refresh_from_db()
    assert (opp.status, opp.lost_reason, opp.competitor) == ("lost", "价格", "西门子")
    opportunity_reopen(opportunity=opp, by=opp.owner, now=clock.at("2025-03-06 10:00"))
    opp.refresh_from_db()
    assert opp.status == "open" and opp.closed_at is None and opp.lost_reason == ""
    assert [h.action for h in history_list_for(subject=opp)] == ["reopened", "closed"]


def test_reopening_a_won_deal_returns_it_to_the_stage_before_won(clock):  # type: ignore[no-untyped-def]
    opp = give_evidence(OpportunityFactory())
    opportunity_close_won(opportunity=opp, by=opp.owner, now=clock.at("2025-03-05 10:00"))
    opportunity_reopen(opportunity=opp, by=opp.owner, now=clock.at("2025-03-06 10:00"))
    opp.refresh_from_db()
    assert opp.status == "open" and opp.stage.key == "quote_negotiation"


def test_a_closed_deal_cannot_be_moved(clock):  # type: ignore[no-untyped-def]
    opp = OpportunityFactory()
    opportunity_close_lost(opportunity=opp, by=opp.owner, now=clock.at("2025-03-05 10:00"), reason="预算取消")
    with pytest.raises(InvalidStateError):
        opportunity_move_stage(opportunity=opp, stage=stage("solution_demo"), by=opp.owner, now=clock.at("2025-03-06 10:00"))


def test_another_rep_cannot_move_my_deal(clock):  # type: ignore[no-untyped-def]
    opp = OpportunityFactory()
    with pytest.raises(NotAllowedError):
        opportunity_move_stage(opportunity=opp, stage=stage("solution_demo"), by=UserFactory(), now=clock.at("2025-03-05 10:00"))
    assert not StageHistory.objects.filter(opportunity=opp).exists()
