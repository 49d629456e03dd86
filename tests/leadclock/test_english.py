"""The lead engine's pages in English (Chinese first, English complete)."""

from __future__ import annotations

import pytest

from tests.factories.org import TeamFactory, UserFactory
from tests.factories.sales import LeadFactory
from xiaoguan.leads.models import Lead
from xiaoguan.leads.services import lead_assign
from xiaoguan.org.models import Role, Team

pytestmark = pytest.mark.django_db


def test_the_board_the_pool_and_the_inbox_clock_read_in_english(login, clock):
    region = TeamFactory(name="华东大区", kind=Team.Kind.REGION)
    manager = UserFactory(role=Role.MANAGER, team=region)
    rep = UserFactory(role=Role.REP, team=region, manager=manager)
    now = clock.set("2025-03-05 10:00")
    lead_assign(lead=LeadFactory(owner=None, status=Lead.Status.NEW, assigned_at=None), rep=rep, now=now, reason="")
    clock.set("2025-03-05 10:20")
    board = login(manager).get("/leads-sla/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Lead response board" in board and "Reached within 72 h" in board and "线索时效看板" not in board
    inbox = login(rep).get("/leads/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "40 min left" in inbox
    pool = login(rep).get("/leads-pool/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The lead pool is empty" in pool and "Claimed today 0 / 10" in pool
