"""Target calibration: the proposed target from effective reach × conversion × healthy deal size, and the completion
probability of a target from simulated outcomes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from tests.factories.org import TeamFactory, UserFactory
from tests.factories.sales import AccountFactory, ActivityFactory, LeadFactory, OpportunityFactory, stage
from xiaoguan.activities.models import Activity
from xiaoguan.insights.authenticity import authenticity_flagged_since
from xiaoguan.insights.calibration import (
    attained_samples,
    band,
    calibration_propose,
    calibration_window,
    completion_probability,
    probability_from_quantiles,
    quantiles_of,
    target_fit_compute,
)
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.org.models import Role, Team
from xiaoguan.targets.models import Target
from xiaoguan.targets.periods import target_period

pytestmark = pytest.mark.django_db

Q4 = target_period("2025-Q4")
CAP_QUANTILE_OF_TWO = 100_000 + 0.95 * 100_000  # numpy's linear 95th percentile of [100k, 200k]


def won(owner, line: str, amount: int, closed_at):  # type: ignore[no-untyped-def]
    return OpportunityFactory(
        owner=owner, account=AccountFactory(owner=owner), product_line=line, amount=Decimal(amount), status=Opportunity.Status.WON,
        stage=stage("contract_signed"), closed_at=closed_at, created_at=closed_at - timedelta(days=30),
    )  # fmt: skip


def act(owner, clock, at: str, **kwargs):  # type: ignore[no-untyped-def]
    when = clock.at(at)
    kwargs.setdefault("recorded_at", when + timedelta(minutes=20))
    if "account" not in kwargs and "lead" not in kwargs and "opportunity" not in kwargs:
        kwargs["account"] = AccountFactory(owner=owner)
    return ActivityFactory(owner=owner, occurred_at=when, **kwargs)


@pytest.fixture
def east(clock):  # type: ignore[no-untyped-def]
    """华东: Wang (in post for years) reaches 5 customers and wins 2 deals in the window; Li (hired on 7-01) reaches 5 and wins none."""
    company = TeamFactory(name="公司", kind=Team.Kind.COMPANY)
    region = TeamFactory(name="华东大区", kind=Team.Kind.REGION, parent=company)
    manager = UserFactory(name="王经理", role=Role.MANAGER, team=region)
    wang = UserFactory(name="王强", team=region, manager=manager, hired_on=date(2020, 1, 1))
    li = UserFactory(name="李娜", team=region, manager=manager, hired_on=date(2025, 7, 1))
    UserFactory(name="离职的人", team=region, is_active=False)
    a1, a2 = AccountFactory(owner=wang), AccountFactory(owner=wang)
    lead = LeadFactory(owner=wang)
    deal = OpportunityFactory(owner=wang, account=AccountFactory(owner=wang))
    kinds = Activity.Kind
    counted = [
        act(wang, clock, "2025-05-06 10:00", account=a1, kind=kinds.VISIT),
        act(wang, clock, "2025-06-06 10:00", account=a1, kind=kinds.VISIT),  # the same customer again
        act(wang, clock, "2025-05-07 10:00", account=a2, kind=kinds.CALL, duration_seconds=120),
        act(wang, clock, "2025-05-08 10:00", account=None, lead=lead, kind=kinds.MEETING),  # a lead with no account yet
        act(wang, clock, "2025-05-09 10:00", kind=kinds.CALL, duration_seconds=None, content="客户确认下月招标"),
        act(wang, clock, "2025-05-10 10:00", account=None, opportunity=deal, kind=kinds.DEMO),  # reached through the deal
    ]
    not_counted = [
        act(wang, clock, "2025-05-11 10:00", kind=kinds.CALL, duration_seconds=30),  # a short call
        act(wang, clock, "2025-05-12 10:00", kind=kinds.CALL, duration_seconds=None, content=""),
        act(wang, clock, "2025-05-13 10:00", kind=kinds.EMAIL),
        act(wang, clock, "2025-05-14 10:00", kind=kinds.WECOM_MESSAGE),
        act(wang, clock, "2025-03-20 10:00", kind=kinds.VISIT),  # before the window
        act(wang, clock, "2025-09-29 10:00", kind=kinds.VISIT, recorded_at=clock.at("2025-10-02 09:00")),  # typed after as-of
    ]
    suspicious = act(wang, clock, "2025-05-15 10:00", kind=kinds.VISIT)
    for i in range(5):
        act(li, clock, f"2025-08-{10 + i} 10:00", kind=kinds.VISIT)
    won(wang, "检测设备", 100_000, clock.at("2025-06-20 15:00"))
    won(wang, "试剂耗材", 300_000, clock.at("2025-08-20 15:00"))
    won(wang, "检测设备", 200_000, clock.at("2024-12-20 15:00"))  # in the 12-month deal model, not in the 6-month window
    return {"region": region, "manager": manager, "wang": wang, "li": li, "counted": counted, "not_counted": not_counted, "suspicious": suspicious}


def test_window_is_the_six_full_months_before_the_period(clock):
    assert calibration_window(period=Q4, as_of=clock.at("2025-10-01 00:00")) == (date(2025, 4, 1), date(2025, 10, 1))
    # mid-period: still the months before the period starts
    assert calibration_window(period=Q4, as_of=clock.at("2025-11-20 10:00")) == (date(2025, 4, 1), date(2025, 10, 1))
    # a period that has not begun: the months before the as-of month
    assert calibration_window(period=target_period("2026-Q1"), as_of=clock.at("2025-11-20 10:00")) == (date(2025, 5, 1), date(2025, 11, 1))


def test_proposal_is_reach_times_conversion_times_healthy_deal_size(east, clock):
    fit = calibration_propose(period=Q4, as_of=clock.at("2025-10-01 00:00"), flagged={east["suspicious"].pk})

    reps = {r.user_pk: r for r in fit.reps}
    assert set(reps) == {east["wang"].pk, east["li"].pk}  # active reps only
    wang, li = reps[east["wang"].pk], reps[east["li"].pk]
    # reach: a1, a2, the lead, the call with content, the deal's account; the flagged visit left out and said so
    assert (wang.reach, wang.excluded, wang.wins, wang.won_amount) == (5, 1, 2, 400_000.0)
    assert (li.reach, li.wins) == (5, 0)
    # conversion shrunk toward the region's 2 wins / 10 customers as if 30 more customers at that rate
    assert wang.region_conversion == pytest.approx(0.2)
    assert wang.conversion == pytest.approx((2 + 30 * 0.2) / (5 + 30))
    assert li.conversion == pytest.approx((0 + 30 * 0.2) / (5 + 30))
    # healthy deal size: 检测设备 [100k, 200k] capped at the line's 95th percentile; 试剂耗材 300k; mix half and half
    detection = (100_000 + CAP_QUANTILE_OF_TWO) / 2
    assert wang.mix == {"检测设备": 0.5, "试剂耗材": 0.5}
    assert li.mix == {"检测设备": 0.5, "试剂耗材": 0.5}  # no wins of her own: the region's mix
    assert wang.deal_size == pytest.approx(0.5 * detection + 0.5 * 300_000)
    # proposal = reach per month × 3 months × conversion × deal size, to the nearest thousand
    assert wang.proposed == round(5 / 6 * 3 * (8 / 35) * (0.5 * detection + 0.5 * 300_000), -3) == 128_000
    # Li has been in post 92 days of the window: her monthly reach counts those months only
    assert li.active_months == pytest.approx(92 / 30.4375, abs=0.01)
    assert li.proposed == round(5 / (92 / 30.4375) * 3 * (6 / 35) * (0.5 * detection + 0.5 * 300_000), -3)
    cells = {(c.product_line, c.wins): c for c in fit.deal_model}
    assert cells[("检测设备", 2)].median == 150_000 and cells[("检测设备", 2)].healthy == pytest.approx(detection)
    assert "已剔除 1 条疑似不实记录" in wang.reasons[0] and "≈ 12.8万" in wang.reasons[-2]
    assert "样本较少" in wang.reasons[-1]  # 5 customers: mostly the region's level
    # the region and the company roll the reps up
    groups = {g.name: g for g in fit.groups}
    assert groups["华东大区"].proposed == wang.proposed + li.proposed and sorted(groups["华东大区"].rep_pks) == sorted(reps)


def test_records_the_authenticity_scoring_flags_do_not_count_as_reach(east, clock):
    # given a visit typed two days before it supposedly happened, with no trace of the customer around it
    ghost = act(east["li"], clock, "2025-08-25 10:00", kind=Activity.Kind.VISIT, recorded_at=clock.at("2025-08-23 10:00"))
    as_of = clock.at("2025-10-01 00:00")
    assert ghost.pk in authenticity_flagged_since(as_of=as_of, since=clock.at("2025-03-18 00:00"))

    fit = calibration_propose(period=Q4, as_of=as_of)

    li = next(r for r in fit.reps if r.user_pk == east["li"].pk)
    assert (li.reach, li.excluded) == (5, 1)


def test_completion_probability_is_the_share_of_simulations_reaching_the_target():
    samples = np.array([[0.0, 0.0], [50_000.0, 10_000.0], [100_000.0, 100_000.0], [200_000.0, 0.0]])
    alone = attained_samples(samples=samples, rep_pks=[7, 8], members=[7], won_so_far=20_000.0)
    assert alone.tolist() == [20_000.0, 70_000.0, 120_000.0, 220_000.0]
    assert completion_probability(alone, 100_000.0) == 0.5
    assert completion_probability(alone, 220_000.0) == 0.25  # reached exactly counts
    assert completion_probability(alone, 0.0) == 1.0
    assert completion_probability(alone, None) is None
    both = attained_samples(samples=samples, rep_pks=[7, 8], members=[7, 8], won_so_far=20_000.0)
    assert both.tolist() == [20_000.0, 80_000.0, 220_000.0, 220_000.0]
    assert completion_probability(both, 150_000.0) == 0.5  # summed within each simulation, not a product of P
    # someone the simulation does not know wins nothing more than what is already won
    assert attained_samples(samples=samples, rep_pks=[7, 8], members=[9], won_so_far=5.0).tolist() == [5.0] * 4
    # no simulation at all: the one outcome is what is won
    assert completion_probability(attained_samples(samples=None, rep_pks=[], members=[7], won_so_far=10.0), 10.0) == 1.0


def test_probability_of_a_changed_target_is_read_off_the_kept_quantiles():
    attained = np.arange(1, 1001, dtype=np.float64) * 1000  # 1k … 1,000k evenly
    q = quantiles_of(attained)
    assert len(q) == 101 and q[0] == 1000 and q[-1] == 1_000_000
    assert probability_from_quantiles(q, 500_000) == pytest.approx(completion_probability(attained, 500_000), abs=0.015)
    assert probability_from_quantiles(q, 2_000_000) == 0.0 and probability_from_quantiles(q, 0) == 1.0


def test_bands_have_the_stated_thresholds():
    assert [band(p) for p in (0.95, 0.70, 0.69, 0.40, 0.39, None)] == ["green", "green", "amber", "amber", "red", ""]


def test_fit_compute_adds_imposed_targets_won_so_far_and_probabilities(east, clock):
    wang, li = east["wang"], east["li"]
    Target.objects.create(external_id="t1", period="2025-Q4", scope_kind=Target.ScopeKind.USER, user=wang, amount=Decimal("200000"))
    won(wang, "检测设备", 50_000, clock.at("2025-10-05 11:00"))  # in the period, before as-of
    samples = np.array([[0.0, 0.0], [100_000.0, 0.0], [50_000.0, 50_000.0], [200_000.0, 100_000.0]])
    calls = []

    def simulate(as_of, until):  # type: ignore[no-untyped-def]
        calls.append((as_of, until))
        return [wang.pk, li.pk], samples

    as_of = clock.at("2025-10-15 00:00")
    fit = target_fit_compute(period=Q4, as_of=as_of, simulate=simulate, flagged=set())

    assert calls == [(as_of, clock.at("2026-01-01 00:00"))]  # the rest of the period
    reps = {r.user_pk: r for r in fit.reps}
    w, li_fit = reps[wang.pk], reps[li.pk]
    assert (w.imposed, w.won_so_far) == (200_000.0, 50_000.0)
    # Wang's outcomes: 50k, 150k, 100k, 250k
    assert w.p_imposed == 0.25
    assert w.p_proposed == pytest.approx(np.mean(np.array([50e3, 150e3, 100e3, 250e3]) >= w.proposed))
    assert li_fit.imposed is None and li_fit.p_imposed is None
    region = next(g for g in fit.groups if g.name == "华东大区")
    # no team target: the reps' targets add up; the region's outcomes are 50k, 150k, 150k, 350k
    assert (region.imposed, region.imposed_source, region.won_so_far) == (200_000.0, "reps", 50_000.0)
    assert region.p_imposed == 0.25
    assert fit.simulated and fit.simulations == 4
    data = fit.as_json()
    assert data["thresholds"] == {"green": 0.7, "amber": 0.4} and data["reps"][0]["quantiles"]


def test_without_a_simulation_the_proposal_stands_alone(east, clock):
    fit = target_fit_compute(period=Q4, as_of=clock.at("2025-10-01 00:00"), simulate=lambda a, u: None, flagged=set())
    assert not fit.simulated and "预测模型尚未就绪" in fit.note
    assert all(r.p_proposed is None for r in fit.reps) and all(r.proposed > 0 for r in fit.reps)


def test_records_typed_long_after_the_window_closed_are_not_reach(east, clock):
    li = east["li"]
    act(li, clock, "2025-09-20 10:00", kind=Activity.Kind.VISIT, recorded_at=clock.at("2025-10-10 09:00"))  # 10 days late: counts
    act(li, clock, "2025-09-21 10:00", kind=Activity.Kind.VISIT, recorded_at=clock.at("2025-10-20 09:00"))  # back-filled: does not
    fit = calibration_propose(period=Q4, as_of=clock.at("2025-11-01 00:00"), flagged=set())
    assert next(r for r in fit.reps if r.user_pk == li.pk).reach == 6
