"""The lead clock: first contact in 60 business minutes, manager at 2 h, manager's manager at 4 h, pool after 7 days."""

from __future__ import annotations

import pytest

from tests.factories.org import TeamFactory, UserFactory
from tests.factories.sales import LeadFactory
from xiaoguan.activities.services import activity_log
from xiaoguan.automation.models import Notification, Timer
from xiaoguan.automation.sweep import sweep_run
from xiaoguan.leads.models import Lead, LeadAssignment
from xiaoguan.leads.services import lead_assign, lead_claim, lead_release_to_pool
from xiaoguan.org.models import Role, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def line():
    """A region with a director, a manager and a rep: rep → manager → director."""
    region = TeamFactory(name="华东大区", kind=Team.Kind.REGION)
    director = UserFactory(role=Role.DIRECTOR, team=region, name="总监")
    manager = UserFactory(role=Role.MANAGER, team=region, manager=director, name="经理")
    rep = UserFactory(role=Role.REP, team=region, manager=manager, name="小王")
    return rep, manager, director


def _new_lead(rep, when):
    lead = LeadFactory(owner=None, status=Lead.Status.NEW, assigned_at=None, created_at=when, region=rep.team)
    return lead_assign(lead=lead, rep=rep, now=when, reason="测试")


def _titles(user):
    return list(Notification.objects.filter(recipient=user).order_by("pk").values_list("kind", flat=True))


def test_assignment_records_why_arms_the_clock_and_tells_the_rep(line, clock):
    rep, _, _ = line
    when = clock.at("2025-03-05 10:00")  # a Wednesday
    lead = _new_lead(rep, when)
    assignment = LeadAssignment.objects.get(lead=lead)
    assert (assignment.rep, assignment.reason) == (rep, "测试")
    assert lead.first_contact_due_at == clock.at("2025-03-05 11:00")
    assert Timer.objects.get(subject_id=lead.pk).due_at == clock.at("2025-03-05 11:00")
    assert _titles(rep) == ["lead_assigned"]


def test_uncontacted_lead_escalates_to_manager_after_two_business_hours(line, clock):
    rep, manager, director = line
    # given a lead assigned on a Friday at 17:30, the last half hour of the working day
    lead = _new_lead(rep, clock.at("2025-03-07 17:30"))
    # when the sweep runs over the weekend nothing happens; on Monday at 10:31 it catches up
    sweep_run(now=clock.at("2025-03-08 12:00"))
    assert _titles(manager) == []
    sweep_run(now=clock.at("2025-03-10 10:31"))
    # then the rep was told at step 0 and the rep's manager has exactly one escalation; the director none yet
    assert _titles(rep) == ["lead_assigned", "lead_overdue"]
    assert Notification.objects.filter(recipient=manager, kind="lead_escalated", subject_id=lead.pk).count() == 1
    assert _titles(director) == []


def test_the_sweep_is_idempotent(line, clock):
    rep, manager, _ = line
    _new_lead(rep, clock.at("2025-03-05 10:00"))
    for _ in range(3):
        sweep_run(now=clock.at("2025-03-05 12:05"))
    assert _titles(manager) == ["lead_escalated"]


def test_second_escalation_goes_to_the_managers_manager_at_four_hours(line, clock):
    rep, manager, director = line
    _new_lead(rep, clock.at("2025-03-05 09:00"))
    sweep_run(now=clock.at("2025-03-05 12:59"))
    assert _titles(director) == []
    # 4 business hours after 09:00 with the 12:00–13:30 lunch break is 14:30 (default working hours)
    sweep_run(now=clock.at("2025-03-05 14:31"))
    assert _titles(director) == ["lead_escalated"]
    assert _titles(manager) == ["lead_escalated"]


def test_a_call_proves_contact_and_stops_escalation_but_a_note_does_not(line, clock):
    rep, manager, _ = line
    lead = _new_lead(rep, clock.at("2025-03-05 09:00"))
    activity_log(by=rep, now=clock.at("2025-03-05 09:20"), kind="note", lead=lead, content="看了一下")
    lead.refresh_from_db()
    assert lead.first_contact_at is None
    activity_log(by=rep, now=clock.at("2025-03-05 09:40"), kind="call", lead=lead, content="电话沟通需求", duration_seconds=300)
    lead.refresh_from_db()
    assert lead.first_contact_at == clock.at("2025-03-05 09:40")
    assert lead.status == Lead.Status.CONTACTED
    sweep_run(now=clock.at("2025-03-05 17:00"))
    assert _titles(manager) == []
    assert _titles(rep) == ["lead_assigned"]


