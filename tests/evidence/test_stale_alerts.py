"""Stale deals: N workdays in a stage or 7 days without interaction → the owner, then the manager; once per episode."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.factories.sales import AccountFactory, ActivityFactory, OpportunityFactory, stage
from xiaoguan.automation.models import Notification
from xiaoguan.automation.sweep import sweep_run
from xiaoguan.core.clock import org_tz
from xiaoguan.opportunities.models import StageHistory
from xiaoguan.opportunities.rules import opportunity_stale_job

pytestmark = pytest.mark.django_db


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=org_tz())


@pytest.fixture
def deal(org):  # type: ignore[no-untyped-def]
    # entered 需求诊断 on Monday 2025-03-03; last touched by a visit on Friday 03-07
    opp = OpportunityFactory(account=AccountFactory(owner=org.rep), owner=org.rep, stage=stage("needs_diagnosed"), created_at=_t("2025-03-03 09:00"))
    StageHistory.objects.create(opportunity=opp, stage=stage("needs_diagnosed"), entered_at=_t("2025-03-03 09:00"), changed_by=org.rep)
    ActivityFactory(owner=org.rep, account=opp.account, opportunity=opp, occurred_at=_t("2025-03-07 10:00"), recorded_at=_t("2025-03-07 10:05"))
    return opp


def _stale(user) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(Notification.objects.filter(recipient=user, kind="opportunity_stale").values_list("dedupe_key", flat=True))


def test_four_workdays_in_a_stage_is_not_yet_stale(org, deal):  # type: ignore[no-untyped-def]
    opportunity_stale_job(_t("2025-03-10 10:00"))  # Tue..Fri = 4 whole workdays
    assert _stale(org.rep) == []


def test_five_workdays_alerts_the_owner_once_even_when_replayed(org, deal):  # type: ignore[no-untyped-def]
    # when the job runs on Tuesday 03-11 (5 whole workdays since Monday's entry), twice, and again an hour later
    for now in ("2025-03-11 10:00", "2025-03-11 10:00", "2025-03-11 11:00"):
        opportunity_stale_job(_t(now))
    # then the owner has exactly one stage alert, the manager none yet
    assert len(_stale(org.rep)) == 1 and _stale(org.rep)[0].startswith("stale-stage:")
    assert _stale(org.manager) == []
    note = Notification.objects.get(recipient=org.rep, kind="opportunity_stale")
    assert "需求诊断" in note.title and "5" in note.title


def test_still_stuck_two_workdays_later_the_manager_hears_once(org, deal):  # type: ignore[no-untyped-def]
    opportunity_stale_job(_t("2025-03-11 10:00"))
    # when the sweep replays Thursday 03-13 (7 whole workdays in the stage), and the job runs twice more
    sweep_run(now=_t("2025-03-13 10:00"))
    opportunity_stale_job(_t("2025-03-13 10:00"))
    opportunity_stale_job(_t("2025-03-13 10:00"))
    # then the manager has one stage alert, the owner still one
    assert [k.split(":")[0] for k in _stale(org.manager)] == ["stale-stage"]
    assert [k.split(":")[0] for k in _stale(org.rep)] == ["stale-stage"]
    assert "李娜" in Notification.objects.get(recipient=org.manager).body


def test_seven_silent_days_alert_the_owner_and_a_new_touch_starts_afresh(org, deal):  # type: ignore[no-untyped-def]
    deal.pipeline.stale_stage_workdays = 0  # only silence counts here
    deal.pipeline.save()
    opportunity_stale_job(_t("2025-03-14 09:59"))  # 6 days 23 h 59 min after Friday's visit
    assert _stale(org.rep) == []
    opportunity_stale_job(_t("2025-03-14 10:00"))
    assert len(_stale(org.rep)) == 1 and "7 天无互动" in Notification.objects.get(recipient=org.rep).title
    # a visit on 03-15 ends the episode; seven days after it a new alert comes
    ActivityFactory(owner=org.rep, account=deal.account, opportunity=deal, occurred_at=_t("2025-03-15 10:00"), recorded_at=_t("2025-03-15 10:00"))
    opportunity_stale_job(_t("2025-03-16 10:00"))
    assert len(_stale(org.rep)) == 1
    opportunity_stale_job(_t("2025-03-22 10:00"))
    assert len(_stale(org.rep)) == 2


def test_closed_deals_are_never_stale(org, deal):  # type: ignore[no-untyped-def]
    deal.status = "lost"
    deal.save()
    opportunity_stale_job(_t("2025-04-30 10:00"))
    assert _stale(org.rep) == []
