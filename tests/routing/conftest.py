"""An organisation to route in: 华东 with three reps and a manager, 华西 with two reps, a director and an admin."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest

from tests.factories.org import TeamFactory, UserFactory
from tests.factories.sales import LeadFactory
from xiaoguan.leads.models import Lead
from xiaoguan.org.models import Role, Team, User
from xiaoguan.routing import places
from xiaoguan.routing.models import RoutingRule
from xiaoguan.routing.services import rule_create

NOW = "2025-03-04 10:00"


def fresh(user: Any) -> User:
    return User.objects.select_related("team").get(pk=user.pk)


@pytest.fixture
def org(db: Any) -> SimpleNamespace:
    company = TeamFactory(name="星河科技", kind=Team.Kind.COMPANY)
    east = TeamFactory(name="华东大区", kind=Team.Kind.REGION, parent=company)
    west = TeamFactory(name="华西大区", kind=Team.Kind.REGION, parent=company)
    director = UserFactory(name="陈总监", role=Role.DIRECTOR, team=company)
    manager = UserFactory(name="王经理", role=Role.MANAGER, team=east, manager=director)
    east_reps = [UserFactory(name=n, team=east, manager=manager) for n in ("张三", "李四", "王五")]
    west_reps = [UserFactory(name=n, team=west) for n in ("赵六", "钱七")]
    return SimpleNamespace(
        company=company, east=east, west=west, director=fresh(director), manager=fresh(manager),
        admin=fresh(UserFactory(name="管理员", role=Role.ADMIN, team=company)),
        east_reps=[fresh(u) for u in east_reps], west_reps=[fresh(u) for u in west_reps],
    )


@pytest.fixture
def cities(monkeypatch: pytest.MonkeyPatch, org: SimpleNamespace) -> None:
    """A small city table standing in for xiaoguan.geo: 苏州/无锡 in 江苏 (华东), 成都 in 四川 (华西)."""
    table = {"苏州": ("江苏", org.east.pk), "无锡": ("江苏", org.east.pk), "成都": ("四川", org.west.pk)}

    def resolve(text: str) -> Any:
        key = text.strip().removesuffix("市")
        if key not in table:
            return None
        province, region_id = table[key]
        return SimpleNamespace(name=f"{key}市", short_name=key, province=f"{province}省", province_short=province, region_id=region_id)

    # A fixed table keeps these tests about routing; the real one (xiaoguan.geo) has its own tests.
    monkeypatch.setattr(places, "city_resolve", resolve)


def new_lead(**fields: Any) -> Lead:
    """An unassigned lead as capture leaves it."""
    base: dict[str, Any] = {"owner": None, "status": Lead.Status.NEW, "assigned_at": None, "region": None, "city": "苏州", "industry": "制造业"}
    return cast(Lead, LeadFactory(**{**base, **fields}))


def make_rule(by: User, now: datetime, name: str, *, team: Team | None = None, reps: list[User] | None = None,
              strategy: str = RoutingRule.Strategy.ROUND_ROBIN, enabled: bool = True, **conditions: Any) -> RoutingRule:
    return rule_create(by=by, now=now, values={
        "name": name, "target_team": team, "target_rep_ids": [u.pk for u in reps or []], "strategy": strategy,
        "enabled": enabled, "conditions": conditions,
    })