def test_untouched_lead_returns_to_the_pool_after_seven_days_and_a_rep_of_the_region_claims_it(line, clock):
    rep, manager, _ = line
    colleague = UserFactory(role=Role.REP, team=rep.team, manager=manager)
    outsider = UserFactory(role=Role.REP, team=TeamFactory(name="华南大区"))
    lead = _new_lead(rep, clock.at("2025-03-05 09:00"))
    activity_log(by=rep, now=clock.at("2025-03-05 09:30"), kind="call", lead=lead, duration_seconds=60)
    # touched again on day 3: the pool clock restarts from there
    activity_log(by=rep, now=clock.at("2025-03-08 10:00"), kind="wecom_message", lead=lead, content="发了资料")
    sweep_run(now=clock.at("2025-03-12 10:00"))
    lead.refresh_from_db()
    assert lead.owner == rep
    sweep_run(now=clock.at("2025-03-15 10:01"))
    lead.refresh_from_db()
    assert lead.owner is None and lead.in_pool
    assert "lead_returned_to_pool" in _titles(rep)
    with pytest.raises(Exception, match="本大区"):
        lead_claim(lead=lead, rep=outsider, now=clock.at("2025-03-15 11:00"))
    lead_claim(lead=lead, rep=colleague, now=clock.at("2025-03-15 11:00"))
    lead.refresh_from_db()
    assert lead.owner == colleague and not lead.in_pool
    assert LeadAssignment.objects.filter(lead=lead).values_list("kind", flat=True).last() == LeadAssignment.Kind.CLAIMED


def test_claims_stop_at_the_daily_limit(line, clock):
    rep, _, _ = line
    now = clock.at("2025-03-05 10:00")
    leads = [LeadFactory(owner=None, status=Lead.Status.NEW, assigned_at=None, region=rep.team) for _ in range(11)]
    for lead in leads:
        lead_release_to_pool(lead=lead, now=now, reason="测试")
    for lead in leads[:10]:
        lead_claim(lead=lead, rep=rep, now=now)
    with pytest.raises(Exception, match="上限"):
        lead_claim(lead=leads[10], rep=rep, now=now)


def test_a_reassigned_lead_starts_a_fresh_series(line, clock):
    rep, manager, _ = line
    other = UserFactory(role=Role.REP, team=rep.team, manager=manager)
    lead = _new_lead(rep, clock.at("2025-03-05 09:00"))
    sweep_run(now=clock.at("2025-03-05 11:05"))
    lead_assign(lead=lead, rep=other, now=clock.at("2025-03-05 11:10"), reason="改派")
    # 2 business hours from 11:10 across the lunch break: 14:40
    sweep_run(now=clock.at("2025-03-05 14:35"))
    assert _titles(manager) == ["lead_escalated"]
    sweep_run(now=clock.at("2025-03-05 14:41"))
    assert _titles(manager) == ["lead_escalated", "lead_escalated"]
    assert set(Notification.objects.filter(kind="lead_escalated").values_list("title", flat=True)) == {
        f"{rep.name} 的线索超时未联系：{lead}", f"{other.name} 的线索超时未联系：{lead}"
    }


def test_the_daily_digest_runs_once_a_day_at_half_past_eight(line, clock):
    rep, manager, _ = line
    _new_lead(rep, clock.at("2025-03-05 10:00"))
    sweep_run(now=clock.at("2025-03-06 08:00"))  # the job's row is created, due at 08:30
    assert "lead_daily_digest" not in _titles(manager)
    report = sweep_run(now=clock.at("2025-03-06 08:31"))
    assert "lead_daily_digest" in report.jobs
    sweep_run(now=clock.at("2025-03-06 09:00"))
    digests = Notification.objects.filter(recipient=manager, kind="lead_daily_digest")
    assert digests.count() == 1
    assert "昨日分配 1 条" in digests.get().body


