"""The bell, the pool page, the SLA board and the lead settings, through the pages."""

from __future__ import annotations

import pytest

from tests.factories.org import TeamFactory, UserFactory
from tests.factories.sales import LeadFactory
from xiaoguan.automation.models import Notification
from xiaoguan.leads.models import Lead, LeadPolicy
from xiaoguan.leads.services import lead_assign, lead_release_to_pool
from xiaoguan.org.models import Role, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    region = TeamFactory(name="华东大区", kind=Team.Kind.REGION)
    manager = UserFactory(role=Role.MANAGER, team=region, name="经理")
    rep = UserFactory(role=Role.REP, team=region, manager=manager, name="小王")
    return rep, manager


def test_the_bell_counts_unread_and_opening_one_marks_it_read(people, login, clock):
    rep, _ = people
    now = clock.set("2025-03-05 10:00")
    lead = lead_assign(lead=LeadFactory(owner=None, status=Lead.Status.NEW, assigned_at=None), rep=rep, now=now, reason="规则「华东」")
    client = login(rep)
    assert '<span class="bell-count"' in client.get("/notifications/badge/").content.decode()
    assert ">1<" in client.get("/notifications/badge/").content.decode()
    page = client.get("/notifications/").content.decode()
    assert f"新线索：{lead}" in page
    notification = Notification.objects.get(recipient=rep)
    response = client.get(f"/notifications/{notification.pk}/open/")
    assert response.status_code == 302 and response["Location"] == f"/leads/{lead.external_id}/"
    assert "bell-count" not in client.get("/notifications/badge/").content.decode()
    # someone else's notification is not found
    assert login(UserFactory()).get(f"/notifications/{notification.pk}/open/").status_code == 404


def test_inbox_shows_the_clock_and_the_routing_reason(people, login, clock):
    rep, _ = people
    now = clock.set("2025-03-05 10:00")
    lead_assign(lead=LeadFactory(owner=None, status=Lead.Status.NEW, assigned_at=None), rep=rep, now=now, reason="规则「华东」: 城市 苏州")
    clock.set("2025-03-05 10:50")
    page = login(rep).get("/leads/").content.decode()
    assert "剩 10分钟" in page and "pill orange sla" in page
    assert "规则「华东」: 城市 苏州" in page
    clock.set("2025-03-05 11:30")
    assert "超时 30分钟" in login(rep).get("/leads/").content.decode()


def test_a_rep_claims_from_the_pool_page(people, login, clock):
    rep, _ = people
    now = clock.set("2025-03-05 10:00")
    lead = LeadFactory(owner=None, status=Lead.Status.NEW, assigned_at=None, region=rep.team)
    lead_release_to_pool(lead=lead, now=now, reason="测试")
    client = login(rep)
    assert lead.name in client.get("/leads-pool/").content.decode()
    response = client.post(f"/leads-pool/{lead.external_id}/claim/")
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.owner == rep
    # a rep of another region sees an empty pool and cannot claim
    other = UserFactory(role=Role.REP, team=TeamFactory(name="华南大区"))
    lead_release_to_pool(lead=lead, now=now, reason="再次退回")
    assert lead.name not in login(other).get("/leads-pool/").content.decode()
    assert login(other).post(f"/leads-pool/{lead.external_id}/claim/").status_code == 404


def test_sla_board_is_for_managers(people, login, clock):
    rep, manager = people
    now = clock.set("2025-03-05 10:00")
    lead_assign(lead=LeadFactory(owner=None, status=Lead.Status.NEW, assigned_at=None), rep=rep, now=now, reason="")
    clock.set("2025-03-05 15:00")
    page = login(manager).get("/leads-sla/").content.decode()
    assert "线索时效看板" in page and "小王" in page and "超时" in page
    assert login(rep).get("/leads-sla/").status_code == 403


def test_lead_settings_save_the_policy_and_refuse_a_wrong_order(people, login):
    admin = UserFactory(role=Role.ADMIN)
    client = login(admin)
    values = {"first_contact_minutes": 30, "escalate_manager_minutes": 90, "escalate_second_minutes": 180, "pool_return_days": 5, "pool_claim_daily_limit": 8}
    assert client.post("/settings/leads/", values).status_code == 302
    assert LeadPolicy.objects.get(team=None).first_contact_minutes == 30
    bad = client.post("/settings/leads/", {**values, "escalate_manager_minutes": 20})
    assert bad.status_code == 200 and "依次递增" in bad.content.decode()
    assert login(people[0]).get("/settings/leads/").status_code == 403
