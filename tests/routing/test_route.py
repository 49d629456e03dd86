"""Routing one lead and many: rules in order, turns, loads, caps, absence, the fallback queue, reasons on record."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.routing.conftest import NOW, make_rule, new_lead
from xiaoguan.leads.models import Lead, LeadAssignment
from xiaoguan.routing.models import RouteMiss, RoutingCursor, RoutingRule
from xiaoguan.routing.services import lead_route, leads_route_bulk, rep_capacity_update, route_decide, rule_update

pytestmark = pytest.mark.django_db


def test_first_matching_rule_wins_and_the_assignment_records_rule_version_and_reason(org, clock, cities):
    # given a 制造业 rule for 华东 above a catch-all for 华西
    now = clock.at(NOW)
    first = make_rule(org.director, now, "华东-制造业", team=org.east, regions=[org.east.pk], industries=["制造业"])
    make_rule(org.director, now, "兜底", team=org.west)
    # when a 苏州 manufacturing lead without a region is routed
    lead = lead_route(lead=new_lead(city="苏州"), now=now)
    # then the first rule took it, through the city's region, and said so
    assert lead.owner == org.east_reps[0]
    log = LeadAssignment.objects.get(lead=lead)
    assert (log.kind, log.rule_id, log.rule_name, log.rule_version) == ("routed", first.pk, "华东-制造业", 1)
    assert log.reason == "规则「华东-制造业」：城市 苏州 → 华东大区；行业 制造业；轮询第 1 位；张三今日已分配 0/15"
    assert log.details["matched"] == ["城市 苏州 → 华东大区", "行业 制造业"]


def test_each_condition_routes_the_lead_it_names(org, clock, cities):
    now = clock.at(NOW)
    make_rule(org.director, now, "江苏", reps=[org.east_reps[0]], provinces=["江苏"], industries=["医疗"])
    make_rule(org.director, now, "大客户", reps=[org.east_reps[1]], budget_min="1000000", company_sizes=["1000+"])
    make_rule(org.director, now, "企微", reps=[org.east_reps[2]], sources=["wecom"])
    make_rule(org.director, now, "决策链完整", reps=[org.west_reps[0]], decision_chain="complete")
    make_rule(org.director, now, "成都", reps=[org.west_reps[1]], cities=["成都市"])
    cases = [
        (new_lead(city="无锡", industry="医疗"), org.east_reps[0]),
        (new_lead(budget=Decimal("2000000"), company_size="1000+"), org.east_reps[1]),
        (new_lead(source=Lead.Source.WECOM), org.east_reps[2]),
        (new_lead(name="张总", phone="13812345678", company="苏州精工", budget=Decimal("50000")), org.west_reps[0]),
        (new_lead(city="成都", name="", budget=None), org.west_reps[1]),
    ]
    for lead, rep in cases:
        assert lead_route(lead=lead, now=now).owner == rep, lead.city


def test_round_robin_takes_turns_across_requests(org, clock):
    now = clock.at(NOW)
    rule = make_rule(org.director, now, "华东", team=org.east)
    owners = [lead_route(lead=new_lead(), now=now).owner.name for _ in range(4)]
    assert owners == ["张三", "李四", "王五", "张三"]
    assert RoutingCursor.objects.get(rule=rule).turns == 4


def test_least_loaded_gives_to_the_rep_with_fewest_open_leads(org, clock):
    now = clock.at(NOW)
    make_rule(org.director, now, "华东", team=org.east, strategy=RoutingRule.Strategy.LEAST_LOADED)
    for rep, n in zip(org.east_reps, (3, 1, 2), strict=True):
        for _ in range(n):
            new_lead(owner=rep, status=Lead.Status.ASSIGNED)
    decision = route_decide(lead=new_lead(), now=now)
    assert decision.rep == org.east_reps[1]
    assert "负载最少（在手 1 条" in decision.reason


def test_a_rep_at_the_daily_cap_is_skipped_and_the_cap_resets_at_midnight(org, clock):
    now = clock.at(NOW)
    make_rule(org.director, now, "华东", reps=org.east_reps[:2])
    rep_capacity_update(rep=org.east_reps[0], by=org.director, now=now, daily_cap=2, away=False)
    routed = [lead_route(lead=new_lead(), now=now).owner.name for _ in range(4)]
    assert routed == ["张三", "李四", "张三", "李四"]
    # 张三 has 2/2 today: skipped, and the reason says so
    lead = lead_route(lead=new_lead(), now=now)
    assert lead.owner.name == "李四"
    assert "张三（今日已满 2/2）" in LeadAssignment.objects.get(lead=lead).reason
    # the next morning he takes leads again: the rotation follows the rule's turns (turn 5 is 李四's, turn 6 his)
    tomorrow = now + timedelta(days=1)
    assert [lead_route(lead=new_lead(), now=tomorrow).owner.name for _ in range(2)] == ["李四", "张三"]


def test_absent_and_away_reps_are_skipped(org, clock):
    now = clock.at(NOW)
    make_rule(org.director, now, "华东", team=org.east)
    rep_capacity_update(rep=org.east_reps[0], by=org.director, now=now, daily_cap=None, away=True)
    rep_capacity_update(rep=org.east_reps[1], by=org.director, now=now, daily_cap=None, away=False,
                        absent_from=date(2025, 3, 3), absent_until=date(2025, 3, 4))
    assert lead_route(lead=new_lead(), now=now).owner.name == "王五"
    # the absence ended on the 4th
    assert route_decide(lead=new_lead(), now=now + timedelta(days=1)).rep.name == "李四"


def test_no_match_or_a_full_group_leaves_the_lead_in_the_fallback_queue_with_its_reason(org, clock):
    now = clock.at(NOW)
    rule = make_rule(org.director, now, "医疗", reps=[org.east_reps[0]], industries=["医疗"])
    unmatched = lead_route(lead=new_lead(industry="教育"), now=now)
    assert unmatched.owner is None and unmatched.status == Lead.Status.NEW
    assert RouteMiss.objects.get(lead=unmatched).details["fallback"] == "no_rule"
    assert Lead.objects.get(pk=unmatched.pk).routing_reason == "没有规则匹配 → 待分配队列"
    rep_capacity_update(rep=org.east_reps[0], by=org.director, now=now, daily_cap=0, away=False)
    full = lead_route(lead=new_lead(industry="医疗"), now=now)
    miss = RouteMiss.objects.get(lead=full)
    assert full.owner is None and miss.rule_id == rule.pk and miss.details["fallback"] == "group_full"
    assert not LeadAssignment.objects.filter(lead__in=[unmatched, full]).exists()


def test_disabled_rules_are_not_used_and_edits_bump_the_version(org, clock):
    now = clock.at(NOW)
    rule = make_rule(org.director, now, "华东", team=org.east, enabled=False)
    assert route_decide(lead=new_lead(), now=now).rep is None
    rule = rule_update(rule=rule, by=org.director, now=now, values={"enabled": True})
    assert rule.version == 2
    lead = lead_route(lead=new_lead(), now=now)
    assert LeadAssignment.objects.get(lead=lead).rule_version == 2


def test_bulk_routing_spreads_leads_over_the_group_within_caps_and_records_every_reason(org, clock, cities):
    now = clock.at(NOW)
    make_rule(org.director, now, "华东", team=org.east, regions=[org.east.pk])
    make_rule(org.director, now, "华西", team=org.west, regions=[org.west.pk])
    for _ in range(50):
        new_lead(city="苏州")
    for _ in range(7):
        new_lead(city="成都")
    new_lead(city="拉萨")  # no region: no rule
    owned = new_lead(owner=org.east_reps[0], status=Lead.Status.ASSIGNED)  # already has an owner: left alone
    summary = leads_route_bulk(leads=Lead.objects.all(), now=now)
    # 华东: 3 reps × 15 = 45 fit, 5 wait; 华西 takes all 7; 拉萨 matches nothing
    assert (summary.routed, summary.group_full, summary.no_rule) == (52, 5, 1)
    assert dict(summary.by_rep) == {"张三": 15, "李四": 15, "王五": 15, "赵六": 4, "钱七": 3}
    assert LeadAssignment.objects.filter(kind="routed").count() == 52
    assert not LeadAssignment.objects.filter(kind="routed", reason="").exists()
    assert RouteMiss.objects.count() == 6
    assert Lead.objects.get(pk=owned.pk).owner == org.east_reps[0]
    # the turn goes on from where the batch stopped
    assert route_decide(lead=new_lead(city="成都"), now=now).rep == org.west_reps[1]


def test_the_real_city_table_maps_free_text_to_province_and_region(org, clock):
    # given a rule on the province as an admin types it ("江苏省"), and the bundled city table (no stand-in)
    now = clock.at(NOW)
    make_rule(org.director, now, "江苏", team=org.east, provinces=["江苏省"])
    # when leads arrive with their city written three ways
    leads = [lead_route(lead=new_lead(city=city), now=now) for city in ("苏州市", "江苏省苏州市工业园区", "昆山")]
    # then all three are in 江苏 and go to the rule's team
    assert all(lead.owner in org.east_reps for lead in leads)
    assert all("省份 江苏" in LeadAssignment.objects.get(lead=lead).reason for lead in leads)
