"""Dry-run: a draft rule replayed over the last 30 days before it is saved."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.routing.conftest import NOW, make_rule, new_lead
from xiaoguan.leads.models import Lead
from xiaoguan.routing.models import RoutingRule
from xiaoguan.routing.services import rep_capacity_update, rule_dry_run

pytestmark = pytest.mark.django_db


def test_dry_run_counts_per_rule_and_rep_over_cap_and_unmatched_on_a_fixed_data_set(org, clock, cities):
    # given 30 days in which: day 1 brought 20 苏州 leads, day 2 brought 5 苏州 and 4 成都, and 3 拉萨 leads came
    now = clock.at(NOW)
    day1, day2 = now - timedelta(days=3), now - timedelta(days=2)
    for i in range(20):
        new_lead(city="苏州", created_at=day1 + timedelta(minutes=i))
    for i in range(5):
        new_lead(city="苏州", created_at=day2 + timedelta(minutes=i))
    for i in range(4):
        new_lead(city="成都", created_at=day2 + timedelta(minutes=30 + i))
    for i in range(3):
        new_lead(city="拉萨", created_at=day2 + timedelta(hours=2, minutes=i))
    new_lead(city="苏州", created_at=now - timedelta(days=31))  # outside the window
    new_lead(city="苏州", created_at=now - timedelta(days=1), owner=org.east_reps[0], status=Lead.Status.CONVERTED)  # replayed all the same
    make_rule(org.director, now, "华西", team=org.west, regions=[org.west.pk])
    rep_capacity_update(rep=org.east_reps[0], by=org.director, now=now, daily_cap=4, away=False)
    # when a draft "华东" rule (two reps, caps 4 and 15 → 19 a day) is tried
    draft = RoutingRule(name="华东", target_rep_ids=[org.east_reps[0].pk, org.east_reps[1].pk], conditions={"regions": [org.east.pk]},
                        strategy=RoutingRule.Strategy.ROUND_ROBIN)
    report = rule_dry_run(rule=draft, now=now)
    # then: 26 苏州 leads match it, 1 over cap (day 1: 20 leads, 19 places), 张三 4+1+1, 李四 15+3
    assert report.leads == 33
    assert (report.draft.matched, report.draft.assigned, report.draft.over_cap) == (26, 25, 1)
    assert dict(report.draft.by_rep) == {"张三": 4 + 2 + 1, "李四": 15 + 3}
    west = next(line for line in report.rules if line.name == "华西")
    assert (west.matched, west.assigned, west.over_cap) == (4, 4, 0)
    assert report.unmatched == 3
    assert report.changed == 26  # without the draft those 26 matched nothing
    assert "会匹配 26 条线索" in report.summary and "其中 1 条超出每日上限" in report.summary
    assert RoutingRule.objects.count() == 1  # nothing saved


def test_dry_run_of_an_edited_rule_replaces_the_saved_one_at_its_place(org, clock, cities):
    now = clock.at(NOW)
    catch_all = make_rule(org.director, now, "全部", team=org.east)
    make_rule(org.director, now, "华西", team=org.west, regions=[org.west.pk])
    for i in range(3):
        new_lead(city="成都", created_at=now - timedelta(hours=i + 1))
    catch_all.conditions = {"regions": [org.east.pk]}
    report = rule_dry_run(rule=catch_all, now=now)
    assert [line.name for line in report.rules] == ["全部", "华西"]
    assert report.draft.matched == 0 and report.rules[1].matched == 3
    assert report.changed == 3
