"""The cockpit's figures on hand-built data: funnel counts and conversion, dwell median/P75, attainment and completion
probability, radar axes — each worked out by hand in the comments."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import numpy as np
import pytest

from tests.factories.org import TeamFactory, UserFactory
from tests.factories.sales import ActivityFactory, LeadFactory, OpportunityFactory
from tests.insights.cockpit_world import TODAY, World, at, build_world
from xiaoguan.insights import heatmap
from xiaoguan.insights.dwell import dwell_compute
from xiaoguan.insights.filters import cockpit_filter_parse
from xiaoguan.insights.funnel import funnel_compute
from xiaoguan.insights.radar import radar_compute, radar_median
from xiaoguan.leads.models import Lead
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.org.models import Role, Team
from xiaoguan.targets.models import Target

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build_world()


def _by_key(funnel):  # type: ignore[no-untyped-def]
    return {s.stage.key: s for s in funnel.stages}


def test_funnel_counts_each_deal_once_per_stage_and_converts_on_later_entries(world: World) -> None:
    # given March 2025 seen by the director, standard pipeline only
    (funnel,) = funnel_compute(cockpit=world.cockpit(world.director))
    stages = _by_key(funnel)
    # 线索确认 entered in March: D1 D2 D4 D5 D6 D7 (D3 entered in February; D7 twice, counted once)
    assert (stages["lead_confirmed"].deals, stages["lead_confirmed"].went_on) == (6, 5)  # D4 never went on; D6 did in April
    assert stages["lead_confirmed"].conversion == pytest.approx(5 / 6)
    assert stages["lead_confirmed"].amount == pytest.approx(100_000 + 200_000 + 50_000 + 70_000 + 30_000 + 10_000)
    # 需求诊断: D1 D2 D3 D5 D7 (D6's entry is April); on to a later stage: D1 and D3
    assert (stages["needs_diagnosed"].deals, stages["needs_diagnosed"].went_on) == (5, 2)
    assert (stages["solution_demo"].deals, stages["solution_demo"].went_on) == (2, 1)
    assert (stages["quote_negotiation"].deals, stages["quote_negotiation"].went_on) == (1, 1)
    assert (stages["contract_signed"].deals, stages["delivered_paid"].deals) == (1, 0)
    assert stages["delivered_paid"].conversion is None  # the last stage leads nowhere
    assert stages["needs_diagnosed"].lost_here == 1  # D2, lost there on 20 March
    assert (funnel.won_count, funnel.won_amount, funnel.lost_count, funnel.lost_amount) == (2, 520_000, 1, 200_000)
    assert funnel.win_rate == pytest.approx(2 / 3)


def test_funnel_for_the_east_manager_leaves_out_the_north_deals(world: World) -> None:
    (funnel,) = funnel_compute(cockpit=world.cockpit(world.manager))
    stages = _by_key(funnel)
    assert (stages["lead_confirmed"].deals, stages["lead_confirmed"].went_on) == (5, 4)  # without D5
    assert stages["needs_diagnosed"].deals == 4
    assert (funnel.won_count, funnel.won_amount) == (1, 500_000)  # without D8


def test_funnel_filters_by_product_line(world: World) -> None:
    Opportunity.objects.filter(pk=world.deals["D1"].pk).update(product_line="试剂耗材")
    (funnel,) = funnel_compute(cockpit=world.cockpit(world.director, product_line="试剂耗材"))
    assert _by_key(funnel)["lead_confirmed"].deals == 1


def test_dwell_median_and_p75_of_completed_and_running_stays(world: World) -> None:
    # given March 2025, looked at on 10 April: the cut is 1 April 00:00
    (pipeline,) = dwell_compute(cockpit=world.cockpit(world.director), now=at("2025-04-10 09:00"))
    stays = {s.stage.key: s for s in pipeline.stages}
    lc = stays["lead_confirmed"]
    # completed in March: D1 3 d, D2 5 d, D3 12 d (entered in February), D5 1 d, D7 1 d and 2 d → [1, 1, 2, 3, 5, 12]
    assert lc.completed == 6
    assert (lc.median_days, lc.p75_days) == (pytest.approx(2.5), pytest.approx(4.5))
    # running at the cut: D4 since 15 March (17 d), D6 since 5 March (27 d: it left on 2 April, after the cut)
    assert (lc.open_count, lc.open_median_days, lc.open_p75_days) == (2, pytest.approx(22.0), pytest.approx(24.5))
    nd = stays["needs_diagnosed"]
    # completed: D1 5 d, D2 12 d (lost on 20 March), D3 2 d, D7 2 d → [2, 2, 5, 12]; running: D5 29 d, D7 26 d
    assert (nd.completed, nd.median_days, nd.p75_days) == (4, pytest.approx(3.5), pytest.approx(6.75))
    assert (nd.open_count, nd.open_median_days) == (2, pytest.approx(27.5))
    assert (stays["solution_demo"].completed, stays["solution_demo"].median_days, stays["solution_demo"].open_count) == (1, pytest.approx(6.0), 1)
    assert stays["quote_negotiation"].median_days == pytest.approx(13.0)
    assert "contract_signed" not in stays  # the won stage is not selling time
    # the bottleneck needs at least 5 completed stays: only 线索确认 has them
    assert pipeline.bottleneck is not None and pipeline.bottleneck.stage.key == "lead_confirmed"


def test_dwell_of_a_running_period_counts_up_to_now(world: World) -> None:
    (pipeline,) = dwell_compute(cockpit=world.cockpit(world.director), now=at("2025-03-20 00:00"))
    lc = {s.stage.key: s for s in pipeline.stages}["lead_confirmed"]
    # on 20 March D4 has sat 5 days in 线索确认 and D6 15 days
    assert (lc.open_count, lc.open_median_days) == (2, pytest.approx(10.0))


def test_heatmap_attainment_uses_the_region_target_then_the_sum_of_people(world: World) -> None:
    Target.objects.create(period="2025-03", scope_kind="team", team=world.east, amount=Decimal(400_000))
    Target.objects.create(period="2025-Q1", scope_kind="user", user=world.a, amount=Decimal(300_000))
    Target.objects.create(period="2025-03", scope_kind="user", user=world.c, amount=Decimal(50_000))
    result = heatmap.heatmap_compute(cockpit=world.cockpit(world.director), viewer=world.director, today=TODAY)
    rows = {r.region.name: r.cells[0] for r in result.rows if r.region}
    assert result.months == [date(2025, 3, 1)] and result.forecast_state == "past"
    # 华东: the region's own target (400k) against D3's 500k; 华北: no team target, 小陈's own 50k against D8's 20k
    assert (rows["华东大区"].target, rows["华东大区"].won, rows["华东大区"].attainment) == (400_000, 500_000, 1.25)
    assert (rows["华北大区"].target, rows["华北大区"].attainment, rows["华北大区"].attainment_band) == (50_000, 0.4, "red")
    assert rows["华东大区"].attainment_band == "green"
    # one rep chosen: that rep's target, a quarterly one counting a third in March
    (only,) = heatmap.heatmap_compute(cockpit=world.cockpit(world.director, rep=world.a.external_id), viewer=world.director, today=TODAY).rows
    assert (only.cells[0].target, only.cells[0].attainment) == (pytest.approx(100_000), pytest.approx(5.0))


def test_heatmap_for_a_manager_shows_only_their_region(world: World) -> None:
    Target.objects.create(period="2025-03", scope_kind="user", user=world.c, amount=Decimal(50_000))
    result = heatmap.heatmap_compute(cockpit=world.cockpit(world.manager), viewer=world.manager, today=TODAY)
    assert [r.region.name for r in result.rows if r.region] == ["华东大区"]
    assert not result.has_targets  # 小陈's target is not the manager's to see, and nobody in the east has one


def test_completion_probability_adds_what_is_won_to_the_simulated_draws(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # given the east target of 400k for March, 150k already won on 5 March, and today the 15th
    Target.objects.create(period="2025-03", scope_kind="team", team=world.east, amount=Decimal(400_000))
    OpportunityFactory(owner=world.b, account__owner=world.b, status="won", closed_at=at("2025-03-05 10:00"), amount=Decimal(150_000))
    asked = []

    def fake_forecast(*, as_of, until):  # type: ignore[no-untyped-def]
        asked.append((as_of, until))
        # draws of a, b and 小陈 (north, never summed into the east)
        samples = np.array([[0, 0, 999_999], [100_000, 100_000, 0], [200_000, 60_000, 0], [300_000, 0, 0]], dtype=float)
        return SimpleNamespace(rep_pks=[world.a.pk, world.b.pk, world.c.pk], samples=samples)

    monkeypatch.setattr(heatmap, "forecast_cached", fake_forecast)
    result = heatmap.heatmap_compute(cockpit=world.cockpit(world.director), viewer=world.director, with_chances=True, today=date(2025, 3, 15))
    east = next(r for r in result.rows if r.region and r.region.name == "华东大区")
    # east totals per draw 0 / 200k / 260k / 300k, plus 150k already won: 2 of 4 reach 400k
    assert east.cells[0].probability == pytest.approx(0.5)
    assert east.cells[0].probability_band == "amber"
    assert east.total.probability == pytest.approx(0.5)
    assert (at("2025-03-15 00:00"), at("2025-04-01 00:00")) in asked
    # without a forecast model the page says so instead of inventing a number
    monkeypatch.setattr(heatmap, "forecast_cached", lambda **kw: None)
    missing = heatmap.heatmap_compute(cockpit=world.cockpit(world.director), viewer=world.director, with_chances=True, today=date(2025, 3, 15))
    assert missing.forecast_state == "missing"
    assert all(c.probability is None for r in missing.rows for c in r.cells)


def test_target_months_of_each_period_kind() -> None:
    assert heatmap.target_months("2025-11") == [date(2025, 11, 1)]
    assert heatmap.target_months("2025-Q4") == [date(2025, 10, 1), date(2025, 11, 1), date(2025, 12, 1)]
    assert len(heatmap.target_months("2025")) == 12
    assert heatmap.target_months("Q4") == []


def test_radar_axes_from_the_reps_own_history(world: World) -> None:
    # leads of 小安 in the window: two valid, one invalid; all three assigned, two contacted within 24 h
    for status, contact_hours in ((Lead.Status.CONTACTED, 2), (Lead.Status.CONTACTED, 30), (Lead.Status.DISQUALIFIED, 1)):
        LeadFactory(owner=world.a, status=status, created_at=at("2025-03-10 09:00"), assigned_at=at("2025-03-10 09:00"),
                    first_contact_at=at("2025-03-10 09:00") + timedelta(hours=contact_hours))  # fmt: skip
    # open at the window's end (1 April): D1 D4 D6 D7; D1 followed up on 25 March, D4 only long before
    ActivityFactory(owner=world.a, account=world.deals["D1"].account, opportunity=world.deals["D1"], occurred_at=at("2025-03-25 10:00"))
    ActivityFactory(owner=world.a, account=world.deals["D4"].account, opportunity=world.deals["D4"], occurred_at=at("2025-03-10 10:00"))
    cockpit = world.cockpit(world.director)
    scores = radar_compute(cockpit=cockpit, rep_ids=[world.a.pk, world.b.pk], today=TODAY)
    a = scores[world.a.pk]
    weeks = 180 / 7  # March stretched back to 180 days
    assert a["prospecting"].n == 2 and a["prospecting"].score == pytest.approx(100 * (2 / weeks) / 15)
    assert (a["diagnosis"].n, a["diagnosis"].score) == (4, pytest.approx(50.0))  # D1 D2 D3 D7 entered 需求诊断; D1 and D3 went on
    assert (a["demo"].n, a["demo"].score) == (2, pytest.approx(50.0))  # D1 D3; D3 went on
    assert (a["negotiation"].n, a["negotiation"].score) == (1, pytest.approx(100.0))  # D3 signed
    assert (a["closing"].n, a["closing"].score) == (2, pytest.approx(50.0))  # D3 won, D2 lost
    # follow-up: 2 of 3 leads contacted within 24 h, 1 of 4 open deals followed up in the last 14 days
    assert a["follow_up"].score == pytest.approx((100 * 2 / 3 + 100 * 1 / 4) / 2)
    b = scores[world.b.pk]
    assert b["prospecting"].score == 0 and b["closing"].score is None and b["follow_up"].score is None
    median = radar_median(scores)
    assert median["prospecting"] == pytest.approx(a["prospecting"].score / 2)  # median of a's and b's 0
    assert median["closing"] == pytest.approx(50.0)  # b has no closings: left out


def test_radar_window_is_at_least_180_days_and_stops_today() -> None:
    from xiaoguan.insights.radar import radar_window

    hq = TeamFactory(kind=Team.Kind.COMPANY)
    director = UserFactory(role=Role.DIRECTOR, team=hq)
    cockpit = cockpit_filter_parse(user=director, params={"period": "year"}, today=date(2025, 10, 1))
    window = radar_window(cockpit, today=date(2025, 10, 1))
    assert (window.start, window.end) == (date(2025, 1, 1), date(2025, 10, 1))
    short = cockpit_filter_parse(user=director, params={"period": "month"}, today=date(2025, 10, 1))
    assert radar_window(short, today=date(2025, 10, 1)).start == date(2025, 10, 1) - timedelta(days=179)


def test_the_shared_frame_still_counts_only_the_viewers_people(world: World) -> None:
    # the director's view fills the period's org-wide frame first; the manager's view then takes only the east's share
    funnel_compute(cockpit=world.cockpit(world.director))
    dwell_compute(cockpit=world.cockpit(world.director), now=at("2025-04-10 09:00"))
    (funnel,) = funnel_compute(cockpit=world.cockpit(world.manager))
    assert _by_key(funnel)["lead_confirmed"].deals == 5
    (pipeline,) = dwell_compute(cockpit=world.cockpit(world.manager), now=at("2025-04-10 09:00"))
    lc = {s.stage.key: s for s in pipeline.stages}["lead_confirmed"]
    assert (lc.completed, lc.open_count) == (5, 2)  # without D5's day in 线索确认


def test_an_entry_at_the_first_instant_of_the_period_counts(world: World) -> None:
    from tests.insights.cockpit_world import deal

    edge = deal(world.b, 1_000, [("lead_confirmed", "2025-03-01 00:00")])
    before = deal(world.b, 1_000, [("lead_confirmed", "2025-02-28 23:59")])
    (funnel,) = funnel_compute(cockpit=world.cockpit(world.director, rep=world.b.external_id))
    assert _by_key(funnel)["lead_confirmed"].deals == 1
    assert edge.pk != before.pk
