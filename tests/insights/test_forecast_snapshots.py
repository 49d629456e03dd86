"""Weekly forecast snapshots: once per Monday and scope (the job run twice writes nothing), per team figures from the
model's simulated draws, the backfill of past Mondays as of each Monday, and a real model run end to end."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from tests.factories.org import TeamFactory, UserFactory
from tests.factories.sales import AccountFactory, OpportunityFactory
from xiaoguan.automation.sweep import sweep_run
from xiaoguan.core.clock import day_start
from xiaoguan.insights.forecast import Forecast
from xiaoguan.insights.models import ForecastSnapshot
from xiaoguan.insights.rules import forecast_snapshot_job
from xiaoguan.insights.snapshots import scope_figures, snapshot_take
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.org.models import Role, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():  # type: ignore[no-untyped-def]
    hq = TeamFactory(name="销售中心", kind=Team.Kind.COMPANY)
    east = TeamFactory(name="华东大区", kind=Team.Kind.REGION, parent=hq)
    east_one = TeamFactory(name="华东一组", kind=Team.Kind.TEAM, parent=east)
    north = TeamFactory(name="华北大区", kind=Team.Kind.REGION, parent=hq)
    return {
        "hq": hq, "east": east, "east_one": east_one, "north": north,
        "a": UserFactory(role=Role.REP, team=east, name="阿安"),
        "b": UserFactory(role=Role.REP, team=east_one, name="贝贝"),
        "c": UserFactory(role=Role.REP, team=north, name="北方小陈"),
    }  # fmt: skip


class FakeModel:
    """A forecast with known draws: 阿安 0, 10 … 100 (mean 50); 贝贝 always 0; 小陈 always 100."""

    def __init__(self, org) -> None:  # type: ignore[no-untyped-def]
        self.org = org
        self.calls: list[tuple[datetime, datetime]] = []
        a_deal = OpportunityFactory(owner=org["a"], account=AccountFactory(owner=org["a"]))
        c_deal = OpportunityFactory(owner=org["c"], account=AccountFactory(owner=org["c"]))
        self.deal_values = {a_deal.pk: 120.0, c_deal.pk: 80.0}

    def __call__(self, *, as_of: datetime, until: datetime, samples: int = 2000) -> Forecast:
        self.calls.append((as_of, until))
        a, b, c = (self.org[k].pk for k in "abc")
        draws = np.column_stack([np.arange(0, 101, 10, dtype=float), np.zeros(11), np.full(11, 100.0)])
        return Forecast(
            as_of=as_of, until=until, total=300.0, low=200.0, high=400.0,
            by_region={self.org["east"].pk: 200.0, self.org["north"].pk: 100.0}, by_rep={a: 150.0, b: 50.0, c: 100.0},
            explain=["公司层面的模型说明"], rep_pks=[a, b, c], samples=draws, open_part=200.0, new_part=100.0,
            deal_values=self.deal_values,
        )  # fmt: skip


@pytest.fixture
def model(org, monkeypatch):  # type: ignore[no-untyped-def]
    fake = FakeModel(org)
    monkeypatch.setattr("xiaoguan.insights.forecast.forecast_compute", fake)
    return fake


def test_a_teams_interval_comes_from_its_peoples_draws_added_up(org, model, clock):
    forecast = model(as_of=clock.at("2025-03-10 00:00"), until=clock.at("2025-04-01 00:00"))
    east = scope_figures(forecast=forecast, owner_ids=frozenset({org["a"].pk, org["b"].pk}), region_pk=org["east"].pk)
    # the region's own figure (200), its draws' spread (P10 10, P90 90 around their mean 50) moved onto it
    assert (east.total, east.low, east.high) == pytest.approx((200.0, 160.0, 240.0))
    one = scope_figures(forecast=forecast, owner_ids=frozenset({org["b"].pk}))
    assert (one.total, one.low, one.high) == (50.0, 50.0, 50.0)
    company = scope_figures(forecast=forecast, owner_ids=None)
    assert (company.total, company.low, company.high) == (300.0, 200.0, 400.0)


def test_the_monday_snapshot_covers_the_company_every_region_and_team_with_their_parts(org, model, clock):
    OpportunityFactory(owner=org["a"], account=AccountFactory(owner=org["a"]), status=Opportunity.Status.WON,
                       closed_at=clock.at("2025-02-05 10:00"), amount=Decimal("1000"))  # fmt: skip
    written = snapshot_take(week=date(2025, 3, 10), now=clock.at("2025-03-10 06:00"))
    assert written == 4
    rows = {s.team_id: s for s in ForecastSnapshot.objects.all()}
    company, east, one, north = rows[None], rows[org["east"].pk], rows[org["east_one"].pk], rows[org["north"].pk]
    assert (company.total, company.low, company.high, company.won_before) == (300, 200, 400, 1000)
    assert (company.open_part, company.new_part) == (200, 100)
    assert company.explain[1:] == ["公司层面的模型说明"]  # the model's own sentences for the company only
    assert (east.total, east.low, east.high, east.won_before, east.open_part, east.new_part) == (200, 160, 240, 1000, 120, 80)
    assert (one.total, one.won_before) == (50, 0)
    assert (north.total, north.open_part, north.new_part, north.won_before) == (100, 80, 20, 0)
    assert "公司层面的模型说明" not in " ".join(east.explain) and "阿安" in " ".join(east.explain)
    assert all((s.as_of, s.until, s.quarter_start) == (day_start(date(2025, 3, 10)), day_start(date(2025, 4, 1)), date(2025, 1, 1)) for s in rows.values())


def test_the_job_takes_one_snapshot_per_week_and_scope_however_often_it_runs(org, model, clock):
    sweep_run(now=clock.at("2025-03-09 12:00"))  # Sunday: the job becomes known, due Monday 06:00
    assert not ForecastSnapshot.objects.exists()
    sweep_run(now=clock.at("2025-03-10 06:01"))
    assert ForecastSnapshot.objects.filter(week=date(2025, 3, 10)).count() == 4 and len(model.calls) == 1
    sweep_run(now=clock.at("2025-03-10 07:00"))  # not due again until next Monday
    assert forecast_snapshot_job(clock.at("2025-03-12 10:00")) == "0 forecast snapshots for 2025-03-10"  # a second run
    assert len(model.calls) == 1 and ForecastSnapshot.objects.count() == 4
    sweep_run(now=clock.at("2025-03-17 06:05"))
    assert sorted({s.week for s in ForecastSnapshot.objects.all()}) == [date(2025, 3, 10), date(2025, 3, 17)]
    assert ForecastSnapshot.objects.count() == 8
    assert model.calls[1] == (day_start(date(2025, 3, 17)), day_start(date(2025, 4, 1)))


def test_a_sweep_that_missed_monday_takes_that_mondays_snapshot_later_in_the_week(org, model, clock):
    sweep_run(now=clock.at("2025-03-09 12:00"))
    sweep_run(now=clock.at("2025-03-12 15:00"))  # the machine was off until Wednesday
    assert {s.week for s in ForecastSnapshot.objects.all()} == {date(2025, 3, 10)}
    assert model.calls == [(day_start(date(2025, 3, 10)), day_start(date(2025, 4, 1)))]


def test_a_new_team_gets_its_row_without_recomputing_the_others(org, model, clock):
    snapshot_take(week=date(2025, 3, 10), now=clock.at("2025-03-10 06:00"))
    TeamFactory(name="华南大区", kind=Team.Kind.REGION, parent=org["hq"])
    assert snapshot_take(week=date(2025, 3, 10), now=clock.at("2025-03-11 06:00")) == 1
    assert ForecastSnapshot.objects.count() == 5


def test_only_mondays_and_never_ahead(org, model, clock):
    with pytest.raises(ValueError, match="not a Monday"):
        snapshot_take(week=date(2025, 3, 11), now=clock.at("2025-03-12 06:00"))
    with pytest.raises(ValueError, match="future"):
        snapshot_take(week=date(2025, 3, 17), now=clock.at("2025-03-12 06:00"))


def test_backfill_computes_each_past_monday_as_of_that_monday_for_its_own_quarter(org, model, clock):
    OpportunityFactory(owner=org["a"], account=AccountFactory(owner=org["a"]), status=Opportunity.Status.WON,
                       closed_at=clock.at("2025-03-26 10:00"), amount=Decimal("500"))  # fmt: skip
    clock.set("2025-04-15 10:00")
    out = StringIO()
    call_command("forecast_snapshots", "--from", "2025-03-20", "--to", "2025-06-30", stdout=out)
    # Mondays up to today only; each as of its own 00:00, forecasting to the end of its own quarter
    assert model.calls == [
        (day_start(date(2025, 3, 24)), day_start(date(2025, 4, 1))),
        (day_start(date(2025, 3, 31)), day_start(date(2025, 4, 1))),
        (day_start(date(2025, 4, 7)), day_start(date(2025, 7, 1))),
        (day_start(date(2025, 4, 14)), day_start(date(2025, 7, 1))),
    ]
    won = dict(ForecastSnapshot.objects.filter(team__isnull=True).values_list("week", "won_before"))
    # the win of 03-26 counts from the Monday after it, and not in the next quarter
    assert won == {date(2025, 3, 24): 0, date(2025, 3, 31): 500, date(2025, 4, 7): 0, date(2025, 4, 14): 0}
    assert "4 个周一，写入 16 条快照" in out.getvalue()
    call_command("forecast_snapshots", "--from", "2025-03-20", "--to", "2025-06-30", stdout=StringIO())
    assert len(model.calls) == 4  # already there: nothing recomputed
    call_command("forecast_snapshots", "--from", "2025-04-14", "--to", "2025-04-14", "--replace", stdout=StringIO())
    assert len(model.calls) == 5 and ForecastSnapshot.objects.count() == 16


def test_backfill_refuses_a_reversed_range(org, model, clock):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("forecast_snapshots", "--from", "2025-04-01", "--to", "2025-03-01", stdout=StringIO())


def test_the_real_job_on_a_book_without_deals_writes_zeros_and_no_error(org, clock):
    sweep_run(now=clock.at("2025-03-09 12:00"))
    report = sweep_run(now=clock.at("2025-03-10 06:01"))
    assert "forecast_weekly_snapshot" in report.jobs and report.errors == []
    company = ForecastSnapshot.objects.get(team__isnull=True)
    assert (company.total, company.low, company.high, company.won_before) == (0, 0, 0, 0)
