"""The API sees what the pages see: the one visibility rule, and 404 (not 403) for what is not yours."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client

from tests.api.conftest import Org, items_ids
from tests.factories.sales import AccountFactory, ContactFactory, LeadFactory, OpportunityFactory
from xiaoguan.leads.models import Lead
from xiaoguan.org.models import User
from xiaoguan.receivables.models import Invoice

Api = Callable[[User], Client]


@pytest.fixture
def records(org: Org) -> dict[str, str]:
    """One lead, account and deal per rep (east: 张三, 李四; north: 赵六)."""
    ids: dict[str, str] = {}
    for name, rep in (("rep", org.rep), ("rep2", org.rep2), ("north", org.rep_north)):
        account = AccountFactory(external_id=f"A-{name}", owner=rep)
        ids[f"account_{name}"] = account.external_id
        ids[f"lead_{name}"] = LeadFactory(external_id=f"L-{name}", owner=rep).external_id
        ids[f"opportunity_{name}"] = OpportunityFactory(external_id=f"O-{name}", account=account, owner=rep).external_id
    return ids


@pytest.mark.parametrize(("kind", "other"), [("leads", "L-rep2"), ("accounts", "A-rep2"), ("opportunities", "O-rep2")])
def test_rep_gets_404_for_another_reps_record(org: Org, api: Api, records: dict[str, str], kind: str, other: str) -> None:
    # given 李四's record of this kind
    client = api(org.rep)
    # when 张三 asks for it by id
    response = client.get(f"/api/{kind}/{other}")
    # then it does not exist for him: 404, exactly like an id nobody has
    assert response.status_code == 404
    assert response.json() == client.get(f"/api/{kind}/no-such-id").json()


def test_rep_cannot_act_on_another_reps_records(org: Org, api: Api, records: dict[str, str]) -> None:
    # given 张三's client and 李四's lead and deal
    client = api(org.rep)
    # when he tries to change them
    responses = [
        client.patch("/api/leads/L-rep2", {"name": "改名"}, content_type="application/json"),
        client.post("/api/leads/L-rep2/disqualify", {"reason": "抢单"}, content_type="application/json"),
        client.post("/api/opportunities/O-rep2/close-lost", {"reason": "抢单"}, content_type="application/json"),
        client.patch("/api/accounts/A-rep2", {"name": "改名"}, content_type="application/json"),
        client.post("/api/accounts/A-rep2/contacts", {"name": "王五"}, content_type="application/json"),
    ]
    # then every attempt is a 404 and nothing changed
    assert [r.status_code for r in responses] == [404] * 5
    assert Lead.objects.get(external_id="L-rep2").status == Lead.Status.ASSIGNED


def test_rep_cannot_point_a_new_record_at_another_reps_account(org: Org, api: Api, records: dict[str, str]) -> None:
    # given 张三 and 李四's account
    # when he opens a deal on it
    response = api(org.rep).post("/api/opportunities", {"account_id": "A-rep2"}, content_type="application/json")
    # then the id is unknown to him: a field error, not a leak of its existence
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "account_id"


def test_rep_lists_only_own_records(org: Org, api: Api, records: dict[str, str]) -> None:
    # given three reps' records
    client = api(org.rep)
    # when 张三 lists them
    # then he sees only his own
    assert items_ids(client.get("/api/leads")) == ["L-rep"]
    assert items_ids(client.get("/api/accounts")) == ["A-rep"]
    assert items_ids(client.get("/api/opportunities")) == ["O-rep"]
    assert items_ids(client.get("/api/users")) == ["u-rep"]


def test_manager_sees_the_team_subtree(org: Org, api: Api, records: dict[str, str]) -> None:
    # given the east manager
    client = api(org.manager)
    # when he lists leads and deals
    leads, deals = set(items_ids(client.get("/api/leads"))), set(items_ids(client.get("/api/opportunities")))
    # then he sees both east reps' records and not the north rep's
    assert leads == {"L-rep", "L-rep2"}
    assert deals == {"O-rep", "O-rep2"}
    assert client.get("/api/leads/L-north").status_code == 404
    assert client.get("/api/leads/L-rep2").status_code == 200


def test_manager_may_act_on_a_subtree_record(org: Org, api: Api, records: dict[str, str]) -> None:
    # given the east manager and 李四's deal
    # when he moves it to the next stage
    response = api(org.manager).post("/api/opportunities/O-rep2/move-stage", {"stage": "needs_diagnosed"}, content_type="application/json")
    # then it moves
    assert response.status_code == 200
    assert response.json()["stage"] == "needs_diagnosed"


def test_director_sees_everything(org: Org, api: Api, records: dict[str, str]) -> None:
    # given the director
    client = api(org.director)
    # when she lists leads, accounts and deals
    # then every region's records are there
    assert set(items_ids(client.get("/api/leads"))) == {"L-rep", "L-rep2", "L-north"}
    assert set(items_ids(client.get("/api/accounts"))) == {"A-rep", "A-rep2", "A-north"}
    assert set(items_ids(client.get("/api/opportunities"))) == {"O-rep", "O-rep2", "O-north"}
    assert client.get("/api/users").json()["count"] == 6


def test_finance_reads_accounts_and_invoices_but_not_leads(org: Org, api: Api, records: dict[str, str]) -> None:
    # given an invoice and the finance user
    Invoice.objects.create(external_id="INV-1", account_id=AccountFactory(owner=org.rep).pk, amount=Decimal("1000.5"),
                           issued_on="2025-03-01", due_on="2025-04-01")
    client = api(org.finance)
    # when finance reads
    # then accounts and invoices are visible, leads and deals are not
    assert client.get("/api/accounts").json()["count"] == 4
    assert items_ids(client.get("/api/invoices")) == ["INV-1"]
    assert client.get("/api/invoices/INV-1").json()["amount"] == 1000.5
    assert client.get("/api/leads").json()["count"] == 0
    assert client.get("/api/leads/L-rep").status_code == 404


def test_finance_writes_are_refused_with_a_clear_body(org: Org, api: Api, records: dict[str, str]) -> None:
    # given finance, who sees every account
    client = api(org.finance)
    # when finance tries to edit an account, add a contact or create a lead
    responses = [
        client.patch("/api/accounts/A-rep", {"grade": "A"}, content_type="application/json"),
        client.post("/api/accounts/A-rep/contacts", {"name": "王五"}, content_type="application/json"),
        client.post("/api/leads", {"company": "某公司"}, content_type="application/json"),
    ]
    # then each is a 403 saying why, and nothing was written
    for response in responses:
        assert response.status_code == 403
        assert response.json()["code"] == "not_allowed"
        assert response.json()["message"]
    assert not Lead.objects.filter(company="某公司").exists()


def test_invoice_endpoints_are_read_only(org: Org, api: Api) -> None:
    # given finance
    client = api(org.finance)
    # when it tries to create an invoice through the API
    response = client.post("/api/invoices", {"amount": 1}, content_type="application/json")
    # then the method is not there
    assert response.status_code == 405


def test_phone_is_masked_for_everyone_but_the_owner(org: Org, api: Api) -> None:
    # given 张三's lead and contact with phone numbers
    LeadFactory(external_id="L-phone", owner=org.rep, phone="13812345678")
    ContactFactory(external_id="C-phone", account=AccountFactory(owner=org.rep), phone="13987654321")
    # when the owner and his manager read them
    own = api(org.rep)
    boss = api(org.manager)
    # then the owner sees the numbers, the manager sees them masked
    assert own.get("/api/leads/L-phone").json()["phone"] == "13812345678"
    assert boss.get("/api/leads/L-phone").json()["phone"] == "138****5678"
    assert own.get("/api/contacts/C-phone").json()["phone"] == "13987654321"
    assert boss.get("/api/contacts/C-phone").json()["phone"] == "139****4321"
    assert boss.get("/api/users/u-rep").json()["phone"] == "138****5678"
