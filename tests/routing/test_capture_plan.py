"""The capture's routing (route_plan): least-loaded on the process's copy of the loads, counting what it gives."""

from __future__ import annotations

import pytest

from tests.routing.conftest import NOW, make_rule, new_lead
from xiaoguan.capture.services import capture_lead
from xiaoguan.leads.models import Lead
from xiaoguan.routing.models import RoutingRule

pytestmark = pytest.mark.django_db


def test_least_loaded_captures_count_the_leads_just_given(org, clock):
    now = clock.at(NOW)
    zhang, li = org.east_reps[:2]
    make_rule(org.director, now, "华东", reps=[zhang, li], strategy=RoutingRule.Strategy.LEAST_LOADED)
    for _ in range(2):
        new_lead(owner=zhang, status=Lead.Status.ASSIGNED)
    owners = [
        capture_lead(source=Lead.Source.WEB_FORM, fields={"name": f"客户{i}", "phone": f"1391234000{i}", "city": "苏州"}, raw={}, now=now).lead.owner.name
        for i in range(3)
    ]
    # 李四 0 → 1 → 2 open leads; at 2-2 the one with fewer today (张三, 0) is next — only if the copy counted them
    assert owners == ["李四", "李四", "张三"]
