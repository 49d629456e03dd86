"""The forecast page's current forecast, with the real model on a small book: every number of the viewer's people
only, the model's company-wide sentences for the director only; and a real snapshot end to end."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.factories.org import TeamFactory, UserFactory
from tests.factories.sales import AccountFactory, OpportunityFactory, stage
from xiaoguan.insights.models import ForecastSnapshot
from xiaoguan.insights.snapshots import snapshot_take
from xiaoguan.opportunities.models import Opportunity, StageHistory
from xiaoguan.org.models import Role, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(clock):  # type: ignore[no-untyped-def]
    hq = TeamFactory(name="销售中心", kind=Team.Kind.COMPANY)
    east = TeamFactory(name="华东大区", kind=Team.Kind.REGION, parent=hq)
    north = TeamFactory(name="华北大区", kind=Team.Kind.REGION, parent=hq)
    people = {
        "director": UserFactory(role=Role.DIRECTOR, team=hq, name="总监"),
        "manager": UserFactory(role=Role.MANAGER, team=east, name="东区经理"),
        "a": UserFactory(role=Role.REP, team=east, name="阿安"),
        "c": UserFactory(role=Role.REP, team=north, name="北方小陈"),
    }
    start = clock.at("2024-09-02 10:00")
    for i in range(60):  # a year of closed deals for the model to learn from, and some open ones
        owner = people["a"] if i % 2 else people["c"]
        created = start + timedelta(days=5 * i)
        won = i % 3 == 0
        deal = OpportunityFactory(
            owner=owner, account=AccountFactory(owner=owner), created_at=created, amount=Decimal(100000 + 1000 * i),
            status=Opportunity.Status.WON if won else Opportunity.Status.LOST, closed_at=created + timedelta(days=30),
            stage=stage("contract_signed" if won else "needs_diagnosed"),
        )
        StageHistory.objects.create(opportunity=deal, stage=stage("lead_confirmed"), entered_at=created)
    for i in range(6):
        owner = people["a"] if i % 2 else people["c"]
        created = clock.at("2025-09-01 10:00") + timedelta(days=3 * i)
        deal = OpportunityFactory(owner=owner, account=AccountFactory(owner=owner), created_at=created, stage=stage("solution_demo"), amount=Decimal(200000))
        StageHistory.objects.create(opportunity=deal, stage=stage("solution_demo"), entered_at=created)
    return {"east": east, "north": north, **people}


def test_current_forecast_for_the_director_and_a_manager(book, clock, login):
    clock.set("2025-10-08 09:00")
    director = login(book["director"]).get("/insights/forecast/current/")
    assert director.status_code == 200
    text = director.content.decode()
    assert "本季度预测落地" in text and "华东大区" in text and "华北大区" in text and "阿安" in text and "北方小陈" in text
    mine = login(book["manager"]).get("/insights/forecast/current/").content.decode()
    assert "阿安" in mine and "华东大区" in mine
    assert "北方小陈" not in mine and "华北大区" not in mine
    # the model's company-wide sentences stay with the director; the manager's speak of their own people
    assert "对照：按阶段固定比例" in text and "对照：按阶段固定比例" not in mine
    assert "截至 10-08 本季度已成交" in mine


def test_the_page_loads_the_current_forecast_lazily_and_renders_for_managers(book, clock, login):
    clock.set("2025-10-08 09:00")
    page = login(book["manager"]).get("/insights/forecast/").content.decode()
    assert 'hx-get="/insights/forecast/current/' in page and "预测准确度" in page
    assert login(book["a"]).get("/insights/forecast/current/").status_code == 403


def test_a_real_snapshot_with_the_model(book, clock):
    written = snapshot_take(week=date(2025, 10, 6), now=clock.at("2025-10-06 06:00"))
    assert written == 3  # the company and two regions
    company = ForecastSnapshot.objects.get(team__isnull=True)
    regions = ForecastSnapshot.objects.filter(team__isnull=False)
    assert company.low <= company.total <= company.high
    assert sum(r.total for r in regions) == pytest.approx(company.total, abs=Decimal("0.05"))
    assert company.open_part is not None and company.new_part is not None
    assert company.explain and company.explain[0].startswith("截至 10-06 本季度已成交")
