"""Customer health index: five weighted parts, worst first with reasons, the distribution, only visible accounts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.factories.sales import AccountFactory, ActivityFactory, OpportunityFactory, stage
from tests.insights.diagnostics_world import NOW, at, build_org
from xiaoguan.engagement.models import TouchEvent
from xiaoguan.insights.account_health import account_health_list
from xiaoguan.opportunities.models import Opportunity, StageHistory
from xiaoguan.receivables.models import Invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers(clock):  # type: ignore[no-untyped-def]
    org = build_org()
    a = org.a
    p, q, r, s, t = (AccountFactory(owner=owner, name=name) for owner, name in ((a, "客户P"), (a, "客户Q"), (a, "客户R"), (org.c, "客户S"), (a, "客户T")))
    # P: followed up 3 days ago; its deal in 报价谈判 for 10 days → 100
    ActivityFactory(owner=a, account=p, occurred_at=at("2025-04-07 09:00"), recorded_at=at("2025-04-07 09:00"))
    deal = OpportunityFactory(account=p, owner=a, stage=stage("quote_negotiation"), created_at=at("2025-03-01 09:00"))
    StageHistory.objects.create(opportunity=deal, stage=stage("quote_negotiation"), entered_at=at("2025-03-31 09:00"))
    # Q: last follow-up 68 days ago (0); a deal in 线索确认 for 100 days (40 × 1/5 = 8); ¥200,000 overdue 45 days (50)
    ActivityFactory(owner=a, account=q, occurred_at=at("2025-02-01 09:00"), recorded_at=at("2025-02-01 09:00"))
    stuck = OpportunityFactory(account=q, owner=a, stage=stage("lead_confirmed"), created_at=at("2024-12-31 09:00"))
    StageHistory.objects.create(opportunity=stuck, stage=stage("lead_confirmed"), entered_at=at("2024-12-31 09:00"))
    Invoice.objects.create(account=q, amount=Decimal("200000"), issued_on=date(2025, 1, 25), due_on=date(2025, 2, 24))
    # R: last follow-up 33.5 days ago (50); won 100 days ago, its invoice paid (100)
    ActivityFactory(owner=a, account=r, occurred_at=at("2025-03-07 21:00"), recorded_at=at("2025-03-07 21:00"))
    OpportunityFactory(account=r, owner=a, stage=stage("contract_signed"), status=Opportunity.Status.WON, closed_at=at("2024-12-31 09:00"))
    Invoice.objects.create(account=r, amount=Decimal("50000"), issued_on=date(2025, 1, 5), due_on=date(2025, 2, 4), paid_on=date(2025, 2, 1))
    # S: the north rep's customer, in play; T: 小安's, nothing at all
    OpportunityFactory(account=s, owner=org.c, created_at=at("2025-03-01 09:00"))
    clock.set(NOW)
    return org, {"P": p, "Q": q, "R": r, "S": s, "T": t}


def test_index_parts_and_order_by_hand(customers, clock):
    org, acc = customers
    listing = account_health_list(f=org.cockpit(org.manager), now=clock.at(NOW))

    assert [row.account_pk for row in listing.rows] == [acc["Q"].pk, acc["R"].pk, acc["P"].pk]  # worst first
    q, r, p = listing.rows
    assert q.index == pytest.approx((20 * 8 + 15 * 50) / 65)  # recency 0 weighs too; tracking not in use: no engagement/silence
    assert q.parts == {"recency": 0.0, "engagement": None, "progress": pytest.approx(8.0), "receivables": pytest.approx(50.0), "silence": None}
    assert q.reasons == ["已 68 天没有跟进", "商机停在「线索确认」100 天", "应收逾期 45 天，共 ¥200,000"]
    assert r.index == pytest.approx((30 * 50 + 15 * 100) / 45) and r.parts["progress"] is None
    assert p.index == pytest.approx(100.0) and p.reasons == []
    assert listing.histogram == [0, 1, 0, 0, 0, 0, 1, 0, 0, 1]
    assert listing.total == 3 and listing.parts_used == ["recency", "progress", "receivables"]


def test_only_customers_in_play_unless_asked_and_only_visible_ones(customers, clock):
    org, acc = customers
    now = clock.at(NOW)
    everyone = account_health_list(f=org.cockpit(org.manager), now=now, everyone=True)
    assert {row.account_pk for row in everyone.rows} == {acc[k].pk for k in ("P", "Q", "R", "T")}
    assert next(row for row in everyone.rows if row.account_pk == acc["T"].pk).reasons == ["从未有跟进记录"]
    director = account_health_list(f=org.cockpit(org.director), now=now)
    assert acc["S"].pk in {row.account_pk for row in director.rows}
    one_band = account_health_list(f=org.cockpit(org.manager), now=now, band=60)
    assert [row.account_pk for row in one_band.rows] == [acc["R"].pk]


def test_engagement_and_silence_count_once_the_customer_behaviour_is_tracked(customers, clock):
    org, acc = customers
    # a download an hour ago: engagement score 5.0 → 100·5/(5+5) = 50; the customer acted within the silent hours → 100
    TouchEvent.objects.create(tracked_item_key="t", document="方案书", account=acc["P"], kind=TouchEvent.Kind.DOWNLOADED, occurred_at=at("2025-04-10 08:00"))
    listing = account_health_list(f=org.cockpit(org.manager), now=clock.at(NOW))
    rows = {row.account_pk: row for row in listing.rows}
    p = rows[acc["P"].pk]
    assert p.parts["engagement"] == pytest.approx(50.0) and p.parts["silence"] == pytest.approx(100.0)
    assert p.index == pytest.approx((30 * 100 + 20 * 50 + 20 * 100 + 15 * 100) / 85)
    q = rows[acc["Q"].pk]
    assert q.parts["engagement"] == 0.0 and q.parts["silence"] == 0.0
    assert "客户从未打开或点击过资料" in q.reasons


def test_page_lists_worst_first_with_reasons_and_the_chart(customers, login):
    org, _acc = customers
    page = login(org.manager).get("/insights/customers/").content.decode()
    assert page.index("客户Q") < page.index("客户R") < page.index("客户P")
    assert "应收逾期 45 天" in page and "客户S" not in page and "customers-chart" in page
    assert "客户T" in login(org.manager).get("/insights/customers/?scope=all").content.decode()
    assert login(org.a).get("/insights/customers/").status_code == 403
