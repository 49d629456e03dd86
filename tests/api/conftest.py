"""A small sales organisation and bearer-token clients for the API tests.

    销售中心 (company)
    ├── 华东大区 (region) ── manager 王经理, reps 张三 and 李四
    └── 华北大区 (region) ── rep 赵六
    director 周总 and finance 钱会计 sit at the company.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from tests.factories.org import TeamFactory, UserFactory
from xiaoguan.core.clock import clock_now
from xiaoguan.org.models import Role, Team, User
from xiaoguan.org.services import api_token_create


@pytest.fixture(autouse=True)
def _api_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.api.urls"


@dataclass
class Org:
    company: Team
    east: Team
    north: Team
    director: User
    manager: User
    rep: User
    rep2: User
    rep_north: User
    finance: User


@pytest.fixture
def org(db: Any) -> Org:
    company = TeamFactory(external_id="t-company", name="销售中心", kind=Team.Kind.COMPANY)
    east = TeamFactory(external_id="t-east", name="华东大区", kind=Team.Kind.REGION, parent=company)
    north = TeamFactory(external_id="t-north", name="华北大区", kind=Team.Kind.REGION, parent=company)
    for team in (company, east, north):
        team.refresh_from_db()
    director = UserFactory(external_id="u-director", name="周总", role=Role.DIRECTOR, team=company)
    manager = UserFactory(external_id="u-manager", name="王经理", role=Role.MANAGER, team=east, manager=director)
    rep = UserFactory(external_id="u-rep", name="张三", role=Role.REP, team=east, manager=manager, phone="13812345678")
    rep2 = UserFactory(external_id="u-rep2", name="李四", role=Role.REP, team=east, manager=manager)
    rep_north = UserFactory(external_id="u-rep-north", name="赵六", role=Role.REP, team=north, manager=director)
    finance = UserFactory(external_id="u-finance", name="钱会计", role=Role.FINANCE, team=company)
    return Org(company, east, north, director, manager, rep, rep2, rep_north, finance)


def bearer_client(user: User) -> Client:
    _, key = api_token_create(user=user, name="tests", now=clock_now())
    return Client(headers={"authorization": f"Bearer {key}"})


@pytest.fixture
def api() -> Callable[[User], Client]:
    """`api(user)` is a test client that sends a fresh bearer token of that user."""
    return bearer_client


def items_ids(response: Any) -> list[str]:
    return [item["id"] for item in response.json()["items"]]
