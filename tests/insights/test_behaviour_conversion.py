"""Behaviour vs conversion: behaviours found on closed deals before they closed, win rates with Wilson intervals, lift."""

from __future__ import annotations

import pytest

from tests.factories.sales import stage
from tests.insights.diagnostics_world import MARCH_QUERY, NOW, at, build_org, closed_deal, note
from xiaoguan.activities.models import Activity
from xiaoguan.engagement.models import TouchEvent
from xiaoguan.insights import behaviour
from xiaoguan.insights.behaviour import (
    BEHAVIOURS,
    activity_matches,
    behaviour_deal_ids,
    behaviour_rule,
    behaviour_table,
    wilson_interval,
)
from xiaoguan.opportunities.models import StageHistory

pytestmark = pytest.mark.django_db


def test_wilson_interval_matches_the_textbook_values():
    low, high = wilson_interval(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and round(high, 4) == 0.2775
    low, high = wilson_interval(20, 20)
    assert round(low, 4) == 0.8389 and high == 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_rules_read_the_words_as_the_keyword_scan_folds_them():
    analysis = behaviour_rule("competitor_analysis")
    assert analysis is not None
    # a competitor from the evidence app's dictionary, in traditional characters, with the analysis named
    assert activity_matches(analysis, kind=Activity.Kind.MEETING, content="針對西門子做了優劣勢分析，客戶認可售後")
    # both groups are needed: a competitor alone, or an analysis of nothing, is not the behaviour
    assert not activity_matches(analysis, kind=Activity.Kind.CALL, content="客户反馈竞品罗氏报价低8%")
    assert not activity_matches(analysis, kind=Activity.Kind.CALL, content="做了成本优劣分析")
    trial = behaviour_rule("sample_trial")
    visit = behaviour_rule("site_visit")
    assert trial is not None and visit is not None
    assert activity_matches(trial, kind=Activity.Kind.CALL, content="现场演示后客户提出样 品试用申请")
    assert not activity_matches(trial, kind=Activity.Kind.CALL, content="保持联系")
    assert activity_matches(visit, kind=Activity.Kind.VISIT, content="保持联系")
    assert not activity_matches(visit, kind=Activity.Kind.CALL, content="上门拜访")  # the kind, not the word
    # every rule looks at something, and codes are unique (they are the drill-down's parameter)
    assert all(r.reads_activities or r.reads_touches for r in BEHAVIOURS)
    assert len({r.code for r in BEHAVIOURS}) == len(BEHAVIOURS)


@pytest.fixture
def march(clock):  # type: ignore[no-untyped-def]
    org = build_org()
    a, c = org.a, org.c
    d = {
        "d1": closed_deal(a, won=True, created="2025-03-01 10:00", closed="2025-03-11 10:00"),
        "d2": closed_deal(a, won=True, created="2025-03-01 10:00", closed="2025-03-21 10:00"),
        "d3": closed_deal(org.b, won=True, created="2025-03-01 10:00", closed="2025-03-31 10:00"),
        "d4": closed_deal(a, won=False, created="2025-03-01 10:00", closed="2025-03-15 10:00"),
        "d5": closed_deal(a, won=False, created="2025-03-01 10:00", closed="2025-03-16 10:00"),
        "d6": closed_deal(a, won=False, created="2025-03-01 10:00", closed="2025-03-17 10:00"),
        "d7": closed_deal(a, won=True, created="2025-03-01 10:00", closed="2025-03-09 10:00"),
        "d8": closed_deal(c, won=False, created="2025-03-01 10:00", closed="2025-03-18 10:00"),  # north: the manager never sees it
        "april": closed_deal(a, won=True, created="2025-03-01 10:00", closed="2025-04-02 10:00"),
    }
    note(d["d1"], "针对竞品西门子做了优劣势分析，客户认可我方售后响应", "2025-03-05 10:00", kind=Activity.Kind.MEETING)
    note(d["d2"], "针对竞品西门子做了优劣势分析", "2025-03-06 10:00")
    note(d["d3"], "與友商方案做了對比分析", "2025-03-07 10:00")
    note(d["d4"], "竞品优劣势分析已发客户", "2025-03-08 10:00")
    note(d["d5"], "保持联系", "2025-03-08 10:00")
    note(d["d5"], "竞品优劣势分析（输单后复盘）", "2025-03-20 10:00")  # after the close: not a behaviour before it
    TouchEvent.objects.create(
        tracked_item_key="t1", document="方案书", account=d["d6"].account, opportunity=d["d6"], kind=TouchEvent.Kind.OPENED,
        occurred_at=at("2025-03-10 10:00"),
    )  # fmt: skip
    note(d["d8"], "拜访客户", "2025-03-10 10:00", kind=Activity.Kind.VISIT)
    note(d["april"], "竞品优劣势分析", "2025-03-10 10:00")
    clock.set(NOW)
    return org, d


def test_behaviour_table_counts_win_rates_days_and_lift_by_hand(march, clock):
    org, _d = march
    table = behaviour_table(f=org.cockpit(org.director), now=clock.at(NOW), min_deals=2)

    assert (table.deals, table.won) == (8, 4)
    rows = {r.code: r for r in table.rows}
    analysis = rows["competitor_analysis"]
    assert (analysis.deals, analysis.won, analysis.deals_without, analysis.won_without) == (4, 3, 4, 1)
    assert analysis.rate == 0.75 and analysis.rate_without == 0.25
    assert analysis.lift == pytest.approx(0.5) and analysis.lift_points == 50
    assert (analysis.low, analysis.high) == pytest.approx(wilson_interval(3, 4))
    assert analysis.median_days == pytest.approx(17.0)  # 10, 20, 30, 14 days
    assert analysis.median_days_won == pytest.approx(20.0)  # 10, 20, 30
    # one deal each: too few to say anything, so hidden and named
    assert {r.code: r.deals for r in table.hidden} == {"proposal_opened": 1, "site_visit": 1}
    assert table.none is not None and (table.none.deals, table.none.won) == (2, 1)  # d5 (its analysis came after), d7
    assert table.none.median_days == pytest.approx(11.5)  # 15 and 8 days


def test_rows_sort_by_lift_and_the_default_hides_rows_under_twenty_deals(march, clock, monkeypatch):
    org, _d = march
    assert behaviour_table(f=org.cockpit(org.director), now=clock.at(NOW)).rows == []
    monkeypatch.setattr(behaviour, "MIN_DEALS", 1)
    rows = behaviour_table(f=org.cockpit(org.director), now=clock.at(NOW)).rows
    assert [r.code for r in rows] == ["competitor_analysis", "site_visit", "proposal_opened"]  # ties: the table's order
    assert [r.lift_points for r in rows] == [50, -57, -57]  # 0 of 1 against 4 of 7


def test_manager_counts_only_the_deals_of_people_they_may_see(march, clock):
    org, _d = march
    table = behaviour_table(f=org.cockpit(org.manager), now=clock.at(NOW), min_deals=1)
    assert (table.deals, table.won) == (7, 4)
    assert "site_visit" not in {r.code for r in table.rows + table.hidden}  # the north rep's visit
    rep_only = behaviour_table(f=org.cockpit(org.director, rep=org.b.external_id), now=clock.at(NOW), min_deals=1)
    assert (rep_only.deals, [r.code for r in rep_only.rows]) == (1, ["competitor_analysis"])


def test_drill_down_ids_are_exactly_the_deals_of_the_cell(march, clock):
    org, d = march
    f = org.cockpit(org.director)
    now = clock.at(NOW)
    assert set(behaviour_deal_ids(f=f, now=now, code="competitor_analysis")) == {d[k].pk for k in ("d1", "d2", "d3", "d4")}
    assert behaviour_deal_ids(f=f, now=now, code="competitor_analysis", outcome="lost") == [d["d4"].pk]
    assert set(behaviour_deal_ids(f=f, now=now, code="none")) == {d["d5"].pk, d["d7"].pk}
    assert len(behaviour_deal_ids(f=f, now=now, code="all")) == 8


def test_comparing_from_a_stage_keeps_only_deals_that_reached_it(march, clock):
    org, d = march
    # d4 was lost in 报价谈判 after all (it went there, then its history ends); the other lost deals stopped earlier
    StageHistory.objects.create(opportunity=d["d4"], stage=stage("quote_negotiation"), entered_at=at("2025-03-12 10:00"))
    table = behaviour_table(f=org.cockpit(org.director), now=clock.at(NOW), reached="quote_negotiation", min_deals=1)
    # the won deals reached 合同签署, later than 报价谈判; of the lost ones only d4 got that far
    assert (table.deals, table.won) == (5, 4)
    analysis = next(r for r in table.rows if r.code == "competitor_analysis")
    assert (analysis.deals, analysis.won, analysis.deals_without, analysis.won_without) == (4, 3, 1, 1)


def test_page_shows_the_table_and_the_drill_down_lists_exactly_its_deals(march, login, monkeypatch):
    org, d = march
    monkeypatch.setattr(behaviour, "MIN_DEALS", 2)
    page = login(org.manager).get(f"/insights/behaviour/?{MARCH_QUERY}").content.decode()
    assert "分析竞品优劣势" in page and "相关，不是因果" in page and "以上行为均未出现" in page
    assert "+42" in page  # the lift in points: 3 of 4 against 1 of 3 (the north deal is not the manager's)
    drill = login(org.manager).get(f"/insights/drill/?{MARCH_QUERY}&drill=behaviour&behaviour=competitor_analysis").content.decode()
    for key in ("d1", "d2", "d3", "d4"):
        assert d[key].external_id in drill
    for key in ("d5", "d6", "d7", "d8", "april"):
        assert d[key].external_id not in drill
    assert login(org.a).get(f"/insights/behaviour/?{MARCH_QUERY}").status_code == 403


def test_empty_period_explains_itself(march, login):
    org, _d = march
    page = login(org.manager).get("/insights/behaviour/?period=custom&start=2024-01-01&end=2024-01-31").content.decode()
    assert "本期没有关闭的商机" in page


def test_pages_read_in_english(march, login):
    org, _d = march
    client = login(org.manager)
    pages = {
        "/insights/behaviour/": ("Behaviour vs conversion", "This is association, not cause", "Win rate (95% interval)"),
        "/insights/health/": ("Process health", "First response (median)", "Within 10%"),
        "/insights/customers/": ("Customer health", "Customers in play", "How health is scored"),
        "/insights/efficiency/": ("Opportunity efficiency", "Effective visits", "Left out (probably invented)"),
    }
    for path, texts in pages.items():
        body = client.get(f"{path}?{MARCH_QUERY}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        for text in texts:
            assert text in body, (path, text)
