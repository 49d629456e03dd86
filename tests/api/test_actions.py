"""Each action of the API does what the page does, through the same service, and answers with the record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.api.conftest import Org
from tests.factories.evidence import give_evidence
from tests.factories.sales import AccountFactory, LeadFactory, OpportunityFactory, TaskFactory, stage
from xiaoguan.activities.models import Activity, Task
from xiaoguan.core.models import HistoryEntry
from xiaoguan.customers.models import Account, Contact
from xiaoguan.leads.models import Lead
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.org.models import User

Api = Callable[[User], Client]
NOW = "2025-03-10 10:00"


@pytest.fixture
def now(clock: Any) -> Any:
    return clock.set(NOW)


def post(client: Client, url: str, body: Any = None) -> Any:
    return client.post(url, body or {}, content_type="application/json")


def patch(client: Client, url: str, body: Any) -> Any:
    return client.patch(url, body, content_type="application/json")


def test_create_lead(org: Org, api: Api, now: Any) -> None:
    # given the rep
    # when he posts a lead from a fair
    response = post(api(org.rep), "/api/leads", {"source": "event", "name": "陈工", "company": "苏州精测", "phone": "13800001234",
                                                 "budget": 200000.5, "city": "苏州"})
    # then it is his, assigned now, in his region, with money as a 2-decimal number and times with offset
    assert response.status_code == 201
    body = response.json()
    assert body["id"].startswith("xg-L-")
    assert (body["owner_id"], body["status"], body["region_id"], body["source"]) == ("u-rep", "assigned", "t-east", "event")
    assert body["budget"] == 200000.5
    assert body["created_at"] == "2025-03-10T10:00:00+08:00"


def test_manager_creates_a_lead_for_a_rep(org: Org, api: Api, now: Any) -> None:
    # given the manager
    # when he creates a lead for 李四
    response = post(api(org.manager), "/api/leads", {"company": "杭州某公司", "owner_id": "u-rep2"})
    # then 李四 owns it
    assert response.status_code == 201
    assert response.json()["owner_id"] == "u-rep2"


def test_update_lead_changes_only_the_fields_sent(org: Org, api: Api, now: Any) -> None:
    # given the rep's lead
    LeadFactory(external_id="L-1", owner=org.rep, company="旧公司", phone="13800000000", budget=100)
    # when he sends a new phone and clears the budget
    response = patch(api(org.rep), "/api/leads/L-1", {"phone": "13900001111", "budget": None, "region_id": "t-north"})
    # then those change, the rest stays, and the history keeps the old values
    assert response.status_code == 200
    assert (response.json()["phone"], response.json()["budget"], response.json()["company"]) == ("13900001111", None, "旧公司")
    assert response.json()["region_id"] == "t-north"
    entry = HistoryEntry.objects.get(action=HistoryEntry.Action.UPDATED)
    assert entry.changes["phone"] == ["13800000000", "13900001111"]


def test_update_refuses_null_for_a_field_that_cannot_be_empty(org: Org, api: Api, now: Any) -> None:
    # given the rep's lead
    LeadFactory(external_id="L-1", owner=org.rep)
    # when he sends null for the source
    response = patch(api(org.rep), "/api/leads/L-1", {"source": None})
    # then it is refused
    assert response.status_code == 422


def test_disqualify_lead(org: Org, api: Api, now: Any) -> None:
    # given the rep's lead
    LeadFactory(external_id="L-1", owner=org.rep)
    # when he disqualifies it with a reason
    response = post(api(org.rep), "/api/leads/L-1/disqualify", {"reason": "空号"})
    # then it is disqualified; a second time is a conflict
    assert response.status_code == 200
    assert response.json()["status"] == "disqualified"
    assert post(api(org.rep), "/api/leads/L-1/disqualify", {"reason": "空号"}).status_code == 409


def test_convert_lead_into_a_new_account(org: Org, api: Api, now: Any) -> None:
    # given the rep's lead with a person and a budget
    LeadFactory(external_id="L-1", owner=org.rep, name="陈工", company="苏州精测", budget=300000)
    # when he converts it
    response = post(api(org.rep), "/api/leads/L-1/convert", {"product_line": "检测设备"})
    # then an account, a contact and a deal exist, and the lead points at them
    assert response.status_code == 200
    body = response.json()
    assert body["lead"]["status"] == "converted"
    assert body["account"]["name"] == "苏州精测"
    assert body["contact"]["name"] == "陈工"
    assert body["opportunity"]["amount"] == 300000.0
    assert body["opportunity"]["stage"] == "lead_confirmed"
    assert body["lead"]["converted_account_id"] == body["account"]["id"]
    assert body["lead"]["converted_opportunity_id"] == body["opportunity"]["id"]


def test_convert_lead_into_an_existing_account_without_a_deal(org: Org, api: Api, now: Any) -> None:
    # given the rep's lead and his existing account
    LeadFactory(external_id="L-1", owner=org.rep, name="陈工")
    AccountFactory(external_id="A-1", owner=org.rep)
    # when he merges the lead into the account, without a deal
    response = post(api(org.rep), "/api/leads/L-1/convert", {"account_id": "A-1", "create_opportunity": False})
    # then the contact joins the existing account and no new account or deal appears
    assert response.status_code == 200
    assert response.json()["account"]["id"] == "A-1"
    assert response.json()["opportunity"] is None
    assert Account.objects.count() == 1
    assert Contact.objects.get().account.external_id == "A-1"


def test_create_and_update_account_and_add_a_contact(org: Org, api: Api, now: Any) -> None:
    # given the rep
    client = api(org.rep)
    # when he creates an account, grades it and adds a contact
    created = post(client, "/api/accounts", {"name": "苏州精测", "kind": "enterprise", "size": "50-199", "credit_limit": "500000.00"})
    account_id = created.json()["id"]
    updated = patch(client, f"/api/accounts/{account_id}", {"grade": "A", "kind": None, "payment_terms_days": 60})
    contact = post(client, f"/api/accounts/{account_id}/contacts", {"name": "陈工", "role_in_decision": "decision_maker",
                                                                    "phone": "13800001234"})
    # then each answer shows the record as stored
    assert created.status_code == 201 and created.json()["credit_limit"] == 500000.0 and created.json()["owner_id"] == "u-rep"
    assert updated.status_code == 200
    assert (updated.json()["grade"], updated.json()["kind"], updated.json()["payment_terms_days"]) == ("A", None, 60)
    assert contact.status_code == 201
    assert contact.json()["account_id"] == account_id and contact.json()["phone"] == "13800001234"
    assert client.get(f"/api/accounts/{account_id}/contacts").json()["count"] == 1


def test_opportunity_lifecycle_by_stage_key(org: Org, api: Api, now: Any) -> None:
    # given the rep's account
    AccountFactory(external_id="A-1", owner=org.rep, name="苏州精测")
    client = api(org.rep)
    # when he opens a deal, moves it, loses it, reopens it and wins it
    created = post(client, "/api/opportunities", {"account_id": "A-1", "product_line": "检测设备", "amount": 300000,
                                                  "expected_close": "2025-06-30"})
    deal = created.json()["id"]
    give_evidence(Opportunity.objects.get(external_id=deal))  # what the stage gates ask for (tests/evidence: refusals)
    moved = post(client, f"/api/opportunities/{deal}/move-stage", {"stage": "solution_demo"})
    lost = post(client, f"/api/opportunities/{deal}/close-lost", {"reason": "价格", "competitor": "某友商"})
    reopened = post(client, f"/api/opportunities/{deal}/reopen")
    won = post(client, f"/api/opportunities/{deal}/close-won")
    # then each step shows the new state
    assert created.status_code == 201
    assert (created.json()["name"], created.json()["stage"], created.json()["pipeline"]) == ("苏州精测-检测设备", "lead_confirmed", "standard")
    assert moved.json()["stage"] == "solution_demo"
    assert (lost.json()["status"], lost.json()["lost_reason"], lost.json()["competitor"]) == ("lost", "价格", "某友商")
    assert reopened.json()["status"] == "open"
    assert (won.json()["status"], won.json()["stage"]) == ("won", "contract_signed")
    assert won.json()["closed_at"] == "2025-03-10T10:00:00+08:00"
    history = client.get(f"/api/opportunities/{deal}/stage-history").json()
    assert [h["stage"] for h in history] == ["lead_confirmed", "solution_demo", "contract_signed"]
    assert history[0]["changed_by_id"] == "u-rep"


def test_move_to_a_stage_the_pipeline_does_not_have_is_a_field_error(org: Org, api: Api, now: Any) -> None:
    # given the rep's deal
    OpportunityFactory(external_id="O-1", owner=org.rep, account=AccountFactory(owner=org.rep))
    # when he moves it to an unknown stage key
    response = post(api(org.rep), "/api/opportunities/O-1/move-stage", {"stage": "negotiation"})
    # then the field error lists the stages there are, and the deal did not move
    assert response.status_code == 422
    assert "quote_negotiation" in response.json()["errors"][0]["message"]
    assert Opportunity.objects.get(external_id="O-1").stage == stage("lead_confirmed")


def test_log_activity_on_a_lead_counts_as_first_contact(org: Org, api: Api, now: Any) -> None:
    # given the rep's untouched lead
    LeadFactory(external_id="L-1", owner=org.rep, first_contact_at=None)
    # when he logs a call that happened an hour ago, with a follow-up planned
    response = post(api(org.rep), "/api/activities", {"kind": "call", "lead_id": "L-1", "occurred_at": "2025-03-10T09:00:00+08:00",
                                                      "duration_seconds": 840, "content": "电话沟通需求",
                                                      "next_follow_up_at": "2025-03-12T10:00:00+08:00"})
    # then the activity is recorded now, the lead is contacted, and a follow-up task exists
    assert response.status_code == 201
    body = response.json()
    assert (body["owner_id"], body["lead_id"], body["duration_seconds"]) == ("u-rep", "L-1", 840)
    assert body["recorded_at"] == "2025-03-10T10:00:00+08:00"
    lead = Lead.objects.get(external_id="L-1")
    assert lead.status == Lead.Status.CONTACTED
    assert Task.objects.get(lead=lead).source == Task.Source.FOLLOW_UP


def test_log_activity_in_the_future_is_refused(org: Org, api: Api, now: Any) -> None:
    # given the rep's account
    AccountFactory(external_id="A-1", owner=org.rep)
    # when he logs a visit dated tomorrow
    response = post(api(org.rep), "/api/activities", {"kind": "visit", "account_id": "A-1", "occurred_at": "2025-03-11T10:00:00+08:00"})
    # then the service refuses it and nothing is written
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "occurred_at"
    assert not Activity.objects.exists()


def test_activity_without_a_subject_names_the_reference_field(org: Org, api: Api, now: Any) -> None:
    # given the rep
    # when he logs a call about nothing
    response = post(api(org.rep), "/api/activities", {"kind": "call"})
    # then the service's error is reported under the API's field name
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "account_id", "message": "请选择客户、商机或线索"}]


def test_create_and_complete_task(org: Org, api: Api, now: Any) -> None:
    # given the rep and his account
    AccountFactory(external_id="A-1", owner=org.rep)
    client = api(org.rep)
    # when he creates a to-do and completes it
    created = post(client, "/api/tasks", {"title": "发送报价单", "due_at": "2025-03-11T10:00:00", "account_id": "A-1"})
    task = created.json()["id"]
    done = post(client, f"/api/tasks/{task}/complete")
    # then it was due in organisation time, is now done, and cannot be completed twice
    assert created.status_code == 201
    assert created.json()["due_at"] == "2025-03-11T10:00:00+08:00" and created.json()["done"] is False
    assert done.status_code == 200 and done.json()["done"] is True
    assert post(client, f"/api/tasks/{task}/complete").status_code == 409
    assert [t["id"] for t in client.get("/api/tasks?done=false").json()["items"]] == []


def test_manager_completes_a_reps_task_but_rep_cannot_complete_anothers(org: Org, api: Api, now: Any) -> None:
    # given 李四's task
    TaskFactory(external_id="K-1", owner=org.rep2)
    # when 张三 and then their manager try to complete it
    # then 张三 cannot see it, the manager can complete it
    assert post(api(org.rep), "/api/tasks/K-1/complete").status_code == 404
    assert post(api(org.manager), "/api/tasks/K-1/complete").status_code == 200


def test_pipelines_list_their_stages(org: Org, api: Api) -> None:
    # given the default pipeline
    # when any user reads the pipelines
    pipelines = api(org.rep).get("/api/pipelines").json()
    standard = api(org.rep).get("/api/pipelines/standard").json()
    # then the standard pipeline has its six stages, the won one marked
    assert [p["id"] for p in pipelines] == ["standard"]
    assert [s["key"] for s in standard["stages"]][:2] == ["lead_confirmed", "needs_diagnosed"]
    assert [s["key"] for s in standard["stages"] if s["won"]] == ["contract_signed"]



def test_patching_a_deal_changes_only_what_is_sent_and_keeps_history(org: Org, api: Api, now: Any) -> None:
    # given a rep's open deal
    opp = OpportunityFactory(account=AccountFactory(owner=org.rep))
    # when the rep changes its amount
    response = patch(api(org.rep), f"/api/opportunities/{opp.external_id}", {"amount": 320000.5})
    # then the amount changed, the stage did not, history has it, and a negative amount is refused
    assert response.status_code == 200, response.content
    assert response.json()["amount"] == 320000.5 and response.json()["stage"] == "lead_confirmed"
    assert HistoryEntry.objects.filter(object_id=opp.pk, action="updated").count() == 1
    refused = patch(api(org.rep), f"/api/opportunities/{opp.external_id}", {"amount": -1})
    assert refused.status_code == 422
    opp.refresh_from_db()
    assert str(opp.amount) == "320000.50"
