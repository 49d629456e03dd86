"""The monthly target-fit report: built once a month on the 1st–5th by the sweep's job (through a task), managers told."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from tests.factories.org import TeamFactory, UserFactory
from tests.factories.sales import AccountFactory, ActivityFactory, OpportunityFactory, stage
from xiaoguan.automation.models import Notification
from xiaoguan.automation.sweep import sweep_run
from xiaoguan.insights import calibration
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.org.models import Role, Team
from xiaoguan.targets.models import Target, TargetFitReport, TargetProposal
from xiaoguan.targets.rules import target_fit_report_due
from xiaoguan.targets.services import target_fit_report_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(clock, settings, monkeypatch):  # type: ignore[no-untyped-def]
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    company = TeamFactory(name="公司", kind=Team.Kind.COMPANY)
    region = TeamFactory(name="华东大区", kind=Team.Kind.REGION, parent=company)
    manager = UserFactory(name="王经理", role=Role.MANAGER, team=region)
    director = UserFactory(name="陈总监", role=Role.DIRECTOR, team=company)
    rep = UserFactory(name="李娜", team=region, manager=manager, hired_on=date(2020, 1, 1))
    for day in range(1, 21):
        ActivityFactory(owner=rep, account=AccountFactory(owner=rep), occurred_at=clock.at(f"2025-07-{day:02d} 10:00"),
                        recorded_at=clock.at(f"2025-07-{day:02d} 10:30"))  # fmt: skip
    closed = clock.at("2025-08-10 10:00")
    OpportunityFactory(owner=rep, account=AccountFactory(owner=rep), amount=Decimal("500000"), status=Opportunity.Status.WON,
                       stage=stage("contract_signed"), closed_at=closed, created_at=closed - timedelta(days=40))  # fmt: skip
    Target.objects.create(external_id="t", period="2025-Q4", scope_kind=Target.ScopeKind.USER, user=rep, amount=Decimal("400000"))
    simulated = []

    def simulate(as_of, until):  # type: ignore[no-untyped-def]
        simulated.append((as_of, until))
        return [rep.pk], np.array([[0.0], [300_000.0], [500_000.0], [900_000.0]])

    monkeypatch.setattr(calibration, "forecast_simulator", simulate)
    return {"manager": manager, "director": director, "rep": rep, "simulated": simulated}


def sweep(clock, when: str, capture) -> None:  # type: ignore[no-untyped-def]
    now = clock.set(when)
    with capture(execute=True):
        sweep_run(now=now)


def test_the_report_is_built_once_a_month_by_the_fifth(team, clock, django_capture_on_commit_callbacks):
    sweep(clock, "2025-10-01 05:00", django_capture_on_commit_callbacks)  # the job is registered; its time is 06:30
    assert not TargetFitReport.objects.exists()

    sweep(clock, "2025-10-01 06:31", django_capture_on_commit_callbacks)
    report = TargetFitReport.objects.get()
    assert (report.month, report.period, report.as_of) == ("2025-10", "2025-Q4", clock.at("2025-10-01 06:31"))
    assert TargetProposal.objects.get(report=report, user=team["rep"]).proposed > 0
    rep = report.figures["reps"][0]
    assert (rep["imposed"], rep["p_imposed"]) == (400_000.0, 0.5)  # 500k and 900k of the four simulations reach 400k
    assert team["simulated"] == [(clock.at("2025-10-01 06:31"), clock.at("2026-01-01 00:00"))]
    # the managers hear of it, each once
    told = Notification.objects.filter(kind="target_fit_report")
    assert sorted(n.recipient.name for n in told) == ["王经理", "陈总监"]
    assert "2025-10 目标适配度报告（2025-Q4）已生成" in told[0].title and "/insights/targets/?month=2025-10" in told[0].link

    for day in ("2025-10-02 06:31", "2025-10-05 06:31", "2025-10-06 06:31", "2025-10-20 06:31"):
        sweep(clock, day, django_capture_on_commit_callbacks)
    assert TargetFitReport.objects.count() == 1 and len(team["simulated"]) == 1
    assert Notification.objects.filter(kind="target_fit_report").count() == 2

    sweep(clock, "2025-11-01 06:31", django_capture_on_commit_callbacks)
    assert list(TargetFitReport.objects.order_by("month").values_list("month", "period")) == [("2025-10", "2025-Q4"), ("2025-11", "2025-Q4")]
    assert Notification.objects.filter(kind="target_fit_report").count() == 4


def test_a_month_missed_until_after_the_fifth_waits_for_the_next(team, clock, django_capture_on_commit_callbacks):
    sweep(clock, "2025-12-06 05:00", django_capture_on_commit_callbacks)
    sweep(clock, "2025-12-06 06:31", django_capture_on_commit_callbacks)
    assert not TargetFitReport.objects.exists()
    assert target_fit_report_due(now=clock.at("2025-12-05 23:59")) == "2025-12"
    assert target_fit_report_due(now=clock.at("2025-12-06 00:00")) is None


def test_building_twice_keeps_the_first(team, clock):
    first, created = target_fit_report_build(now=clock.at("2025-10-02 09:00"))
    again, created_again = target_fit_report_build(now=clock.at("2025-10-03 09:00"))
    assert (created, created_again) == (True, False) and again.pk == first.pk
    assert again.as_of == clock.at("2025-10-02 09:00") and TargetProposal.objects.count() == 1
