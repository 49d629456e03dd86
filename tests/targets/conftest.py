"""A report to adjust: two regions, a manager in 华东 with two reps, a rep in 华西, the director; the figures are a
hand-made snapshot (the calibration itself is tested in tests/insights/test_calibration.py)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from tests.factories.org import TeamFactory, UserFactory
from xiaoguan.core.clock import org_tz
from xiaoguan.org.models import Role, Team, User
from xiaoguan.targets.models import Target, TargetFitReport, TargetProposal

AS_OF = datetime(2025, 10, 1, 6, 30, tzinfo=org_tz())


def fresh(user: User) -> User:
    return User.objects.select_related("team").get(pk=user.pk)


def rep_figures(user: User, region: Team, proposed: float, imposed: float | None, p_proposed: float, p_imposed: float | None) -> dict:  # type: ignore[type-arg]
    return {
        "user_pk": user.pk, "name": user.name, "external_id": user.external_id, "team_pk": region.pk, "region_pk": region.pk,
        "region": region.name, "active_months": 6.0, "reach": 120, "excluded": 2, "wins": 8, "won_amount": 2_000_000.0,
        "own_conversion": 8 / 120, "region_conversion": 0.06, "conversion": 0.065, "mix": {"检测设备": 1.0}, "deal_size": 250_000.0,
        "proposed": proposed, "imposed": imposed, "won_so_far": 0.0, "p_proposed": p_proposed, "p_imposed": p_imposed,
        "quantiles": [proposed * i / 50 for i in range(101)],  # P(≥ x) falls evenly from 1 at 0 to 0 at 2× the proposal
        "reasons": ["近6个月有效触达 120 个客户（月均 20.0）", "健康客单价 25.0万（产品结构：检测设备 100%）"],
    }  # fmt: skip


@pytest.fixture
def fit(db):  # type: ignore[no-untyped-def]
    company = TeamFactory(name="星河科技", kind=Team.Kind.COMPANY)
    east = TeamFactory(name="华东大区", kind=Team.Kind.REGION, parent=company)
    west = TeamFactory(name="华西大区", kind=Team.Kind.REGION, parent=company)
    manager = UserFactory(name="王经理", role=Role.MANAGER, team=east)
    li = UserFactory(name="李娜", team=east, manager=manager)
    zhang = UserFactory(name="张伟", team=east, manager=manager)
    zhao = UserFactory(name="赵磊", team=west)
    west_manager = UserFactory(name="钱经理", role=Role.MANAGER, team=west)
    director = UserFactory(name="陈总监", role=Role.DIRECTOR, team=company)
    reps = [
        rep_figures(li, east, 1_000_000.0, 1_200_000.0, 0.8, 0.55),
        rep_figures(zhang, east, 600_000.0, None, 0.35, None),
        rep_figures(zhao, west, 800_000.0, 800_000.0, 0.5, 0.5),
    ]
    groups = [
        {"team_pk": company.pk, "name": company.name, "kind": "company", "path": company.path, "depth": 0, "rep_pks": [li.pk, zhang.pk, zhao.pk],
         "proposed": 2_400_000.0, "imposed": 2_000_000.0, "imposed_source": "reps", "won_so_far": 0.0, "p_proposed": 0.6, "p_imposed": 0.75,
         "quantiles": [2_400_000.0 * i / 50 for i in range(101)]},
        {"team_pk": east.pk, "name": east.name, "kind": "region", "path": east.path, "depth": 1, "rep_pks": [li.pk, zhang.pk],
         "proposed": 1_600_000.0, "imposed": 1_200_000.0, "imposed_source": "reps", "won_so_far": 0.0, "p_proposed": 0.45, "p_imposed": 0.72,
         "quantiles": [1_600_000.0 * i / 50 for i in range(101)]},
        {"team_pk": west.pk, "name": west.name, "kind": "region", "path": west.path, "depth": 1, "rep_pks": [zhao.pk],
         "proposed": 800_000.0, "imposed": 800_000.0, "imposed_source": "reps", "won_so_far": 0.0, "p_proposed": 0.5, "p_imposed": 0.5,
         "quantiles": [800_000.0 * i / 50 for i in range(101)]},
    ]  # fmt: skip
    figures = {
        "period": "2025-Q4", "as_of": AS_OF.isoformat(), "months": 3, "window_start": "2025-04-01", "window_end": "2025-10-01",
        "deal_window_start": "2024-10-01", "reps": reps, "groups": groups, "simulated": True, "simulations": 2000, "note": "",
        "deal_model": [
            {"region_pk": east.pk, "region": east.name, "product_line": "检测设备", "wins": 30, "median": 220_000.0, "mean": 260_000.0, "healthy": 250_000.0},
            {"region_pk": west.pk, "region": west.name, "product_line": "检测设备", "wins": 12, "median": 180_000.0, "mean": 240_000.0, "healthy": 230_000.0},
        ],
        "thresholds": {"green": 0.7, "amber": 0.4}, "adjust_limit": 0.15,
    }  # fmt: skip
    for user, amount in ((li, "1200000"), (zhao, "800000")):
        Target.objects.create(external_id=f"2025-Q4:user:{user.external_id}:", period="2025-Q4", scope_kind=Target.ScopeKind.USER, user=user, amount=Decimal(amount))
    report = TargetFitReport.objects.create(month="2025-10", period="2025-Q4", as_of=AS_OF, created_at=AS_OF, figures=figures)
    proposals = {
        user.pk: TargetProposal.objects.create(report=report, user=user, proposed=Decimal(str(r["proposed"])), amount=Decimal(str(r["proposed"])))
        for user, r in zip((li, zhang, zhao), reps, strict=True)
    }  # fmt: skip
    return SimpleNamespace(
        report=report, company=company, east=east, west=west, manager=fresh(manager), west_manager=fresh(west_manager), director=fresh(director),
        li=fresh(li), zhang=fresh(zhang), zhao=fresh(zhao), proposals=proposals,
    )  # fmt: skip
