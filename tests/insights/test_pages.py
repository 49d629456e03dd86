"""The manager's authenticity page and the team view's per-rep rate, through the pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.factories.org import TeamFactory, UserFactory
from tests.factories.sales import AccountFactory, ActivityFactory
from xiaoguan.activities.models import Activity
from xiaoguan.org.models import Role, Team

pytestmark = pytest.mark.django_db


def _far_visit(rep, clock, content: str = "拜访客户") -> Activity:  # type: ignore[no-untyped-def]
    # a 苏州 customer, a check-in in 北京: flagged on its own
    return ActivityFactory(
        owner=rep, account=AccountFactory(owner=rep, city="苏州"), kind=Activity.Kind.VISIT, duration_seconds=3600,
        occurred_at=clock.at("2025-03-04 10:00"), recorded_at=clock.at("2025-03-04 11:30"),
        lat=Decimal("39.9042"), lng=Decimal("116.4074"), content=content,
    )  # fmt: skip


@pytest.fixture
def org():  # type: ignore[no-untyped-def]
    hq = TeamFactory(name="销售中心", kind=Team.Kind.COMPANY)
    east = TeamFactory(name="华东大区", kind=Team.Kind.REGION, parent=hq)
    north = TeamFactory(name="华北大区", kind=Team.Kind.REGION, parent=hq)
    director = UserFactory(role=Role.DIRECTOR, team=hq, name="总监")
    manager = UserFactory(role=Role.MANAGER, team=east, name="东区经理", manager=director)
    mine = UserFactory(role=Role.REP, team=east, manager=manager, name="小王")
    other = UserFactory(role=Role.REP, team=north, name="小李")
    return director, manager, mine, other


def test_manager_sees_own_reps_flags_with_reasons_and_never_another_teams(org, login, clock):
    director, manager, mine, other = org
    ours = _far_visit(mine, clock)
    theirs = _far_visit(other, clock)
    clock.set("2025-03-10 09:00")
    page = login(manager).get("/insights/authenticity/").content.decode()
    assert ours.external_id in page and "签到位置距客户所在城市" in page
    assert theirs.external_id not in page and "小李" not in page
    everyone = login(director).get("/insights/authenticity/").content.decode()
    assert ours.external_id in everyone and theirs.external_id in everyone


def test_a_rep_may_not_open_the_page(org, login, clock):
    _director, _manager, mine, _other = org
    clock.set("2025-03-10 09:00")
    assert login(mine).get("/insights/authenticity/").status_code == 403


def test_html_in_a_flagged_record_is_escaped(org, login, clock):
    _director, manager, mine, _other = org
    _far_visit(mine, clock, content='<script>alert("x")</script>拜访')
    clock.set("2025-03-10 09:00")
    page = login(manager).get("/insights/authenticity/").content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_empty_team_explains_itself(org, login, clock):
    _director, manager, _mine, _other = org
    clock.set("2025-03-10 09:00")
    page = login(manager).get("/insights/authenticity/").content.decode()
    assert "还没有可评估的记录" in page or "没有可疑记录" in page


def test_team_view_shows_each_reps_authenticity_rate(org, login, clock):
    _director, manager, mine, _other = org
    _far_visit(mine, clock)
    for day in range(3):
        ActivityFactory(owner=mine, kind=Activity.Kind.CALL, occurred_at=clock.at("2025-03-05 10:00") + timedelta(days=day),
                        recorded_at=clock.at("2025-03-05 10:20") + timedelta(days=day))  # fmt: skip
    clock.set("2025-03-10 09:00")
    page = login(manager).get("/team/").content.decode()
    assert "记录真实率" in page
    assert "75%" in page  # 3 of 4 records not doubted


def test_the_pages_and_the_reasons_read_in_english(org, login, clock):
    _director, manager, mine, _other = org
    _far_visit(mine, clock)
    clock.set("2025-03-10 09:00")
    page = login(manager).get("/insights/authenticity/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Authenticity of activity records" in page and "km from the customer&#x27;s city" in page
    assert "跟进记录真实性" not in page and "签到位置" not in page
    layers = login(manager).get("/insights/verification/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Three-layer check" in layers and "三层验证" not in layers
