"""Opportunity efficiency: stage advances per effective visit (visits the authenticity scoring does not flag)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories.sales import AccountFactory, ActivityFactory, OpportunityFactory, stage
from tests.insights.diagnostics_world import MARCH_QUERY, NOW, at, build_org
from xiaoguan.activities.models import Activity
from xiaoguan.insights.efficiency import advanced_deal_ids, efficiency_report, visit_condition
from xiaoguan.opportunities.models import StageHistory

pytestmark = pytest.mark.django_db


def _history(owner, entries: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    deal = OpportunityFactory(account=AccountFactory(owner=owner), owner=owner, stage=stage(entries[-1][0]), created_at=at(entries[0][1]))
    for key, when in entries:
        StageHistory.objects.create(opportunity=deal, stage=stage(key), entered_at=at(when))
    return deal


def _visit(owner, when: str, kind: str = Activity.Kind.VISIT, **extra):  # type: ignore[no-untyped-def]
    return ActivityFactory(owner=owner, account=AccountFactory(owner=owner, city="苏州"), kind=kind, occurred_at=at(when), recorded_at=at(when), **extra)


@pytest.fixture
def march(clock):  # type: ignore[no-untyped-def]
    org = build_org()
    a, b, c = org.a, org.b, org.c
    deals = {
        # forward on 3-05 and 3-10, back on 3-15 (no advance), forward again on 3-20: three advances
        "d": _history(a, [("lead_confirmed", "2025-02-20 10:00"), ("needs_diagnosed", "2025-03-05 10:00"), ("solution_demo", "2025-03-10 10:00"),
                          ("needs_diagnosed", "2025-03-15 10:00"), ("solution_demo", "2025-03-20 10:00")]),
        "e": _history(a, [("lead_confirmed", "2025-03-03 10:00")]),  # created in March: no advance
        "f": _history(c, [("lead_confirmed", "2025-02-01 10:00"), ("solution_demo", "2025-02-10 10:00"), ("quote_negotiation", "2025-03-08 10:00")]),
        "g": _history(b, [("lead_confirmed", "2025-03-01 10:00"), ("needs_diagnosed", "2025-04-02 10:00")]),  # April
    }  # fmt: skip
    visits = {
        "v1": _visit(a, "2025-03-04 10:00"),
        "v2": _visit(a, "2025-03-11 10:00", Activity.Kind.MEETING),
        "v3": _visit(a, "2025-03-18 10:00", Activity.Kind.DEMO),
        # a 苏州 customer, a check-in in 北京: the authenticity scoring flags it
        "far": _visit(a, "2025-03-25 10:00", duration_seconds=3600, lat=Decimal("39.9042"), lng=Decimal("116.4074"), content="拜访客户"),
        "call": _visit(a, "2025-03-12 10:00", Activity.Kind.CALL),
        "april": _visit(a, "2025-04-03 10:00"),
        "c1": _visit(c, "2025-03-05 10:00"),
        "c2": _visit(c, "2025-03-06 10:00"),
    }
    clock.set(NOW)
    return org, deals, visits


def test_advances_per_effective_visit_by_hand(march, clock):
    org, *_ = march
    rows = {(r.level, r.label): r for r in efficiency_report(f=org.cockpit(org.director), now=clock.at(NOW)).rows}
    a = rows["rep", "小安"]
    assert (a.advances, a.visits, a.flagged, a.effective) == (3, 4, 1, 3) and a.ratio == pytest.approx(1.0)
    b = rows["rep", "小白"]
    assert (b.advances, b.effective, b.ratio) == (0, 0, None)
    assert (rows["region", "华北大区"].advances, rows["region", "华北大区"].effective) == (1, 2)
    everyone = rows["all", "全部"]
    assert (everyone.advances, everyone.effective) == (4, 5) and everyone.ratio == pytest.approx(0.8)


def test_manager_sees_only_their_regions_and_people(march, clock):
    org, *_ = march
    report = efficiency_report(f=org.cockpit(org.manager), now=clock.at(NOW))
    assert [(r.level, r.label) for r in report.rows] == [("all", "全部"), ("region", "华东大区"), ("rep", "小安"), ("rep", "小白")]
    assert (report.rows[0].advances, report.rows[0].effective) == (3, 3)


def test_drill_downs_list_exactly_the_deals_and_visits_behind_the_counts(march, clock, login):
    org, deals, visits = march
    f = org.cockpit(org.director, rep=org.a.external_id)
    now = clock.at(NOW)
    assert advanced_deal_ids(f=f, now=now, people=f.owner_ids) == [deals["d"].pk]
    effective = set(Activity.objects.filter(visit_condition(f=f, now=now, people=f.owner_ids, flagged=False)).values_list("pk", flat=True))
    assert effective == {visits["v1"].pk, visits["v2"].pk, visits["v3"].pk}
    flagged = set(Activity.objects.filter(visit_condition(f=f, now=now, people=f.owner_ids, flagged=True)).values_list("pk", flat=True))
    assert flagged == {visits["far"].pk}
    page = login(org.manager).get(f"/insights/efficiency/?{MARCH_QUERY}").content.decode()
    assert "小安" in page and "小陈" not in page and "drill=efficiency_advances" in page
    drill = login(org.manager).get(f"/insights/drill/?{MARCH_QUERY}&drill=efficiency_visits&flagged=1").content.decode()
    assert visits["far"].external_id in drill and visits["v1"].external_id not in drill
