"""Lists: limit/offset pages with a capped count and a `next` link; filters per entity."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client

from tests.api.conftest import Org, items_ids
from tests.factories.sales import T0, AccountFactory, ActivityFactory, LeadFactory, OpportunityFactory, stage
from xiaoguan.api import pagination
from xiaoguan.leads.models import Lead
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.org.models import User

Api = Callable[[User], Client]


def test_pages_walk_the_whole_list_through_next(org: Org, api: Api) -> None:
    # given 5 leads created a day apart
    for day in range(5):
        LeadFactory(external_id=f"L-{day}", owner=org.rep, created_at=T0 + timedelta(days=day))
    client = api(org.rep)
    # when the list is read 2 at a time by following `next`
    seen: list[str] = []
    url: str | None = "/api/leads?limit=2"
    pages = 0
    while url:
        body = client.get(url).json()
        assert body["count"] == 5 and body["count_capped"] is False
        seen += [item["id"] for item in body["items"]]
        url = body["next"]
        pages += 1
    # then three pages give every lead once, newest first
    assert pages == 3
    assert seen == ["L-4", "L-3", "L-2", "L-1", "L-0"]


def test_next_keeps_the_filters(org: Org, api: Api) -> None:
    # given 3 new leads
    LeadFactory.create_batch(3, owner=org.rep, status=Lead.Status.NEW, source=Lead.Source.PHONE)
    # when the first page of a filtered list is read
    body = api(org.rep).get("/api/leads?status=new&limit=1").json()
    # then `next` is an absolute link carrying the filter and the next offset
    assert body["next"].startswith("http://testserver/api/leads?")
    assert "status=new" in body["next"] and "offset=1" in body["next"] and "limit=1" in body["next"]


def test_count_stops_at_the_cap(org: Org, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # given more leads than the count cap (lowered for the test)
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    LeadFactory.create_batch(5, owner=org.rep)
    # when a page is read
    body = api(org.rep).get("/api/leads?limit=1").json()
    # then the count says "at least 3" instead of counting everything
    assert body["count"] == 3
    assert body["count_capped"] is True
    assert len(body["items"]) == 1


def test_limit_is_at_most_200(org: Org, api: Api) -> None:
    # given a client
    # when it asks for 201 rows a page
    response = api(org.rep).get("/api/leads?limit=201")
    # then it is told the limit
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "limit", "message": "不能大于 200"}]


def test_leads_filter_by_status_source_owner_text_and_created_range(org: Org, api: Api) -> None:
    # given leads of two reps, of different statuses, sources and days
    LeadFactory(external_id="L-a", owner=org.rep, status=Lead.Status.NEW, source=Lead.Source.PHONE, company="苏州精测", created_at=T0)
    LeadFactory(external_id="L-b", owner=org.rep, status=Lead.Status.QUALIFIED, source=Lead.Source.EVENT, created_at=T0 + timedelta(days=3))
    LeadFactory(external_id="L-c", owner=org.rep2, status=Lead.Status.NEW, source=Lead.Source.PHONE, created_at=T0 + timedelta(days=6))
    client = api(org.manager)
    # when the manager filters
    # then each filter narrows the list
    assert items_ids(client.get("/api/leads?status=new")) == ["L-c", "L-a"]
    assert items_ids(client.get("/api/leads?source=event")) == ["L-b"]
    assert items_ids(client.get("/api/leads?owner_id=u-rep")) == ["L-b", "L-a"]
    assert items_ids(client.get("/api/leads?q=精测")) == ["L-a"]
    assert items_ids(client.get("/api/leads?created_after=2025-03-04&created_before=2025-03-07")) == ["L-b"]
    assert items_ids(client.get("/api/leads?status=new&owner_id=u-rep2")) == ["L-c"]
    assert items_ids(client.get("/api/leads?owner_id=")) == ["L-c", "L-b", "L-a"]


def test_opportunities_filter_by_status_stage_owner_and_pipeline(org: Org, api: Api) -> None:
    # given deals of two reps in different stages and states
    OpportunityFactory(external_id="O-a", owner=org.rep, account=AccountFactory(owner=org.rep), created_at=T0)
    OpportunityFactory(external_id="O-b", owner=org.rep, account=AccountFactory(owner=org.rep), stage=stage("solution_demo"),
                       created_at=T0 + timedelta(days=1))
    OpportunityFactory(external_id="O-c", owner=org.rep2, account=AccountFactory(owner=org.rep2), status=Opportunity.Status.LOST,
                       created_at=T0 + timedelta(days=2))
    client = api(org.manager)
    # when the manager filters
    # then each filter narrows the list
    assert items_ids(client.get("/api/opportunities?status=open")) == ["O-b", "O-a"]
    assert items_ids(client.get("/api/opportunities?stage=solution_demo")) == ["O-b"]
    assert items_ids(client.get("/api/opportunities?owner_id=u-rep2")) == ["O-c"]
    assert items_ids(client.get("/api/opportunities?pipeline=standard&status=lost")) == ["O-c"]
    assert items_ids(client.get("/api/opportunities?pipeline=long_cycle")) == []


def test_activities_filter_by_subject_owner_and_occurred_range(org: Org, api: Api) -> None:
    # given activities on an account, a deal and a lead, by two reps, on different days
    account = AccountFactory(external_id="A-1", owner=org.rep)
    deal = OpportunityFactory(external_id="O-1", account=account, owner=org.rep)
    lead = LeadFactory(external_id="L-1", owner=org.rep2)
    ActivityFactory(external_id="ACT-a", owner=org.rep, account=account, occurred_at=T0)
    ActivityFactory(external_id="ACT-b", owner=org.rep, account=account, opportunity=deal, occurred_at=T0 + timedelta(days=1))
    ActivityFactory(external_id="ACT-c", owner=org.rep2, account=None, lead=lead, occurred_at=T0 + timedelta(days=2))
    client = api(org.manager)
    # when the manager filters
    # then each filter narrows the list, newest first
    assert items_ids(client.get("/api/activities?account_id=A-1")) == ["ACT-b", "ACT-a"]
    assert items_ids(client.get("/api/activities?opportunity_id=O-1")) == ["ACT-b"]
    assert items_ids(client.get("/api/activities?lead_id=L-1")) == ["ACT-c"]
    assert items_ids(client.get("/api/activities?owner_id=u-rep2")) == ["ACT-c"]
    assert items_ids(client.get("/api/activities?occurred_after=2025-03-04T09:00:00%2B08:00")) == ["ACT-c", "ACT-b"]
    assert items_ids(client.get("/api/activities?occurred_before=2025-03-04")) == ["ACT-a"]


def test_accounts_filter_by_text_owner_region_and_industry(org: Org, api: Api) -> None:
    # given accounts of two regions and industries
    AccountFactory(external_id="A-a", owner=org.rep, name="苏州精测仪器", industry="制造业", region=org.east, created_at=T0)
    AccountFactory(external_id="A-b", owner=org.rep2, name="杭州第一医院", industry="医疗", region=org.east, created_at=T0 + timedelta(days=1))
    AccountFactory(external_id="A-c", owner=org.rep_north, name="北京精密", industry="制造业", region=org.north,
                   created_at=T0 + timedelta(days=2))
    client = api(org.director)
    # when the director filters
    # then each filter narrows the list
    assert items_ids(client.get("/api/accounts?q=精")) == ["A-c", "A-a"]
    assert items_ids(client.get("/api/accounts?owner_id=u-rep2")) == ["A-b"]
    assert items_ids(client.get("/api/accounts?region_id=t-north")) == ["A-c"]
    assert items_ids(client.get("/api/accounts?industry=制造业&region_id=t-east")) == ["A-a"]


def test_users_and_teams_lists(org: Org, api: Api) -> None:
    # given the director
    client = api(org.director)
    # when she lists the east team's people and the regions
    # then the subtree and the regions come back by external id
    assert set(items_ids(client.get("/api/users?team_id=t-east"))) == {"u-manager", "u-rep", "u-rep2"}
    assert items_ids(client.get("/api/users?role=finance")) == ["u-finance"]
    assert set(items_ids(client.get("/api/teams?kind=region"))) == {"t-east", "t-north"}
    assert client.get("/api/teams/t-east").json() == {"id": "t-east", "name": "华东大区", "kind": "region", "parent_id": "t-company"}
