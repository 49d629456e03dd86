"""Handover for admins: preview the counts, confirm, everything moves with history."""

from __future__ import annotations

import pytest

from tests.factories.sales import AccountFactory, LeadFactory, OpportunityFactory, TaskFactory
from xiaoguan.core.models import HistoryEntry
from xiaoguan.customers.models import Account
from xiaoguan.leads.models import Lead
from xiaoguan.opportunities.models import Opportunity

pytestmark = pytest.mark.django_db


def test_handover_previews_counts_then_moves_everything_with_history(org, login, clock):  # type: ignore[no-untyped-def]
    # given a leaving rep with two accounts (one with a deal), three leads and an open to-do
    clock.set("2025-03-31 17:00")
    accounts = [AccountFactory(owner=org.rep), AccountFactory(owner=org.rep)]
    OpportunityFactory(account=accounts[0])
    for _ in range(3):
        LeadFactory(owner=org.rep)
    TaskFactory(owner=org.rep, account=accounts[0])
    client = login(org.admin)
    form = {"from_user": org.rep.external_id, "to_users": [org.rep2.external_id, org.manager.external_id], "deactivate": "on"}
    # when the admin previews
    preview = client.post("/manage/handover/", form)
    # then the counts show and nothing moved yet
    html = preview.content.decode()
    assert preview.status_code == 200 and "确认交接" in html
    assert Account.objects.filter(owner=org.rep).count() == 2
    # when the admin confirms
    done = client.post("/manage/handover/", {**form, "confirm": "1"})
    # then nothing is left with the rep, who is deactivated, and every record has a handover entry
    assert done.status_code == 200 and "交接完成" in done.content.decode()
    assert not Account.objects.filter(owner=org.rep).exists()
    assert not Opportunity.objects.filter(owner=org.rep).exists()
    assert not Lead.objects.filter(owner=org.rep).exists()
    assert HistoryEntry.objects.filter(action=HistoryEntry.Action.HANDOVER).count() == 2 + 1 + 3
    org.rep.refresh_from_db()
    assert not org.rep.is_active
    # and the deal followed its account
    deal = Opportunity.objects.get()
    assert deal.owner == deal.account.owner
    # and the account page shows who had it before
    page = client.get(f"/customers/{accounts[0].external_id}/").content.decode()
    assert "交接" in page and org.rep.name in page


def test_handover_needs_a_receiver_other_than_the_leaver(org, login):  # type: ignore[no-untyped-def]
    AccountFactory(owner=org.rep)
    response = login(org.admin).post("/manage/handover/", {"from_user": org.rep.external_id, "to_users": [org.rep.external_id], "confirm": "1"})
    assert response.status_code == 422
    assert "接收人不能只有交出人本人" in response.content.decode()
    assert Account.objects.filter(owner=org.rep).count() == 1


def test_only_admins_reach_handover_and_invite(org, login):  # type: ignore[no-untyped-def]
    for who in (org.rep, org.manager, org.director, org.finance):
        client = login(who)
        assert client.get("/manage/handover/").status_code == 403
        assert client.get("/manage/invite/").status_code == 403
