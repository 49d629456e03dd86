"""The weekly brief (周例会简报): each section's exact figures on hand-built data, only the viewer's people, and a
meeting decision becoming a to-do with owner, due date and deliverable."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from tests.factories.org import TeamFactory, UserFactory
from tests.factories.sales import AccountFactory, ActivityFactory, LeadFactory, OpportunityFactory, stage
from xiaoguan.activities.models import Activity, MeetingDecision, Task
from xiaoguan.automation.models import Notification
from xiaoguan.automation.sweep import sweep_run
from xiaoguan.insights.brief import weekly_brief
from xiaoguan.insights.models import ForecastSnapshot
from xiaoguan.leads.models import Lead
from xiaoguan.opportunities.models import Opportunity, StageHistory
from xiaoguan.org.models import Role, Team
from xiaoguan.org.selectors import user_list_visible_to
from xiaoguan.org.services import api_token_create

pytestmark = pytest.mark.django_db

WEEK = date(2025, 3, 10)  # the brief of this Monday reviews 03-03 … 03-09
NOW = "2025-03-10 09:00"


@pytest.fixture
def org():  # type: ignore[no-untyped-def]
    hq = TeamFactory(name="销售中心", kind=Team.Kind.COMPANY)
    east = TeamFactory(name="华东大区", kind=Team.Kind.REGION, parent=hq)
    north = TeamFactory(name="华北大区", kind=Team.Kind.REGION, parent=hq)
    director = UserFactory(role=Role.DIRECTOR, team=hq, name="总监")
    manager = UserFactory(role=Role.MANAGER, team=east, name="东区经理", manager=director)
    a = UserFactory(role=Role.REP, team=east, manager=manager, name="阿安")
    b = UserFactory(role=Role.REP, team=east, manager=manager, name="贝贝")
    d = UserFactory(role=Role.REP, team=east, manager=manager, name="丁丁")
    c = UserFactory(role=Role.REP, team=north, name="北方小陈")
    return {"hq": hq, "east": east, "north": north, "director": director, "manager": manager, "a": a, "b": b, "d": d, "c": c}


def _lead(owner, clock, *, created: str, source: str, due: str | None, contact: str | None, status: str = Lead.Status.ASSIGNED) -> Lead:  # type: ignore[no-untyped-def]
    return LeadFactory(
        owner=owner, created_at=clock.at(created), assigned_at=clock.at(created), source=source, status=status,
        first_contact_due_at=clock.at(due) if due else None, first_contact_at=clock.at(contact) if contact else None,
    )  # fmt: skip


def _lead_pool(org, clock):  # type: ignore[no-untyped-def]
    a, b, c = org["a"], org["b"], org["c"]
    _lead(a, clock, created="2025-03-04 10:00", source=Lead.Source.WEB_FORM, due="2025-03-04 11:00", contact="2025-03-04 10:30")  # met
    _lead(a, clock, created="2025-03-04 10:00", source=Lead.Source.WEB_FORM, due="2025-03-04 11:00", contact="2025-03-04 15:00")  # late
    _lead(a, clock, created="2025-03-05 10:00", source=Lead.Source.PHONE, due="2025-03-05 11:00", contact=None)  # never
    _lead(a, clock, created="2025-03-07 09:00", source=Lead.Source.PHONE, due="2025-03-07 10:00", contact=None, status=Lead.Status.DISQUALIFIED)
    _lead(b, clock, created="2025-03-06 09:00", source=Lead.Source.WECOM, due="2025-03-06 10:00", contact="2025-03-06 09:30")  # met
    _lead(b, clock, created="2025-02-25 09:00", source=Lead.Source.WECOM, due=None, contact=None)  # the week before
    # another region's leads never count for the east manager
    _lead(c, clock, created="2025-03-04 10:00", source=Lead.Source.EVENT, due="2025-03-04 11:00", contact=None)
    _lead(c, clock, created="2025-03-05 10:00", source=Lead.Source.EVENT, due="2025-03-05 11:00", contact=None)


def _stay_history(owner, clock, now: datetime) -> list[Opportunity]:  # type: ignore[no-untyped-def]
    """Five finished stays in 需求诊断 of 2, 4, 6, 8, 10 days (median 6, P75 8), then three deals open there for 20,
    12 and 3 days: two are stuck (past 8 days), 300,000 in all, the typical open one at 12 days = 2× the usual."""
    diag, demo = stage("needs_diagnosed"), stage("solution_demo")
    for days in (2, 4, 6, 8, 10):
        start = now - timedelta(days=100)
        deal = OpportunityFactory(owner=owner, account=AccountFactory(owner=owner), stage=demo, created_at=start,
                                  status=Opportunity.Status.LOST, closed_at=start + timedelta(days=days + 1))  # fmt: skip
        StageHistory.objects.create(opportunity=deal, stage=diag, entered_at=start)
        StageHistory.objects.create(opportunity=deal, stage=demo, entered_at=start + timedelta(days=days))
    open_deals = []
    for days, amount in ((20, "100000"), (12, "200000"), (3, "50000")):
        entered = now - timedelta(days=days)
        deal = OpportunityFactory(owner=owner, account=AccountFactory(owner=owner), stage=diag, created_at=entered, amount=Decimal(amount))
        StageHistory.objects.create(opportunity=deal, stage=diag, entered_at=entered)
        open_deals.append(deal)
    return open_deals


def _far_visit(rep, clock, when: str) -> Activity:  # type: ignore[no-untyped-def]
    # a 苏州 customer, a check-in in 北京: flagged on its own (insights/authenticity.py)
    return ActivityFactory(
        owner=rep, account=AccountFactory(owner=rep, city="苏州"), kind=Activity.Kind.VISIT, duration_seconds=3600,
        occurred_at=clock.at(when), recorded_at=clock.at(when) + timedelta(minutes=90),
        lat=Decimal("39.9042"), lng=Decimal("116.4074"), content="拜访客户",
    )  # fmt: skip


def _brief(user, now: datetime):  # type: ignore[no-untyped-def]
    owners = frozenset(user_list_visible_to(user=user).values_list("pk", flat=True))
    return weekly_brief(user=user, owner_ids=owners, whole=True, week=WEEK, now=now)


def test_lead_pool_quality_counts_the_weeks_leads_of_the_managers_people_only(org, clock):
    _lead_pool(org, clock)
    brief = _brief(org["manager"], clock.set(NOW))
    leads = brief.leads
    assert (leads.new, leads.new_before, leads.valid) == (5, 1, 4)
    assert leads.valid_share == pytest.approx(0.8)
    assert dict(leads.sources) == {"官网表单": 2, "电话": 2, "企业微信": 1}
    # against each lead's own deadline: 2 met, 3 late or never contacted
    assert (leads.due, leads.missed) == (5, 3)
    assert leads.sla_met_rate == pytest.approx(0.4)
    assert leads.sla.assigned == 5 and leads.sla.within_2h_rate == pytest.approx(2 / 5)
    # the director sees the north leads as well
    everyone = _brief(org["director"], clock.set(NOW)).leads
    assert (everyone.new, everyone.missed) == (7, 5)


def test_a_lead_without_its_own_deadline_is_held_to_two_hours(org, clock):
    a = org["a"]
    _lead(a, clock, created="2025-03-04 10:00", source=Lead.Source.IMPORT, due=None, contact="2025-03-04 11:50")  # in time
    _lead(a, clock, created="2025-03-04 10:00", source=Lead.Source.IMPORT, due=None, contact="2025-03-04 12:10")  # late
    _lead(a, clock, created="2025-03-09 23:00", source=Lead.Source.IMPORT, due=None, contact=None)  # 2 h not over at 00:30
    leads = _brief(org["manager"], clock.set("2025-03-10 00:30")).leads
    assert (leads.due, leads.missed) == (2, 1)


def test_top_stuck_stage_with_counts_and_amounts_against_the_usual_stay(org, clock):
    now = clock.set(NOW)
    _stay_history(org["b"], clock, now)
    _stay_history(org["c"], clock, now)  # north: not the east manager's
    stuck = _brief(org["manager"], now).stuck
    assert len(stuck) == 1
    row = stuck[0]
    assert (row.stage, row.open_deals, row.stuck, row.stuck_amount) == ("需求诊断", 3, 2, 300000.0)
    assert (row.median_days, row.usual_days, row.p75_days) == (12.0, 6.0, 8.0)
    assert row.ratio == pytest.approx(2.0)


def test_reps_needing_help_name_each_reason_with_exact_counts(org, clock):
    now = clock.set(NOW)
    _lead_pool(org, clock)  # 阿安: 3 first contacts past the deadline
    _far_visit(org["b"], clock, "2025-03-04 10:00")  # 贝贝: 2 of 2 records flagged
    _far_visit(org["b"], clock, "2025-03-06 15:00")
    brief = _brief(org["manager"], now)
    assert brief.reps_considered == 3
    # one reason each; the one with more problems behind the reasons (3 late leads vs 2 doubtful records) first
    assert [h.rep.name for h in brief.reps] == ["阿安", "贝贝"]
    an, bei = brief.reps
    assert (bei.records, bei.flagged, bei.reasons) == (2, 2, ["跟进记录 2/2 条可能未发生"])
    assert (an.assigned, an.missed, an.reasons) == (4, 3, ["3 条线索超过首次联系时限"])


def test_stale_deals_make_a_rep_need_help(org, clock):
    now = clock.set(NOW)
    diag = stage("needs_diagnosed")
    for _ in range(3):  # three deals 20 days in the stage, no interaction: stale (stage and silence)
        entered = now - timedelta(days=20)
        deal = OpportunityFactory(owner=org["d"], account=AccountFactory(owner=org["d"]), stage=diag, created_at=entered)
        StageHistory.objects.create(opportunity=deal, stage=diag, entered_at=entered)
    (help_,) = _brief(org["manager"], now).reps
    assert help_.rep == org["d"] and help_.stale_deals == 3 and help_.reasons == ["3 个商机停滞"]


def _snapshot(team, week: date, *, won_before: str, total: str) -> ForecastSnapshot:  # type: ignore[no-untyped-def]
    from xiaoguan.core.clock import day_start

    return ForecastSnapshot.objects.create(
        week=week, team=team, quarter_start=date(2025, 1, 1), as_of=day_start(week), until=day_start(date(2025, 4, 1)),
        total=Decimal(total), low=Decimal(total) * Decimal("0.8"), high=Decimal(total) * Decimal("1.2"),
        won_before=Decimal(won_before), explain=["说明"], taken_at=day_start(week),
    )  # fmt: skip


def test_forecast_change_since_last_week_for_the_managers_region_and_for_the_director(org, clock):
    _snapshot(org["east"], WEEK - timedelta(days=7), won_before="100000", total="500000")
    _snapshot(org["east"], WEEK, won_before="250000", total="300000")
    _snapshot(org["north"], WEEK, won_before="0", total="900000")
    _snapshot(None, WEEK, won_before="250000", total="1200000")
    mine = _brief(org["manager"], clock.set(NOW)).forecast
    assert [(c.team, c.landing_change) for c in mine] == [(org["east"], -50000.0)]
    director = _brief(org["director"], clock.set(NOW)).forecast
    assert [c.team for c in director] == [None, org["east"], org["north"]]
    assert director[0].current.landing == 1450000.0 and director[0].landing_change is None  # no snapshot last week


def test_brief_page_renders_for_a_manager_and_never_for_a_rep(org, clock, login):
    now = clock.set(NOW)
    _lead_pool(org, clock)
    _stay_history(org["b"], clock, now)
    page = login(org["manager"]).get("/insights/brief/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "周例会简报" in text and "需求诊断" in text and "阿安" in text and "派成待办" in text
    assert "北方小陈" not in text
    assert login(org["a"]).get("/insights/brief/").status_code == 403


def test_a_stuck_stage_drills_down_to_its_stuck_deals(org, clock, login):
    now = clock.set(NOW)
    *stuck_deals, fresh = _stay_history(org["b"], clock, now)
    client = login(org["manager"])
    page = client.get("/insights/brief/").content.decode()
    start = page.index("/insights/drill/?", page.index("需求诊断"))
    url = page[start : page.index('"', start)].replace("&amp;", "&")
    listed = client.get(url).content.decode()
    assert all(d.external_id in listed for d in stuck_deals)
    assert fresh.external_id not in listed  # 3 days in the stage: not stuck


def test_a_decision_becomes_a_task_with_owner_due_date_and_deliverable(org, clock, login):
    clock.set(NOW)
    client = login(org["manager"])
    response = client.post("/insights/brief/decisions/", {
        "text": "复盘三个卡在需求诊断的商机", "deliverable": "每个商机的卡点与下一步", "owner": org["b"].external_id, "due": "2025-03-14",
    })  # fmt: skip
    assert response.status_code == 302
    decision = MeetingDecision.objects.get()
    task = decision.task
    assert task.owner == org["b"] and task.source == Task.Source.MEETING
    assert task.due_at == clock.at("2025-03-14 23:59")
    assert decision.deliverable == "每个商机的卡点与下一步" and "交付物：每个商机的卡点与下一步" in task.title
    assert (decision.week, decision.decided_by) == (WEEK, org["manager"])
    assert Notification.objects.filter(recipient=org["b"], kind="meeting_decision").count() == 1
    page = client.get("/insights/brief/").content.decode()
    assert "复盘三个卡在需求诊断的商机" in page and "进行中" in page
    task.done_at = clock.at("2025-03-12 10:00")
    task.save()
    assert "已完成" in client.get("/insights/brief/").content.decode()


def test_a_decision_needs_a_deliverable_and_an_owner_in_the_managers_line(org, clock, login):
    clock.set(NOW)
    client = login(org["manager"])
    missing = client.post("/insights/brief/decisions/", {"text": "复盘", "deliverable": "", "owner": org["b"].external_id, "due": "2025-03-14"})
    assert missing.status_code == 422
    foreign = client.post("/insights/brief/decisions/", {"text": "复盘", "deliverable": "报告", "owner": org["c"].external_id, "due": "2025-03-14"})
    assert foreign.status_code == 422
    past = client.post("/insights/brief/decisions/", {"text": "复盘", "deliverable": "报告", "owner": org["b"].external_id, "due": "2025-03-01"})
    assert past.status_code == 422 and "截止时间应晚于现在" in past.content.decode()
    assert not Task.objects.exists() and not MeetingDecision.objects.exists()


def test_past_weeks_list_their_decisions_without_the_form(org, clock, login):
    clock.set(NOW)
    page = login(org["manager"]).get("/insights/brief/?week=2025-03-03").content.decode()
    assert "回顾 02-24 至 03-02" in page and "decisions/" not in page and "这一周的例会没有记录决议" in page


def test_monday_job_tells_each_manager_with_a_team_once_with_a_link(org, clock, monkeypatch):
    monkeypatch.setattr("xiaoguan.insights.rules.snapshot_take", lambda **_kw: 0)  # the 06:00 job; snapshots below
    UserFactory(role=Role.MANAGER, team=TeamFactory(name="空团队", kind=Team.Kind.REGION, parent=org["hq"]), name="光杆经理")
    _snapshot(org["east"], WEEK - timedelta(days=7), won_before="100000", total="500000")
    _snapshot(org["east"], WEEK, won_before="250000", total="300000")
    sweep_run(now=clock.at("2025-03-09 12:00"))  # the job becomes known; first run Monday 08:30
    assert not Notification.objects.filter(kind="weekly_brief").exists()
    sweep_run(now=clock.at("2025-03-10 08:31"))
    sweep_run(now=clock.at("2025-03-10 09:31"))
    notices = Notification.objects.filter(kind="weekly_brief")
    assert [n.recipient.name for n in notices] == ["东区经理"]  # the manager without reps and the director: no notice
    east = notices.get(recipient=org["manager"])
    assert east.link == "/insights/brief/?week=2025-03-10"
    assert "华东大区本季度预测落地 550,000 元，较上周 -50,000 元" in east.body


def test_the_brief_reads_in_english(org, clock, login):
    now = clock.set(NOW)
    _lead_pool(org, clock)
    _stay_history(org["b"], clock, now)
    page = login(org["manager"]).get("/insights/brief/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Weekly brief" in page and "Top 3 stuck stages" in page and "Reps who need help" in page and "Make it a to-do" in page
    assert "3 leads contacted after the deadline" in page
    assert "周例会简报" not in page and "卡点阶段" not in page


def test_a_decisions_task_reads_through_the_api_with_its_source(org, clock, login):
    clock.set(NOW)
    login(org["manager"]).post("/insights/brief/decisions/", {
        "text": "复盘", "deliverable": "报告", "owner": org["b"].external_id, "due": "2025-03-14",
    })  # fmt: skip
    _, key = api_token_create(user=org["b"], name="tests", now=clock.at(NOW))
    body = Client(headers={"authorization": f"Bearer {key}"}).get("/api/tasks").json()
    assert [(t["title"], t["source"]) for t in body["items"]] == [("复盘（交付物：报告）", "meeting")]
