"""The routing pages: who may open them, editing with a dry-run before saving, the queue, capacity, deactivation."""

from __future__ import annotations

import pytest
import yaml
from django.urls import reverse

from tests.routing.conftest import NOW, make_rule, new_lead
from xiaoguan.leads.models import Lead, LeadAssignment
from xiaoguan.org.models import User
from xiaoguan.routing.models import RepCapacity, RoutingRule

pytestmark = pytest.mark.django_db


def rule_post(org, **extra):  # type: ignore[no-untyped-def]
    data = {"name": "华东-制造业", "enabled": "on", "strategy": "round_robin", "target_kind": "team", "target_team": org.east.pk,
            "regions": [org.east.pk], "industries": "制造业、机械", "cities": "", "provinces": "", "decision_chain": ""}
    return {**data, **extra}


def test_rules_pages_are_for_directors_and_admins_only(org, login, clock):
    clock.set(NOW)
    rule = make_rule(org.director, clock.at(NOW), "华东", team=org.east)
    for name in ("routing_rules", "routing_rule_new", "routing_capacity", "routing_export"):
        assert login(org.east_reps[0]).get(reverse(f"web:{name}")).status_code == 403
        assert login(org.manager).get(reverse(f"web:{name}")).status_code == 403
        assert login(org.director).get(reverse(f"web:{name}")).status_code == 200
    assert login(org.admin).get(reverse("web:routing_rule_edit", args=[rule.external_id])).status_code == 200
    assert login(org.admin).get(reverse("web:routing_rule_edit", args=["nope"])).status_code == 404
    assert login(org.east_reps[0]).get(reverse("web:routing_queue")).status_code == 403
    assert login(org.manager).get(reverse("web:routing_queue")).status_code == 200


def test_a_rule_is_dry_run_before_it_is_saved_then_saved(org, login, clock, cities):
    clock.set(NOW)
    for _ in range(3):
        new_lead(city="苏州", created_at=clock.at("2025-03-03 11:00"))
    client = login(org.director)
    tried = client.post(reverse("web:routing_rule_try"), rule_post(org), HTTP_HX_REQUEST="true")
    assert tried.status_code == 200
    body = tried.content.decode()
    assert "试运行结果" in body and "会匹配 3 条线索" in body
    assert not RoutingRule.objects.exists()
    saved = client.post(reverse("web:routing_rule_new"), rule_post(org))
    assert saved.status_code == 302
    rule = RoutingRule.objects.get()
    assert rule.conditions == {"regions": [org.east.pk], "industries": ["制造业", "机械"]}
    edited = client.post(reverse("web:routing_rule_edit", args=[rule.external_id]), rule_post(org, name="华东制造"))
    assert edited.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.version) == ("华东制造", 2)
    history = client.get(reverse("web:routing_rule_history", args=[rule.external_id])).content.decode()
    assert "华东-制造业" in history and "华东制造" in history


def test_a_rule_needs_exactly_one_target(org, login, clock):
    clock.set(NOW)
    response = login(org.admin).post(reverse("web:routing_rule_new"), rule_post(org, target_team=""))
    assert response.status_code == 422
    assert "二选一" in response.content.decode()


def test_move_toggle_and_yaml_export(org, login, clock):
    now = clock.set(NOW)
    first = make_rule(org.director, now, "甲", team=org.east)
    second = make_rule(org.director, now, "乙", reps=[org.west_reps[0]], industries=["医疗"])
    client = login(org.director)
    client.post(reverse("web:routing_rule_move", args=[second.external_id]), {"direction": "up"})
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["乙", "甲"]
    client.post(reverse("web:routing_rule_toggle", args=[first.external_id]))
    assert not RoutingRule.objects.get(pk=first.pk).enabled
    exported = yaml.safe_load(client.get(reverse("web:routing_export")).content)
    assert [r["name"] for r in exported["rules"]] == ["乙", "甲"]
    assert exported["rules"][0]["target"] == {"reps": [{"id": org.west_reps[0].external_id, "name": "赵六", "email": org.west_reps[0].email}]}
    assert exported["rules"][1]["enabled"] is False and exported["default_daily_cap"] == 15


def test_a_manager_dispatches_a_queued_lead_by_hand(org, login, clock):
    clock.set(NOW)
    queued = new_lead(region=org.east)
    elsewhere = new_lead(region=org.west)
    client = login(org.manager)
    page = client.get(reverse("web:routing_queue")).content.decode()
    assert queued.external_id in page and elsewhere.external_id not in page
    response = client.post(reverse("web:routing_queue_assign", args=[queued.external_id]), {"rep": org.east_reps[1].pk})
    assert response.status_code == 302
    queued.refresh_from_db()
    assert queued.owner == org.east_reps[1]
    assert LeadAssignment.objects.get(lead=queued).kind == "manual"
    # not a lead of their region, not a rep of their team
    assert client.post(reverse("web:routing_queue_assign", args=[elsewhere.external_id]), {"rep": org.east_reps[1].pk}).status_code == 404
    other = new_lead(region=org.east)
    client.post(reverse("web:routing_queue_assign", args=[other.external_id]), {"rep": org.west_reps[0].pk})
    assert Lead.objects.get(pk=other.pk).owner is None


def test_capacity_and_absence_are_edited_and_a_rep_deactivated_with_reroute(org, login, clock):
    clock.set(NOW)
    rep = org.east_reps[0]
    client = login(org.director)
    response = client.post(reverse("web:routing_capacity_edit", args=[rep.external_id]),
                           {"daily_cap": "20", "absent_from": "2025-03-10", "absent_until": "2025-03-12"})
    assert response.status_code == 302
    capacity = RepCapacity.objects.get(user=rep)
    assert capacity.daily_cap == 20 and str(capacity.absent_until) == "2025-03-12"
    bad = client.post(reverse("web:routing_capacity_edit", args=[rep.external_id]), {"absent_from": "2025-03-12", "absent_until": "2025-03-10"})
    assert bad.status_code == 422
    new_lead(owner=rep, status=Lead.Status.ASSIGNED)
    assert "未跟进的线索" in client.get(reverse("web:routing_deactivate", args=[rep.external_id])).content.decode()
    assert client.post(reverse("web:routing_deactivate", args=[rep.external_id])).status_code == 302
    assert not User.objects.get(pk=rep.pk).is_active
    assert login(org.manager).post(reverse("web:routing_deactivate", args=[org.east_reps[1].external_id])).status_code == 403
