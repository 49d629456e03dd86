"""Accuracy tracking on hand-built snapshots: the exact error of each weekly snapshot once the quarter is over, the
won-to-date line, the calls beside them, and the page's empty state."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.factories.org import TeamFactory, UserFactory
from tests.factories.sales import AccountFactory, OpportunityFactory
from xiaoguan.core.clock import day_start
from xiaoguan.insights.accuracy import accuracy_series
from xiaoguan.insights.calls import forecast_call_record
from xiaoguan.insights.models import ForecastSnapshot
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.org.models import Role, Team

pytestmark = pytest.mark.django_db

Q1 = date(2025, 1, 1)


@pytest.fixture
def org():  # type: ignore[no-untyped-def]
    hq = TeamFactory(name="销售中心", kind=Team.Kind.COMPANY)
    east = TeamFactory(name="华东大区", kind=Team.Kind.REGION, parent=hq)
    north = TeamFactory(name="华北大区", kind=Team.Kind.REGION, parent=hq)
    return {
        "east": east, "north": north,
        "director": UserFactory(role=Role.DIRECTOR, team=hq, name="总监"),
        "manager": UserFactory(role=Role.MANAGER, team=east, name="东区经理"),
        "rep": UserFactory(role=Role.REP, team=east, name="阿安"),
        "north_rep": UserFactory(role=Role.REP, team=north, name="北方小陈"),
    }  # fmt: skip


def _won(owner, clock, when: str, amount: str) -> Opportunity:  # type: ignore[no-untyped-def]
    return OpportunityFactory(owner=owner, account=AccountFactory(owner=owner), status=Opportunity.Status.WON,
                              closed_at=clock.at(when), amount=Decimal(amount))  # fmt: skip


def _snapshot(team, week: date, *, won_before: str, total: str, low: str, high: str) -> ForecastSnapshot:  # type: ignore[no-untyped-def]
    return ForecastSnapshot.objects.create(
        week=week, team=team, quarter_start=Q1, as_of=day_start(week), until=day_start(date(2025, 4, 1)),
        total=Decimal(total), low=Decimal(low), high=Decimal(high), won_before=Decimal(won_before), explain=[], taken_at=day_start(week),
    )  # fmt: skip


@pytest.fixture
def quarter(org, clock):  # type: ignore[no-untyped-def]
    """East won 200 (01-20) + 300 (02-15) + 500 (03-20) = 1,000 in Q1; north's 9,999 must never count for east."""
    rep = org["rep"]
    _won(rep, clock, "2025-01-20 10:00", "200")
    _won(rep, clock, "2025-02-15 10:00", "300")
    _won(rep, clock, "2025-03-20 10:00", "500")
    _won(rep, clock, "2025-04-02 10:00", "7777")  # next quarter
    _won(org["north_rep"], clock, "2025-02-10 10:00", "9999")
    east = org["east"]
    _snapshot(east, date(2025, 1, 6), won_before="0", total="900", low="600", high="1200")
    _snapshot(east, date(2025, 2, 3), won_before="200", total="700", low="500", high="900")
    _snapshot(east, date(2025, 3, 3), won_before="500", total="600", low="400", high="800")
    forecast_call_record(by=org["manager"], team=east, kind="commit", amount="950", comment="", now=clock.set("2025-01-07 09:00"))
    return east


def _east_owners(org):  # type: ignore[no-untyped-def]
    return frozenset({org["manager"].pk, org["rep"].pk})


def test_each_weekly_snapshot_has_its_exact_final_error_once_the_quarter_is_over(org, quarter, clock):
    series = accuracy_series(team=quarter, owner_ids=_east_owners(org), quarter_start=Q1, now=clock.at("2025-04-10 09:00"))
    assert series.finished and series.actual == 1000.0
    by_week = {w.week: w for w in series.snapshots}
    assert [w.landing for w in by_week.values()] == [900.0, 900.0, 1100.0]
    # |landing − 1000| / 1000
    assert [by_week[d].error for d in (date(2025, 1, 6), date(2025, 2, 3), date(2025, 3, 3))] == pytest.approx([0.1, 0.1, 0.1])
    # the rest of the quarter alone: |900 − 1000| / 1000, |700 − 800| / 800, |600 − 500| / 500
    assert [w.window_error for w in by_week.values()] == pytest.approx([0.1, 0.125, 0.2])
    assert series.mean_error == pytest.approx(0.1)
    # over the three windows together: (100 + 100 + 100) / (1000 + 800 + 500)
    assert series.mean_window_error == pytest.approx(300 / 2300)
    assert (by_week[date(2025, 2, 3)].landing_low, by_week[date(2025, 2, 3)].landing_high) == (700.0, 1100.0)