def test_a_job_on_an_interval_first_runs_at_the_first_sweep_a_daily_one_at_its_time(clock):
    from xiaoguan.automation.models import PeriodicJob

    # the first sweep of a fresh installation creates the jobs' rows: the watchers ("every …") run at once
    report = sweep_run(now=clock.at("2025-03-06 07:00"))
    assert {"engagement_silent_customers", "opportunity_stale"} <= set(report.jobs)
    assert "lead_daily_digest" not in report.jobs
    assert PeriodicJob.objects.get(code="engagement_silent_customers").next_run_at == clock.at("2025-03-06 08:00")
    assert PeriodicJob.objects.get(code="lead_daily_digest").next_run_at == clock.at("2025-03-06 08:30")
    # and a second sweep right after (the worker sweeps every 30 s) runs nothing again
    assert sweep_run(now=clock.at("2025-03-06 07:00:30")).jobs == []


def test_a_deals_next_follow_up_time_reminds_its_owner_once(line, clock):
    from tests.factories.sales import OpportunityFactory
    from xiaoguan.opportunities.services import opportunity_update

    rep, _, _ = line
    deal = OpportunityFactory(owner=rep)
    opportunity_update(opportunity=deal, by=rep, now=clock.at("2025-03-05 10:00"), values={"next_follow_up_at": clock.at("2025-03-06 09:30")})
    sweep_run(now=clock.at("2025-03-06 09:00"))
    assert "follow_up_due" not in _titles(rep)
    # moved later: no reminder at the old time
    opportunity_update(opportunity=deal, by=rep, now=clock.at("2025-03-06 09:10"), values={"next_follow_up_at": clock.at("2025-03-06 11:00")})
    sweep_run(now=clock.at("2025-03-06 09:45"))
    assert "follow_up_due" not in _titles(rep)
    sweep_run(now=clock.at("2025-03-06 11:01"))
    sweep_run(now=clock.at("2025-03-06 11:30"))
    assert _titles(rep).count("follow_up_due") == 1


def test_a_crash_mid_sweep_loses_and_doubles_nothing(line, clock, monkeypatch):
    from xiaoguan.automation import services as automation_services
    from xiaoguan.leads import rules

    rep, manager, _ = line
    for _ in range(3):
        _new_lead(rep, clock.at("2025-03-05 09:00"))
    real = automation_services.notify_many
    # when the process dies while the rule writes its alerts (after the first batch of them went in)
    def crash(*, drafts, now):
        real(drafts=drafts[:1], now=now)
        raise SystemExit("worker killed")

    monkeypatch.setattr(rules, "notify_many", crash)
    with pytest.raises(SystemExit):
        sweep_run(now=clock.at("2025-03-05 11:05"))
    # then nothing of that batch stayed: no alert, the clocks still due
    assert _titles(manager) == []
    assert Timer.objects.filter(kind="lead_sla", step=0).count() == 3
    # and the next sweep does it all, once
    monkeypatch.setattr(rules, "notify_many", real)
    sweep_run(now=clock.at("2025-03-05 11:06"))
    sweep_run(now=clock.at("2025-03-05 11:07"))
    assert _titles(manager) == ["lead_escalated"] * 3
    assert Notification.objects.filter(kind="lead_overdue").count() == 3


def test_per_rep_response_figures_equal_the_figures_of_each_reps_leads(line, clock):
    from datetime import timedelta

    from xiaoguan.leads.selectors import lead_list_visible_to, lead_sla_stats, lead_sla_stats_by_owner

    rep, manager, _ = line
    other = UserFactory(role=Role.REP, team=rep.team, manager=manager)
    first = _new_lead(rep, clock.at("2025-03-03 09:00"))
    _new_lead(rep, clock.at("2025-03-04 09:00"))
    _new_lead(other, clock.at("2025-03-05 09:00"))
    activity_log(by=rep, now=clock.at("2025-03-03 09:40"), kind="call", lead=first, duration_seconds=60)
    now, since = clock.at("2025-03-07 10:00"), clock.at("2025-02-05 10:00")
    leads = lead_list_visible_to(user=manager)
    by_owner = lead_sla_stats_by_owner(leads=leads, owner_ids=[rep.pk, other.pk], since=since, now=now)
    for person in (rep, other):
        assert by_owner[person.pk] == lead_sla_stats(leads=leads.filter(owner=person), since=since, now=now)
    assert by_owner[rep.pk].assigned == 2 and by_owner[rep.pk].contacted == 1 and by_owner[rep.pk].overdue_now == 1
    assert by_owner[other.pk].overdue_now == 1 and by_owner[other.pk].response_p50_minutes is None
    assert now - since == timedelta(days=30)
