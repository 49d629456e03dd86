"""Three-layer verification: behaviour, quality, result and last-minute work, per rep and per team."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories.org import TeamFactory, UserFactory
from tests.factories.sales import AccountFactory, ActivityFactory, OpportunityFactory, TaskFactory, stage
from xiaoguan.activities.models import Task
from xiaoguan.customers.models import Account
from xiaoguan.insights.verification import verification_report
from xiaoguan.opportunities.models import StageHistory
from xiaoguan.org.models import Role, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_of_two():  # type: ignore[no-untyped-def]
    region = TeamFactory(name="华东大区", kind=Team.Kind.REGION)
    manager = UserFactory(role=Role.MANAGER, team=region)
    return (
        manager,
        UserFactory(role=Role.REP, team=region, manager=manager),
        UserFactory(role=Role.REP, team=region, manager=manager),
    )


def test_three_layers_per_rep_and_team(team_of_two, clock):
    _manager, wang, li = team_of_two
    until = clock.at("2025-06-30 00:00")
    # behaviour and result: a deal diagnosed on 6-02 and demonstrated on 6-12 (10 days)
    deal = OpportunityFactory(owner=wang, account=AccountFactory(owner=wang))
    StageHistory.objects.create(opportunity=deal, stage=stage("needs_diagnosed"), entered_at=clock.at("2025-06-02 10:00"))
    StageHistory.objects.create(opportunity=deal, stage=stage("solution_demo"), entered_at=clock.at("2025-06-12 10:00"))
    # quality: two A customers with a follow-up due; one honoured (a call that day), one forgotten; a B customer ignored
    kept = AccountFactory(owner=wang, grade=Account.Grade.A, next_follow_up_at=clock.at("2025-06-20 10:00"))
    ActivityFactory(owner=wang, account=kept, occurred_at=clock.at("2025-06-20 15:00"), recorded_at=clock.at("2025-06-20 15:10"))
    AccountFactory(owner=wang, grade=Account.Grade.A, next_follow_up_at=clock.at("2025-06-21 10:00"))
    AccountFactory(owner=wang, grade=Account.Grade.B, next_follow_up_at=clock.at("2025-06-21 10:00"))
    # last-minute: of four to-dos done, one in the last two hours before its due time
    due = clock.at("2025-06-25 18:00")
    for done in (due - timedelta(hours=1), due - timedelta(hours=5), due - timedelta(days=1), due + timedelta(hours=1)):
        TaskFactory(owner=li, due_at=due, created_at=due - timedelta(days=3), done_at=done, source=Task.Source.MANUAL)

    report = verification_report(until=until, reps=[wang, li])

    w, li_row = report.by_rep[wang.pk], report.by_rep[li.pk]
    assert w.stage_updates == 2 and w.updates_per_day == pytest.approx(2 / w.workdays)
    assert w.result_median_days == pytest.approx(10.0)
    assert (w.a_honoured, w.a_planned) == (1, 2) and w.quality == pytest.approx(0.5)
    assert li_row.last_minute_share == pytest.approx(0.25)
    assert li_row.quality is None and li_row.result_median_days is None
    team = report.by_team[wang.team_id]
    assert team.reps == 2 and team.stage_updates == 2 and team.updates_per_day == pytest.approx(2 / (2 * w.workdays))
    assert team.tasks_done == 4 and team.a_planned == 2
    assert report.grade_derived is False


def test_without_grades_the_top_fifth_by_open_pipeline_counts_as_a(team_of_two, clock):
    _manager, wang, _li = team_of_two
    big = AccountFactory(owner=wang, grade="", next_follow_up_at=clock.at("2025-06-20 10:00"))
    OpportunityFactory(owner=wang, account=big, amount=5_000_000)
    for _ in range(4):
        small = AccountFactory(owner=wang, grade="", next_follow_up_at=clock.at("2025-06-20 10:00"))
        OpportunityFactory(owner=wang, account=small, amount=10_000)
    report = verification_report(until=clock.at("2025-06-30 00:00"), reps=[wang])
    assert report.grade_derived is True
    assert report.by_rep[wang.pk].a_planned == 1  # the big one only


def test_page_shows_layers_to_the_manager_and_refuses_a_rep(team_of_two, login, clock):
    manager, wang, _li = team_of_two
    clock.set("2025-06-30 09:00")
    page = login(manager).get("/insights/verification/").content.decode()
    assert "三层验证" in page and wang.name in page and "华东大区" in page
    assert login(wang).get("/insights/verification/").status_code == 403