def test_the_call_stands_every_week_after_it_was_made_with_its_own_error(org, quarter, clock):
    series = accuracy_series(team=quarter, owner_ids=_east_owners(org), quarter_start=Q1, now=clock.at("2025-04-10 09:00"))
    weeks = {w.week: w for w in series.weeks}
    assert weeks[date(2025, 1, 6)].commit == 950.0 and weeks[date(2025, 3, 31)].commit == 950.0
    assert weeks[date(2025, 1, 6)].commit_error == pytest.approx(0.05)
    assert weeks[date(2025, 1, 6)].best_case is None


def test_won_to_date_rises_by_the_deals_won_before_each_monday(org, quarter, clock):
    series = accuracy_series(team=quarter, owner_ids=_east_owners(org), quarter_start=Q1, now=clock.at("2025-04-10 09:00"))
    weeks = {w.week: w.won_to_date for w in series.weeks}
    assert len(weeks) == 13  # the Mondays of Q1 2025
    assert (weeks[date(2025, 1, 6)], weeks[date(2025, 1, 27)], weeks[date(2025, 2, 17)], weeks[date(2025, 3, 31)]) == (0.0, 200.0, 500.0, 1000.0)


def test_an_unfinished_quarter_shows_no_error_and_no_future_won_to_date(org, quarter, clock):
    series = accuracy_series(team=quarter, owner_ids=_east_owners(org), quarter_start=Q1, now=clock.at("2025-03-05 09:00"))
    assert not series.finished and series.actual == 500.0
    assert all(w.error is None and w.window_error is None for w in series.weeks)
    weeks = {w.week: w for w in series.weeks}
    assert weeks[date(2025, 3, 3)].won_to_date == 500.0 and weeks[date(2025, 3, 10)].won_to_date is None
    # the call of January stands up to this week, not in the weeks ahead
    assert weeks[date(2025, 3, 3)].commit == 950.0 and weeks[date(2025, 3, 10)].commit is None


def test_the_company_scope_counts_every_win(org, quarter, clock):
    _snapshot(None, date(2025, 1, 6), won_before="0", total="10000", low="9000", high="11000")
    series = accuracy_series(team=None, owner_ids=None, quarter_start=Q1, now=clock.at("2025-04-10 09:00"))
    assert series.actual == 10999.0
    (week,) = series.snapshots
    assert week.error == pytest.approx(999 / 10999)


def test_the_page_shows_a_managers_region_with_its_errors_and_nothing_of_others(org, quarter, clock, login):
    _snapshot(org["north"], date(2025, 1, 6), won_before="0", total="123456", low="1", high="2")
    clock.set("2025-04-10 09:00")
    page = login(org["manager"]).get("/insights/forecast/?quarter=2025-01-01").content.decode()
    assert "华东大区" in page and "10.0%" in page and "13.0%" in page  # the mean errors
    assert "华北大区" not in page and "12.3万" not in page
    director = login(org["director"]).get("/insights/forecast/?quarter=2025-01-01").content.decode()
    assert "华东大区" in director and "华北大区" in director and "全公司" in director


def test_no_snapshots_explains_itself_and_offers_the_backfill_to_the_director_only(org, clock, login):
    clock.set("2025-04-10 09:00")
    manager_page = login(org["manager"]).get("/insights/forecast/").content.decode()
    assert "这个季度还没有预测快照" in manager_page and "forecast/backfill/" not in manager_page
    director_page = login(org["director"]).get("/insights/forecast/").content.decode()
    assert "forecast/backfill/" in director_page and "forecast_snapshots --from" in director_page
    assert login(org["rep"]).get("/insights/forecast/").status_code == 403
    assert login(org["manager"]).post("/insights/forecast/backfill/").status_code == 403


def test_weeks_are_the_mondays_of_the_quarter(org, quarter, clock):
    series = accuracy_series(team=quarter, owner_ids=_east_owners(org), quarter_start=Q1, now=clock.at("2025-04-10 09:00"))
    assert series.weeks[0].week == date(2025, 1, 6) and series.weeks[-1].week == date(2025, 3, 31)
    assert all(b.week - a.week == timedelta(days=7) for a, b in zip(series.weeks, series.weeks[1:], strict=False))


def test_the_forecast_page_reads_in_english(org, quarter, clock, login):
    clock.set("2025-04-10 09:00")
    page = login(org["manager"]).get("/insights/forecast/?quarter=2025-01-01", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Forecast and accuracy" in page and "Forecast accuracy" in page and "Error on the rest" in page
    assert "预测与准确度" not in page and "逐周明细" not in page
