"""A small sales organisation for page tests: two regions, a manager with two reps, and the other roles."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.factories.org import TeamFactory, UserFactory
from xiaoguan.org.models import Role, Team, User


def fresh(user: User) -> User:
    """The user as a request would load it (team paths are written after save, so reload)."""
    return User.objects.select_related("team").get(pk=user.pk)


@pytest.fixture
def org(db):  # type: ignore[no-untyped-def]
    company = TeamFactory(name="星河科技", kind=Team.Kind.COMPANY)
    east = TeamFactory(name="华东大区", kind=Team.Kind.REGION, parent=company)
    west = TeamFactory(name="华西大区", kind=Team.Kind.REGION, parent=company)
    manager = UserFactory(name="王经理", role=Role.MANAGER, team=east)
    rep = UserFactory(name="李娜", team=east, manager=manager)
    rep2 = UserFactory(name="张伟", team=east, manager=manager)
    west_rep = UserFactory(name="赵磊", team=west)
    people = {
        "manager": manager,
        "rep": rep,
        "rep2": rep2,
        "west_rep": west_rep,
        "director": UserFactory(name="陈总监", role=Role.DIRECTOR, team=company),
        "admin": UserFactory(name="系统管理员", role=Role.ADMIN, team=company, is_staff=True),
        "finance": UserFactory(name="周财务", role=Role.FINANCE, team=company),
        "legal": UserFactory(name="吴法务", role=Role.LEGAL, team=company),
    }
    return SimpleNamespace(company=company, east=east, west=west, **{k: fresh(v) for k, v in people.items()})
